"""`moorage reconcile [--connection NAME] [--json]`: compare the panels with billing.

Exit status: 0 when every panel is in sync with billing, 1 when mismatches were found, 2 when a
panel could not be read (its name and the panel's error are printed) or the connection is unknown.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.reconciliation.actions import reconcile
from moorage.reconciliation.models import Finding, ReconcileRun

IN_SYNC, MISMATCHES, ERROR = 0, 1, 2


def _finding(f: Finding, run: ReconcileRun) -> dict[str, Any]:
    return {
        "id": f.pk,
        "kind": f.kind,
        "username": f.username,
        "service": f.service_id,
        "fix": f.details.get("fix", ""),
        "details": {k: v for k, v in f.details.items() if k != "fix"},
        "first_seen": f.first_seen.isoformat(),
        "new": f.first_run_id == run.pk,
    }


def _describe(f: dict[str, Any]) -> str:
    d = f["details"]
    if f["kind"] == "package_mismatch":
        what = ", ".join(f"{k} {w!r} wanted, {v!r} found" for k, (w, v) in d.get("differences", {}).items())
    else:
        what = ", ".join(f"{k}={v}" for k, v in sorted(d.items()))
    service = f" service #{f['service']}" if f["service"] else ""
    fix = f" [fix: {f['fix']}]" if f["fix"] else ""
    return f"  {f['kind']}: {f['username']}{service} ({what}){fix}{' NEW' if f['new'] else ''}"


class Command(BaseCommand):
    help = "Compare each panel with billing: unknown panel users, missing accounts, state and package mismatches"

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--connection", help="only the app connection with this name")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        try:
            runs = reconcile(now=clock.now(), connection_name=options["connection"])
        except DomainError as exc:
            self.stderr.write(exc.message)
            sys.exit(ERROR)
        report = []
        for run in runs:
            findings = Finding.objects.filter(connection_id=run.connection_id, resolved_at=None).order_by(
                "kind", "username"
            )
            report.append(
                {
                    "connection": run.connection.name,
                    "error": run.error,
                    "panel_users": run.panel_users,
                    "accounts": run.accounts,
                    "packages_checked": run.packages_checked,
                    "findings": [] if run.error else [_finding(f, run) for f in findings],
                }
            )
        errors = [r for r in report if r["error"]]
        status = ERROR if errors else MISMATCHES if any(r["findings"] for r in report) else IN_SYNC
        if options["json"]:
            out = {"status": ["in_sync", "mismatches", "error"][status], "connections": report}
            self.stdout.write(json.dumps(out, indent=2, sort_keys=True))
        else:
            for r in report:
                if r["error"]:
                    self.stdout.write(f"{r['connection']}: ERROR, the panel could not be read: {r['error']}")
                    continue
                head = f"{r['connection']}: {r['panel_users']} panel users, {r['accounts']} billing accounts"
                if not r["packages_checked"]:
                    head += " (packages not compared: the module cannot read them)"
                self.stdout.write(
                    f"{head}: {len(r['findings']) or 'in sync'}" + (" mismatches" if r["findings"] else "")
                )
                for f in r["findings"]:
                    self.stdout.write(_describe(f))
            if not report:
                self.stdout.write("no app connections")
        for r in errors:
            self.stderr.write(f"panel down or refused: {r['error']}")
        sys.exit(status)
