#!/usr/bin/env bash
# Markdown for the PR comment from the output of `pulumi preview --diff`.
#   usage: render-plan.sh TITLE OUTPUT_FILE EXIT_CODE > body.md
# Output longer than MAX_CHARS (default 60000; GitHub allows 65536 per comment) is cut, keeping
# its end (the summary), with a note pointing at the workflow run log.
set -euo pipefail
title=${1:?usage: render-plan.sh TITLE OUTPUT_FILE EXIT_CODE}
file=${2:?output file missing}
code=${3:?exit code missing}
max=${MAX_CHARS:-60000}
run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
if [ "$code" = 0 ]; then status="succeeded"; else status="**failed** (exit code $code)"; fi
size=$(wc -c < "$file")
echo "### $title"
echo
echo "Preview $status for commit \`${GITHUB_SHA:-unknown}\`."
echo
echo '````diff'   # four backticks: a ``` inside the output cannot end the block
if [ "$size" -gt "$max" ]; then
  echo "... (first $((size - max)) characters cut; the whole output is in the run log: $run_url)"
  tail -c "$max" "$file"
else
  cat "$file"
fi
[ -z "$(tail -c 1 "$file")" ] || echo   # the fence needs a line of its own
echo '````'
# Pulumi's "- N to delete" counts everything that leaves the state, also the objects it keeps in
# Chatwoot (offboarding retain/archive: "delete[retain]") and the per-provider grouping entries.
retained=$(grep -cE 'delete ?\[retain\]' "$file" || true)
if [ "$retained" -gt 0 ]; then
  echo
  echo "**Kept in Chatwoot:** $retained of the objects Pulumi counts under \"to delete\" are marked" \
       "\`[retain]\`: they only leave the Pulumi state and stay in Chatwoot (the provider's \`offboarding\`;" \
       "\`archive\` also archives the portal). \`cwtenants:index:Provider\` entries are groupings in the state," \
       "not Chatwoot objects."
fi
echo
echo "<sub>Updated by the pull-request workflow: [run log]($run_url)</sub>"
