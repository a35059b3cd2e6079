"""The fallback Pulumi language host for Python programs (``pulumi-language-python``).

Installed by ``scripts/build-pulumi.sh`` only when the official host cannot be built (see
README.md in this folder for what it implements and what it does not). The CLI starts it with
the engine address as the last argument, reads the gRPC port from its first line of stdout and
calls the ``LanguageRuntime`` service below. ``Run`` starts ``program_runner.py`` in the
program's Python with the official host's executor contract (arguments and environment), in this host's process group, so the CLI's shutdown of the group (or our
lifeline, when the CLI was killed) ends the program too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent import futures
from importlib import metadata
from pathlib import Path

from fallback_hosts import lifeline

RUNNER = Path(__file__).with_name("program_runner.py")
BAIL = 32
HOST_NAME = "cwtenants fallback language host (fallback_hosts.language_host)"


class OptionError(ValueError):
    pass


def runtime_options(info) -> dict:
    """The ``runtime.options`` of Pulumi.yaml, checked against what this host supports."""
    from google.protobuf.json_format import MessageToDict

    opts = MessageToDict(info.options) if info is not None and info.HasField("options") else {}
    toolchain = opts.get("toolchain", "pip")
    if toolchain != "pip":
        raise OptionError(f"runtime option toolchain: {toolchain!r} is not supported by the fallback language "
                          "host (only pip); install the official Pulumi CLI, or remove the option")
    if opts.get("typechecker"):
        raise OptionError("runtime option typechecker: not supported by the fallback language host; "
                          "run mypy/pyright yourself, or install the official Pulumi CLI")
    venv = opts.get("virtualenv")
    if venv is not None and not isinstance(venv, str):
        raise OptionError("runtime option virtualenv must be a string")
    return {"toolchain": toolchain, "virtualenv": venv}


def virtualenv_dir(info) -> Path | None:
    """The ``virtualenv`` option resolved like the official host: relative to the project root."""
    venv = runtime_options(info)["virtualenv"]
    if not venv:
        return None
    root = Path(info.root_directory or os.getcwd())
    return (root / venv) if not os.path.isabs(venv) else Path(venv)


def program_python(info) -> str:
    """The Python that runs the program: the virtualenv option, else PULUMI_PYTHON_CMD, else ours."""
    venv = virtualenv_dir(info)
    if venv is not None:
        py = venv / "bin" / "python"
        if not py.exists():
            raise OptionError(
                f"the virtualenv option in Pulumi.yaml is {runtime_options(info)['virtualenv']!r}, but {py} "
                "does not exist: run `pulumi install` (or scripts/setup.sh)")
        return str(py)
    return os.environ.get("PULUMI_PYTHON_CMD") or sys.executable


def python_about(python: str) -> tuple[str, str]:
    """(executable, version) of a Python interpreter."""
    out = subprocess.run([python, "-c", "import sys,platform;print(sys.executable);print(platform.python_version())"],
                         capture_output=True, text=True, timeout=60, check=True).stdout.split("\n")
    return out[0], out[1]


def pip_version(python: str) -> str:
    r = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, timeout=60)
    parts = r.stdout.split()
    return parts[1] if r.returncode == 0 and len(parts) > 1 else "unknown"


def list_packages(python: str, transitive: bool) -> list[tuple[str, str]]:
    """Installed distributions of ``python``: all of them, or only those no other one requires."""
    code = (
        "import json,re\nfrom importlib import metadata as m\n"
        "ds=[d for d in m.distributions() if d.metadata['Name']]\n"
        "req=set()\n"
        "for d in ds:\n"
        "  for r in d.requires or []:\n"
        "    if 'extra ==' not in r: req.add(re.split(r'[ ;<>=!~\\[(]',r,1)[0].lower().replace('_','-'))\n"
        "print(json.dumps(sorted({(d.metadata['Name'],d.version,d.metadata['Name'].lower().replace('_','-') in req)"
        " for d in ds})))"
    )
    r = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return [(n, v) for n, v, required in json.loads(r.stdout) if transitive or not required]


def serve(engine_address: str) -> None:
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

    running: set[subprocess.Popen] = set()
    lock = threading.Lock()

    class Host(language_pb2_grpc.LanguageRuntimeServicer):
        def Handshake(self, request, context):
            return language_pb2.LanguageHandshakeResponse()

        def GetRequiredPlugins(self, request, context):
            # Used to pre-install plugins. Dynamic resources are served by the bundled
            # pulumi-python provider and this project uses no other plugin: none.
            return language_pb2.GetRequiredPluginsResponse()

        def GetRequiredPackages(self, request, context):
            return language_pb2.GetRequiredPackagesResponse()

        def GetPluginInfo(self, request, context):
            return plugin_pb2.PluginInfo(version=metadata.version("pulumi"))

        def RuntimeOptionsPrompts(self, request, context):
            return language_pb2.RuntimeOptionsResponse()

        def Template(self, request, context):
            return language_pb2.TemplateResponse()  # pip + requirements.txt: nothing to prepare

        def About(self, request, context):
            info = request.info if request.HasField("info") else None
            try:
                python = program_python(info) if info is not None else (
                    os.environ.get("PULUMI_PYTHON_CMD") or sys.executable)
                exe, version = python_about(python)
            except (OptionError, OSError, subprocess.SubprocessError) as exc:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            return language_pb2.AboutResponse(
                executable=exe, version=version,
                metadata={"toolchain": "pip", "toolchainVersion": pip_version(python), "typechecker": "none",
                          "languageHost": HOST_NAME},
            )

        def GetProgramDependencies(self, request, context):
            try:
                deps = list_packages(program_python(request.info), request.transitiveDependencies)
            except (OptionError, OSError, subprocess.SubprocessError) as exc:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"failed to get python dependencies: {exc}")
            return language_pb2.GetProgramDependenciesResponse(
                dependencies=[language_pb2.DependencyInfo(name=n, version=v) for n, v in deps])

        def InstallDependencies(self, request, context):
            def say(text: str, err: bool = False):
                data = text.encode()
                return language_pb2.InstallDependenciesResponse(**({"stderr": data} if err else {"stdout": data}))

            info = request.info
            program_dir = Path(info.program_directory or request.directory or os.getcwd())
            try:
                venv = virtualenv_dir(info)
            except OptionError as exc:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            yield say("Installing dependencies...\n\n")
            steps = []
            if venv is not None and not (venv / "bin" / "python").exists():
                steps.append(("Creating virtual environment", [sys.executable, "-m", "venv", str(venv)]))
            python = str(venv / "bin" / "python") if venv is not None else (
                os.environ.get("PULUMI_PYTHON_CMD") or sys.executable)
            if (program_dir / "requirements.txt").exists():
                steps.append(("Installing dependencies in virtual environment",
                              [python, "-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt"]))
            else:
                yield say(f"no requirements.txt in {program_dir}: nothing to install\n")
            for what, cmd in steps:
                yield say(f"{what}...\n")
                proc = subprocess.Popen(cmd, cwd=program_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for line in proc.stdout:
                    yield say(line.decode(errors="replace"))
                if proc.wait() != 0:
                    context.abort(grpc.StatusCode.UNKNOWN,
                                  f"{what.lower()} failed: `{' '.join(cmd)}` exited {proc.returncode} (in {program_dir})")
            yield say("Finished installing dependencies\n\n")

        def Run(self, request, context):
            info = request.info
            if request.attach_debugger:
                return language_pb2.RunResponse(
                    error="--attach-debugger is not supported by the fallback language host: "
                          "use the official Pulumi CLI to debug the program")
            try:
                python = program_python(info)
            except OptionError as exc:
                return language_pb2.RunResponse(error=str(exc))
            args = [python, "-u", str(RUNNER)]
            for flag, value in (("monitor", request.monitor_address), ("engine", engine_address),
                                ("project", request.project), ("root_directory", info.root_directory),
                                ("stack", request.stack), ("pwd", request.pwd),
                                ("dry_run", "true" if request.dryRun else "false"),
                                ("parallel", str(request.parallel)), ("organization", request.organization)):
                if value:
                    args += [f"--{flag}", value]
            args += [info.entry_point or request.program or ".", *request.args]
            env = dict(os.environ, PULUMI_CONFIG=json.dumps(dict(request.config)),
                       PULUMI_CONFIG_SECRET_KEYS=json.dumps(list(request.configSecretKeys)))
            proc = subprocess.Popen(args, cwd=info.program_directory or request.pwd or None, env=env)
            with lock:
                running.add(proc)
            try:
                code = proc.wait()
            finally:
                with lock:
                    running.discard(proc)
            if code == 0:
                return language_pb2.RunResponse()
            if code == BAIL:
                return language_pb2.RunResponse(bail=True)
            return language_pb2.RunResponse(error=f"the Python program exited with code {code}")

        def Cancel(self, request, context):
            with lock:
                for proc in running:
                    proc.terminate()
            return empty_pb2.Empty()

        # Not implemented here (the CLI reports them as unsupported): RunPlugin (policy packs),
        # GenerateProgram/GenerateProject/GeneratePackage (convert, gen-sdk), Pack, Link.

    lifeline.watch_parent()
    lifeline.quiet_sigint()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(Host(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")  # the CLI reads the port from our first line of stdout
    sys.stdout.flush()
    server.wait_for_termination()


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    positional = [a for a in args if not a.startswith("-")]
    if not positional:
        sys.stderr.write("usage: pulumi-language-python [flags] ENGINE_ADDRESS (started by the pulumi CLI)\n")
        sys.exit(2)
    serve(positional[-1])


if __name__ == "__main__":
    main()
