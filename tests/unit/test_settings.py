"""Settings: the documented file lists them all, and the environment fills them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from pitchlab.config import DEFAULT_PUBLIC_URL, ResolvedSettings, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting():
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.startswith("PITCHLAB_")
    }
    expected = {f"PITCHLAB_{name.upper()}" for name in Settings.model_fields}
    assert listed == expected


def test_values_come_from_the_environment_and_empty_means_unset(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PITCHLAB_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("PITCHLAB_TRIAL_DAYS", "7")
    monkeypatch.setenv("PITCHLAB_DATABASE_URL", "")
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.trial_days == 7
    assert settings.database_url is None
    assert settings.trial_minutes == 60


def test_generated_secrets_are_kept_across_restarts(tmp_path):
    first = Settings(_env_file=None, data_dir=tmp_path).with_generated_secrets()
    second = Settings(_env_file=None, data_dir=tmp_path).with_generated_secrets()
    assert first.jwt_secret.get_secret_value() == second.jwt_secret.get_secret_value()
    assert len(first.jwt_secret.get_secret_value()) >= 32
    assert (tmp_path / "secrets" / "jwt_secret").stat().st_mode & 0o077 == 0
    assert first.jwt_secret.get_secret_value() not in repr(first)


def _all_secrets(**overrides) -> dict:
    return {
        "database_url": SecretStr("postgresql://owner@localhost/pitchlab"),
        "database_app_password": SecretStr("app password"),
        "jwt_secret": SecretStr("j" * 40),
        "encryption_keys": SecretStr("k1:" + "A" * 43),
        **overrides,
    }


def test_resolving_names_every_secret_still_unset(tmp_path):
    partial = Settings(_env_file=None, data_dir=tmp_path, jwt_secret=SecretStr("j" * 40))
    with pytest.raises(ValueError) as refused:
        partial.resolved()
    assert str(refused.value) == (
        "create_app needs these settings resolved: database_url, database_app_password, "
        "encryption_keys"
    )


def test_resolved_settings_hold_every_secret_and_a_public_url(monkeypatch, tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, trial_days=3, **_all_secrets())
    # the environment was read once, when Settings was made: resolving reads it no more
    monkeypatch.setenv("PITCHLAB_TRIAL_DAYS", "9")
    resolved = settings.resolved()
    assert isinstance(resolved, ResolvedSettings)
    assert resolved.trial_days == 3
    assert resolved.public_url == DEFAULT_PUBLIC_URL
    assert resolved.jwt_secret.get_secret_value() == "j" * 40
    given = Settings(_env_file=None, public_url="https://api.example", **_all_secrets())
    assert given.resolved().public_url == "https://api.example"


def test_a_short_jwt_secret_is_refused_when_resolving_too(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, **_all_secrets())
    short = settings.model_copy(update={"jwt_secret": SecretStr("short")})
    with pytest.raises(ValueError, match="at least 32 bytes"):
        short.resolved()
