#!/bin/sh
# Bench-only PULUMI_PYTHON_CMD: the dynamic-provider process (`python -u -m pulumi.dynamic ...`)
# runs through bench/provider_shim.py (per-call timings, optional worker count / cProfile);
# anything else is passed to the real interpreter unchanged.
here=$(cd "$(dirname "$0")" && pwd)
py="${CWT_BENCH_PYTHON:-$here/../.venv/bin/python}"
# The fallback launcher runs `-c '...fallback_hosts.provider_host...'` (pulumi.dynamic with
# CWT_PROVIDER_WORKERS threads); the shim then uses that worker count unless the bench sets one.
case "$2 $3" in "-c "*fallback_hosts.provider_host*) fallback_provider=1 ;; *) fallback_provider= ;; esac
if [ "$1" = "-u" ] && [ -n "$fallback_provider" ] && [ -n "${CWT_BENCH_PROVIDER_STATS:-}" ]; then
  export CWT_BENCH_PROVIDER_WORKERS="${CWT_BENCH_PROVIDER_WORKERS:-${CWT_PROVIDER_WORKERS:-8}}"
  shift 3
  exec "$py" -u "$here/provider_shim.py" "$@"
fi
if [ "$1" = "-u" ] && [ "$2" = "-m" ] && [ "$3" = "pulumi.dynamic" ] && [ -n "${CWT_BENCH_PROVIDER_STATS:-}" ]; then
  shift 3
  exec "$py" -u "$here/provider_shim.py" "$@"
fi
exec "$py" "$@"
