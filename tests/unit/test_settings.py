"""Settings: the documented file lists them all, and the environment fills them."""

from __future__ import annotations

from pathlib import Path

from pitchlab.config import Settings

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
