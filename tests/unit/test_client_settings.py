"""cwtenants.chatwoot.Settings: env parsing, validation, masking."""

from __future__ import annotations

import dataclasses

import pytest

from cwtenants.chatwoot import Settings, Timeouts
from cwtenants.chatwoot.errors import ConfigError

TOKEN = "tok-SECRET-settings-0b7c"
PLATFORM = "plat-SECRET-settings-e2f1"
ENV = {
    "CHATWOOT_URL": "https://chat.example.com/",
    "CHATWOOT_API_TOKEN": TOKEN,
    "CHATWOOT_ACCOUNT_ID": "3",
    "CHATWOOT_PLATFORM_TOKEN": PLATFORM,
    "CWT_REQUESTS_PER_MINUTE": "600",
}


def test_from_env_reads_all_variables():
    s = Settings.from_env(ENV)
    assert s.url == "https://chat.example.com"
    assert s.api_token == TOKEN and s.platform_token == PLATFORM
    assert s.account_id == 3 and s.requests_per_minute == 600
    assert s.max_retries == 5
    assert s.timeout == Timeouts(connect=5.0, read=30.0, write=30.0, pool=30.0)


def test_from_env_defaults_optional_variables():
    env = {k: v for k, v in ENV.items() if k not in ("CHATWOOT_PLATFORM_TOKEN", "CWT_REQUESTS_PER_MINUTE")}
    s = Settings.from_env(env)
    assert s.platform_token is None and s.requests_per_minute == 2400


def test_from_env_uses_os_environ(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    assert Settings.from_env().account_id == 3


@pytest.mark.parametrize("missing", ["CHATWOOT_URL", "CHATWOOT_API_TOKEN", "CHATWOOT_ACCOUNT_ID"])
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_from_env_names_the_missing_variable(missing, how):
    env = dict(ENV)
    if how == "absent":
        del env[missing]
    else:
        env[missing] = "  "
    with pytest.raises(ConfigError) as ei:
        Settings.from_env(env)
    assert missing in str(ei.value)
    assert isinstance(ei.value, ValueError)


@pytest.mark.parametrize("var,value", [("CHATWOOT_ACCOUNT_ID", "acme"), ("CHATWOOT_ACCOUNT_ID", "0"),
                                       ("CWT_REQUESTS_PER_MINUTE", "fast"), ("CWT_REQUESTS_PER_MINUTE", "-1"),
                                       ("CHATWOOT_URL", "chat.example.com")])
def test_from_env_rejects_invalid_values_naming_the_variable(var, value):
    with pytest.raises(ConfigError, match=var):
        Settings.from_env({**ENV, var: value})


def test_settings_are_frozen():
    s = Settings.from_env(ENV)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.api_token = "x"  # type: ignore[misc]


def test_repr_and_str_mask_tokens():
    s = Settings.from_env(ENV)
    for text in (repr(s), str(s), f"{s}", repr([s])):
        assert TOKEN not in text and PLATFORM not in text and "SECRET" not in text
        assert "api_token='***'" in text and "platform_token='***'" in text
        assert "https://chat.example.com" in text and "account_id=3" in text
    s2 = Settings(url="http://x", api_token=TOKEN, account_id=1)
    assert "platform_token=None" in repr(s2)


def test_overrides_and_blank_platform_token():
    s = Settings.from_env({**ENV, "CHATWOOT_PLATFORM_TOKEN": ""}, max_retries=2, max_concurrency=4)
    assert s.platform_token is None and s.max_retries == 2 and s.max_concurrency == 4
    assert s.account_prefix == "/api/v1/accounts/3"
