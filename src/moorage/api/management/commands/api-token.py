"""`moorage api-token create|list|revoke`: REST API tokens from the server's shell.

`create --email STAFF_EMAIL [--name NAME] [--scopes read,billing]` prints only the new token (shown
once, stored hashed); `list [--email EMAIL] [--all]` shows the tokens without their secret;
`revoke ID_OR_PREFIX` revokes one.
"""

from django.core.management.base import BaseCommand, CommandError

from moorage.api.actions import api_token_create, api_token_revoke
from moorage.api.models import SCOPES, ApiToken, hash_token
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.core.models import User


class Command(BaseCommand):
    help = "Create, list and revoke REST API tokens of staff users."

    def add_arguments(self, parser):  # noqa: ANN001
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token (prints only the token)")
        create.add_argument("--email", required=True, help="the staff user's email")
        create.add_argument("--name", default="", help="what the token is for")
        create.add_argument(
            "--scopes",
            default="",
            help=f"comma-separated, from: {', '.join(SCOPES)} (empty: the user's full rights)",
        )
        listing = sub.add_parser("list", help="list tokens (never their secret)")
        listing.add_argument("--email", default="", help="only this user's tokens")
        listing.add_argument("--all", action="store_true", help="include revoked tokens")
        revoke = sub.add_parser("revoke", help="revoke a token")
        revoke.add_argument("token", help="the token's id or its prefix (as `list` shows it)")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options: dict) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"no user with email {options['email']}")
        _, token = api_token_create(
            user=user, now=clock.now(), actor=None, name=options["name"], scopes=options["scopes"]
        )
        self.stdout.write(token)

    def _list(self, options: dict) -> None:
        rows = ApiToken.objects.select_related("user").order_by("pk")
        if options["email"]:
            rows = rows.filter(user__email__iexact=options["email"].strip())
        if not options["all"]:
            rows = rows.filter(revoked=False)
        self.stdout.write("id\tprefix\tuser\tname\tscopes\tcreated\tlast used\tstatus")
        for row in rows:
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            status = (
                f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "revoked" if row.revoked else "active"
            )
            self.stdout.write(
                f"{row.pk}\t{row.prefix}…\t{row.user.email}\t{row.name or '-'}\t{row.scopes or 'all'}\t"
                f"{row.created_at:%Y-%m-%d %H:%M}\t{used}\t{status}"
            )

    def _revoke(self, options: dict) -> None:
        ref = options["token"].strip().rstrip("…")
        if ref.isdigit():
            matches = list(ApiToken.objects.filter(pk=int(ref)))
        elif len(ref) > 12:  # the whole token, pasted
            matches = list(ApiToken.objects.filter(token_hash=hash_token(ref)))
        else:
            matches = list(ApiToken.objects.filter(prefix__startswith=ref)) if len(ref) >= 6 else []
        if len(matches) != 1:
            found = "several tokens match" if matches else "no token matches"
            raise CommandError(f"{found} {options['token']!r}; give the id from `moorage api-token list`")
        row = api_token_revoke(token_id=matches[0].pk, now=clock.now(), actor=None)
        self.stdout.write(f"revoked token {row.pk} ({row.prefix}…) of {row.user.email}")
