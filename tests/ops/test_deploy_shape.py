"""The production shape (docs/deployment.md): docker-compose.yml, deploy/nginx and the Helm
chart in deploy/helm/supportbot.

The compose file is checked as `docker compose config` (or `docker-compose config`) resolves
it with .env.example when either is installed, and as parsed here otherwise; the chart with
`helm lint` and `helm template` when helm is installed, and by reading its files otherwise.
In CI (`CI` set) both tools must be there: .ci/run installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from supportbot.serving.queues import variant_queue

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
NGINX = ROOT / "deploy" / "nginx"
CHART = ROOT / "deploy" / "helm" / "supportbot"
CHART_CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))

INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def require_tool(name: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; .ci/run installs it")
    pytest.skip(f"{name} is not installed")


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME:?error} and $$, for machines without it."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        value = env.get(name, "")
        if op in (":?", "?") and not value:
            raise AssertionError(f"{name} must be set: {arg}")
        if op in (":-", "-") and not value:
            return arg
        return value

    text = INTERPOLATION.sub(
        lambda m: one(m) if not _escaped(text, m.start()) else m.group(0), text
    )
    return text.replace("$$", "$")


def _escaped(text: str, start: int) -> bool:
    return start > 0 and text[start - 1] == "$"


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def run_compose_config(tmp: Path) -> dict[str, Any]:
    """`compose config` in a copy of the project with .env.example as its .env."""
    command = compose_command()
    assert command is not None
    shutil.copy(COMPOSE, tmp / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp / ".env")
    result = subprocess.run(
        [*command, "-f", str(tmp / "docker-compose.yml"), "config"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose file as the tool resolves it, or as parsed and interpolated here."""
    if compose_command() is not None:
        return run_compose_config(tmp_path_factory.mktemp("compose"))
    return yaml.safe_load(interpolate(COMPOSE.read_text(), env_example()))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command") or ""
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_text(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test") or []
    return " ".join(test) if isinstance(test, list) else test


def published_ports(service: dict[str, Any]) -> list[str]:
    ports = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.append(str(port.get("published", "")))
        else:
            parts = str(port).split(":")
            ports.append(parts[-2] if len(parts) > 1 else parts[0])
    return ports


def one_shot(services: dict[str, dict[str, Any]]) -> set[str]:
    """Services others wait to see exit successfully (the migrations)."""
    return {
        name
        for service in services.values()
        for name, condition in (service.get("depends_on") or {}).items()
        if isinstance(condition, dict)
        and condition.get("condition") == "service_completed_successfully"
    }


def workers(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services.items() if "celery -A supportbot worker" in command_text(s)}


# -- docker compose ---------------------------------------------------------------------


def test_compose_config_accepts_the_file_with_env_example(tmp_path: Path) -> None:
    if compose_command() is None:
        require_tool("docker compose / docker-compose")
    assert run_compose_config(tmp_path)["services"]


def test_only_nginx_publishes_ports_and_web_is_unreachable_from_the_host(services) -> None:
    publishing = {name for name, s in services.items() if s.get("ports")}
    assert publishing == {"nginx"}
    assert sorted(published_ports(services["nginx"])) == ["443", "80"]
    assert "ports" not in services["web"]


def test_web_trusts_exactly_the_one_proxy_in_front(services) -> None:
    env = environment(services["web"])
    assert env["SUPPORTBOT_TRUSTED_PROXY_HOPS"] == "1"
    assert env["BEHIND_TLS_PROXY"] == "1"


def test_redis_needs_a_password_never_evicts_and_keeps_an_append_only_file(services) -> None:
    redis = services["redis"]
    args = redis["command"] if isinstance(redis["command"], list) else redis["command"].split()
    password = args[args.index("--requirepass") + 1]
    assert password and "$" not in password
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
    assert args[args.index("--appendonly") + 1] == "yes"
    targets = [v.split(":")[1] if isinstance(v, str) else v["target"] for v in redis["volumes"]]
    assert "/data" in targets
    urls = [environment(s)["REDIS_URL"] for s in services.values() if "REDIS_URL" in environment(s)]
    assert urls, "no service talks to Redis"
    for url in urls:
        assert url.startswith(f"redis://:{password}@redis:"), url


def test_postgres_keeps_its_data_in_a_named_volume(compose, services) -> None:
    volumes = services["postgres"]["volumes"]
    sources = [v.split(":")[0] if isinstance(v, str) else v.get("source") for v in volumes]
    assert "postgres-data" in sources and "postgres-data" in compose["volumes"]
    password = environment(services["postgres"])["POSTGRES_PASSWORD"]
    assert environment(services["web"])["DATABASE_URL"].startswith(
        f"postgres://supportbot:{password}@postgres:"
    )


def test_every_service_restarts_and_has_a_health_check(services) -> None:
    once = one_shot(services)
    assert once == {"migrate"}
    for name, service in services.items():
        if name in once:
            assert service["restart"] == "on-failure", name
            continue
        assert service.get("restart") == "unless-stopped", name
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


@pytest.mark.parametrize(
    "service, probe",
    [
        ("web", "/readyz"),
        ("worker", "celery -A supportbot inspect ping"),
        ("redis", "redis-cli -a"),
        ("postgres", "pg_isready"),
        ("nginx", "/nginx-health"),
        ("beat", "/tmp/beat-ok"),
    ],
)
def test_health_checks_ask_the_right_question(services, service: str, probe: str) -> None:
    assert probe in healthcheck_text(services[service])


def test_each_worker_reserves_its_own_gpu(services) -> None:
    found = workers(services)
    assert found, "no GPU worker"
    seen: set[str] = set()
    for name, worker in found.items():
        devices = worker["deploy"]["resources"]["reservations"]["devices"]
        assert len(devices) == 1, name
        device = devices[0]
        assert device["driver"] == "nvidia" and "gpu" in device["capabilities"], name
        ids = [str(i) for i in device.get("device_ids", [])]
        assert len(ids) == 1 or device.get("count") == 1, name
        assert not seen & set(ids), f"{name} shares a GPU"
        seen |= set(ids)
        assert "-P threads" in command_text(worker) and "variant." in command_text(worker)


def test_migrations_run_once_before_web_workers_and_beat(services) -> None:
    migrating = [n for n, s in services.items() if "manage.py migrate" in command_text(s)]
    assert migrating == ["migrate"]
    for name in ["web", "beat", *workers(services)]:
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_secrets_come_only_from_env() -> None:
    raw = yaml.safe_load(COMPOSE.read_text())
    for name, service in raw["services"].items():
        env = environment(service)
        assert "SECRET_KEY" not in env, name
        for key in ("POSTGRES_PASSWORD", "REDIS_PASSWORD"):
            if key in env:
                assert env[key].startswith("${"), f"{name}: {key} is written in the file"
    text = COMPOSE.read_text()
    assert "supportbot:supportbot@" not in text


def test_env_example_names_every_variable_compose_uses() -> None:
    used = {
        m.group(1)
        for m in INTERPOLATION.finditer(COMPOSE.read_text())
        if not _escaped(COMPOSE.read_text(), m.start())
    }
    missing = used - set(env_example())
    assert not missing, f".env.example lacks {sorted(missing)}"


# -- nginx ------------------------------------------------------------------------------


def nginx_text() -> str:
    files = [NGINX / "nginx.conf", *sorted((NGINX / "templates").glob("*.template"))]
    text = "\n".join(f.read_text() for f in files)
    return re.sub(r"#[^\n]*", "", text)


def directives(text: str, name: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"\b{name}\s+([^;]*);", text)]


def blocks(text: str, header: str) -> dict[str, str]:
    """`location PATH { ... }` bodies by PATH (braces matched)."""
    found = {}
    for m in re.finditer(rf"\b{header}\s+([^{{\s]+)\s*\{{", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found[m.group(1)] = text[m.end() : i - 1]
    return found


def test_nginx_access_log_never_carries_query_strings() -> None:
    text = nginx_text()
    formats = dict((body.split(None, 1)[0], body) for body in directives(text, "log_format"))
    assert formats, "no log_format: nginx would use 'combined', which logs $request"
    for name, body in formats.items():
        for variable in (
            r"\$request_uri",
            r"\$args",
            r"\$arg_\w+",
            r"\$query_string",
            r"\$request\b(?!_)",
            r"\$is_args",
            r"\$http_referer",
        ):
            assert not re.search(variable, body), f"log_format {name} logs {variable}"
        assert "$uri" in body
    logs = [a for a in directives(text, "access_log") if a.strip() != "off"]
    assert logs
    for log in logs:
        parts = log.split()
        assert len(parts) >= 2 and parts[1] in formats, f"access_log {log} uses a default format"


def test_nginx_upgrades_every_socket_path_and_forwards_the_client() -> None:
    text = nginx_text()
    locations = blocks(text, "location")
    routes = (ROOT / "supportbot" / "chat" / "routing.py").read_text() + (
        ROOT / "supportbot" / "agents" / "routing.py"
    ).read_text()
    socket_paths = re.findall(r'path\("([^"]+)"', routes)
    assert socket_paths and all(p.startswith("ws/") for p in socket_paths)
    ws = locations["/ws/"]
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade", ws)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade", ws)
    assert re.search(r"proxy_http_version\s+1\.1", ws)
    proxied = {path: body for path, body in locations.items() if "proxy_pass" in body}
    assert set(proxied) >= {"/ws/", "/"}
    for path, body in proxied.items():
        # The one trusted hop: replace X-Forwarded-For, never append a client's value to it.
        assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", body), path
        assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", body), path
        assert re.search(r"proxy_set_header\s+Host\s+\$host;", body), path


def test_nginx_terminates_tls_with_the_mounted_certificate(services) -> None:
    text = nginx_text()
    assert re.search(r"listen\s+443\s+ssl", text)
    certs = directives(text, "ssl_certificate") + directives(text, "ssl_certificate_key")
    assert certs and all(c.startswith("/etc/nginx/certs/") for c in certs)
    mounts = [
        v if isinstance(v, str) else f"{v['source']}:{v['target']}"
        for v in services["nginx"]["volumes"]
    ]
    assert any(":/etc/nginx/certs" in m for m in mounts)
    assert "TLS_CERT_DIR" in COMPOSE.read_text()


# -- Helm -------------------------------------------------------------------------------


def helm(*args: str) -> str:
    path = shutil.which("helm")
    if path is None:
        require_tool("helm")
    result = subprocess.run(
        [path, *args], cwd=CHART, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("values", CHART_CI_VALUES, ids=lambda p: p.name)
def test_helm_lint_passes(values: Path) -> None:
    helm("lint", "--strict", ".", "-f", str(values))


def render(values: Path) -> list[dict[str, Any]]:
    out = helm("template", "release", ".", "-f", str(values))
    return [doc for doc in yaml.safe_load_all(out) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_helm_template_renders_the_production_shape() -> None:
    docs = render(CHART / "ci" / "test-values.yaml")
    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in by_kind(docs, "Service"))
    config = by_kind(docs, "ConfigMap")[0]["data"]
    assert config["SUPPORTBOT_TRUSTED_PROXY_HOPS"] == "1" and config["BEHIND_TLS_PROXY"] == "1"
    deployments = {d["metadata"]["name"]: d for d in by_kind(docs, "Deployment")}
    worker = deployments["release-supportbot-worker-gpu"]["spec"]["template"]["spec"]
    limits = worker["containers"][0]["resources"]["limits"]
    assert limits["nvidia.com/gpu"] == 1
    web = deployments["release-supportbot-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "startupProbe"):
        assert web[probe]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        assert headers["X-Forwarded-Proto"] == "https" and headers["Host"], probe
    assert worker["containers"][0]["livenessProbe"]
    job = by_kind(docs, "Job")[0]
    assert "post-install" in job["metadata"]["annotations"]["helm.sh/hook"]
    assert by_kind(docs, "CronJob")
    redis = [s for s in by_kind(docs, "StatefulSet") if s["metadata"]["name"].endswith("-redis")]
    args = redis[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--requirepass" in args and "noeviction" in args
    scaled = by_kind(docs, "ScaledObject")[0]
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == variant_queue("default")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "release-supportbot-worker-gpu"


def test_helm_template_without_keda_scales_workers_with_an_hpa() -> None:
    docs = render(CHART / "ci" / "hpa-values.yaml")
    assert not by_kind(docs, "ScaledObject") and not by_kind(docs, "StatefulSet")
    hpa = by_kind(docs, "HorizontalPodAutoscaler")[0]
    metric = hpa["spec"]["metrics"][0]["external"]["metric"]
    assert metric["name"] == "supportbot_queue_depth"
    assert metric["selector"]["matchLabels"] == {"variant": "default"}


def _has_path(values: Any, path: list[str]) -> bool:
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return False
        values = values[key]
    return True


def test_chart_files_parse_and_templates_use_only_existing_values() -> None:
    """Without helm: the chart's YAML parses and every .Values path the templates read exists."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "supportbot"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in CHART_CI_VALUES:
        assert isinstance(yaml.safe_load(path.read_text()), dict)
    templates = sorted((CHART / "templates").glob("*"))
    text = "\n".join(t.read_text() for t in templates)
    for ref in set(re.findall(r"\.Values((?:\.\w+)+)", text)):
        assert _has_path(values, ref.strip(".").split(".")), f".Values{ref} is not in values.yaml"
    worker_keys = set(values["workers"][0])
    assert set(re.findall(r"\$worker\.(\w+)", text)) <= worker_keys
    defined = set(re.findall(r'define "([^"]+)"', text))
    assert set(re.findall(r'include "([^"]+)"', text)) <= defined
    for kind in (
        "Deployment",
        "Service",
        "Ingress",
        "Job",
        "CronJob",
        "ScaledObject",
        "HorizontalPodAutoscaler",
        "Secret",
        "ConfigMap",
        "StatefulSet",
    ):
        assert re.search(rf"^kind: {kind}$", text, re.M), f"the chart has no {kind}"
    assert "nvidia.com/gpu" in text
