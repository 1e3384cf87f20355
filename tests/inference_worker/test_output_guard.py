"""The streaming guard on scripted streams: nothing unsafe is released, nothing safe is lost."""

from __future__ import annotations

from inference_worker.output_guard import ALLOW, GuardDecision, StreamGuard


def forbid(word: str):
    checked: list[str] = []

    def check(text: str) -> GuardDecision:
        checked.append(text)
        if word in text:
            return GuardDecision(False, reason=f"said {word}", categories=("hate",))
        return ALLOW

    return check, checked


def run(guard: StreamGuard, pieces: list[str]) -> str:
    shown = "".join(guard.feed(piece) for piece in pieces)
    return shown + guard.finish()


def test_safe_text_is_released_whole_at_sentence_ends():
    check, checked = forbid("idiot")
    guard = StreamGuard(check)
    pieces = ["Your order ", "ships today", ". It arrives ", "in 3 days.", " Thanks!"]
    released = [guard.feed(p) for p in pieces]
    assert released == ["", "", "Your order ships today.", "", " It arrives in 3 days."]
    assert "".join(released) + guard.finish() == "".join(pieces)
    assert checked[-1] == "".join(pieces)  # every check sees the reply so far


def test_an_unsafe_sentence_never_reaches_the_customer():
    check, _ = forbid("idiot")
    guard = StreamGuard(check)
    shown = run(guard, ["Sure, I can help. ", "You are an ", "idiot", ". Bye."])
    assert shown == "Sure, I can help."
    assert "idiot" not in shown
    assert guard.blocked is not None and guard.blocked.categories == ("hate",)
    assert guard.feed(" more text.") == ""  # nothing after a block


def test_text_without_sentence_ends_is_checked_in_windows():
    check, _ = forbid("禁止")
    guard = StreamGuard(check, window_chars=24, first_window_chars=24)  # a kanji weighs 3
    stream = ["配送には", "三日から", "五日かかり", "ます"]
    out = [guard.feed(p) for p in stream]
    assert out[0] == "" and out[1] == "配送には三日から"  # the window filled
    assert "".join(out) + guard.finish() == "".join(stream)


def test_chinese_and_arabic_sentence_marks_are_checkpoints():
    check, _ = forbid("never-said")
    guard = StreamGuard(check)
    assert guard.feed("您好。") == "您好。"
    assert guard.feed("كيف حالك؟") == "كيف حالك؟"
    assert guard.feed("नमस्ते।") == "नमस्ते।"


def test_decimal_points_and_urls_do_not_cut_mid_token():
    check, checked = forbid("never-said")
    guard = StreamGuard(check, first_window_chars=24)
    # Past the first window: released up to the last whole word, never half a link.
    assert guard.feed("It costs 3.50 EUR at shop.example.com") == "It costs 3.50 EUR at "
    assert checked == ["It costs 3.50 EUR at "]
    assert guard.finish() == "shop.example.com"


def test_the_first_release_comes_sooner_than_later_ones():
    check, _ = forbid("never-said")
    guard = StreamGuard(check, window_chars=64, first_window_chars=24)
    assert guard.feed("Standard delivery takes three ") == "Standard delivery takes three "
    assert guard.feed("to five business days for most ") == ""  # now the longer window


def test_a_link_being_written_is_never_checked_half_done():
    seen: list[str] = []

    def check(text: str) -> GuardDecision:
        seen.append(text)
        return ALLOW

    guard = StreamGuard(check, first_window_chars=8)
    pieces = ["ご返品は、", "https", "://", "support", ".acme", ".example", "/returns", "から。"]
    shown = "".join(guard.feed(p) for p in pieces) + guard.finish()
    assert shown == "".join(pieces)
    assert all(t.endswith(("、", "。")) or "returns" in t for t in seen), seen


def test_a_failing_check_stops_the_reply():
    def broken(text: str) -> GuardDecision:
        raise MemoryError("encoder")

    guard = StreamGuard(broken)
    assert guard.feed("Your order ships today. ") == ""
    assert guard.blocked is not None and guard.blocked.reason.startswith("guard_error")
