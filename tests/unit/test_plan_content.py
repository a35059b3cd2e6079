"""plan / drift: Help Center content helpers (the e2e test runs them against the emulator)."""

from __future__ import annotations

from cwtenants.plan_content import body_diff


def test_body_diff_summarises_and_shows_the_changed_lines():
    old = "# Contact\n\nOpen the chat.\n\nWe answer in order.\n"
    new = "# Contact\n\nOpen the chat.\n\nWe answer within one hour.\nAlso by phone.\n"
    assert body_diff(old, new) == ["content: +2 -1 lines (live -> catalog)", "  - We answer in order.",
                                   "  + We answer within one hour.", "  + Also by phone."]


def test_body_diff_is_capped():
    new = "\n".join(f"line {i}" for i in range(40))
    out = body_diff("", new, limit=5)
    assert out[0] == "content: +40 -0 lines (live -> catalog)"
    assert len(out) == 7 and out[-1] == "  … 35 more changed line(s)"
