"""``pitchlab demo`` reuses one demo account, and replaces it when it can no longer start a call,
so runs never pile up companies and users."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from pitchlab.cli import cli
from pitchlab.database_setup import libpq_dsn
from pitchlab.demo_call import DEMO_EMAIL
from tests.conftest import TEST_APP_PASSWORD


@pytest.fixture
def demo_env(owner_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PITCHLAB_DATABASE_URL", owner_url.render_as_string(hide_password=False))
    monkeypatch.setenv("PITCHLAB_DATABASE_APP_PASSWORD", TEST_APP_PASSWORD)
    monkeypatch.setenv("PITCHLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def demo_accounts(owner_url) -> list[tuple]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT u.id, c.id, u.email FROM users u JOIN companies c ON c.id = u.company_id"
        ).fetchall()


def run_demo():
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Feedback report" in result.output
    return result.output


def test_demo_runs_twice_as_one_account_and_replaces_it_when_its_trial_is_over(
    demo_env, owner_url
):
    first = run_demo()
    assert f"Created the demo account {DEMO_EMAIL}" in first
    [(user_id, company_id, email)] = demo_accounts(owner_url)
    assert email == DEMO_EMAIL

    second = run_demo()
    assert "Created" not in second and f"Signed in as {DEMO_EMAIL}" in second
    assert demo_accounts(owner_url) == [(user_id, company_id, email)]

    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        conn.execute("UPDATE companies SET trial_expires_at = now() - interval '1 day'")
    third = run_demo()
    assert f"Created the demo account {DEMO_EMAIL}" in third
    [(new_user, new_company, _)] = demo_accounts(owner_url)  # still one: the old one is gone
    assert (new_user, new_company) != (user_id, company_id)
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert sessions == 1  # the replaced account's call went with it
