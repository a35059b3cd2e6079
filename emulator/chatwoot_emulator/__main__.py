"""Command line: ``python -m chatwoot_emulator serve|reset`` (docs/ARCHITECTURE.md "Emulator contract").

Exit status of ``serve``: 0 when stopped (Ctrl-C or SIGTERM), 2 for bad arguments, 3 when the port cannot
be bound (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .faults import FaultConfig

#: Not 3000 (Chatwoot's own port): a client pointed here must never reach a real Chatwoot by mistake.
DEFAULT_PORT = 3917
EXIT_PORT_IN_USE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatwoot_emulator",
        description="Chatwoot 4.15.1 REST API emulator (Application + Platform API) on loopback, "
                    "with SQLite state, rate limiting and deterministic fault injection.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,reset}")

    s = sub.add_parser("serve", help="run the emulator HTTP server",
                       description="Run the emulator. Tokens go to <state-dir>/tokens.json (mode 0600), never stdout.")
    s.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT}; 0 = a free port, printed on stdout)")
    s.add_argument("--instance-id", default=None,
                   help="nonce sent back in every X-Chatwoot-Emulator header (default: random per start); a "
                        "launcher passes its own to prove the server on the port is the one it started")
    s.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1, loopback only)")
    s.add_argument("--state-dir", default=".emulator", help="SQLite state + tokens.json (default .emulator)")
    s.add_argument("--latency-ms", type=float, default=0.0, help="fixed delay per request (default 0)")
    s.add_argument("--rate-limit", type=int, default=3000,
                   help="requests per wall-clock minute before 429 'Retry later' (default 3000; 0 = off)")
    s.add_argument("--error-rate", type=float, default=0.0, help="probability of an injected 500 (default 0)")
    s.add_argument("--drop-rate", type=float, default=0.0,
                   help="probability of closing the connection before handling (default 0)")
    s.add_argument("--lost-response-rate", type=float, default=0.0,
                   help="probability of handling (committing) and then closing without a response (default 0)")
    s.add_argument("--fault-seed", type=int, default=0, help="seed of the fault streams (default 0)")
    s.add_argument("--delete-delay", type=float, default=2.0,
                   help="seconds before async deletions (inboxes, accounts, users) run (default 2.0)")
    s.add_argument("--unknown-portal-status", type=int, choices=(500, 404), default=500,
                   help="status for an unknown portal slug: 500 = Chatwoot 4.15.1 (default), 404 = after PR #15798")
    s.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))

    r = sub.add_parser("reset", help="delete all emulator state (database and tokens.json)")
    r.add_argument("--state-dir", default=".emulator", help="state directory to wipe (default .emulator)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "reset":
        state = Path(args.state_dir)
        for name in ("chatwoot.sqlite3", "chatwoot.sqlite3-wal", "chatwoot.sqlite3-shm", "tokens.json"):
            (state / name).unlink(missing_ok=True)
        print(f"emulator state in {state} reset")
        return 0
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = FaultConfig(
        latency_ms=args.latency_ms, rate_limit=args.rate_limit, error_rate=args.error_rate,
        drop_rate=args.drop_rate, lost_response_rate=args.lost_response_rate, seed=args.fault_seed,
        delete_delay=args.delete_delay, unknown_portal_status=args.unknown_portal_status,
    )
    from .server import PortInUse, serve

    try:
        serve(args.state_dir, args.host, args.port, config, args.log_level, args.instance_id)
    except PortInUse as exc:
        print(f"chatwoot_emulator: {exc}", file=sys.stderr)
        return EXIT_PORT_IN_USE
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: stopping is not an error
        pass
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C during start-up (imports, bootstrap): stop quietly
        sys.exit(0)
