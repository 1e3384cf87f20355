"""Stop strings and coalescing: pure text handling."""

from inference_worker.detokenizer import StopStringFilter
from inference_worker.streaming import DeltaCoalescer


def test_stop_string_split_across_pieces_is_never_shown():
    stops = StopStringFilter(("\nCustomer:",))
    shown = []
    for piece in ["Ships in 3 days.", "\n", "Cust", "omer:", " more"]:
        text, stopped = stops.feed(piece)
        shown.append(text)
        if stopped:
            break
    assert "".join(shown) == "Ships in 3 days."
    assert stopped


def test_held_back_prefix_is_released_when_it_turns_out_harmless():
    stops = StopStringFilter(("\nCustomer:",))
    assert stops.feed("Line one\nCu") == ("Line one", False)
    assert stops.feed("stoms fees apply") == ("\nCustoms fees apply", False)


def test_flush_releases_held_text_at_end_of_stream():
    stops = StopStringFilter(("\n\n",))
    assert stops.feed("Done.\n") == ("Done.", False)
    assert stops.flush() == "\n"


def test_coalescer_sends_first_text_at_once_then_batches():
    coalescer = DeltaCoalescer(interval_s=0.03)
    assert coalescer.push("Hel", now=0.0) == "Hel"
    assert coalescer.push("lo", now=0.01) is None
    assert coalescer.push(" wo", now=0.02) is None
    assert abs(coalescer.due_in(now=0.02) - 0.01) < 1e-9
    assert coalescer.push("rld", now=0.031) == "lo world"
    assert coalescer.due_in(now=0.05) is None


def test_coalescer_flush_returns_buffered_text_once():
    coalescer = DeltaCoalescer(interval_s=1.0)
    coalescer.push("a", now=0.0)
    coalescer.push("b", now=0.1)
    assert coalescer.flush(now=0.2) == "b"
    assert coalescer.flush(now=0.3) is None


def test_a_blocked_relay_gives_up_on_an_abort_that_never_lands(monkeypatch):
    import asyncio
    import concurrent.futures

    from inference_worker import streaming
    from inference_worker.output_guard import GuardDecision, StreamGuard
    from inference_worker.sequence import FinishReason, StreamEvent

    monkeypatch.setattr(streaming, "BLOCK_DRAIN_TIMEOUT_S", 0.2)
    sent: list[str] = []
    aborted: list[bool] = []

    async def send(text: str) -> None:
        sent.append(text)

    async def scenario():
        events: asyncio.Queue = asyncio.Queue()
        events.put_nowait(StreamEvent("r1", "Something awful. ", num_tokens=3))
        guard = StreamGuard(lambda text: GuardDecision(False, "hate", ("hate",)))
        relay = streaming.relay_events(
            events, send, 0.03, guard=guard, abort=lambda: aborted.append(True)
        )
        return await asyncio.wait_for(relay, timeout=5)  # no done event ever comes

    # Its own loop on its own thread, like the worker's publishing loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, scenario()).result(timeout=10)
    assert aborted == [True] and sent == []
    assert result.blocked is not None and result.blocked.categories == ("hate",)
    assert result.event.done and result.event.finish_reason is FinishReason.ABORT


def _run_on_own_loop(coroutine):
    """On a thread of its own, like the worker's publishing loop (and free of any loop the
    test session runs)."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=10)


def test_the_final_event_says_when_the_customer_saw_the_first_text():
    """The guard holds text until a sentence is checked, so the time to first token the
    customer sees is the first delivery, not the engine's first token."""
    import asyncio
    import time

    from inference_worker import streaming
    from inference_worker.output_guard import GuardDecision, StreamGuard
    from inference_worker.sequence import FinishReason, StreamEvent

    sent: list[tuple[float, str]] = []

    async def send(text: str) -> None:
        sent.append((time.time(), text))

    async def scenario():
        events: asyncio.Queue = asyncio.Queue()
        relay = asyncio.create_task(
            streaming.relay_events(
                events, send, 0.0, guard=StreamGuard(lambda text: GuardDecision(True))
            )
        )
        engine_first = time.time()
        events.put_nowait(StreamEvent("r1", "Half a sen", num_tokens=1))
        await asyncio.sleep(0.2)  # held back: no sentence end yet
        assert sent == []
        events.put_nowait(StreamEvent("r1", "tence. ", num_tokens=2))
        await asyncio.sleep(0.05)
        final = StreamEvent(
            "r1", "Half a sentence. ", done=True, num_tokens=2,
            first_token_at=engine_first, finish_reason=FinishReason.STOP,
        )  # fmt: skip
        events.put_nowait(final)
        return await asyncio.wait_for(relay, timeout=5), engine_first

    result, engine_first = _run_on_own_loop(scenario())
    assert "".join(text for _, text in sent) == "Half a sentence. "
    delivered = result.event.first_delivered_at
    assert delivered <= sent[0][0] < delivered + 0.05  # stamped as it goes out
    assert result.event.first_delivered_at - engine_first >= 0.2
    assert result.event.first_token_at == engine_first  # the engine's own, kept


def test_nothing_delivered_leaves_no_delivery_time():
    import asyncio

    from inference_worker import streaming
    from inference_worker.sequence import FinishReason, StreamEvent

    async def send(text: str) -> None:
        raise AssertionError("nothing to send")

    async def scenario():
        events: asyncio.Queue = asyncio.Queue()
        events.put_nowait(StreamEvent("r1", "", done=True, finish_reason=FinishReason.ERROR))
        return await streaming.relay_events(events, send, 0.03)

    assert _run_on_own_loop(scenario()).event.first_delivered_at is None
