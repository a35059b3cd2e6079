#!/usr/bin/env bash
# Shared step of the workflows: log in to the Pulumi backend and select (or create) the stack.
#   usage: pulumi-env.sh STACK      (PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE from secrets)
set -euo pipefail
stack=${1:?usage: pulumi-env.sh STACK}
: "${PULUMI_BACKEND_URL:?PULUMI_BACKEND_URL secret is not set}"
pulumi login "$PULUMI_BACKEND_URL" >/dev/null
pulumi stack select --create "$stack" >/dev/null
echo "pulumi-env: stack $stack selected"
