import os
import stat

import pytest

from crm.config import ConfigError, database_url, load_config


def test_production_refuses_a_missing_secret(tmp_path):
    with pytest.raises(ConfigError, match="required"):
        load_config(str(tmp_path), {"CRM_ENV": "production"})


@pytest.mark.parametrize("secret", ["changeme", "short-secret", "a" * 40])
def test_production_refuses_a_weak_secret(tmp_path, secret):
    with pytest.raises(ConfigError, match="too weak"):
        load_config(str(tmp_path), {"CRM_ENV": "production", "SECRET_KEY": secret})


def test_production_with_a_strong_secret_sets_secure_cookies(tmp_path):
    config = load_config(str(tmp_path), {"CRM_ENV": "production", "SECRET_KEY": os.urandom(32).hex()})
    assert config["SESSION_COOKIE_SECURE"] and config["HSTS"] and config["SESSION_COOKIE_HTTPONLY"]


def test_demo_secret_is_generated_once_and_kept_owner_only(tmp_path):
    first = load_config(str(tmp_path), {})["SECRET_KEY"]
    second = load_config(str(tmp_path), {})["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert not load_config(str(tmp_path), {})["SESSION_COOKIE_SECURE"]


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"CRM_ENV": "staging"})


def test_database_urls():
    assert database_url(None, "/srv/instance") == "sqlite:////srv/instance/crm.sqlite3"
    assert database_url("postgresql://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
