"""pytest wiring of the cassette tests (see cw_cassette.py for the modes and docs/recording.md).

Replay (default, what CI runs): every test in this directory is marked ``block_network``, the
record mode is forced to ``none``, the client is pointed at ``http://chatwoot.invalid`` and
every cassette must be played to the end.

Record (``CWT_RECORD=1 pytest tests/cassette --record-mode=rewrite``): the server named by the
``CHATWOOT_*`` variables; PROVENANCE.json is updated at the end of the session. Tests that only
inspect committed cassettes (hygiene, provenance, strictness) are deselected while recording —
the record script replays everything afterwards.
"""

from __future__ import annotations

import logging
import os
import time
import types
from pathlib import Path

import pytest

import cw_cassette as cwc

HERE = Path(__file__).resolve().parent
_recorded: dict[str, dict] = {}


def _in_here(item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def pytest_recording_configure(config, vcr):
    vcr.register_matcher("cw_json_body", cwc.json_body_matcher)


def pytest_configure(config):
    if cwc.recording():
        return
    mode = config.getoption("--record-mode", default=None)
    if mode not in (None, "none"):
        raise pytest.UsageError(
            f"--record-mode={mode} without CWT_RECORD=1: recording needs a server; "
            "use scripts/record-cassettes.sh (see docs/recording.md)"
        )


def pytest_collection_modifyitems(config, items):
    recording = cwc.recording()
    keep, drop = [], []
    for item in items:
        if not _in_here(item):
            keep.append(item)
            continue
        is_vcr = item.get_closest_marker("vcr") is not None
        if recording and not is_vcr:
            drop.append(item)  # replay-only checks of the committed cassettes
            continue
        if not recording:
            item.add_marker(pytest.mark.block_network)
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


#: callbacks to run once a test's fixtures (and so its cassette) are closed: see ``after_cassette``
_after_cassette: list = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    while _after_cassette:
        _after_cassette.pop()()


def pytest_sessionfinish(session, exitstatus):
    if cwc.recording() and _recorded and session.config.getoption("--record-mode", default=None) not in (None, "none"):
        cwc.write_provenance(_recorded)


# ------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def vcr_cassette_dir(request) -> str:
    return str(cwc.cassette_root() / Path(str(request.node.fspath)).stem)


@pytest.fixture
def record_mode(request) -> str:  # overrides pytest-recording's: replay can never record
    if not cwc.recording():
        return "none"
    return request.config.getoption("--record-mode") or "none"


@pytest.fixture
def after_cassette():
    """``after_cassette(fn)``: when recording, call ``fn()`` after the test, once its cassette is closed —
    a clean-up the cassette must not contain (e.g. of a converted capture that has no such request)."""
    def register(fn) -> None:
        if cwc.recording():
            _after_cassette.append(fn)
    return register


@pytest.fixture
def scrubber() -> cwc.Scrubber:
    if cwc.recording():
        return cwc.Scrubber(
            os.environ.get("CHATWOOT_URL"),
            extra_secrets=[os.environ.get("CHATWOOT_API_TOKEN", ""), os.environ.get("CHATWOOT_PLATFORM_TOKEN", "")],
        )
    return cwc.Scrubber(None)


@pytest.fixture
def vcr_config(scrubber) -> dict:
    return cwc.vcr_config_for(scrubber)


def _cassette_key(request) -> str:
    module = Path(str(request.node.fspath)).stem
    name = request.getfixturevalue("default_cassette_name")
    return f"{module}/{name}.yaml"


@pytest.fixture
def cw_env(request, monkeypatch):
    """Environment of one cassette test; replay gets placeholders and the recorded account id."""
    from cwtenants.resources import base

    if cwc.recording():
        missing = [v for v in ("CHATWOOT_URL", "CHATWOOT_API_TOKEN", "CHATWOOT_ACCOUNT_ID") if not os.environ.get(v)]
        if missing:
            pytest.fail(f"recording needs {', '.join(missing)} (see docs/recording.md)")
    else:
        key = _cassette_key(request)
        entry = cwc.load_provenance().get("cassettes", {}).get(key)
        if entry is None:
            pytest.fail(f"cassette {key} has no entry in cassettes/PROVENANCE.json; record it "
                        "with scripts/record-cassettes.sh")
        monkeypatch.setenv("CHATWOOT_URL", cwc.FAKE_URL)
        monkeypatch.setenv("CHATWOOT_API_TOKEN", cwc.REPLAY_API_TOKEN)
        monkeypatch.setenv("CHATWOOT_PLATFORM_TOKEN", cwc.REPLAY_PLATFORM_TOKEN)
        monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", str(entry["account_id"]))
        # no wall-clock budget in replay (the limiter only changes timing, never traffic)
        monkeypatch.setenv("CWT_REQUESTS_PER_MINUTE", "0")
        # inbox deletion polls with sleep(1): the recorded answers come back instantly
        monkeypatch.setenv("CWT_INBOX_DELETE_WAIT", "600")
        from cwtenants.resources import inbox

        monkeypatch.setattr(inbox, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=lambda s: None))
    # fresh process-wide state so each recording is self-contained and deterministic
    monkeypatch.setattr(base, "_client", None)
    monkeypatch.setattr(base, "_config", {})
    base.lists.clear()
    base.created_empty.clear()
    # the list cache never expires inside a test (a slow recording must not add list calls
    # that a fast replay would skip); tests clear it explicitly where they want a fresh read
    monkeypatch.setattr(base.lists, "clock", lambda: 0.0)
    yield
    if base._client is not None:
        base._client.close()
    base.lists.clear()
    base.created_empty.clear()


@pytest.fixture
def cw(request, cw_env, vcr, scrubber, caplog, capsys):
    """The shared client after the provenance probe (``GET /api``, first interaction of every
    cassette). After the test: the cassette must be fully played (replay) and nothing the test
    logged or printed may look like a secret."""
    from cwtenants.resources import base

    caplog.set_level(logging.DEBUG, logger="cwtenants")
    client = base.client()
    version = client.api_version()
    assert isinstance(version, dict) and version.get("version"), f"GET /api gave {version!r}"
    if cwc.recording() and vcr is not None:
        _recorded[_cassette_key(request)] = {
            "server": cwc.server_kind(scrubber),
            "version": version["version"],
            "account_id": client.settings.account_id,
            "url": cwc.FAKE_URL,
        }
    yield client
    if vcr is not None and not cwc.recording():
        unplayed = [f"{r.method} {r.path}" for i, r in enumerate(vcr.requests) if not vcr.play_counts[i]]
        assert vcr.all_played, f"{len(unplayed)} recorded interaction(s) never requested: {unplayed}"
    out = capsys.readouterr()
    # say() lines go to stdout; show them again so -s / failures still display them
    print(out.out, end="")
    tokens = [os.environ.get("CHATWOOT_API_TOKEN", ""), os.environ.get("CHATWOOT_PLATFORM_TOKEN", "")]
    leaks = cwc.find_secrets(caplog.text + out.out + out.err, extra=tokens)
    # in record/live mode the real host legitimately appears in nothing we log; allow .invalid only
    assert not leaks, f"test output looks like it contains secrets: {leaks}"
