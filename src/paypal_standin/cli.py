"""Command line: ``python -m paypal_standin --port 8790 --webhook-url http://127.0.0.1:8000/payments/webhooks/paypal/``."""

from __future__ import annotations

import argparse
import contextlib

from .server import PayPalStandin


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m paypal_standin",
        description="Serve a local stand-in for the PayPal REST API (OAuth, Orders v2, captures, refunds, "
        "webhooks signed with PayPal's scheme) and its approval page.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8790, help="port (default 8790; 0 = any free port)")
    parser.add_argument(
        "--webhook-url", help="where to POST signed webhook events (Moorage: /payments/webhooks/paypal/)"
    )
    parser.add_argument("--client-id", default="standin-client-id")
    parser.add_argument("--client-secret", default="standin-client-secret")
    parser.add_argument("--webhook-id", default="0STANDIN1WEBHOOK2", help="the webhook id signatures are made for")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    standin = PayPalStandin(
        args.host,
        args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        webhook_id=args.webhook_id,
        webhook_url=args.webhook_url,
        verbose=args.verbose,
    ).start()
    print(f"PayPal stand-in listening on {standin.base_url}", flush=True)
    print(f"client id {standin.client_id}, secret {standin.client_secret}, webhook id {standin.webhook_id}", flush=True)
    print(f"webhooks to {args.webhook_url or '(none: --webhook-url not given)'}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin.serve_forever()
    return 0
