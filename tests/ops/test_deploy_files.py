"""The deployment files say what deploy/README.md says they do: the compose stack's services,
commands and health checks, settings that Pitchlab really reads, a Dockerfile that runs as an
unprivileged user with a health check; and, where a Docker daemon answers, the image serves
/readyz."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from pitchlab.config import Settings
from tests.cli.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
PITCHLAB_IMAGE_SERVICES = {"migrate", "api-1", "api-2", "worker"}
APIS = ("api-1", "api-2")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env(service: dict) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def test_compose_runs_the_whole_stack(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "prometheus", *PITCHLAB_IMAGE_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in PITCHLAB_IMAGE_SERVICES:
        assert services[name]["build"]["context"] == ".."
        assert (ROOT / "deploy" / services[name]["build"]["context"] / "Dockerfile").is_file()
    assert services["migrate"]["command"] == ["pitchlab", "db", "upgrade"]
    assert services["worker"]["command"][:2] == ["pitchlab", "worker"]
    for api in APIS:
        assert services[api]["command"][:2] == ["pitchlab", "serve"]
        assert services[api]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
        # jobs run in the worker service only
        assert _env(services[api])["PITCHLAB_RUN_WORKER_IN_PROCESS"] == "false"
        # longer than the drain's grace, or the platform kills it half-way
        grace = float(_env(services[api])["PITCHLAB_SHUTDOWN_GRACE_SECONDS"])
        assert _seconds(services[api]["stop_grace_period"]) > grace
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully")
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_every_long_running_service_has_a_health_check_and_the_others_opt_out(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "prometheus", *APIS):
        check = services[name]["healthcheck"]
        assert check["test"][0] == "CMD" and len(check["test"]) > 1, name
    for api in APIS:
        assert "/readyz" in " ".join(services[api]["healthcheck"]["test"])
    # no HTTP in them: the image's /readyz check would mark them unhealthy
    for name in ("migrate", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}


def test_every_pitchlab_setting_in_compose_is_a_real_setting(compose):
    fields = {f"PITCHLAB_{name.upper()}" for name in Settings.model_fields}
    used = {key for service in compose["services"].values() for key in _env(service)
            if key.startswith("PITCHLAB_")}
    assert used, "compose sets no Pitchlab setting"
    assert used <= fields, f"not Settings fields: {sorted(used - fields)}"
    # the secrets every process must share are required, never defaulted in the file
    shared = _env(compose["services"]["api-1"])
    for secret in ("PITCHLAB_JWT_SECRET", "PITCHLAB_ENCRYPTION_KEYS",
                   "PITCHLAB_DATABASE_APP_PASSWORD"):
        assert re.fullmatch(r"\$\{" + secret + r":\?[^}]+\}", shared[secret]), secret
    # one database and the same secrets in every process (a token one API signs, another reads)
    for setting in ("PITCHLAB_DATABASE_URL", "PITCHLAB_JWT_SECRET", "PITCHLAB_ENCRYPTION_KEYS",
                    "PITCHLAB_DATABASE_APP_PASSWORD", "PITCHLAB_REDIS_URL"):
        values = {_env(compose["services"][name]).get(setting) for name in PITCHLAB_IMAGE_SERVICES}
        assert len(values) == 1 and None not in values, setting


def test_prometheus_scrapes_both_apis():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["pitchlab-api"]
    assert api["metrics_path"] == "/metrics"
    targets = {t for group in api["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:8000" for name in APIS}


def test_dockerfile_builds_with_uv_and_runs_unprivileged_with_a_health_check():
    lines = _instructions((ROOT / "Dockerfile").read_text())
    stages = [args for op, args in lines if op == "FROM"]
    assert len(stages) == 2 and stages[1].startswith("python:3.11-slim")
    assert any(op == "RUN" and "uv sync --locked --no-dev" in args for op, args in lines)
    users = [args for op, args in lines if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [args for op, args in lines if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/readyz" in health[0] and "urllib" in health[0]
    cmd = [args for op, args in lines if op == "CMD"][-1]
    assert cmd == '["pitchlab", "serve", "--host", "0.0.0.0"]'
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") + 1:].count("!src/") == 1  # the context: an allow-list


def test_dependabot_updates_python_images_and_actions_weekly():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert {"uv", "docker", "github-actions"} <= set(updates)
    assert all(u["schedule"]["interval"] == "weekly" for u in updates.values())


def test_the_guide_names_every_setting_a_production_deploy_changes():
    guide = (ROOT / "deploy" / "README.md").read_text()
    for setting in (
        "PITCHLAB_ENV", "PITCHLAB_TRUSTED_PROXIES", "PITCHLAB_SENTRY_DSN",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "PITCHLAB_ALERT_EMAIL", "PITCHLAB_ALERT_SLACK_WEBHOOK_URL",
        "PITCHLAB_LOG_FORMAT", "PITCHLAB_SLOW_QUERY_MS", "PITCHLAB_SHUTDOWN_GRACE_SECONDS",
        "PITCHLAB_DATABASE_URL", "PITCHLAB_JWT_SECRET", "PITCHLAB_ENCRYPTION_KEYS",
        "PITCHLAB_REDIS_URL", "PITCHLAB_CORS_ORIGINS", "PITCHLAB_PUBLIC_URL",
        "PITCHLAB_STRIPE_API_KEY", "PITCHLAB_STRIPE_WEBHOOK_SECRET", "PITCHLAB_RESEND_API_KEY",
        "PITCHLAB_OPENAI_API_KEY", "PITCHLAB_ELEVENLABS_API_KEY", "PITCHLAB_CALENDLY_API_TOKEN",
        "sslmode=require",
    ):
        assert setting in guide, setting


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, duration
    return int(match[1]) * (60 if match[2] == "m" else 1)


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, args = line.partition(" ")
            found.append((op.upper(), args.strip()))
    return found


# --- the image, where Docker works -----------------------------------------------------------

def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20,
                          check=False).returncode == 0


@pytest.mark.docker
@pytest.mark.skipif(not _docker_answers(), reason="no Docker daemon answers `docker info` here")
def test_the_image_builds_and_answers_readyz(owner_url):
    from tests.conftest import TEST_APP_PASSWORD

    tag = f"pitchlab-test:{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "--tag", tag, str(ROOT)], check=True, timeout=1200)
    port = free_port()
    # the test database, seen from the container through the host's network
    database_url = owner_url.render_as_string(hide_password=False)
    container = subprocess.run(
        ["docker", "run", "--detach", "--rm", "--network", "host",
         "-e", f"PITCHLAB_DATABASE_URL={database_url}",
         "-e", f"PITCHLAB_DATABASE_APP_PASSWORD={TEST_APP_PASSWORD}",
         "-e", "PITCHLAB_JWT_SECRET=" + "j" * 48, "-e", "PITCHLAB_ENCRYPTION_KEYS=k1:" + "A" * 43,
         tag, "pitchlab", "serve", "--host", "127.0.0.1", "--port", str(port)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the container never became ready"
            time.sleep(0.5)  # polling a server in another process, with a deadline
        user = subprocess.run(["docker", "exec", container, "id", "-u"], capture_output=True,
                              text=True, check=True).stdout.strip()
        assert user != "0"
    finally:
        subprocess.run(["docker", "stop", "--time", "30", container], check=False)
        if not os.environ.get("PITCHLAB_KEEP_TEST_IMAGE"):
            subprocess.run(["docker", "image", "rm", tag], check=False, capture_output=True)
