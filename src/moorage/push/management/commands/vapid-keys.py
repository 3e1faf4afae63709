"""`moorage vapid-keys [--generate]`: print the Web Push keys in use, or a new pair for the environment."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from moorage.push import vapid


class Command(BaseCommand):
    help = (
        "Print the VAPID public key mobile notifications use (and where it comes from). With --generate, "
        "print a new key pair as environment lines for MOORAGE_VAPID_PRIVATE_KEY / MOORAGE_VAPID_PUBLIC_KEY. "
        "Changing the pair makes every device allow notifications again."
    )

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--generate", action="store_true", help="print a new key pair; change nothing")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        if options["generate"]:
            private, public = vapid.generate()
            self.stdout.write(f"MOORAGE_VAPID_PRIVATE_KEY={private}")
            self.stdout.write(f"MOORAGE_VAPID_PUBLIC_KEY={public}")
            self.stdout.write("MOORAGE_VAPID_SUBJECT=mailto:you@example.com")
            return
        keys = vapid.keys()
        source = "environment" if vapid.configured() else f"generated, kept in {vapid.key_file()}"
        self.stdout.write(f"Public key: {keys.public_key}")
        self.stdout.write(f"Subject: {keys.subject}")
        self.stdout.write(f"Source: {source}")
