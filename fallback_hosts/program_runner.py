"""Runs the Pulumi program: the child process of ``language_host``'s ``Run``.

Its command line is the one the official host gives its executor script
(``pulumi-language-python-exec``): ``<python> -u <this file> --monitor A --engine A --project P
--root_directory D --stack S --pwd D --dry_run true|false --parallel N --organization O
ENTRY_POINT``, run in the program's folder, with the config as JSON in ``PULUMI_CONFIG`` and
the secret keys as a JSON list in ``PULUMI_CONFIG_SECRET_KEYS``. ``<python>`` is the program's
Python (the ``virtualenv`` runtime option, else ``PULUMI_PYTHON_CMD``, else the host's own), so
this file needs only the standard library and the ``pulumi`` SDK installed there.

What the user sees, like the official host:
- the program's own error (``pulumi.RunError``) as one error line;
- an unhandled exception as a traceback of the frames in the program's folder only (no runpy,
  SDK or host frames);
- a missing ``__main__.py`` as one line saying where it was looked for;
- exit code 32 ("the error was shown already") so the CLI adds no second message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import runpy
import signal
import sys
import traceback
from concurrent import futures

BAIL = 32  # "an actionable message was already shown to the user" (the official host's code)


def user_traceback(exc: BaseException, program_dir: str) -> str:
    """The traceback of ``exc`` keeping only frames whose file is inside ``program_dir``."""
    root = os.path.realpath(program_dir) + os.sep

    def mine(frame: traceback.FrameSummary) -> bool:
        return os.path.isabs(frame.filename) and os.path.realpath(frame.filename).startswith(root)

    te = traceback.TracebackException.from_exception(exc)
    seen = set()
    todo = [te]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        kept = [f for f in t.stack if mine(f)]
        if kept:  # a chain link with no frame of ours keeps its own (better than nothing)
            t.stack = traceback.StackSummary.from_list(kept)
        todo += [x for x in (t.__cause__, t.__context__) if x is not None]
    return "".join(te.format())


def entry_file(program_dir: str, entry_point: str) -> str:
    entry = os.path.join(program_dir, entry_point or ".")
    if os.path.isdir(entry):
        entry = os.path.join(entry, "__main__.py")
    return os.path.normpath(entry)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="program_runner", description="Run a Pulumi Python program")
    for flag in ("project", "root_directory", "stack", "parallel", "dry_run", "pwd", "monitor", "engine",
                 "tracing", "organization"):
        ap.add_argument(f"--{flag}")
    ap.add_argument("PROGRAM")
    ap.add_argument("ARGS", nargs="*")
    return ap.parse_args(argv)


def run(job: argparse.Namespace) -> int:
    try:
        import pulumi
        from pulumi.errors import RunError
        from pulumi.runtime import reset_options, run_in_stack, set_all_config
    except ImportError as exc:
        sys.stderr.write(
            f"error: the Pulumi SDK is not installed for {sys.executable} ({exc}).\n"
            "Run `pulumi install` (installs infra/requirements.txt into the project's .venv) "
            "or scripts/setup.sh.\n"
        )
        return 1

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    reset_options(
        project=job.project,
        stack=job.stack,
        root_directory=job.root_directory,
        parallel=int(job.parallel or 0),
        engine_address=job.engine,
        monitor_address=job.monitor,
        preview=job.dry_run == "true",
        organization=job.organization or "organization",
    )
    set_all_config(json.loads(os.environ.get("PULUMI_CONFIG") or "{}"),
                   json.loads(os.environ.get("PULUMI_CONFIG_SECRET_KEYS") or "null"))

    entry = entry_file(os.getcwd(), job.PROGRAM)
    program_dir = os.path.dirname(entry)
    if not os.path.isfile(entry):
        pulumi.log.error(f"unable to find the Python program: {entry} does not exist "
                         "(Pulumi.yaml `main:` names the folder with __main__.py, or a .py file)")
        return BAIL
    sys.path.insert(0, os.path.dirname(entry))
    sys.argv = [entry, *job.ARGS]
    if job.pwd:
        os.chdir(job.pwd)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if job.parallel:
        loop.set_default_executor(futures.ThreadPoolExecutor(max_workers=max(int(job.parallel), 1) * 4))
    try:
        loop.run_until_complete(run_in_stack(lambda: runpy.run_path(entry, run_name="__main__")))
    except RunError as exc:
        pulumi.log.error(str(exc))
        return BAIL
    except Exception as exc:  # noqa: BLE001 - the program failed: show its own frames
        pulumi.log.error("Program failed with an unhandled exception:\n" + user_traceback(exc, program_dir))
        return BAIL
    finally:
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def main() -> None:
    # The lifeline: gone parent (host killed) -> end; SIGINT (the CLI closing) -> quiet exit.
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fallback_hosts import lifeline

    host = os.getppid()

    def host_gone() -> None:  # the host's process group holds us and anything we started
        if os.getpgid(0) == host:
            os.killpg(host, signal.SIGKILL)
        os._exit(1)

    lifeline.watch_parent(host_gone)
    signal.signal(signal.SIGINT, lambda *_: os._exit(BAIL))
    sys.exit(run(parse_args(sys.argv[1:])))


if __name__ == "__main__":
    main()
