"""Command line: ``moorage-ispmanager-emulator`` / ``python -m ispmanager_emulator``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from typing import Any

from .faults import FAIL_KINDS, parse_fault_spec
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moorage-ispmanager-emulator",
        description="Serve an emulation of the ispmanager 5 or 6 HTTP API on /ispmgr and /manager/ispmgr.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1500, help="port (default 1500; 0 = any free port)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated self-signed certificate")
    parser.add_argument("--cert", help="PEM certificate to use instead of a generated one (implies --tls)")
    parser.add_argument("--key", help="PEM private key for --cert")
    parser.add_argument("--state", metavar="FILE", help="SQLite file keeping the state across restarts")
    parser.add_argument(
        "--admin",
        metavar="USER:PASS",
        action="append",
        help="administrator login (repeatable; default root:secret)",
    )
    parser.add_argument(
        "--version",
        type=int,
        choices=(5, 6),
        default=6,
        help="ispmanager version to answer as (default 6): 5 creates sites with webdomain.edit and has "
        "domain.sublist; 6 creates them with site.edit and has domain.record",
    )
    parser.add_argument(
        "--superuser",
        metavar="USER",
        action="append",
        help="administrator with superuser rights, the only kind allowed session.newkey (repeatable; "
        "default root if it is an administrator, else the first --admin)",
    )
    faults = parser.add_argument_group("faults (global unless given per function with --fault)")
    faults.add_argument("--latency", type=float, metavar="MS", help="added latency per request in ms")
    faults.add_argument("--fail-rate", type=float, metavar="RATE", help="share of requests failing (0..1)")
    faults.add_argument("--fail-kind", choices=FAIL_KINDS, help="how requests fail: 500 or drop (default 500)")
    faults.add_argument("--auth-broken", action="store_true", help="reject every login with auth/badpassword")
    faults.add_argument(
        "--commit-then-fail",
        type=float,
        nargs="?",
        const=1.0,
        metavar="RATE",
        help="apply the request, then lose the reply (500 or drop) for this share of requests (default 1)",
    )
    faults.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="FUNC:K=V,...",
        help="a per-function fault rule, e.g. 'user.edit:fail_rate=0.5,fail_kind=drop' or "
        "'db.edit:commit_then_fail=1,times=1' (keys: latency_ms, fail_rate, fail_kind, "
        "auth_broken, commit_then_fail, times)",
    )
    faults.add_argument("--seed", type=int, help="seed of the fault randomness")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rules: list[tuple[str, dict[str, Any]]] = []
    global_rule: dict[str, Any] = {}
    if args.latency is not None:
        global_rule["latency_ms"] = args.latency
    if args.fail_rate is not None:
        global_rule["fail_rate"] = args.fail_rate
    if args.fail_kind is not None:
        global_rule["fail_kind"] = args.fail_kind
    if args.auth_broken:
        global_rule["auth_broken"] = True
    if args.commit_then_fail is not None:
        global_rule["commit_then_fail"] = args.commit_then_fail
    if global_rule:
        rules.append(("*", global_rule))
    try:
        for spec in args.fault:
            rules.append(parse_fault_spec(spec))
        admins = args.admin or ["root:secret"]
        for admin in admins:
            if ":" not in admin or not admin.split(":", 1)[0]:
                raise ValueError(f"--admin expects USER:PASS, not {admin!r}")
        server = EmulatorServer(
            host=args.host,
            port=args.port,
            admin=admins,
            state_path=args.state,
            tls=args.tls,
            certfile=args.cert,
            keyfile=args.key,
            seed=args.seed,
            faults=rules,
            verbose=args.verbose,
            version=args.version,
            superusers=args.superuser,
        )
        server._bind()
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ispmanager emulator listening on {server.url}", flush=True)
    if server.fingerprint:
        print(f"TLS certificate SHA-256 fingerprint: {server.fingerprint}", flush=True)
    supers = ", ".join(sorted(server.emulator.superusers))
    print(f"ispmanager {args.version}; admins: {', '.join(server.admins)} (superuser: {supers}); ", end="")
    print(f"state: {args.state or 'in memory'}", flush=True)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
