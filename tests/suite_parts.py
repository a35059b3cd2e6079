"""The test suite in parts: which part is running, how long each took, fast parts first.

Parts, in the order they run: unit (seconds), emulator (conformance of the emulator), cassette
(recorded Chatwoot answers), e2e (the real pulumi CLI against the emulator, minutes), postgres
(e2e with the state in PostgreSQL). Tests are reordered by part (stable: within a part, the usual
file order), so `pytest -x` stops on a broken unit test within seconds instead of after the e2e
tests. A line announces each part as it starts and gives its counts and time when it ends, and
the summary has one line per part. Nothing here changes a result or the exit code.

Hooks are imported by tests/conftest.py.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

PARTS = ("unit", "emulator", "cassette", "e2e", "postgres")
TESTS = Path(__file__).resolve().parent


def part_of(path: Path) -> str:
    try:
        rel = Path(path).resolve().relative_to(TESTS).parts
    except ValueError:
        return "other"
    if rel[:2] == ("e2e", "postgres"):
        return "postgres"
    return rel[0] if rel and rel[0] in PARTS else "other"


def _rank(part: str) -> int:
    return PARTS.index(part) if part in PARTS else len(PARTS)


class _Parts:
    def __init__(self, config):
        self.config = config
        self.total: Counter = Counter()  # part -> collected tests
        self.outcomes: dict[str, Counter] = {}
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.current: str | None = None
        self.by_nodeid: dict[str, str] = {}
        self.failed: dict[str, list[str]] = {}

    @property
    def reporter(self):
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @property
    def sequential(self) -> bool:  # under pytest-xdist, parts run interleaved: summary only
        return not getattr(self.config.option, "numprocesses", None)

    def counts(self, part: str) -> str:
        c = self.outcomes.get(part, Counter())
        text = ", ".join(f"{n} {what}" for what, n in sorted(c.items(), key=lambda kv: kv[0]) if n) or "nothing run"
        seconds = self.finished.get(part, time.monotonic()) - self.started.get(part, time.monotonic())
        return f"{text} in {seconds:.1f}s"

    def end(self, part: str) -> None:
        tr = self.reporter
        if tr is not None and self.sequential:
            if tr._tw.width_of_current_line:  # after the progress dots
                tr._tw.line()
            failed = self.failed.get(part, [])
            tr.write_sep("-", f"{part}: {self.counts(part)}", red=bool(failed))
            for nodeid in failed:  # seen now, not only in the summary after the slow parts
                tr.write_line(f"FAILED {nodeid}", red=True)

    def start(self, part: str) -> None:
        if self.current is not None and self.current != part:
            self.end(self.current)
        self.current = part
        tr = self.reporter
        if tr is not None and self.sequential:
            if tr._tw.width_of_current_line:
                tr._tw.line()
            n = self.total[part]
            tr.write_sep("-", f"{part}: {n} test{'s' if n != 1 else ''}")


_state: _Parts | None = None


def pytest_configure(config):
    global _state
    _state = _Parts(config)


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: _rank(part_of(item.path)))  # stable: keeps the file order inside a part


def pytest_collection_finish(session):  # after -k/-m deselection
    for item in session.items:
        part = part_of(item.path)
        _state.total[part] += 1
        _state.by_nodeid[item.nodeid] = part


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter writes the test file's name
def pytest_runtest_logstart(nodeid, location):
    part = _state.by_nodeid.get(nodeid, "other")
    now = time.monotonic()
    _state.started.setdefault(part, now)
    if _state.sequential and part != _state.current:
        _state.start(part)


def pytest_runtest_logreport(report):
    part = _state.by_nodeid.get(report.nodeid, "other")
    c = _state.outcomes.setdefault(part, Counter())
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.failed:
            c["failed" if report.when == "call" else "errors"] += 1
            _state.failed.setdefault(part, []).append(report.nodeid)
        elif report.skipped:
            c["xfailed" if hasattr(report, "wasxfail") else "skipped"] += 1
        else:
            c["passed"] += 1
    elif report.when == "teardown" and report.failed:
        c["errors"] += 1
        _state.failed.setdefault(part, []).append(report.nodeid)
    if report.when == "teardown":
        _state.finished[part] = time.monotonic()


def pytest_sessionfinish(session):  # inside the terminal reporter's wrapper: before FAILURES
    if _state is not None and _state.sequential and _state.current is not None:
        _state.end(_state.current)
        _state.current = None


def pytest_terminal_summary(terminalreporter):
    if _state is None or not _state.started:
        return
    terminalreporter.write_sep("=", "parts")
    for part in sorted(_state.total, key=_rank):
        if part in _state.started:
            terminalreporter.write_line(f"{part:<9} {_state.counts(part)}")
        else:
            terminalreporter.write_line(f"{part:<9} not run ({_state.total[part]} collected)")
