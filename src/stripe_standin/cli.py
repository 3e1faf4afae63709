"""Command line: ``python -m stripe_standin --port N --webhook-url URL --webhook-secret S``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from typing import Any

from .app import TEST_CARDS
from .server import StripeStandin


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_standin",
        description="Serve a local stand-in for the Stripe API (/v1) and its hosted checkout page (/pay).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=12111, help="port (default 12111; 0 = any free port)")
    parser.add_argument("--secret-key", default="sk_test_standin", help="the API secret key it accepts")
    parser.add_argument("--publishable-key", default="", help="the publishable key it reports")
    parser.add_argument("--webhook-url", default="", help="where to POST signed events (none: events are kept)")
    parser.add_argument("--webhook-secret", default="whsec_standin", help="the endpoint's signing secret")
    parser.add_argument(
        "--event", action="append", default=[], metavar="TYPE", help="send only these event types (repeatable)"
    )
    parser.add_argument("--public-url", default="", help="the stand-in's address as browsers reach it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.webhook_secret.startswith("whsec_"):
        print("error: --webhook-secret should start with whsec_", file=sys.stderr)
        return 2
    standin = StripeStandin(
        host=args.host,
        port=args.port,
        secret_key=args.secret_key,
        publishable_key=args.publishable_key,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        enabled_events=args.event or None,
        public_url=args.public_url.rstrip("/"),
        verbose=args.verbose,
    )
    try:
        standin._bind()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Stripe stand-in listening on {standin.base_url} (API base; hosted page under /pay/)", flush=True)
    print(f"secret key {standin.secret_key}; webhooks -> {args.webhook_url or '(none)'}", flush=True)
    for number, (brand, behaviour, _code) in TEST_CARDS.items():
        print(f"  test card {number} ({brand}): {behaviour}", flush=True)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    with contextlib.suppress(KeyboardInterrupt):
        standin.serve_forever()
    return 0
