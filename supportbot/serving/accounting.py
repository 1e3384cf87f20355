"""Recording every generation (``GenerationRecord``), from the engine's final event."""

from __future__ import annotations

import logging

from inference_worker.sequence import StreamEvent
from supportbot.serving.models import GenerationRecord

logger = logging.getLogger(__name__)


def _span(start: float | None, end: float | None) -> float | None:
    if not start or not end:
        return None
    return max(0.0, end - start)


def record_generation(
    event: StreamEvent,
    *,
    purpose: str,
    variant: str,
    worker: str = "",
    conversation_id: int | None = None,
    reply_to_id: int | None = None,
    finish_reason: str | None = None,
    failure: str = "",
) -> GenerationRecord | None:
    """Store the facts of one finished generation; never fails the caller (logged)."""
    try:
        return GenerationRecord.objects.create(
            purpose=purpose,
            variant=variant,
            worker=worker[:128],
            conversation_id=conversation_id,
            reply_to_id=reply_to_id,
            prompt_tokens=event.prompt_tokens,
            completion_tokens=event.num_tokens,
            engine_seconds=_span(event.scheduled_at, event.finished_at) or 0.0,
            queue_seconds=_span(event.submitted_at, event.scheduled_at),
            ttft_seconds=_span(event.submitted_at, event.first_token_at),
            finish_reason=finish_reason or str(event.finish_reason or "error"),
            failure=failure[:32],
        )
    except Exception:
        logger.exception("could not record the generation of %s", event.request_id)
        return None
