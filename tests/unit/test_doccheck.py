"""Every shell snippet of the docs is run by the doc-check or says why not (tests/doccheck.py)."""

from __future__ import annotations

import doccheck


def test_every_shell_block_is_run_or_says_why_not():
    unmarked = [b.where for doc in doccheck.DOCS for b in doccheck.blocks(doc) if b.action is None]
    assert not unmarked, ("shell blocks without `<!-- doc-check: run SCENARIO -->` or "
                          f"`<!-- doc-check: skip REASON -->` on the line before: {unmarked}")
    skips = [b for doc in doccheck.DOCS for b in doccheck.blocks(doc) if b.action == "skip"]
    assert all(b.arg for b in skips), [b.where for b in skips if not b.arg]  # a reason is given


def test_the_scenarios_exist_and_cover_the_newcomer_docs():
    files = {b.file.name for b in doccheck.scenario("add-a-provider")}
    assert files == {"add-a-provider.md"}
    assert {b.file.name for b in doccheck.scenario("team-shards")} == {"team.md"}


def test_script_checks_documented_exit_codes_and_output(tmp_path):
    md = tmp_path / "x.md"
    md.write_text('<!-- doc-check: run s -->\n```sh\ntrue                # exit 0\n'
                  'sh -c "echo hello; exit 2"   # exit 2: "hello"\n```\n')
    script = doccheck.to_script(doccheck.blocks(md))
    ok = doccheck.run(script, tmp_path, doccheck.clean_env())
    assert ok.returncode == 0 and "doc-check: ok" in ok.stderr, ok.stderr
    md.write_text('<!-- doc-check: run s -->\n```sh\nsh -c "echo bye; exit 2"   # exit 2: "hello"\n```\n')
    bad = doccheck.run(doccheck.to_script(doccheck.blocks(md)), tmp_path, doccheck.clean_env())
    assert bad.returncode == 1 and "x.md:3" in bad.stderr and "output lacks 'hello'" in bad.stderr
    md.write_text('<!-- doc-check: run s -->\n```sh\nfalse\n```\n')
    bad = doccheck.run(doccheck.to_script(doccheck.blocks(md)), tmp_path, doccheck.clean_env())
    assert bad.returncode == 1 and "exit 1, the doc says 0" in bad.stderr
