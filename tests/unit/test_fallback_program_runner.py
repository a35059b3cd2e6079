"""The fallback's program runner: the official executor's command line, tracebacks of the program only."""

from __future__ import annotations

import sys

from fallback_hosts import program_runner


def test_official_executor_command_line_is_understood():
    args = program_runner.parse_args([
        "--monitor", "127.0.0.1:1", "--engine", "127.0.0.1:2", "--project", "p", "--root_directory", "/r",
        "--stack", "s", "--pwd", "/r", "--dry_run", "true", "--parallel", "8", "--organization", "o", ".", "x"])
    assert (args.monitor, args.engine, args.project, args.stack, args.dry_run, args.parallel) == (
        "127.0.0.1:1", "127.0.0.1:2", "p", "s", "true", "8")
    assert args.PROGRAM == "." and args.ARGS == ["x"]


def test_entry_file(tmp_path):
    assert program_runner.entry_file(str(tmp_path), ".") == str(tmp_path / "__main__.py")
    (tmp_path / "main.py").write_text("")
    assert program_runner.entry_file(str(tmp_path), "main.py") == str(tmp_path / "main.py")


def test_traceback_keeps_only_the_programs_frames(tmp_path):
    prog = tmp_path / "prog"
    prog.mkdir()
    (prog / "helper.py").write_text("def boom():\n    raise ValueError('broke')\n")
    sys.path.insert(0, str(prog))
    try:
        import helper

        def outside():  # a frame outside the program folder (this test file), like runpy or the SDK
            helper.boom()

        try:
            try:
                outside()
            except ValueError as inner:
                raise RuntimeError("while loading") from inner
        except RuntimeError as exc:
            text = program_runner.user_traceback(exc, str(prog))
    finally:
        sys.path.remove(str(prog))
        sys.modules.pop("helper", None)
    assert "helper.py" in text and "ValueError: broke" in text and "RuntimeError: while loading" in text
    assert "test_fallback_program_runner.py" not in text.split("ValueError: broke")[0]  # outer frames dropped
