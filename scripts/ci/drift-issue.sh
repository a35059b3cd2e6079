#!/usr/bin/env bash
# Keep ONE open issue labelled LABEL (default: drift) in step with the nightly drift check.
#   drift-issue.sh open REPORT_FILE   drift found: edit the open issue's body, or open one
#   drift-issue.sh resolve            no drift: comment on the open issue and close it
# Needs: gh (authenticated through GH_TOKEN), GITHUB_REPOSITORY=owner/name.
set -euo pipefail
mode=${1:?usage: drift-issue.sh open REPORT_FILE | resolve}
label=${DRIFT_LABEL:-drift}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must be owner/name}
run_url="${GITHUB_SERVER_URL:-https://github.com}/$repo/actions/runs/${GITHUB_RUN_ID:-}"
title="Drift between providers/ and Chatwoot"

number=$(gh issue list --repo "$repo" --label "$label" --state open --limit 1 --json number --jq '.[0].number // empty')

case "$mode" in
  open)
    report=${2:?report file missing}
    [ -f "$report" ] || { echo "drift-issue: $report not found" >&2; exit 1; }
    body=$(mktemp); trap 'rm -f "$body"' EXIT
    {
      echo "The nightly check found Chatwoot out of step with the catalog ($(date -u +%Y-%m-%dT%H:%MZ), [run]($run_url))."
      echo "Run \`pulumi up\` (merge to main does) to converge, or change the provider files. This issue is"
      echo "updated every night and closed by the first night without drift."
      echo
      echo '```'
      head -c 60000 "$report"
      echo '```'
    } > "$body"
    if [ -n "$number" ]; then
      gh issue edit "$number" --repo "$repo" --body-file "$body"
      echo "drift-issue: updated #$number"
    else
      gh label create "$label" --repo "$repo" --color d93f0b --description "Chatwoot differs from providers/" --force
      gh issue create --repo "$repo" --title "$title" --label "$label" --body-file "$body"
      echo "drift-issue: opened a new issue"
    fi
    ;;
  resolve)
    if [ -n "$number" ]; then
      gh issue close "$number" --repo "$repo" --comment "No drift any more ($(date -u +%Y-%m-%dT%H:%MZ), [run]($run_url))."
      echo "drift-issue: closed #$number"
    else
      echo "drift-issue: no drift and no open issue: nothing to do"
    fi
    ;;
  *) echo "drift-issue: unknown mode '$mode' (open | resolve)" >&2; exit 2 ;;
esac
