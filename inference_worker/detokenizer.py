"""Incremental detokenisation and stop strings, one sequence at a time.

Byte-level BPE tokenizers split a multi-byte character across tokens; decoding a single
token then yields U+FFFD. We decode a short window of recent tokens and only release text
once it no longer ends in a replacement character (the approach of vLLM and TGI), so the
stream never carries half a character.
"""

from __future__ import annotations

from typing import Protocol

REPLACEMENT_CHAR = "\ufffd"


class Decoder(Protocol):
    def decode(self, ids: list[int], skip_special_tokens: bool = ...) -> str: ...


class IncrementalDetokenizer:
    def __init__(self, tokenizer: Decoder, context_ids: list[int] | None = None) -> None:
        self._tokenizer = tokenizer
        # Seeding with the last prompt tokens keeps the first generated word's leading
        # space right for SentencePiece-style tokenizers.
        self._ids: list[int] = list(context_ids[-4:]) if context_ids else []
        self._prefix_offset = 0
        self._read_offset = len(self._ids)

    def add(self, token_id: int) -> str:
        self._ids.append(token_id)
        return self._advance(final=False)

    def flush(self) -> str:
        """Release what is held back at the end of the stream, even if incomplete."""
        return self._advance(final=True)

    def _advance(self, *, final: bool) -> str:
        prefix = self._decode(self._ids[self._prefix_offset : self._read_offset])
        full = self._decode(self._ids[self._prefix_offset :])
        if len(full) <= len(prefix) or (full.endswith(REPLACEMENT_CHAR) and not final):
            return ""
        new_text = full[len(prefix) :]
        if final:
            # A stream cut mid-character (length limit) ends without the broken tail.
            new_text = new_text.rstrip(REPLACEMENT_CHAR)
        self._prefix_offset = self._read_offset
        self._read_offset = len(self._ids)
        return new_text

    def _decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids, skip_special_tokens=True) if ids else ""


class StopStringFilter:
    """Hold back text that could be the start of a stop string.

    ``feed`` returns (text safe to show, whether a stop string was completed). Text from the
    stop string on is dropped.
    """

    def __init__(self, stop_strings: tuple[str, ...]) -> None:
        self._stops = tuple(s for s in stop_strings if s)
        self._held = ""

    def feed(self, piece: str) -> tuple[str, bool]:
        if not self._stops:
            return piece, False
        buffer = self._held + piece
        cut = min((i for i in (buffer.find(s) for s in self._stops) if i >= 0), default=-1)
        if cut >= 0:
            self._held = ""
            return buffer[:cut], True
        keep = self._longest_partial_stop_suffix(buffer)
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep], False

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

    def _longest_partial_stop_suffix(self, text: str) -> int:
        best = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(text)), best, -1):
                if text.endswith(stop[:size]):
                    best = size
                    break
        return best
