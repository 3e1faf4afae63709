"""`moorage demo`: migrate, start the bundled ispmanager emulator and the Stripe stand-in, load the
demo data, run the product.

The web server, the background worker and the emulator run as child processes and stop together; the
Stripe stand-in runs in this process (threads) and sends its webhooks to the demo's web server.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from moorage.operations.demo import configure_stripe, load_demo_data, seed_panel


def _wait_for_port(host: str, port: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.1)
    return False


class Command(BaseCommand):
    help = "Set up the embedded demo (SQLite, demo catalog, staff user, ispmanager emulator) and run it."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address of the web server")
        parser.add_argument("--panel-port", type=int, default=1500, help="port of the demo ispmanager emulator")
        parser.add_argument(
            "--stripe-port", type=int, default=12111, help="port of the demo Stripe stand-in (0 = any free port)"
        )
        parser.add_argument("--setup-only", action="store_true", help="prepare the data, then exit")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        call_command("migrate", verbosity=0, interactive=False)
        staff_password = os.environ.get("MOORAGE_DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
        panel_password = os.environ.get("MOORAGE_DEMO_PANEL_PASSWORD") or secrets.token_urlsafe(12)
        port = options["panel_port"]
        children: list[subprocess.Popen] = []
        panel = None
        if not options["setup_only"]:
            state = settings.DATA_DIR / "ispmanager-emulator.sqlite3"
            children.append(
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "ispmanager_emulator",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--admin",
                        f"root:{panel_password}",
                        "--state",
                        str(state),
                    ],
                )
            )
            if not _wait_for_port("127.0.0.1", port):
                self._stop(children)
                raise CommandError(f"the ispmanager emulator did not start on 127.0.0.1:{port} (port taken?)")
            url = f"http://127.0.0.1:{port}/ispmgr"
            seed_panel(url, "root", panel_password)
            panel = {"host": "127.0.0.1", "port": port, "url": url, "username": "root", "password": panel_password}
        host = options["addr"]
        info = load_demo_data(
            staff_password=staff_password, panel=panel, site_url=None if options["setup_only"] else f"http://{host}"
        )
        standin = None
        if not options["setup_only"]:
            standin = self._start_stripe(host, options["stripe_port"], children)
        self.stdout.write(self.style.SUCCESS("Moorage demo is ready."))
        self.stdout.write(f"  Client area:  http://{host}/")
        self.stdout.write(f"  Staff area:   http://{host}/admin/")
        self.stdout.write(f"  Staff login:  {info['staff_email']}  password: {info['staff_password']}")
        self.stdout.write(f"  Demo client:  {info['client_email']}  password: {info['client_password']}")
        self.stdout.write(f"  API docs:     http://{host}/api/v1/docs")
        if panel:
            self.stdout.write(f"  ispmanager:   {panel['url']}  (emulator)  user: root  password: {panel_password}")
        if standin is not None:
            self.stdout.write(
                f"  Stripe:       stand-in at {standin.base_url} (Credit Card gateway enabled); test cards "
                "4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, 4000 0025 0000 3155 asks for "
                "3-D Secure (any future expiry, any CVC)"
            )
        if info.get("epp_address"):
            self.stdout.write(
                f"  EPP registry: stand-in at {info['epp_address']} (TLDs .test and .example; domains ordered "
                "with a hosting plan are registered there)"
            )
        if info.get("paypal_url"):
            self.stdout.write(f"  PayPal:       {info['paypal_url']}  (stand-in; pay on its approval page)")
        if options["setup_only"]:
            return
        manage = [sys.executable, "-m", "moorage.cli"]
        children.append(subprocess.Popen([*manage, "runserver", host, "--noreload", "--insecure"]))  # noqa: S603
        children.append(subprocess.Popen([*manage, "db_worker", "--no-startup-delay", "--no-reload"]))  # noqa: S603
        signal.signal(signal.SIGTERM, lambda *_: self._stop(children))
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(children)
            if standin is not None:
                standin.stop()

    def _start_stripe(self, host: str, port: int, children: list[subprocess.Popen]):  # noqa: ANN205
        from stripe_standin import StripeStandin

        web = host.replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - the address webhooks are sent to
        standin = StripeStandin(
            host="127.0.0.1",
            port=port,
            secret_key="sk_test_" + secrets.token_hex(12),
            webhook_secret="whsec_" + secrets.token_hex(16),
            webhook_url=f"http://{web}/payments/webhooks/stripe/",
        )
        try:
            standin.start()
        except OSError as exc:
            self._stop(children)
            raise CommandError(f"the Stripe stand-in did not start on 127.0.0.1:{port} ({exc})") from exc
        configure_stripe(
            api_base=standin.base_url,
            secret_key=standin.secret_key,
            publishable_key=standin.publishable_key,
            webhook_secret=standin.webhook_secret,
        )
        return standin

    @staticmethod
    def _stop(children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
