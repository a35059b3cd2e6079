"""Hostile and broken catalogs: each one ends as ``file:line:col: field: message`` lines, exit 1,
no traceback, in bounded memory.

Every case runs ``python -m cwtenants.catalog check providers`` in a child process whose address
space is limited (RLIMIT_AS) and whose run time is limited only generously (a hang, not a speed
measurement): a YAML bomb or a recursion that is not bounded in the loader shows up as a
MemoryError / RecursionError traceback or a killed child, and the exact-output comparison fails.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

MEMORY_LIMIT = 768 * 1024 * 1024  # address space of the checking process (the bombs reached 3-5 GB)
HANG_TIMEOUT = 300  # seconds; only catches a run that never ends

A = "slug: acme\nname: Acme\n"
FILE = "providers/acme.yaml"
WEBHOOK_HINT = ("Chatwoot would send conversation data into its own network; list it in _defaults.yaml "
                "inbox.internal_webhook_hosts if intended")
UNKNOWN_KEY = "unknown key '{}' (allowed: slug, name, group, inbox, team, portal, agents, membership, offboarding, offboarded)"


def bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level is a list of `width` aliases to the level before."""
    lines = [A, "l0: &l0 [" + ",".join(["lol"] * width) + "]\n"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]\n")
    return "".join(lines)


def webhook(url: str) -> str:
    return A + f"inbox:\n  webhook_url: {url}\n"


def internal(host: str, reason: str) -> list[str]:
    return [f"{FILE}:4:3: inbox.webhook_url: webhook host '{host}' is {reason}: {WEBHOOK_HINT}"]


def odd_form(host: str) -> list[str]:
    return [f"{FILE}:4:3: inbox.webhook_url: webhook host '{host}' is an IP address written in a non-standard "
            "form (it means 127.0.0.1); write the address in its usual form"]


CREDENTIALS = ("URL must not contain a user name or password (user:password@host): Chatwoot shows it in clear to "
               "every administrator")

# case id -> (files under the test folder: text, bytes or ("symlink", target); expected problem lines)
CASES: dict[str, tuple[dict, list[str]]] = {
    # --- recursion, depth, size -------------------------------------------------------------
    "alias_inside_itself": (
        {FILE: A + "agents: &a [*a]\n"},
        [f"{FILE}:3:13: <yaml>: YAML alias '*a' is used inside its own anchor '&a' (a value that contains itself)"]),
    "block_nesting_3000": (
        {FILE: A + "agents:\n" + "- " * 3000 + "x\n"},
        [f"{FILE}:4:63: <yaml>: YAML limit: nesting is deeper than 32 levels"]),
    "flow_nesting_50000": (
        {FILE: A + "agents: " + "[" * 50_000 + "]" * 50_000 + "\n"},
        [f"{FILE}:3:40: <yaml>: YAML limit: nesting is deeper than 32 levels"]),
    "yaml_bomb_9x9": (
        {FILE: bomb()},
        [f"{FILE}:7:14: <yaml>: YAML limit: more than 20000 values (after expanding aliases)"]),
    "alias_bomb_of_mappings": (
        {FILE: A + "x: &x {" + ", ".join(f"k{i}: [a,a,a,a,a,a,a,a,a,a]" for i in range(50)) + "}\n"
               + "y: &y [" + ",".join(["*x"] * 50) + "]\nz: [" + ",".join(["*y"] * 50) + "]\n"},
        [f"{FILE}:4:104: <yaml>: YAML limit: more than 20000 values (after expanding aliases)"]),
    "integer_5000_digits": (
        {FILE: A + "group: " + "9" * 5000 + "\n"},
        [f"{FILE}:3:8: <yaml>: YAML limit: number with 5000 characters (at most 40)"]),
    "float_103_chars": (
        {FILE: A + "team: {name: 1" + "0" * 100 + ".5}\n"},
        [f"{FILE}:3:14: <yaml>: YAML limit: number with 103 characters (at most 40)"]),
    "file_of_5_mb": (
        {FILE: A + 'portal: {color: "' + "#" * 5_000_000 + '"}\n'},
        [f"{FILE}:1:1: <file>: file is larger than 1000000 bytes (a provider file needs a few KB)"]),
    # --- bytes ----------------------------------------------------------------------------
    "nul_byte": (
        {FILE: "slug: acme\nname: Ac\x00me\n"},
        [f"{FILE}:2:9: <yaml>: YAML error: character U+0000 is not allowed in a YAML file"]),
    "escape_byte_line_3": (
        {FILE: A + "team: {name: Acme\x1b[31m}\n"},
        [f"{FILE}:3:18: <yaml>: YAML error: character U+001B is not allowed in a YAML file"]),
    "not_utf8_on_line_4": (
        {FILE: A.encode() + b"portal:\n  name: Acme \xff Help\n"},
        [f"{FILE}:4:14: <file>: not UTF-8: byte 0xff cannot be decoded (save the file as UTF-8)"]),
    "latin1_after_multibyte": (
        {FILE: A.encode() + "team: {name: Ünïcode\n".encode() + b"  description: caf\xe9}\n"},
        [f"{FILE}:4:19: <file>: not UTF-8: byte 0xe9 cannot be decoded (save the file as UTF-8)"]),
    # --- echoing the input ----------------------------------------------------------------
    "timezone_of_100k_chars": (
        {FILE: A + "inbox: {timezone: " + "E" * 100_000 + "}\n"},
        [f"{FILE}:3:9: inbox.timezone: unknown timezone '" + "E" * 60 + "…' (100000 characters) "
         "(use an IANA id such as 'Europe/Berlin' or 'UTC')"]),
    "colour_of_100k_chars": (
        {FILE: A + 'portal: {color: "' + "x" * 100_000 + '"}\n'},
        [f"{FILE}:3:10: portal.color: '" + "x" * 60 + "…' (100000 characters) does not match: a colour #rgb or "
         "#rrggbb"]),
    "unknown_key_of_900_chars": (
        {FILE: A + "k" * 900 + ": 1\n"},
        [f"{FILE}:3:1: " + "k" * 120 + "… (780 more characters): unknown key '" + "k" * 60 + "…' (900 characters) "
         "(allowed: slug, name, group, inbox, team, portal, agents, membership, offboarding, offboarded)"]),
    "5000_unknown_keys": (
        {FILE: A + "".join(f"k{i}: 1\n" for i in range(5000))},
        [f"{FILE}:{i + 3}:1: k{i}: " + UNKNOWN_KEY.format(f"k{i}") for i in range(20)]
        + [f"{FILE}:23:1: <file>: 4980 more problems in this file not shown (at most 20 per file)"]),
    # --- silently wrong before ------------------------------------------------------------
    "upper_case_extension": (
        {"providers/acme-hosting.YAML": "slug: acme-hosting\nname: Acme\n"},
        ["providers/acme-hosting.YAML:1:1: slug: file name must be 'acme-hosting.yaml' to match the slug, "
         "got 'acme-hosting.YAML'"]),
    "symlink_outside_folder": (
        {"outside/acme.yaml": A, FILE: ("symlink", "../outside/acme.yaml")},
        [f"{FILE}:1:1: <file>: symbolic link to a file outside the catalog folder (copy the file in instead)"]),
    "defaults_symlink_outside_folder": (
        {"outside/d.yaml": "membership: additive\n", FILE: A,
         "providers/_defaults.yaml": ("symlink", "../outside/d.yaml")},
        ["providers/_defaults.yaml:1:1: <file>: symbolic link to a file outside the catalog folder "
         "(copy the file in instead)"]),
    "dangling_symlink": (
        {FILE: ("symlink", "../nowhere.yaml")},
        [f"{FILE}:1:1: <file>: symbolic link whose target does not exist"]),
    "directory_named_yaml": (
        {"providers/acme.yaml/x": "", "providers/other.yaml": "slug: other\nname: Other\n"},
        [f"{FILE}:1:1: <file>: not a regular file"]),
    "empty_folder": (
        {"providers/README": "nothing here\n"},
        ["providers:1:1: <catalog>: no provider files found (expected <slug>.yaml files)"]),
    "python_object_tag_on_mapping": (
        {FILE: A + "inbox: !!python/object:os.system {timezone: UTC}\n"},
        [f"{FILE}:3:8: <yaml>: YAML tag '!!python/object:os.system' is not allowed (write plain values)"]),
    "python_name_tag_on_scalar": (
        {FILE: "slug: acme\nname: !!python/name:os.system x\n"},
        [f"{FILE}:2:7: <yaml>: YAML tag '!!python/name:os.system' is not allowed (write plain values)"]),
    "set_tag_on_sequence_value": (
        {FILE: A + "agents: !!set {a: null}\n"},
        [f"{FILE}:3:9: <yaml>: YAML tag '!!set' is not allowed (write plain values)"]),
    "local_tag": (
        {FILE: A + "team: !secret {name: x}\n"},
        [f"{FILE}:3:7: <yaml>: YAML tag '!secret' is not allowed (write plain values)"]),
    "article_symlink_outside_folder": (
        {"outside/passwd.md": "---\ntitle: Secret\n---\nroot:x:0:0\n", FILE: A,
         "providers/acme/articles/en/acme-passwd.md": ("symlink", "../../../../outside/passwd.md")},
        ["providers/acme/articles/en/acme-passwd.md:1:1: <file>: symbolic link to a file outside the catalog "
         "folder (copy the file in instead)"]),
    "article_of_3_mb": (
        {FILE: A, "providers/acme/articles/en/acme-big.md": "---\ntitle: Big\n---\n" + "x" * 3_000_000},
        ["providers/acme/articles/en/acme-big.md:1:1: <file>: file is larger than 2000000 bytes (an article is "
         "text, images are links)"]),
    # --- webhooks into Chatwoot's own network, credentials in URLs --------------------------
    "webhook_loopback": ({FILE: webhook("http://127.0.0.1/h")}, internal("127.0.0.1", "a loopback address")),
    "webhook_localhost": ({FILE: webhook("http://localhost:3000/h")}, internal("localhost", "a local host name")),
    "webhook_cloud_metadata": (
        {FILE: webhook("http://169.254.169.254/latest/meta-data")},
        internal("169.254.169.254", "a link-local address (cloud metadata services live there)")),
    "webhook_private_10": ({FILE: webhook("http://10.0.0.5/h")}, internal("10.0.0.5", "a private-network address")),
    "webhook_private_192": (
        {FILE: webhook("https://192.168.1.20:8443/h")}, internal("192.168.1.20", "a private-network address")),
    "webhook_carrier_nat": ({FILE: webhook("http://100.64.0.1/h")}, internal("100.64.0.1", "not a public address")),
    "webhook_ipv6_loopback": ({FILE: webhook("http://[::1]/h")}, internal("::1", "a loopback address")),
    "webhook_ipv4_mapped_metadata": (
        {FILE: webhook("http://[::ffff:169.254.169.254]/h")},
        internal("::ffff:169.254.169.254", "a link-local address (cloud metadata services live there)")),
    "webhook_decimal_address": ({FILE: webhook("http://2130706433/h")}, odd_form("2130706433")),
    "webhook_hex_address": ({FILE: webhook("http://0x7f000001/h")}, odd_form("0x7f000001")),
    "webhook_octal_address": ({FILE: webhook("http://0177.0.0.1/h")}, odd_form("0177.0.0.1")),
    "webhook_short_address": ({FILE: webhook("http://127.1/h")}, odd_form("127.1")),
    "webhook_bad_address": (
        {FILE: webhook("http://192.168.1.300/h")},
        [f"{FILE}:4:3: inbox.webhook_url: host '192.168.1.300' is not a valid address"]),
    "webhook_single_label": (
        {FILE: webhook("http://intranet/h")}, internal("intranet", "a single-label (intranet) host name")),
    "webhook_internal_suffix": (
        {FILE: webhook("https://hooks.corp.internal/h")}, internal("hooks.corp.internal", "a local host name")),
    "webhook_not_in_allow_list": (
        {"providers/_defaults.yaml": "inbox:\n  internal_webhook_hosts: [10.0.0.0/8]\n",
         FILE: webhook("http://192.168.0.1/h")},
        internal("192.168.0.1", "a private-network address")),
    "allow_list_bad_entry": (
        {"providers/_defaults.yaml": "inbox:\n  internal_webhook_hosts: [10.0.0.0/8, 'bad host']\n", FILE: A},
        ["providers/_defaults.yaml:2:40: inbox.internal_webhook_hosts[1]: 'bad host' is neither a host name nor "
         "an IP address or network (10.0.0.0/8)"]),
    "webhook_with_credentials": (
        {FILE: webhook("https://user:s3cret@hooks.example.com/h")},
        [f"{FILE}:4:3: inbox.webhook_url: {CREDENTIALS}"]),
    "homepage_with_credentials": (
        {FILE: A + 'portal: {homepage_link: "https://u:p@acme.example/"}\n'},
        [f"{FILE}:3:10: portal.homepage_link: {CREDENTIALS}"]),
    # --- look-alike names ------------------------------------------------------------------
    "name_with_bidi_override": (
        {FILE: 'slug: acme\nname: "Acme\\u202eHosting"\n'},
        [f"{FILE}:2:1: name: must not contain invisible or direction-changing characters "
         "(U+202E RIGHT-TO-LEFT OVERRIDE at position 5)"]),
    "team_name_with_zero_width_space": (
        {FILE: A + 'team: {name: "Ac\\u200bme Team"}\n'},
        [f"{FILE}:3:8: team.name: must not contain invisible or direction-changing characters "
         "(U+200B ZERO WIDTH SPACE at position 3)"]),
    "agent_name_with_bidi_isolate": (
        {FILE: A + 'agents:\n  - {email: alice@acme.example, name: "Alice\\u2066Admin"}\n'},
        [f"{FILE}:4:33: agents[0].name: must not contain invisible or direction-changing characters "
         "(U+2066 LEFT-TO-RIGHT ISOLATE at position 6)"]),
    "name_mixing_cyrillic_and_latin": (
        {FILE: "slug: acme\nname: \u0410\u0441me Hosting\n"},
        [f"{FILE}:2:1: name: mixes Cyrillic and Latin letters in '\u0410\u0441me' (look-alike characters)"]),
    "portal_name_mixing_greek_and_latin": (
        {FILE: A + "portal: {name: \u0391cme Help}\n"},
        [f"{FILE}:3:10: portal.name: mixes Greek and Latin letters in '\u0391cme' (look-alike characters)"]),
    "agent_email_with_cyrillic_a": (
        {FILE: A + "agents:\n  - email: \u0430lice@acme.example\n"},
        [f"{FILE}:4:5: agents[0].email: mixes Cyrillic and Latin letters in '\u0430lice' (look-alike characters)"]),
    "slug_with_cyrillic_a": (
        {"providers/acme.yaml": "slug: \u0430cme\nname: Acme\n"},
        [f"{FILE}:1:1: slug: '\u0430cme' does not match: lower-case letters and digits, separated by single "
         "hyphens"]),
}


def materialise(root: Path, files: dict) -> None:
    (root / "providers").mkdir()
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            path.symlink_to(content[1])
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_check(root: Path, *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    return subprocess.run(list(command) or [sys.executable, "-m", "cwtenants.catalog", "check", "providers"],
                          cwd=root, env=env, capture_output=True, text=True, encoding="utf-8",
                          preexec_fn=_limit_memory, timeout=HANG_TIMEOUT)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_catalog_gives_positioned_problems_in_bounded_memory(tmp_path, case):
    files, expected = CASES[case]
    materialise(tmp_path, files)
    proc = run_check(tmp_path)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    assert proc.returncode == 1, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert lines[1:] == expected, "\n".join(lines)
    assert proc.stdout == ""


def test_the_cli_stops_a_bomb_too(tmp_path):
    """`cwtenants validate` (what the workflows run) on the YAML bomb: same message, exit 1."""
    materialise(tmp_path, {FILE: bomb(), "providers/other.yaml": "slug: other\nname: Other\n"})
    proc = run_check(tmp_path, str(Path(sys.executable).parent / "cwtenants"), "validate")
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{FILE}:7:14: <yaml>: YAML limit: more than 20000 values (after expanding aliases)"]


def test_memory_limit_is_real(tmp_path):
    """The bound used above does stop a process that builds something as big as an expanded bomb."""
    script = f"block = bytearray({2 * MEMORY_LIMIT}); print('built')"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          preexec_fn=_limit_memory, timeout=HANG_TIMEOUT)
    assert "built" not in proc.stdout and "MemoryError" in proc.stderr


@pytest.mark.parametrize("url", ["http://10.1.2.3/h", "http://hooks.corp.internal:8080/h", "http://localhost/h",
                                 "http://[fd00::5]/h"])
def test_internal_webhook_allowed_by_defaults(tmp_path, url):
    from cwtenants.catalog import load_catalog

    materialise(tmp_path, {
        "providers/_defaults.yaml": "inbox:\n  internal_webhook_hosts: [10.0.0.0/8, Hooks.Corp.Internal, localhost, "
                                    "'fd00::/8']\n",
        FILE: webhook(url)})
    assert load_catalog(tmp_path / "providers").providers[0].inbox.webhook_url == url


@pytest.mark.parametrize("name", ["Acme Hosting", "Москва Hosting", "Ελλάδα Cloud", "東京 Hosting",
                                  "Café Ünïcode", "مرحبا Hosting"])
def test_names_in_one_script_per_word_pass(tmp_path, name):
    from cwtenants.catalog import load_catalog

    materialise(tmp_path, {FILE: f"slug: acme\nname: {name}\n"})
    assert load_catalog(tmp_path / "providers").providers[0].name == name
