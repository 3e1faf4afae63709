"""Command line: ``python -m epp_standin --port 1700 --login moorage --password standin-pw1``."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from .registry import FOREIGN_DOMAINS
from .server import EppStandin


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m epp_standin",
        description="Serve a small EPP registry (RFC 5730-5734) over TLS with a throw-away certificate authority.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1700, help="port (default 1700; 0 = any free port)")
    parser.add_argument("--login", default="moorage", help="the registrar's clID (default moorage)")
    parser.add_argument("--password", default="standin-pw1", help="its password (default standin-pw1)")
    parser.add_argument(
        "--transfer",
        choices=("approve", "pending"),
        default="approve",
        help="a transfer request completes at once (approve) or waits for the losing registrar (pending)",
    )
    parser.add_argument("--require-client-cert", action="store_true", help="refuse clients without a certificate")
    parser.add_argument("--cert-dir", type=Path, help="where to write ca.pem, client.pem, client.key (default: temp)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log connection errors to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    standin = EppStandin(
        args.host,
        args.port,
        login=args.login,
        password=args.password,
        transfer_mode=args.transfer,
        require_client_cert=args.require_client_cert,
        cert_dir=args.cert_dir,
        verbose=args.verbose,
    ).start()
    print(f"EPP stand-in listening on {args.host}:{standin.port} (TLS)", flush=True)
    print(f"login {standin.login}, password {standin.password}", flush=True)
    print(f"CA file {standin.ca_file}", flush=True)
    print(f"client certificate {standin.client_cert}, key {standin.client_key}", flush=True)
    codes = ", ".join(f"{name} ({code})" for name, code in FOREIGN_DOMAINS.items())
    print(f"held by another registrar, with auth codes: {codes}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin.serve_forever()
    return 0
