#!/usr/bin/env bash
# Post BODY_FILE as ONE sticky comment on pull request PR: the previous comment carrying the
# hidden MARKER is edited in place, otherwise a new comment is created.
#   usage: sticky-comment.sh PR MARKER BODY_FILE
# Needs: gh (authenticated through GH_TOKEN), GITHUB_REPOSITORY=owner/name.
set -euo pipefail
pr=${1:?usage: sticky-comment.sh PR MARKER BODY_FILE}
marker=${2:?marker missing}
body_file=${3:?body file missing}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must be owner/name}
[ -f "$body_file" ] || { echo "sticky-comment: $body_file not found" >&2; exit 1; }

tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
{ printf '<!-- %s -->\n' "$marker"; cat "$body_file"; } > "$tmp"

# First comment (oldest) that carries the marker; --paginate walks every page of comments.
id=$(gh api --paginate "repos/$repo/issues/$pr/comments" \
       --jq ".[] | select(.body | contains(\"<!-- $marker -->\")) | .id" | head -n 1)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$tmp" --silent
  echo "sticky-comment: updated comment $id on #$pr"
else
  gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$tmp" --silent
  echo "sticky-comment: created a comment on #$pr"
fi
