"""The real bundled Gemma 3 270M answers through the same path a chat takes (slow, CI runs it).

Knowledge base → reply job → prompt → engine → stored reply: only the socket is left out (the
socket path is covered with the tiny model in test_chat_socket.py).
"""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command

from inference_worker.config import EngineConfig
from inference_worker.engine import Engine
from inference_worker.loader import load_model
from inference_worker.model_runner import ModelRunner
from inference_worker.prompting import render_prompt
from inference_worker.sequence import GenerationRequest
from supportbot.chat import services
from supportbot.chat.language import detect_language
from supportbot.chat.prompts import build_reply_job

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

QUESTIONS = [
    ("How long does shipping take?", "en", ("day",)),
    ("Wie lange dauert der Versand?", "de", ("tag",)),
    ("Combien de temps prend la livraison ?", "fr", ("jour",)),
    ("¿Cuánto tarda el envío?", "es", ("día",)),
    ("运费是多少？", "zh", ("欧元",)),
    ("配送にはどのくらいかかりますか？", "ja", ("営業日",)),
]


@pytest.fixture(scope="module")
def gemma_engine():
    loaded = load_model("gemma")
    config = EngineConfig(model="gemma", max_new_tokens=60, max_batch_size=4)
    engine = Engine(
        ModelRunner(loaded.model, loaded.tokenizer, config.sampling),
        config,
        set(loaded.eos_token_ids),
        is_instruct=loaded.is_instruct,
    )
    return engine


def answer(engine: Engine, question: str) -> tuple[str, str]:
    conversation, _ = services.create_conversation(locale=None, visitor_id="gemma-test")
    result = services.receive_customer_message(
        conversation.pk, client_id=uuid.uuid4(), text=question
    )
    job = build_reply_job(result.message)
    prompt = render_prompt(engine.tokenizer, job.prompt, instruct=engine.is_instruct)
    finals = []
    engine.submit(
        GenerationRequest(job.request_id, prompt.text, stop_strings=prompt.stop_strings),
        lambda event: finals.append(event) if event.done else None,
    )
    while engine.step():
        pass
    (final,) = finals
    return final.text, str(final.finish_reason)


@pytest.mark.parametrize(("question", "language", "topic_words"), QUESTIONS)
def test_bundled_gemma_answers_on_topic_in_the_customers_language(
    gemma_engine, question, language, topic_words
):
    call_command("load_demo_kb", verbosity=0)
    text, finish_reason = answer(gemma_engine, question)
    assert text, "the model should say something"
    assert finish_reason == "stop", f"the reply should end at the end of its turn: {text!r}"
    assert detect_language(text).code == language, text
    assert any(word in text.lower() for word in topic_words), text
