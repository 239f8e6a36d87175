"""Writes for API access: issuing and revoking bearer tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from .errors import ValidationFailed
from .models import ApiToken, token_digest
from .roles import ROLE_NAMES


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``. Returns the token row and the plain token, which is never stored."""
    plain = ApiToken.generate_plain_token()
    token = ApiToken.objects.create(user=user, name=name, key_prefix=plain[:10], digest=token_digest(plain))
    return token, plain


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def api_user_provision(
    *, username: str, superuser: bool = False, groups: Iterable[str] = ()
) -> tuple[User, bool]:
    """Get or create an API user, make it a superuser if asked, and add it to role groups."""
    groups = [g for g in groups if g]
    unknown = sorted(set(groups) - set(ROLE_NAMES))
    if unknown:
        raise ValidationFailed(
            f"Unknown group(s): {', '.join(unknown)}. Known roles: {', '.join(ROLE_NAMES)}.",
            errors=[{"field": "groups", "message": f"unknown group {g!r}", "code": "invalid"} for g in unknown],
        )
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
    if superuser:
        user.is_superuser = True
        user.is_staff = True
    user.save()
    if groups:
        user.groups.add(*Group.objects.filter(name__in=groups))
    return user, created
