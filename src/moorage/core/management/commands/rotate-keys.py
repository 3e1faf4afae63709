"""`moorage rotate-keys [--dry-run]`: seal every stored secret again with the newest Fernet key."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from moorage.core.crypto import encrypted_fields, rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (panel passwords …) with the first key of MOORAGE_FERNET_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then remove the old keys."
    )

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--dry-run", action="store_true", help="count what would be rotated; change nothing")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        fields = ", ".join(f"{m._meta.label}.{f}" for m, f in encrypted_fields())
        counts = rotate_all(dry_run=options["dry_run"])
        verb = "would be re-encrypted" if options["dry_run"] else "re-encrypted with the newest key"
        self.stdout.write(f"Encrypted fields: {fields}")
        self.stdout.write(f"{counts['rotated']} stored secret(s) {verb}.")
        if counts["unreadable"]:
            self.stderr.write(
                f"{counts['unreadable']} stored secret(s) cannot be decrypted with the configured keys: "
                "add the key that sealed them to MOORAGE_FERNET_KEYS (after the newest) and run again, "
                "or enter those passwords anew in the staff area. Do not remove old keys yet."
            )
            raise SystemExit(2)
