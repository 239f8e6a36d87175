"""Who does something: a signed-in user, or ``None`` for the system (a batch job, an automation)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from .errors import PermissionRefused

# The user model is Django's own (``AUTH_USER_MODEL`` is not swapped).
Actor = User | None
# Whoever reads: a user, an anonymous visitor, or nobody in particular (the system).
Viewer = User | AnonymousUser | None


def acting_user(request: HttpRequest | Request) -> User:
    """The signed-in user behind a request. API views and admin pages only run for signed-in users, so this
    refuses (403) only if that guarantee is ever broken."""
    user = request.user
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user


def require_permission(actor: Actor, permission: str, refusal: str) -> None:
    """The check every write service makes first: a user's role must hold ``permission`` (else 403
    ``PermissionRefused`` saying ``refusal``); the system (``None``: a batch job, an automation) may act."""
    if actor is not None and not actor.has_perm(permission):
        raise PermissionRefused(refusal)
