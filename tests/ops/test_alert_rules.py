"""The Prometheus alert rules in deploy/prometheus: valid, unit-tested, and about metrics
that /metrics really exports (docs/alerts.md).

promtool checks the syntax and runs alerts_test.yml, whose histories fire every alert and
keep its close calls silent. The pure-Python test builds a real /metrics exposition (a
worker's engine metrics relayed through Redis, the broker's queue depth, the dispatch
counter) and checks every metric and label the rules name against it, so renaming a
metric in an exporter breaks this test instead of silencing an alert.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"

# Series Prometheus makes itself rather than scrapes from the project.
PROMETHEUS_SERIES = {"up"}
# Labels the scrape adds to every series, and the bucket label of a histogram.
PROMETHEUS_LABELS = {"job", "instance", "le"}

METRIC = re.compile(r"\bsupportbot_\w+")
MATCHERS = re.compile(r"\b(supportbot_\w+)\s*\{([^}]*)\}")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    path = shutil.which("promtool")
    if path is None:
        # .ci/run installs Debian's prometheus package, which ships promtool.
        pytest.skip("promtool is not on PATH (apt-get install prometheus)")
    return subprocess.run(
        [path, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_promtool_accepts_the_rules() -> None:
    result = promtool("check", "rules", str(RULES.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_alert_has_a_duration_a_severity_and_templated_annotations() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "alert names must be unique"
    for rule in rules:
        assert rule.get("for"), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
    # Each alert is exercised by alerts_test.yml (promtool does not require it).
    tested = {
        case["alertname"]
        for group in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in group.get("alert_rule_test", [])
    }
    assert set(names) <= tested, f"alerts without a promtool test: {set(names) - tested}"


class FakeRedis:
    """The calls the /metrics collectors make, over stored entries; like redis-py without
    decode_responses, keys and values come back as bytes."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = {key.encode(): value.encode() for key, value in entries.items()}

    def scan_iter(self, match: str, count: int = 10) -> Iterator[bytes]:
        prefix = match.rstrip("*").encode()
        return iter([key for key in self.entries if key.startswith(prefix)])

    def mget(self, keys: list[bytes]) -> list[bytes | None]:
        return [self.entries.get(key) for key in keys]


def worker_exposition() -> bytes:
    """What a worker publishes: its engine's registry after one finished reply."""
    from inference_worker.metrics import EngineMetrics
    from inference_worker.sequence import FinishReason, StreamEvent

    engine = EngineMetrics(
        variant="default", worker="gpu-1", stats=lambda: SimpleNamespace(running=1, waiting=0)
    )
    # Two deltas and a done event: the token counter, both histograms and the per-reason
    # request counter get a sample (a labelled counter has none until it is used).
    engine.record(StreamEvent("r1", "Hi", num_tokens=1), now=100.0)
    engine.record(StreamEvent("r1", "Hi there", num_tokens=2), now=100.1)
    engine.record(
        StreamEvent(
            "r1",
            "Hi there",
            done=True,
            finish_reason=FinishReason.STOP,
            num_tokens=2,
            submitted_at=99.5,
            first_token_at=100.0,
        ),
        now=100.2,
    )
    return generate_latest(engine.registry)


Exported = dict[str, dict[str, set[str]]]  # sample name -> label -> values seen


@pytest.fixture
def exported(settings: Any, monkeypatch: pytest.MonkeyPatch, db: None) -> Exported:
    """Every sample of a Celery deployment's /metrics: name, labels and their values."""
    from supportbot.experiments.models import ModelVariant
    from supportbot.ops import metrics as ops_metrics
    from supportbot.serving import celery_dispatch
    from supportbot.serving import metrics as serving_metrics
    from supportbot.serving.metrics import WORKER_KEY_PREFIX

    # Celery mode reports the queue depth per variant and the workers relayed from Redis.
    settings.REDIS_URL = "redis://metrics-test.invalid:6379/0"
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "ENGINE": "celery"}
    ModelVariant.objects.get_or_create(name="default", defaults={"model": "tiny-moe"})
    monkeypatch.setattr(celery_dispatch, "queue_depth", lambda queue: 3)
    entry = json.dumps({"at": 0.0, "text": worker_exposition().decode()})
    fake = FakeRedis({WORKER_KEY_PREFIX + "gpu-1": entry})
    monkeypatch.setattr(ops_metrics, "redis_client", lambda: fake)
    # The dispatch counter is labelled by outcome and has no sample before a dispatch;
    # labels() adds the zero child a first dispatch would, without counting anything.
    serving_metrics.dispatches.labels(outcome="queued")

    samples: Exported = {}
    text = ops_metrics.exposition().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = samples.setdefault(sample.name, {})
            for label, value in sample.labels.items():
                labels.setdefault(label, set()).add(value)
    return samples


def test_the_exposition_fixture_covers_every_exporter(exported: Exported) -> None:
    # Guards the name check below: an empty or partial exposition would let it pass.
    for name in (
        "supportbot_workers",
        "supportbot_queue_depth",
        "supportbot_dispatches_total",
        "supportbot_engine_requests_total",
        "supportbot_engine_ttft_seconds_bucket",
        "supportbot_gpu_memory_bytes",
    ):
        assert name in exported, name


def test_every_metric_and_label_the_rules_use_is_exported(exported: Exported) -> None:
    from inference_worker.sequence import FinishReason

    # Label values the exporters enumerate (every GPU memory kind is always exported; a
    # finish reason is a FinishReason): a rule filtering on another value never fires.
    known_values = {
        "finish_reason": {reason.value for reason in FinishReason},
        "kind": exported["supportbot_gpu_memory_bytes"]["kind"],
    }
    problems: list[str] = []
    for rule in alert_rules():
        alert, expr = rule["alert"], rule["expr"]
        used = set(METRIC.findall(expr))
        if not used and not PROMETHEUS_SERIES & set(re.findall(r"\b\w+\b", expr)):
            problems.append(f"{alert}: names no metric")
        for name in used - set(exported):
            problems.append(f"{alert}: {name} is not exported")
        for name, matchers in MATCHERS.findall(expr):
            for label, op, value in MATCHER.findall(matchers):
                if label not in exported.get(name, {}):
                    problems.append(f"{alert}: {name} has no label {label}")
                if op == "=" and value not in known_values.get(label, {value}):
                    problems.append(f"{alert}: {label}={value!r} is never exported")
        # Grouping and matching labels must be carried by a metric of the expression.
        carried = set().union(*(exported.get(name, {}) for name in used), PROMETHEUS_LABELS)
        for group in GROUPING.findall(expr):
            for label in filter(None, (part.strip() for part in group.split(","))):
                if label not in carried:
                    problems.append(f"{alert}: no metric of the rule has label {label}")
    assert not problems, "\n".join(problems)
