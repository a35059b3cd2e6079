"""Pulumi entry point (Pulumi.yaml `main: infra/`). Deliberately thin: see cwtenants.program."""

from cwtenants.program import main

main()
