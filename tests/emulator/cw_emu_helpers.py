"""Shared helpers for the emulator suite (unique module name to avoid clashes with other test dirs)."""

A1 = "/api/v1/accounts/1"


def new_inbox(admin, name="Support", **extra) -> dict:
    body = {"name": name, "channel": {"type": "api", "webhook_url": "https://hooks.example/x"}}
    body.update(extra)
    r = admin.post(f"{A1}/inboxes", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def new_agent(admin, email, role="agent", name=None) -> dict:
    r = admin.post(f"{A1}/agents", json={"email": email, "role": role, "name": name or email.split("@")[0]})
    assert r.status_code == 200, r.text
    return r.json()
