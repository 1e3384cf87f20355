"""Are the bot's answers right, grounded and in the customer's language? Through the chat itself.

    python bench/answers_eval.py --data ../shared/data --json
    python bench/answers_eval.py --data ../shared/data --limit 40 --oos 40   # a quick look

Every question goes through the same path as a customer's: a conversation opened by the chat
service, the question sent over the real customer socket (``supportbot.asgi``: consumer,
safety screen, language detection, retrieval, the reply job, the engine with the bundled model,
the output guard with the groundedness and language checks, the store, ``bot.done``). Questions:
``bench/data/answers_questions.jsonl`` (written for this project: reworded, with typos, in 19
languages, some about English-only articles) and CLINC150's out-of-scope test queries from
``--data support/clinc150_data_full.json`` (abstention).

Reports retrieval hit@1 / hit@3 (the chat's own ``retrieve``), answer accuracy (an expected key
fact in the reply, and the reply in the question's language), unsupported replies shown (a
number in the shown reply that its sources and the question lack), out-of-scope queries
answered as if in scope, small talk answered without "I don't know", and the latency added
by retrieval and by the reply checks (p50, p95).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "bench" / "data" / "answers_questions.jsonl"
NOT_ANSWERS = ("no_source", "handover", "handoff", "safety")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 2)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def setup(workdir: Path, args: argparse.Namespace) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportbot.settings",
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{workdir / 'eval.sqlite3'}",
            "SUPPORTBOT_VAR_DIR": str(workdir),
            "SUPPORTBOT_MODEL": args.model,
            "SUPPORTBOT_OUTPUT_GUARD": "1",
            "SUPPORTBOT_GROUNDING_CHECK": "1",
            "SUPPORTBOT_REPLY_LANGUAGE_CHECK": "1",
            "SUPPORTBOT_RATE_LIMIT_MESSAGES": "100000",
            "SUPPORTBOT_RATE_LIMIT_ADDRESS_MESSAGES": "100000",
            "SUPPORTBOT_CONVERSATIONS_PER_HOUR": "100000",
            "SUPPORTBOT_MAX_BATCH_SIZE": str(args.concurrency),
            "LOG_LEVEL": "ERROR",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo_kb", verbosity=0, stdout=io.StringIO())  # keep stdout JSON only


def load_items(args: argparse.Namespace) -> list[dict]:
    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    if args.limit:
        random.Random(0).shuffle(items)
        items = items[: args.limit]
    clinc = json.loads((args.data / "support" / "clinc150_data_full.json").read_text())
    oos = [text for text, _label in clinc["oos_test"]]
    random.Random(1).shuffle(oos)
    for i, text in enumerate(oos[: args.oos]):
        items.append(
            {"id": f"oos{i:03d}", "language": "en", "question": text, "slug": None,
             "expect": [], "kind": "out_of_scope"}
        )  # fmt: skip
    return items


async def ask(item: dict, semaphore: asyncio.Semaphore, timeout: float) -> dict:
    """One question over the customer socket: the reply frame, its timings."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from supportbot.asgi import application
    from supportbot.chat import services
    from supportbot.chat.frames import socket_path, socket_subprotocols

    async with semaphore:
        conversation, token = await database_sync_to_async(services.create_conversation)(
            locale=None, visitor_id=f"eval-{item['id']}", origin=""
        )
        ws = WebsocketCommunicator(
            application,
            socket_path(conversation.public_id),
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
            subprotocols=socket_subprotocols(token),
        )
        await ws.connect(timeout=30)
        sent = time.perf_counter()
        await ws.send_json_to(
            {"type": "message", "client_id": str(uuid.uuid4()), "text": item["question"]}
        )
        done, language = None, None
        try:
            while done is None:
                frame = await ws.receive_json_from(timeout=timeout)
                if frame["type"] == "ack":
                    language = frame.get("language")
                elif frame["type"] == "bot.done":
                    done = frame
                elif frame["type"] == "handoff":
                    done = {"text": "", "finish_reason": "handoff", "sources": []}
        except TimeoutError:
            done = {"text": "", "finish_reason": "timeout", "sources": []}
        elapsed = time.perf_counter() - sent
        await ws.disconnect()
        return {**item, "reply": done, "detected": language, "seconds": elapsed}


def judge(results: list[dict]) -> dict:
    from supportbot.chat.language import detect_language
    from supportbot.embeddings.service import get_embedder
    from supportbot.knowledge.grounding import unsupported_facts
    from supportbot.knowledge.search import current_index, embed_question, retrieve
    from supportbot.serving.reply_checks import grounding_check, language_check

    index = current_index()
    embedder = get_embedder()
    hit1 = hit3 = in_scope = accurate = shown = unsupported = 0
    oos = oos_answered = oos_safety = small = small_ok = 0
    retrieval_ms: list[float] = []
    check_ms: list[float] = []
    by_language: dict[str, list[int]] = {}
    by_source = {True: [0, 0], False: [0, 0]}  # article in the question's language or not
    examples = []
    for result in results:
        item, reply = result, result["reply"]
        text = reply.get("text") or ""
        finish = reply.get("finish_reason", "")
        language = item["language"]
        # Timed uncached: the chat embedded this question already, and the embedder's
        # cache would make retrieval look free.
        started = time.perf_counter()
        fresh = embedder.engine.query([item["question"]])[0]
        found = retrieve(item["question"], language, query=fresh)
        retrieval_ms.append((time.perf_counter() - started) * 1000)
        top = [
            hit.slug
            for hit in index.search(embed_question(item["question"]), item["question"], language, 3)
        ]
        if item["kind"] == "in_scope":
            in_scope += 1
            hit1 += top[:1] == [item["slug"]]
            hit3 += item["slug"] in top
            in_language = bool(text) and detect_language(text, default=language).code == language
            right = in_language and any(fold(e) in fold(text) for e in item["expect"])
            accurate += right
            # The 270M base model cannot translate: the two cases are reported apart.
            own = language in index.versions.get(item["slug"], {})
            by_source[own][0] += right
            by_source[own][1] += 1
            by_language.setdefault(language, [0, 0])
            by_language[language][0] += right
            by_language[language][1] += 1
            if len(examples) < 40 and right:
                examples.append(
                    {
                        "language": language,
                        "question": item["question"],
                        "reply": text,
                        "sources": reply.get("sources", []),
                    }
                )
        elif item["kind"] == "out_of_scope":
            oos += 1
            # A refusal (no source, a person, the safety filter's fixed reply) is not an answer.
            oos_answered += finish not in NOT_ANSWERS and bool(text)
            oos_safety += finish == "safety"
        else:
            small += 1
            small_ok += bool(text) and finish not in NOT_ANSWERS
        if text and finish not in NOT_ANSWERS:
            shown += 1
            sources = [found.knowledge, item["question"]]
            unsupported += bool(unsupported_facts(text, sources))
            if found.hits:
                from inference_worker.jobs import ReplyJob
                from inference_worker.prompting import PromptSpec, Turn

                job = ReplyJob(
                    "c",
                    1,
                    1,
                    "default",
                    PromptSpec(
                        language, found.knowledge, (), (Turn("customer", item["question"]),)
                    ),
                    sources=tuple(found.sources),
                )
                checks = [grounding_check(job), language_check(job)]
                started = time.perf_counter()
                for check in checks:
                    check(text)
                check_ms.append((time.perf_counter() - started) * 1000)
    ratio = lambda a, b: round(a / b, 4) if b else None  # noqa: E731
    return {
        "questions_in_scope": in_scope,
        "retrieval_hit_at_1": ratio(hit1, in_scope),
        "retrieval_hit_at_3": ratio(hit3, in_scope),
        "answer_accuracy": ratio(accurate, in_scope),
        "accuracy_article_in_question_language": ratio(*by_source[True]),
        "accuracy_article_only_in_another_language": ratio(*by_source[False]),
        "accuracy_by_language": {k: ratio(a, n) for k, (a, n) in sorted(by_language.items())},
        "replies_shown": shown,
        "unsupported_replies_shown": ratio(unsupported, shown),
        "out_of_scope_queries": oos,
        "out_of_scope_answered": ratio(oos_answered, oos),
        # Refused by the safety filter instead of "I don't know": its false alarms (issue 12).
        "out_of_scope_refused_by_safety": ratio(oos_safety, oos),
        "small_talk": small,
        "small_talk_answered": ratio(small_ok, small),
        "retrieval_ms_p50": percentile(retrieval_ms, 50),
        "retrieval_ms_p95": percentile(retrieval_ms, 95),
        "checks_ms_p50": percentile(check_ms, 50),
        "checks_ms_p95": percentile(check_ms, 95),
        "reply_seconds_p50": percentile([r["seconds"] for r in results], 50),
        "examples": examples,
    }


async def run(items: list[dict], args: argparse.Namespace) -> list[dict]:
    from asgiref.sync import sync_to_async

    from supportbot.knowledge.search import current_index

    await sync_to_async(current_index)()  # built once, before the clock runs
    semaphore = asyncio.Semaphore(args.concurrency)
    return await asyncio.gather(*(ask(item, semaphore, args.timeout) for item in items))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="../shared/data")
    parser.add_argument("--model", default="gemma")
    parser.add_argument("--limit", type=int, default=0, help="at most N of our questions")
    parser.add_argument("--oos", type=int, default=200, help="CLINC out-of-scope queries")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--dump", type=Path, help="write every question and reply here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="answers-eval-") as workdir:
        setup(Path(workdir), args)
        items = load_items(args)
        started = time.perf_counter()
        results = asyncio.run(run(items, args))
        report = judge(results)
        report["wall_seconds"] = round(time.perf_counter() - started, 1)
        report["model"] = args.model
        from django.conf import settings

        report["thresholds"] = {
            k: settings.SUPPORTBOT[k]
            for k in (
                "RETRIEVAL_MIN_SCORE",
                "RETRIEVAL_MIN_GAP",
                "RETRIEVAL_MARGIN",
                "SMALL_TALK_MIN_SCORE",
                "RETRIEVAL_LEXICAL_WEIGHT",
                "RETRIEVAL_QUESTION_WEIGHT",
            )
        }
        if args.dump:
            args.dump.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in results))
        from supportbot.chat.dispatching import get_dispatcher

        get_dispatcher().shutdown()
    if not args.json:
        examples = report.pop("examples")
        print(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"{len(examples)} example replies kept (use --json to see them)")
    else:
        print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
