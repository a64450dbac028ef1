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


PRODUCTION = {"CRM_ENV": "production", "DATABASE_URL": "postgresql://u@h/db"}


def test_production_with_a_strong_secret_sets_secure_cookies(tmp_path):
    config = load_config(str(tmp_path), PRODUCTION | {"SECRET_KEY": os.urandom(32).hex()})
    assert config["SESSION_COOKIE_SECURE"] and config["HSTS"] and config["SESSION_COOKIE_HTTPONLY"]


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL is required"):
        load_config(str(tmp_path), {"CRM_ENV": "production", "SECRET_KEY": os.urandom(32).hex()})


def test_the_csrf_token_lives_as_long_as_the_session(tmp_path):
    assert load_config(str(tmp_path), {})["WTF_CSRF_TIME_LIMIT"] is None


@pytest.mark.parametrize("raw, expected", [(None, 0), ("", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxies_counts_the_proxies_in_front(tmp_path, raw, expected):
    environ = {} if raw is None else {"TRUSTED_PROXIES": raw}
    assert load_config(str(tmp_path), environ)["TRUSTED_PROXIES"] == expected


@pytest.mark.parametrize("raw", ["yes", "-1", "99"])
def test_trusted_proxies_refuses_anything_but_a_small_count(tmp_path, raw):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config(str(tmp_path), {"TRUSTED_PROXIES": raw})


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
