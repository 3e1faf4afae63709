"""`moorage api-token create --email STAFF_EMAIL [--name NAME]`: prints only the new token."""

from django.core.management.base import BaseCommand, CommandError

from moorage.api.actions import api_token_create
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.core.models import User


class Command(BaseCommand):
    help = "Create a REST API token for a staff user (prints only the token)."

    def add_arguments(self, parser):  # noqa: ANN001
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token")
        create.add_argument("--email", required=True, help="the staff user's email")
        create.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"no user with email {options['email']}")
        try:
            _, token = api_token_create(user=user, now=clock.now(), actor=user, name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(token)
