#!/usr/bin/env bash
# The steps of .github/workflows/onboard.yml: a marketplace event -> providers/<slug>.yaml on
# main -> that provider's objects in Chatwoot. Also usable by any job runner (docs/onboarding.md).
#
#   onboard-event.sh file      EVENT + RECORD -> write providers/<slug>.yaml (provider-onboarded), or
#                              record the policy and remove it (provider-offboarded); nothing applied
#   onboard-event.sh publish   commit the change and push it to BASE_BRANCH (default main), rebasing and
#                              retrying when another event pushed first; with ONBOARD_VIA_PR=true push a
#                              branch and open a pull request with auto-merge instead
#   onboard-event.sh apply     the targeted update of that provider only (cwtenants onboard/offboard again:
#                              the file is as committed, so only the apply part has work left)
#
# Environment: EVENT (provider-onboarded | provider-offboarded), RECORD (the event payload, JSON),
# BASE_BRANCH, ONBOARD_VIA_PR, PUSH_ATTEMPTS (default 5); for publish with a PR: gh authenticated
# through GH_TOKEN; GITHUB_OUTPUT (optional) receives slug= and changed=.
set -euo pipefail
step=${1:?usage: onboard-event.sh file|publish|apply}
event=${EVENT:?EVENT must be provider-onboarded or provider-offboarded}
record=${RECORD:?RECORD (the event payload) is empty}
base=${BASE_BRANCH:-main}

case "$event" in
  provider-onboarded|provider-offboarded) ;;
  *) echo "onboard-event: unknown event type '$event'" >&2; exit 2 ;;
esac

slug=$(printf '%s' "$record" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d.get("slug") if isinstance(d, dict) else None; print(s if isinstance(s, str) else "")')
if ! [[ "$slug" =~ ^[a-z0-9]+(-[a-z0-9]+)*$ ]]; then
  # the command itself reports every problem of the record as `field: message`
  [ "$event" = provider-onboarded ] && printf '%s' "$record" | cwtenants onboard --no-apply -
  echo "onboard-event: the payload has no valid slug" >&2
  exit 1
fi
file="providers/$slug.yaml"

case "$step" in
  file)
    if [ "$event" = provider-onboarded ]; then
      printf '%s' "$record" | cwtenants onboard --no-apply -
    else
      cwtenants offboard "$slug" --prepare
    fi
    changed=false
    if [ -n "$(git status --porcelain -- "$file")" ]; then changed=true; fi
    echo "onboard-event: $file changed=$changed"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
      { echo "slug=$slug"; echo "changed=$changed"; } >> "$GITHUB_OUTPUT"
    fi
    ;;
  publish)
    if [ -z "$(git status --porcelain -- "$file")" ]; then
      echo "onboard-event: $file is unchanged; nothing to commit"
      exit 0
    fi
    name=$(printf '%s' "$record" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("name") or "")')
    if [ "$event" = provider-onboarded ]; then
      verb=$([ -n "$(git ls-files -- "$file")" ] && echo "update" || echo "onboard")
      message="providers: $verb $slug ($name) from the marketplace"
    else
      message="providers: offboard $slug from the marketplace"
    fi
    git config user.name "${GIT_AUTHOR_NAME:-cwtenants-onboarding}"
    git config user.email "${GIT_AUTHOR_EMAIL:-cwtenants-onboarding@users.noreply.github.com}"
    git add -A -- "$file"
    git commit -q -m "$message" -m "Event $event (run ${GITHUB_RUN_ID:-local}); written by cwtenants."
    if [ "${ONBOARD_VIA_PR:-false}" = true ]; then
      branch="onboarding/$slug-${GITHUB_RUN_ID:-$(date +%s)}"
      git push -q origin "HEAD:refs/heads/$branch"
      url=$(gh pr create --base "$base" --head "$branch" --title "$message" \
              --body "Opened by the onboarding workflow for the marketplace event \`$event\` ($slug). It merges itself once the required checks pass.")
      gh pr merge --auto --squash "$url"
      echo "onboard-event: opened $url (auto-merge)"
      exit 0
    fi
    attempts=${PUSH_ATTEMPTS:-5}
    for i in $(seq 1 "$attempts"); do
      if git push -q origin "HEAD:$base"; then
        echo "onboard-event: pushed \"$message\" to $base"
        exit 0
      fi
      echo "onboard-event: push to $base rejected (attempt $i/$attempts); rebasing on the new $base" >&2
      sleep $((i * 2))
      git fetch -q origin "$base"
      git rebase -q "origin/$base"
    done
    echo "onboard-event: could not push to $base after $attempts attempts" >&2
    exit 1
    ;;
  apply)
    if [ "$event" = provider-onboarded ]; then
      printf '%s' "$record" | cwtenants onboard -
    else
      cwtenants offboard "$slug"
    fi
    ;;
  *) echo "onboard-event: unknown step '$step'" >&2; exit 2 ;;
esac
