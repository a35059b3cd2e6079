"""``cwtenants``: the operator CLI (docs/cli.md).

Commands that read the catalog only (validate, schema, new) never touch the network. Commands
that talk to Chatwoot (plan, drift, adopt, doctor) read ``CHATWOOT_URL``, ``CHATWOOT_API_TOKEN``
and ``CHATWOOT_ACCOUNT_ID`` and only ever send GET requests. Tokens are never printed.

Exit codes: 0 ok / in sync, 1 error, 2 drift (plan/drift only; Terraform's -detailed-exitcode).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from .catalog import CatalogError, Problem, load_catalog, scaffold_provider
from .catalog.schema import SCHEMA_FILES, render, write_schemas

TESTED_MIN, TESTED_MAX = (4, 5, 0), (4, 15, 1)
EXIT_OK, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2

app = typer.Typer(
    name="cwtenants",
    help="Give every hosting provider its own Chatwoot inbox, team and Help Center, declared in "
         "providers/*.yaml.\n\nTypical flow: `cwtenants new \"Acme Hosting\"` -> edit the file -> "
         "`cwtenants validate` -> `cwtenants plan` -> open a pull request. See docs/add-a-provider.md.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ProvidersDir = Annotated[Path, typer.Option(
    "--providers-dir", "-d", envvar="CWT_PROVIDERS_DIR",
    help="Folder holding the provider files and _defaults.yaml.")]


# ---------------------------------------------------------------------------------------------
# Output helpers: results on stdout, progress and problems on stderr, colour only on a terminal


def use_colour(stream) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def styler(stream):
    on = use_colour(stream)
    codes = {"green": typer.colors.GREEN, "yellow": typer.colors.YELLOW, "red": typer.colors.RED}

    def style(text: str, colour: str) -> str:
        if not on:
            return text
        if colour == "bold":
            return typer.style(text, bold=True)
        return typer.style(text, fg=codes.get(colour))
    return style


def out(text: str = "") -> None:
    typer.echo(text, color=use_colour(sys.stdout))


def err(text: str, colour: str | None = None) -> None:
    stream = sys.stderr
    typer.echo(styler(stream)(text, colour) if colour else text, err=True, color=use_colour(stream))


class Progress:
    """One line per step on stderr (``--quiet`` silences it)."""

    def __init__(self, quiet: bool = False, prefix: str = ""):
        self.quiet, self.prefix, self.start = quiet, prefix, time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            err(f"{self.prefix}{message} ({time.monotonic() - self.start:.1f}s)")


class CliError(typer.Exit):
    """Exit 1 after an error line (and a fix) on stderr; ``--json`` commands also print it on stdout."""

    def __init__(self, message: str, hint: str = "", problems: list[Problem] | None = None):
        super().__init__(EXIT_ERROR)
        self.message, self.hint, self.problems = message, hint, problems or []

    def to_json(self) -> dict:
        error: dict = {"message": self.message}
        if self.hint:
            error["fix"] = self.hint
        if self.problems:
            error["problems"] = [{"file": p.file, "line": p.line, "col": p.col, "field": p.field,
                                  "message": p.message} for p in self.problems]
        return {"error": error}


def fail(message: str, hint: str = "", problems: list[Problem] | None = None) -> CliError:
    err(f"error: {message}", "red")
    if hint:
        err(f"  fix: {hint}")
    return CliError(message, hint, problems)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def client_from_env(providers_dir: Path | None = None):
    """A ChatwootClient from the stack config, then CHATWOOT_* (raises typer.Exit(1) with a fix when missing)."""
    from .chatwoot import ChatwootClient, ConfigError, Settings
    from .preflight import environment

    try:
        env = environment(providers_dir or Path("providers"))[0]
        settings = Settings.from_env(env, connect_retries=0)  # a closed port fails at once
    except ConfigError as exc:
        raise fail(str(exc), "export CHATWOOT_URL, CHATWOOT_API_TOKEN and CHATWOOT_ACCOUNT_ID "
                             "(`cwtenants emulator` prints them for the local emulator); "
                             "`cwtenants doctor` checks them") from None
    return ChatwootClient(settings)


def load(paths: list[Path]):
    """load_catalog for a folder, one file or several files (raises CatalogError)."""
    if len(paths) == 1:
        return load_catalog(paths[0])
    files = [p for p in paths if p.name != "_defaults.yaml"]
    defaults = next((p for p in paths if p.name == "_defaults.yaml"), None)
    if defaults is None and files and (files[0].parent / "_defaults.yaml").is_file():
        defaults = files[0].parent / "_defaults.yaml"
    return load_catalog(files, defaults_file=defaults)


def _has_providers(folder: Path) -> bool:
    return not folder.is_dir() or any(f.suffix in (".yaml", ".yml") and not f.name.startswith(("_", "."))
                                      for f in folder.iterdir())


def load_or_exit(folder: Path, allow_empty: bool = True):
    """The catalog, or exit 1 listing its problems. An empty folder is an empty catalog."""
    from .catalog import Catalog

    if allow_empty and not _has_providers(folder):
        return Catalog(providers=[])
    try:
        return load([folder])
    except CatalogError as exc:
        for p in exc.problems:
            err(str(p))
        raise fail(f"the catalog in {folder} is invalid ({plural(exc.total, 'problem')})",
                   f"run `cwtenants validate {folder}` and correct the files", exc.problems) from None


# ---------------------------------------------------------------------------------------------
# validate


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github_annotation(p: Problem) -> str:
    line, col = max(p.line, 1), max(p.col, 1)
    return (f"::error file={_gh_escape(p.file, True)},line={line},col={col},"
            f"title={_gh_escape('cwtenants validate', True)}::{_gh_escape(f'{p.field}: {p.message}')}")


@app.command()
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Provider files or a folder (default: the providers folder).", show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text (file:line:col: message) or github "
                                     "(workflow annotations on the pull request's files).")] = "text",
    providers_dir: ProvidersDir = Path("providers"),
) -> None:
    """Check provider files: schema, names, slugs, and clashes between files. No network.

    Every problem is printed as file:line:col: field: message; the exit code is 1 if there is any.
    """
    if fmt not in ("text", "github"):
        raise fail(f"unknown --format {fmt!r}", "use --format text or --format github")
    paths = paths or [providers_dir]
    try:
        catalog = load(paths)
    except CatalogError as exc:
        for p in exc.problems:
            out(github_annotation(p) if fmt == "github" else str(p))
        n = exc.total
        err(f"{n} problem{'s' if n != 1 else ''} found", "red")
        raise typer.Exit(EXIT_ERROR) from None
    n = len(catalog.providers)
    out(f"ok: {n} provider{'s' if n != 1 else ''} valid ({', '.join(catalog.slugs)})")
    if catalog.offboarded:
        out(f"offboarded (retained in Chatwoot, not managed): {', '.join(p.slug for p in catalog.offboarded)}")


# ---------------------------------------------------------------------------------------------
# schema


@app.command()
def schema(
    directory: Annotated[Path, typer.Option("--dir", help="Where the schema files live.")] = Path("schema"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a committed file differs "
                                                        "from the models.")] = False,
) -> None:
    """Write the JSON Schemas of provider files and _defaults.yaml (generated from the models).

    Editors use them for completion (see the `# yaml-language-server: $schema=...` header).
    """
    if not check:
        for path in write_schemas(directory):
            out(f"wrote {path}")
        return
    stale = [name for name, make in SCHEMA_FILES.items()
             if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != render(make())]
    if stale:
        for name in stale:
            err(f"{directory / name} is out of date with the catalog models")
        again = "cwtenants schema" + ("" if directory == Path("schema") else f" --dir {directory}")
        raise fail("schema files differ", f"run `{again}` and commit the result")
    out(f"ok: {', '.join(str(directory / n) for n in SCHEMA_FILES)} are up to date")


# ---------------------------------------------------------------------------------------------
# new


def _portal_prefix(folder: Path) -> str:
    import yaml

    path = folder / "_defaults.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        return ""
    return str(((data or {}).get("portal") or {}).get("portal_slug_prefix") or "") if isinstance(data, dict) else ""


def _schema_path(folder: Path) -> str:
    """The provider schema for the editor header of a new file in ``folder``: relative to it when a
    schema/ is above the folder (a checkout), else this installation's, by absolute path."""
    folder = folder.resolve()
    for base in (folder, *folder.parents):
        if (base / "schema" / "provider.schema.json").is_file():
            return Path(os.path.relpath(base / "schema" / "provider.schema.json", folder)).as_posix()
    return (Path(__file__).resolve().parents[2] / "schema" / "provider.schema.json").as_posix()


def _new_hint(problems: list[Problem]) -> str:
    """What to change, from what the new file broke."""
    text = " ".join(p.message for p in problems) + " " + " ".join(p.field for p in problems)
    hints = []
    if "provider slug" in text or "portal slug" in text:
        hints.append("another provider has this slug or portal slug: pass another --slug")
    if "inbox name" in text or "team name" in text:
        hints.append("another provider's inbox or team already has the name derived from NAME: choose "
                     "another NAME (or create the file with another NAME, then set inbox.name/team.name in it)")
    if "timezone" in text:
        hints.append("pass an IANA --timezone such as Europe/Berlin")
    if "locale" in text:
        hints.append("pass --locale codes such as en, de, pt_BR, each once")
    return "; ".join(hints) or "see the problems above"


def _problems(folder: Path) -> list[Problem]:
    if not _has_providers(folder):
        return []
    try:
        load([folder])
    except CatalogError as exc:
        return exc.problems
    return []


@app.command()
def new(
    name: Annotated[str, typer.Argument(help='Display name of the provider, e.g. "Acme Hosting".')],
    slug: Annotated[Optional[str], typer.Option(help="Provider key (default: derived from the name).")] = None,
    group: Annotated[Optional[str], typer.Option(help="Optional group, e.g. a region.")] = None,
    timezone: Annotated[Optional[str], typer.Option(help="Inbox timezone, e.g. Europe/Berlin "
                                                         "(default: _defaults.yaml).")] = None,
    locale: Annotated[Optional[list[str]], typer.Option(help="Portal locale; repeat for several, the first "
                                                              "is the default.")] = None,
    providers_dir: ProvidersDir = Path("providers"),
) -> None:
    """Create providers/<slug>.yaml for a new provider, with derived slug and portal slug.

    Refuses to overwrite an existing file, and validates the catalog with the new file in it.
    """
    try:
        text = scaffold_provider(name, slug=slug, group=group, timezone=timezone, locales=locale,
                                 portal_slug_prefix=_portal_prefix(providers_dir),
                                 schema_path=_schema_path(providers_dir))
    except ValueError as exc:
        raise fail(str(exc), "--slug takes 2-50 lower-case letters and digits in groups joined by single "
                             "hyphens, e.g. --slug acme-hosting") from None
    import yaml

    final_slug = yaml.safe_load(text)["slug"]
    target = providers_dir / f"{final_slug}.yaml"
    if target.exists():
        raise fail(f"{target} already exists; not overwriting it", "edit that file, or choose another --slug")
    providers_dir.mkdir(parents=True, exist_ok=True)
    before = _problems(providers_dir)
    target.write_text(text, encoding="utf-8")
    added = [p for p in _problems(providers_dir) if str(p) not in {str(b) for b in before}]
    if added:  # problems the new file causes (in itself, or a clash reported on another file)
        for p in added:
            err(str(p))
        target.unlink()
        raise fail(f"the new file would not be valid, so {target} was not written", _new_hint(added))
    if before:
        err(f"warning: other files of {providers_dir} have problems ({plural(len(before), 'problem')}); "
            f"`cwtenants validate` lists them. {target} itself is valid.", "yellow")
    out(f"created {target}")
    err("next: edit it (docs/catalog.md lists every field), then `cwtenants validate` and `cwtenants plan`")


# ---------------------------------------------------------------------------------------------
# plan / drift


def _plan(providers_dir: Path, as_json: bool, members: bool, verbose: bool, quiet: bool, what: str,
          content: bool = True) -> None:
    from .chatwoot import ChatwootError
    from .plan import compute_plan, render_text
    from .preflight import PreflightError, checked_stack

    try:
        catalog = load_or_exit(providers_dir)
        client = client_from_env(providers_dir)
        progress = Progress(quiet, f"{what}: ")
        try:
            with client:
                stack = checked_stack(client, providers_dir)
                result = compute_plan(catalog, client, members=members, progress=progress, stack=stack,
                                      content=content)
        except PreflightError as exc:
            raise fail(exc.message, exc.hint) from None
        except ChatwootError as exc:
            hint = getattr(exc, "hint", "") or ""
            said = str(exc).replace(f" (hint: {hint})", "") if hint else str(exc)  # the hint goes on the fix line
            if not hint and exc.status is not None and exc.status >= 500:
                hint = "Chatwoot failed on a read (server error); look at its logs, then run this again"
            raise fail(f"reading Chatwoot failed: {said}",
                       f"{hint}{'; ' if hint else ''}`cwtenants doctor` checks the connection") from None
    except CliError as exc:
        if as_json:  # a JSON reader gets a JSON answer, also on an error
            out(json.dumps(exc.to_json(), indent=2))
        raise
    if as_json:
        out(json.dumps(result.to_json(), indent=2, default=str))
    else:
        out(render_text(result, verbose=verbose, style=styler(sys.stdout)).rstrip("\n"))
        if result.drift:
            out("Result: drift — `pulumi up` would change Chatwoot." if what == "plan" else
                "Result: drift — Chatwoot differs from the catalog.")
        else:
            out("Result: in sync — nothing to do.")
    raise typer.Exit(EXIT_DRIFT if result.drift else EXIT_OK)


_PLAN_HELP = (
    "Compare the catalog with live Chatwoot, read-only and without Pulumi state.\n\n"
    "Checks the token's role, lists inboxes, teams, portals and agents once each (5 requests, however many "
    "providers, plus one per portal to create: is its slug another account's?), matches them by the ids "
    "the stack recorded (a renamed object shows as renamed), else by inbox name, team name and portal slug, "
    "and shows per provider and object what `pulumi up` would create or change. Objects in Chatwoot that "
    "no provider claims are listed as unmanaged.\n\n"
    "Help Center categories and articles are compared for providers that declare some: one category list "
    "and one article page per 25 articles per existing portal (no request per article; --no-content skips it).\n\n"
    "Exit code: 0 in sync, 2 drift, 1 error."
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
MembersOpt = Annotated[bool, typer.Option("--members", help="Also compare team and inbox members (two more "
                                                            "requests per provider).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Also list objects that are in sync.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")]
NoContentOpt = Annotated[bool, typer.Option("--no-content", help="Do not compare Help Center categories and "
                                                                 "articles (saves their list requests).")]


@app.command(help=_PLAN_HELP)
def plan(providers_dir: ProvidersDir = Path("providers"), as_json: JsonOpt = False, members: MembersOpt = False,
         verbose: VerboseOpt = False, quiet: QuietOpt = False, no_content: NoContentOpt = False) -> None:
    _plan(providers_dir, as_json, members, verbose, quiet, "plan", not no_content)


@app.command(help=_PLAN_HELP.replace("Compare", "Report drift: compare", 1))
def drift(providers_dir: ProvidersDir = Path("providers"), as_json: JsonOpt = False, members: MembersOpt = False,
          verbose: VerboseOpt = False, quiet: QuietOpt = False, no_content: NoContentOpt = False) -> None:
    _plan(providers_dir, as_json, members, verbose, quiet, "drift", not no_content)


# ---------------------------------------------------------------------------------------------
# adopt


@app.command()
def adopt(
    names: Annotated[Optional[list[str]], typer.Argument(
        help="Adopt only these (a provider name, slug or object name, as `--dry-run` lists them); "
             "default: everything unclaimed.", show_default=False)] = None,
    providers_dir: ProvidersDir = Path("providers"),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the files instead of writing them.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write provider files for Chatwoot objects that no provider file claims yet.

    Inboxes "X Support", teams "x team" and portals "X Help Center" are grouped by the common
    name "X" into one provider. The files are validated together with the existing catalog;
    `pulumi up` then adopts the objects instead of creating new ones.
    """
    from .adopt import adopt as make_files
    from .chatwoot import ChatwootError
    from .plan import LiveIndex
    from .preflight import PreflightError, checked_stack, members_reader

    catalog = load_or_exit(providers_dir)
    client = client_from_env(providers_dir)
    skipped: list[str] = []
    try:
        with client:
            stack = checked_stack(client, providers_dir)
            live = LiveIndex.fetch(client, Progress(quiet, "adopt: "))
            files = make_files(catalog, live, members_reader(client), stack.owned_ids() if stack else None,
                               skipped, portal_slug_prefix=_portal_prefix(providers_dir))
    except PreflightError as exc:
        raise fail(exc.message, exc.hint) from None
    except ChatwootError as exc:
        raise fail(f"reading Chatwoot failed: {exc}", "`cwtenants doctor` checks the connection") from None
    for line in skipped:
        err(f"not adopted: {line}", "yellow")
    if not files:
        out("nothing to adopt: every inbox, team and portal belongs to a provider file")
        return
    if names:
        files = _chosen(files, names)
    # validate the result together with the existing files, in a scratch copy
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "providers"
        if providers_dir.is_dir():
            shutil.copytree(providers_dir, scratch)
        scratch.mkdir(exist_ok=True)
        for f in files:
            (scratch / f"{f.slug}.yaml").write_text(f.text, encoding="utf-8")
        try:
            load([scratch])
        except CatalogError as exc:
            for p in exc.problems:
                err(str(p).replace(str(scratch), str(providers_dir)))
            raise fail("the adopted files would not be valid; nothing was written") from None
    for f in files:
        target = providers_dir / f"{f.slug}.yaml"
        if dry_run:
            out(f"--- {target} (dry run, not written)")
            out(f.text.rstrip("\n"))
            continue
        providers_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(f.text, encoding="utf-8")
        out(f"wrote {target} ({', '.join(f.objects)})")
    if not dry_run:
        err("next: review the files, then `cwtenants plan`: it shows what `pulumi up` would still change in "
            "the adopted objects (e.g. linking an inbox to its provider's portal) and create (the parts "
            "not found); then open a PR")
    elif not names and len(files) > 1:
        err("adopt only some of them: `cwtenants adopt NAME ...` (the provider names or slugs above)")


def _chosen(files: list, names: list[str]) -> list:
    """The adopted files the user named (provider name, slug or one of its objects' names)."""
    def keys(f) -> set[str]:
        return {f.slug, f.name.casefold()} | {o.split(" ", 1)[1].strip("'").casefold() for o in f.objects}

    wanted = [n.casefold() for n in names]
    unknown = [n for n, w in zip(names, wanted) if not any(w in keys(f) for f in files)]
    if unknown:
        raise fail(f"nothing unclaimed is called {', '.join(map(repr, unknown))}",
                   "choose among: " + ", ".join(f"{f.slug} ({', '.join(f.objects)})" for f in files))
    return [f for f in files if keys(f) & set(wanted)]


# ---------------------------------------------------------------------------------------------
# emulator


@app.command()
def emulator(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 = a free one, printed).")] = 3917,
    state_dir: Annotated[Path, typer.Option(help="SQLite state and tokens.json.")] = Path(".emulator"),
    reset: Annotated[bool, typer.Option("--reset", help="Wipe the state first (new tokens).")] = False,
    latency_ms: Annotated[float, typer.Option(help="Delay added to every request.")] = 0.0,
) -> None:
    """Run the embedded Chatwoot emulator (a local stand-in for Chatwoot 4.15.1) until Ctrl-C.

    It prints the environment to export in another shell; the tokens stay in <state-dir>/tokens.json.
    Exit 1 with one line when the port is taken or the server there is not the emulator just started.
    """
    from . import local_emulator

    if reset:
        subprocess.run([sys.executable, "-m", "chatwoot_emulator", "reset", "--state-dir", str(state_dir)],
                       check=True, stdout=subprocess.DEVNULL)

    def on_term(_sig, _frame):  # SIGTERM stops the emulator too, like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    try:
        started = local_emulator.start(port, state_dir, latency_ms)
    except local_emulator.EmulatorStartError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_OK) from None
    try:
        tokens, url = started.tokens_path, started.url
        account = json.loads(tokens.read_text())["account_id"]
        read = f"python3 -c 'import json;print(json.load(open(\"{tokens.resolve()}\"))[\"admin_token\"])'"
        err(f"emulator ready at {url} (state in {state_dir}); in another shell:", "green")
        err(f"  export CHATWOOT_URL={url} CHATWOOT_ACCOUNT_ID={account}")
        err(f"  export CHATWOOT_API_TOKEN=\"$({read})\"")
        err("  cwtenants doctor")
        err("Press Ctrl-C to stop.")
        code = started.proc.wait()
        raise typer.Exit(code)
    except KeyboardInterrupt:
        err("emulator stopped")
    finally:
        local_emulator.stop(started.proc)


# ---------------------------------------------------------------------------------------------
# doctor


def _version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(x) for x in text.strip().lstrip("v").split("-")[0].split(".")[:3])
    except ValueError:
        return None


class _StopChecks(Exception):
    """doctor: a check failed that the next ones depend on."""


@app.command()
def doctor() -> None:
    """Check the connection to Chatwoot: URL, version, token, the token's role, the account.

    Says what is wrong and how to fix it; exit code 1 if any check fails (warnings do not fail).
    """
    from .chatwoot import ChatwootClient, ChatwootError, ConfigError, Settings, TransportError, Unauthorized

    style = styler(sys.stdout)
    failures = 0

    def ok(msg: str) -> None:
        out(style("ok   ", "green") + msg)

    def warn(msg: str) -> None:
        out(style("warn ", "yellow") + msg)

    def bad(msg: str, fix: str) -> None:
        nonlocal failures
        failures += 1
        out(style("FAIL ", "red") + msg)
        out(f"     fix: {fix}")

    from .preflight import environment
    from .toolchain import describe  # which pulumi CLI and language host (never fails the check)

    for fine, msg in describe():
        (ok if fine else warn)(msg)
    try:
        env, from_stack = environment(Path(os.environ.get("CWT_PROVIDERS_DIR") or "providers"))
        try:
            settings = Settings.from_env(env)
        except ConfigError as exc:
            bad(str(exc), "export CHATWOOT_URL (e.g. https://chat.example.com), CHATWOOT_API_TOKEN (Profile "
                          "settings -> Access Token of an administrator) and CHATWOOT_ACCOUNT_ID (the number in "
                          "/app/accounts/<id>/ URLs); for a local try-out run `cwtenants emulator`")
            raise _StopChecks
        ok(f"settings: CHATWOOT_URL={settings.url}, CHATWOOT_ACCOUNT_ID={settings.account_id}, "
           "CHATWOOT_API_TOKEN is set (not shown)"
           + (f"; from the stack config: {', '.join(from_stack)}" if from_stack else ""))

        with ChatwootClient(settings.__class__(**{**_settings_kwargs(settings), "max_retries": 1, "connect_retries": 0})) as c:
            try:
                info = c.api_version() or {}
            except TransportError as exc:
                bad(f"cannot reach {settings.url}: {exc.message}",
                    "check CHATWOOT_URL (scheme, host, port) and that the server is running "
                    "(for the emulator: `cwtenants emulator`)")
                raise _StopChecks from None
            except ChatwootError as exc:
                if exc.status is not None and exc.status >= 500:
                    bad(f"{settings.url}/api answered {exc.status}: {exc.message} (Chatwoot is reachable but failing)",
                        "look at the Chatwoot server's logs (Rails log, Sidekiq) and its database/Redis; "
                        "run `cwtenants doctor` again once GET /api answers")
                else:
                    bad(f"{settings.url}/api answered {exc.status}: {exc.message}",
                        "CHATWOOT_URL must be the base URL of Chatwoot (without /app or /api)")
                raise _StopChecks from None
            raw = str(info.get("version") or "")
            version = _version(raw)
            from .local_emulator import emulator_instance

            is_emulator = emulator_instance(settings.url) is not None
            what = "the cwtenants Chatwoot emulator" if is_emulator else "Chatwoot"
            if version is None:
                warn(f"{settings.url} is reachable but GET /api gives no version ({raw!r}); is it Chatwoot?")
            elif TESTED_MIN <= version <= TESTED_MAX:
                ok(f"{settings.url} is {what} {raw} (tested range 4.5.0-4.15.1)")
            else:
                warn(f"{settings.url} is {what} {raw}, outside the tested range 4.5.0-4.15.1; it may work, "
                     "but nothing guarantees it")

            try:
                profile = c.request("GET", "/api/v1/profile", token=settings.api_token) or {}
            except Unauthorized:
                bad("CHATWOOT_API_TOKEN is not accepted (401 on GET /api/v1/profile)",
                    "copy the access token again from Chatwoot: Profile settings -> Access Token "
                    "(for the emulator: admin_token in <state-dir>/tokens.json)")
                raise _StopChecks from None
            except ChatwootError as exc:
                bad(f"GET /api/v1/profile failed: {exc}", "check the token and the server logs")
                raise _StopChecks from None
            ok(f"token is valid: user {profile.get('email') or profile.get('name') or profile.get('id')}")

            accounts = profile.get("accounts") or []
            mine = next((a for a in accounts if a.get("id") == settings.account_id), None)
            if mine is None:
                listed = ", ".join(f"{a.get('id')} ({a.get('name')})" for a in accounts) or "none"
                bad(f"account {settings.account_id} does not exist or the token's user is not a member of it "
                    f"(the user's accounts: {listed})",
                    "set CHATWOOT_ACCOUNT_ID to one of those, or add the user to the account")
            else:
                ok(f"account {settings.account_id} ({mine.get('name')}) exists and the user is a member")
                if mine.get("role") != "administrator":
                    bad(f"the token's user is '{mine.get('role')}' in account {settings.account_id}, "
                        "but managing inboxes, teams and portals needs 'administrator'",
                        "use an administrator's access token, or make this user an administrator "
                        "(Settings -> Agents -> Edit -> Role)")
                else:
                    ok("the token's user is an administrator of the account")
                try:
                    c.get("/teams")
                    ok("account API answers (GET /teams)")
                except ChatwootError as exc:
                    bad(f"GET {settings.account_prefix}/teams failed: {exc}",
                        "check the account id and the user's access to it")
                from .isolation import custom_roles_feature

                on, where = custom_roles_feature(c)  # docs/isolation.md "Custom roles"
                if on:
                    ok(f"custom roles: the account has the custom_roles feature ({where})")
                else:
                    warn("custom roles: " + (f"the account does not have the custom_roles feature ({where})"
                                             if on is False else
                                             f"cannot tell whether the custom_roles feature is on ({where})")
                         + "; roles declared under `custom_roles:` in _defaults.yaml will not take effect "
                         "(agents keep the plain agent role)")
            if settings.platform_token:
                try:
                    c.platform_get(f"/accounts/{settings.account_id}")
                    ok(f"the platform token is valid and may manage account {settings.account_id}")
                except ChatwootError as exc:
                    bad(f"CHATWOOT_PLATFORM_TOKEN is not usable for account {settings.account_id} "
                        f"({exc.status}: {exc.message})",
                        "copy the Platform App token again (Super Admin -> Platform Apps) and make sure the "
                        "account was created by that app or granted to it; or unset CHATWOOT_PLATFORM_TOKEN")
    except _StopChecks:  # the later checks need this one: skip them, the summary still comes
        skipped = " (the checks after it were skipped)"
    else:
        skipped = ""
    if failures:
        out(style(f"{plural(failures, 'check')} failed{skipped}", "red"))
        raise typer.Exit(EXIT_ERROR)
    out(style("all checks passed", "green"))


@app.command("verify-isolation")
def verify_isolation(providers_dir: ProvidersDir = Path("providers"), as_json: JsonOpt = False,
                     quiet: QuietOpt = False) -> None:
    """Check that no provider's person can reach another provider's inbox or team (read-only).

    Needs an administrator's token. Reads roles, inbox members and team members (3 list calls + 2 per
    provider). Exit code: 0 isolated, 2 someone reaches another provider's corner, 1 error. docs/isolation.md.
    """
    from .isolation import command

    command(providers_dir, as_json, quiet)


def _settings_kwargs(s) -> dict:
    from dataclasses import fields

    return {f.name: getattr(s, f.name) for f in fields(s)}


# onboard / offboard live in their own module (docs/onboarding.md)
from .onboard import register as _register_onboard  # noqa: E402

_register_onboard(app)


def main() -> None:  # pragma: no cover - console entry for `python -m cwtenants.cli`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
