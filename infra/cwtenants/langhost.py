"""A small Pulumi language host for Python programs (`pulumi-language-python`).

Why it exists: the Pulumi CLI finds a language host plugin named ``pulumi-language-python`` on
PATH (or next to the ``pulumi`` binary) and talks to it over gRPC. The official host is a Go
module (``github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3``) that the Go
module proxy reachable here does not serve at any version, so it cannot be built offline.
This host implements the part of the ``LanguageRuntime`` service that ``pulumi preview``,
``up``, ``refresh`` and ``destroy`` use, on top of the generated stubs shipped in the pulumi
Python SDK wheel.

Protocol (pulumi sdk ``go/common/resource/plugin/langruntime_plugin.go``): the CLI starts the
host with the engine address as the last argument, reads the gRPC port from the first line of
stdout, then calls ``GetRequiredPlugins``/``GetRequiredPackages``, ``GetPluginInfo`` and
``Run``. ``Run`` executes the program in a child process (``python -m cwtenants.langhost
exec``) so each run starts from a clean interpreter, exactly like the official host.

Deliberately not implemented (the CLI treats them as unsupported): ``InstallDependencies``
(this project installs its own venv), ``Template``, ``GenerateProject``/``Program``/``Package``,
``Pack``, ``Link``, ``RunPlugin``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import runpy
import subprocess
import sys
from concurrent import futures

# Exit code by which the child says "the error was already shown to the user".
_BAIL = 32


def serve(engine_address: str) -> None:
    import grpc
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

    pulumi_version = _sdk_version()

    class Host(language_pb2_grpc.LanguageRuntimeServicer):
        def GetRequiredPlugins(self, request, context):
            # Only used to pre-install plugins. This project's resources are dynamic (served by
            # the bundled pulumi-python provider) and downloads are disabled, so: none.
            return language_pb2.GetRequiredPluginsResponse()

        def GetRequiredPackages(self, request, context):
            return language_pb2.GetRequiredPackagesResponse()

        def GetPluginInfo(self, request, context):
            return plugin_pb2.PluginInfo(version=pulumi_version)

        def About(self, request, context):
            v = sys.version_info
            return language_pb2.AboutResponse(
                executable=sys.executable, version=f"{v.major}.{v.minor}.{v.micro}"
            )

        def GetProgramDependencies(self, request, context):
            from importlib import metadata

            deps = [
                language_pb2.DependencyInfo(name=d.metadata["Name"], version=d.version)
                for d in metadata.distributions()
                if d.metadata["Name"]
            ]
            return language_pb2.GetProgramDependenciesResponse(dependencies=deps)

        def Run(self, request, context):
            info = request.info
            job = {
                "project": request.project,
                "stack": request.stack,
                "pwd": request.pwd,
                "program_directory": info.program_directory or request.pwd,
                "entry_point": info.entry_point or request.program or ".",
                "root_directory": info.root_directory or None,
                "config": dict(request.config),
                "config_secret_keys": list(request.configSecretKeys),
                "dry_run": request.dryRun,
                "parallel": request.parallel,
                "monitor": request.monitor_address,
                "engine": engine_address,
                "organization": request.organization or "organization",
            }
            env = dict(os.environ)
            env["CWTENANTS_LANGHOST_JOB"] = json.dumps(job)
            proc = subprocess.run(
                [sys.executable, "-u", "-m", "cwtenants.langhost", "exec"],
                cwd=request.pwd or None,
                env=env,
                check=False,
            )
            if proc.returncode == 0:
                return language_pb2.RunResponse()
            if proc.returncode == _BAIL:
                return language_pb2.RunResponse(bail=True)
            return language_pb2.RunResponse(
                error=f"the Python program exited with code {proc.returncode}"
            )

    _exit_with_parent()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(Host(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    # The CLI reads the port from our first line of stdout.
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:  # the CLI stops its plugins with SIGINT when it is done
        server.stop(grace=None)


def _exit_with_parent() -> None:
    """Stop when the pulumi CLI that started us is gone (e.g. killed): no orphaned hosts."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _sdk_version() -> str:
    from importlib import metadata

    return metadata.version("pulumi")


def run_job(job: dict) -> int:
    """Child side of ``Run``: configure the SDK's runtime and run the program's ``__main__``."""
    import pulumi
    from pulumi.errors import RunError
    from pulumi.runtime import reset_options, run_in_stack, set_all_config

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    reset_options(
        project=job["project"],
        stack=job["stack"],
        root_directory=job["root_directory"],
        parallel=job["parallel"],
        engine_address=job["engine"],
        monitor_address=job["monitor"],
        preview=job["dry_run"],
        organization=job["organization"],
    )
    set_all_config(job["config"], job["config_secret_keys"] or None)

    program_dir = os.path.abspath(job["program_directory"])
    entry = os.path.join(program_dir, job["entry_point"])
    if os.path.isdir(entry):
        entry = os.path.join(entry, "__main__.py")
    sys.path.insert(0, program_dir)
    sys.argv = [entry]

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if job["parallel"]:
        loop.set_default_executor(futures.ThreadPoolExecutor(max_workers=max(job["parallel"], 1) * 4))
    try:
        loop.run_until_complete(run_in_stack(lambda: runpy.run_path(entry, run_name="__main__")))
    except RunError as exc:
        pulumi.log.error(str(exc))
        return _BAIL
    except Exception:  # the program failed: show its traceback through the engine
        import traceback

        pulumi.log.error(f"Program failed with an unhandled exception:\n{traceback.format_exc()}")
        return _BAIL
    finally:
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["exec"]:
        sys.exit(run_job(json.loads(os.environ["CWTENANTS_LANGHOST_JOB"])))
    positional = [a for a in args if not a.startswith("-")]
    if not positional:
        sys.stderr.write("usage: pulumi-language-python [flags] ENGINE_ADDRESS (started by the pulumi CLI)\n")
        sys.exit(2)
    serve(positional[-1])


if __name__ == "__main__":
    main()
