"""`moorage demo`: migrate, load the demo catalog and staff user, and run the product.

Runs the web server and the background worker as child processes and stops them together.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from moorage.operations.demo import load_demo_data


class Command(BaseCommand):
    help = "Set up the embedded demo (SQLite, demo catalog, staff user) and run it on 127.0.0.1:8000."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address of the web server")
        parser.add_argument("--setup-only", action="store_true", help="prepare the data, then exit")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        call_command("migrate", verbosity=0, interactive=False)
        password = os.environ.get("MOORAGE_DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
        info = load_demo_data(staff_password=password)
        host = options["addr"]
        self.stdout.write(self.style.SUCCESS("Moorage demo is ready."))
        self.stdout.write(f"  Client area:  http://{host}/")
        self.stdout.write(f"  Staff area:   http://{host}/admin/")
        self.stdout.write(f"  Staff login:  {info['staff_email']}  password: {info['staff_password']}")
        self.stdout.write(f"  Demo client:  {info['client_email']}  password: {info['client_password']}")
        self.stdout.write(f"  API docs:     http://{host}/api/v1/docs")
        if options["setup_only"]:
            return
        self._run(host)

    def _run(self, host: str) -> None:
        manage = [sys.executable, "-m", "moorage.cli"]
        children = [
            subprocess.Popen([*manage, "runserver", host, "--noreload", "--insecure"]),  # noqa: S603
            subprocess.Popen([*manage, "db_worker", "--no-startup-delay", "--no-reload"]),  # noqa: S603
        ]

        def stop(*_):  # noqa: ANN002, ANN202
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                try:
                    children[0].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                child.wait(timeout=10)
