"""find_or_create: a create is sent at most once per outcome we know about (issue 5, client rules)."""

import pytest

from cwtenants.chatwoot.errors import OutcomeUnknown, ServerError, Unprocessable
from cwtenants.resources.base import find_or_create


class World:
    def __init__(self, existing=None, post_results=()):
        self.objects = list(existing or [])
        self.post_results = list(post_results)  # each: "ok", "lost", "lost-uncommitted", "taken", "500"
        self.posts = 0
        self.finds = []

    def find(self, fresh):
        self.finds.append(fresh)
        return self.objects[0] if self.objects else None

    def post(self):
        self.posts += 1
        outcome = self.post_results.pop(0)
        if outcome == "ok":
            self.objects.append({"id": self.posts})
            return self.objects[-1]
        if outcome == "lost":  # committed, response lost
            self.objects.append({"id": self.posts})
            raise OutcomeUnknown("POST", "/x", None, "response lost")
        if outcome == "lost-uncommitted":
            raise OutcomeUnknown("POST", "/x", None, "response lost")
        if outcome == "taken":
            self.objects.append({"id": 99})  # a concurrent run made it
            raise Unprocessable("POST", "/x", 422, "Name has already been taken", attributes=["name"])
        raise ServerError("POST", "/x", 500, "Internal Server Error")


def run(w, taken=lambda e: isinstance(e, Unprocessable)):
    return find_or_create(w.find, w.post, taken=taken)


def test_existing_object_is_adopted_without_post():
    w = World(existing=[{"id": 7}])
    assert run(w) == ({"id": 7}, True) and w.posts == 0


def test_lost_response_of_a_committed_create_is_found_not_resent():
    w = World(post_results=["lost"])
    assert run(w) == ({"id": 1}, False)
    assert w.posts == 1 and w.finds == [False, True]  # the second lookup bypasses the list cache


def test_lost_response_not_yet_visible_is_not_sent_again_in_this_run():
    """Late commit: the server may still finish the first POST (its client timed out); a second
    POST now could make a duplicate inbox. The resource fails; the next run adopts."""
    from cwtenants.resources.base import ReconcileError

    w = World(post_results=["lost-uncommitted", "ok"])
    with pytest.raises(ReconcileError, match="not sent again. Run `pulumi up` again: it adopts"):
        run(w)
    assert w.posts == 1 and w.finds == [False, True]
    w.objects.append({"id": 1})  # the late commit lands; the next run adopts it
    assert run(w) == ({"id": 1}, True) and w.posts == 1


def test_conflict_from_a_concurrent_run_adopts():
    w = World(post_results=["taken"])
    assert run(w) == ({"id": 99}, True) and w.posts == 1


def test_server_error_on_post_is_not_retried_blindly():
    w = World(post_results=["500"])
    with pytest.raises(ServerError):
        run(w)
    assert w.posts == 1


def test_conflict_that_is_not_ours_to_adopt_is_raised():
    w = World(post_results=["taken"])
    w.find = lambda fresh: None
    with pytest.raises(Unprocessable):
        run(w)


def test_members_of_a_team_created_in_this_run_are_not_read_again():
    """A just-created team has no members: its membership resource skips the GET (bench: ~1/3 of
    a first up's requests); an adopted team's members are read."""
    from cwtenants.resources import base
    from cwtenants.resources.members import TeamMembersKind

    calls = []

    class FakeClient:
        def get(self, path):
            calls.append(("GET", path))
            return []

        def patch(self, path, json):
            calls.append(("PATCH", path, json))
            return []

        post = delete = patch  # not expected here; recorded as PATCH if they were

    inputs = {"target_id": 5, "members": ["a@x.example"], "user_ids": {"a@x.example": 9},
              "membership": "authoritative", "provider_slug": "p"}
    base.created_empty.clear()
    try:
        base.created_empty.add(("team", 5))
        TeamMembersKind().create(FakeClient(), inputs)
        assert calls == [("PATCH", "/teams/5/team_members", {"user_ids": [9]})]
        calls.clear()
        TeamMembersKind().create(FakeClient(), {**inputs, "target_id": 6})  # adopted team 6
        assert calls[0] == ("GET", "/teams/6/team_members")
    finally:
        base.created_empty.clear()
