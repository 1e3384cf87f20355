"""The scheduler on its own: no model, no torch (after vLLM's scheduler tests)."""

import pytest

from inference_worker.detokenizer import IncrementalDetokenizer, StopStringFilter
from inference_worker.scheduler import QueueFull, Scheduler
from inference_worker.sequence import FinishReason, GenerationRequest, Sequence, SequenceStatus


class _NoDecode:
    def decode(self, ids, skip_special_tokens=True):
        return "".join(chr(65 + i % 26) for i in ids)


def make_seq(request_id: str, prompt_len: int = 4) -> Sequence:
    return Sequence(
        request=GenerationRequest(request_id=request_id, prompt="x"),
        prompt_ids=list(range(prompt_len)),
        max_new_tokens=8,
        detokenizer=IncrementalDetokenizer(_NoDecode()),
        stop_filter=StopStringFilter(()),
        eos_token_ids=frozenset(),
    )


def test_waiting_requests_join_running_batch_at_next_step():
    scheduler = Scheduler(max_batch_size=4, max_waiting=10, max_prefill_tokens=1000)
    first = make_seq("a")
    scheduler.add(first)
    plan = scheduler.schedule()
    assert plan.prefill == [first] and plan.decode == []

    second = make_seq("b")
    scheduler.add(second)
    plan = scheduler.schedule()
    assert plan.decode == [first]
    assert plan.prefill == [second]
    assert scheduler.running == [first, second]
    assert second.status is SequenceStatus.RUNNING and second.scheduled_at is not None


def test_batch_width_is_bounded_and_oldest_waiting_go_first():
    scheduler = Scheduler(max_batch_size=2, max_waiting=10, max_prefill_tokens=1000)
    seqs = [make_seq(str(i)) for i in range(5)]
    for seq in seqs:
        scheduler.add(seq)
    plan = scheduler.schedule()
    assert plan.prefill == seqs[:2]
    assert scheduler.num_waiting == 3

    rows = scheduler.finish([seqs[0]])
    assert rows == [0]
    plan = scheduler.schedule()
    assert plan.decode == [seqs[1]]
    assert plan.prefill == [seqs[2]]


def test_prefill_budget_limits_newcomers_but_always_admits_one():
    scheduler = Scheduler(max_batch_size=8, max_waiting=10, max_prefill_tokens=10)
    big, small = make_seq("big", prompt_len=50), make_seq("small", prompt_len=3)
    scheduler.add(big)
    scheduler.add(small)
    assert scheduler.schedule().prefill == [big]
    assert scheduler.schedule().prefill == [small]


def test_queue_bound_refuses_new_work():
    scheduler = Scheduler(max_batch_size=1, max_waiting=2, max_prefill_tokens=100)
    scheduler.add(make_seq("a"))
    scheduler.add(make_seq("b"))
    with pytest.raises(QueueFull):
        scheduler.add(make_seq("c"))


def test_abort_waiting_finishes_with_abort_reason():
    scheduler = Scheduler(max_batch_size=1, max_waiting=5, max_prefill_tokens=100)
    keep, drop = make_seq("keep"), make_seq("drop")
    scheduler.add(keep)
    scheduler.add(drop)
    aborted = scheduler.abort_waiting({"drop"})
    assert aborted == [drop]
    assert drop.finish_reason is FinishReason.ABORT and drop.is_finished
    assert list(scheduler.waiting) == [keep]


def test_finish_reports_rows_of_the_running_batch():
    scheduler = Scheduler(max_batch_size=4, max_waiting=5, max_prefill_tokens=100)
    seqs = [make_seq(str(i)) for i in range(4)]
    for seq in seqs:
        scheduler.add(seq)
    scheduler.schedule()
    rows = scheduler.finish([seqs[1], seqs[3]], FinishReason.LENGTH)
    assert rows == [1, 3]
    assert scheduler.running == [seqs[0], seqs[2]]
    assert seqs[1].finish_reason is FinishReason.LENGTH
