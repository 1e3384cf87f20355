"""Rules for what the model writes, applied at each checkpoint of the streaming guard.

Blocked: links to hosts the deployment does not own, markup that could run script or load
content, the system prompt repeated back, and personal data the customer did not give in
this conversation (a model must not surface anyone else's). Harmful categories come from
the classifier's scores, which the caller passes in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from supportbot.safety.verdict import Action, Category, Span, Verdict

_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|img|svg|style|link|meta|form|input|button|a|base)\b"
    r"|\bon[a-z]+\s*=|javascript\s*:|vbscript\s*:|data\s*:\s*text/html|!\[[^\]]*\]\(",
    re.IGNORECASE,
)
# Hosts are ASCII (IDNs arrive punycoded); the lookbehind, unlike \b, also finds a link glued
# to Chinese or Japanese text, and the host stops where such text resumes.
URL = re.compile(
    r"(?<![A-Za-z0-9])(?:https?://|www\.)[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s<>\"'`]*)?",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
# Long enough that a phrase the instructions tell the model to say ("I will pass it to a
# human colleague") is not a leak, short enough to catch a sentence of them.
LEAK_SHINGLE_WORDS = 10
LEAK_SHINGLE_CHARS = 20  # for scripts written without spaces


@dataclass(frozen=True, slots=True)
class OutputContext:
    allowed_hosts: frozenset[str] = frozenset()  # hosts a reply may link to (and subdomains)
    given_text: str = ""  # the customer's messages and the knowledge shown to the model
    protected: tuple[str, ...] = ()  # instructions the customer must never see verbatim


def active_content_spans(text: str, allowed_hosts: frozenset[str]) -> list[Span]:
    spans = [Span(m.start(), m.end(), Category.ACTIVE_CONTENT) for m in _MARKUP.finditer(text)]
    for match in URL.finditer(text):
        url = match.group(0)
        host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
        host = host.rstrip(".")  # the full stop ending the sentence
        if not _host_allowed(host, allowed_hosts):
            spans.append(Span(match.start(), match.end(), Category.ACTIVE_CONTENT))
    return spans


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def _shingles(text: str) -> set[str]:
    """Runs of 10 words, or of 20 characters for scripts written without spaces."""
    if len(_UNSPACED.findall(text)) * 3 < len(text):
        words = _WORD.findall(text)
        n = LEAK_SHINGLE_WORDS
        return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
    compact = text.replace(" ", "")
    n = LEAK_SHINGLE_CHARS
    return {compact[i : i + n] for i in range(len(compact) - n + 1)}


def leaks(text: str, protected: tuple[str, ...]) -> bool:
    """True if ``text`` repeats a run of any protected instruction (10 words / 20 chars)."""
    produced = _shingles(_normalize(text))
    return any(produced & _shingles(_normalize(secret)) for secret in protected if secret)


def _digits_or_text(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits if len(digits) >= 6 else _normalize(value)


def foreign_pii_spans(text: str, given_text: str, find_pii: Callable) -> list[Span]:
    """PII in ``text`` that does not appear in what the customer or the knowledge gave."""
    given_norm = _normalize(given_text)
    given_digits = re.sub(r"\D", "", given_text)
    foreign = []
    for span in find_pii(text):
        key = _digits_or_text(text[span.start : span.end])
        if key.isdigit() and key in given_digits:
            continue
        if not key.isdigit() and key in given_norm:
            continue
        foreign.append(span)
    return foreign


def check_output(
    text: str,
    context: OutputContext,
    *,
    scores: Mapping[Category, float] | None = None,
    thresholds: Mapping[Category, float] | None = None,
    find_pii: Callable | None = None,
) -> Verdict:
    """Block (the only action for output) if any rule or harmful category fires."""
    spans = active_content_spans(text, context.allowed_hosts)
    if find_pii is not None:
        spans += foreign_pii_spans(text, context.given_text, find_pii)
    categories = {span.category for span in spans}
    if leaks(text, context.protected):
        categories.add(Category.PROMPT_LEAK)
    scores = dict(scores or {})
    thresholds = thresholds or {}
    learned = {c for c, s in scores.items() if s >= thresholds.get(c, 1.0)}
    order = list(Category).index
    # A rule's finding is certain; otherwise the strongest learned category leads.
    primary = (
        min(categories, key=order)
        if categories
        else max(learned, key=scores.__getitem__, default=None)
    )
    ordered = tuple(sorted(categories | learned, key=order))
    return Verdict(
        action=Action.BLOCK if ordered else Action.ALLOW,
        categories=ordered,
        scores={str(c): float(v) for c, v in scores.items()},
        spans=tuple(sorted(spans, key=lambda s: s.start)),
        redacted=text,
        primary=primary,
    )
