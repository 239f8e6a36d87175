from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from synthesq.core.errors import ValidationFailed
from synthesq.core.roles import ROLE_NAMES
from synthesq.core.services import api_token_create, api_user_provision


class Command(BaseCommand):
    help = (
        "Create an API bearer token for USERNAME (creating the user if missing) and print it as the last "
        "line. The token is shown only this once; only its digest is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--superuser", action="store_true", help="Make the user a superuser.")
        parser.add_argument(
            "--groups", default="", help=f"Comma-separated roles to add: {','.join(ROLE_NAMES)}."
        )
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        groups = [g.strip() for g in options["groups"].split(",") if g.strip()]
        try:
            user, created = api_user_provision(
                username=options["username"], superuser=options["superuser"], groups=groups
            )
        except ValidationFailed as exc:
            raise CommandError(exc.detail) from exc
        token, plain = api_token_create(user=user, name=options["name"] or "created by create_api_token")
        roles = ", ".join(user.groups.order_by("name").values_list("name", flat=True)) or "none"
        self.stdout.write(
            f"{'Created' if created else 'Found'} user {user.username} "
            f"(superuser: {'yes' if user.is_superuser else 'no'}; roles: {roles})."
        )
        self.stdout.write(f"Token {token.key_prefix}… created; it will not be shown again:")
        self.stdout.write(plain)
