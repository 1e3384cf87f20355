"""Text for agents from the serving engine: drafts of a reply and translations.

``generate_locally`` runs one request on an engine of this process: a worker's (the
``agent_text`` task) or the embedded default's (``engine_client.EngineClient``). The text
is not stored here (the caller decides what to keep); what it cost is
(``accounting.record_generation``).
"""

from __future__ import annotations

from inference_worker.jobs import ReplyJob
from inference_worker.prompting import render_prompt
from inference_worker.sequence import GenerationRequest
from inference_worker.translating import translation_prompt

TIMEOUT_S = 90.0


PURPOSES = {"translate": "translation", "draft": "draft"}


def generate_locally(engine, request: dict, *, worker: str = "web") -> str:
    """Run one ``translate`` or ``draft`` request on ``engine`` and return the final text."""
    request_id = f"{request['kind']}-{request['id']}"
    if request["kind"] == "translate":
        prompt = translation_prompt(
            engine.tokenizer,
            request["text"],
            source=request["source"],
            target=request["target"],
            instruct=engine.is_instruct,
        )
        generation = GenerationRequest(
            request_id=request_id,
            prompt=prompt.text,
            max_new_tokens=max(32, min(512, len(request["text"]) * 2)),
            stop_strings=prompt.stop_strings,
        )
    elif request["kind"] == "draft":
        job = ReplyJob.from_dict(request["job"])
        prompt = render_prompt(engine.tokenizer, job.prompt, instruct=engine.is_instruct)
        generation = GenerationRequest(
            request_id=request_id,
            prompt=prompt.text,
            max_new_tokens=job.max_new_tokens,
            stop_strings=prompt.stop_strings,
        )
    else:
        raise ValueError(f"unknown request kind {request['kind']!r}")
    final = None
    for event in engine.stream(generation, timeout=TIMEOUT_S):
        if event.done:
            final = event
    if final is None:
        return ""
    _record(final, request, worker)
    return final.text.strip()


def _record(event, request: dict, worker: str) -> None:
    from supportbot.chat.models import Conversation
    from supportbot.serving.accounting import record_generation

    public_id = request.get("conversation") or (request.get("job") or {}).get("conversation")
    conversation_id = (
        Conversation.objects.filter(public_id=public_id).values_list("pk", flat=True).first()
        if public_id
        else None
    )
    record_generation(
        event,
        purpose=PURPOSES[request["kind"]],
        variant=request.get("variant", ""),
        worker=worker,
        conversation_id=conversation_id,
        failure="" if event.text.strip() else "empty",
    )
