"""Bearer-token authentication: ``Authorization: Bearer <token>``, looked up by the token's digest.

One statement per request: the token, its user and the user's permissions (its own and its groups', as
Django's ``ModelBackend`` reads them) come back together; the permissions go with the user of this request
(``TOKEN_PERMISSIONS``), where ``TokenPermissionsBackend`` reads them, so the role checks that follow
(``ActionPermissions``, ``allowed_statuses``) read no more rows. The next request reads them again: a revoked
token or a changed role counts at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.views.decorators.debug import sensitive_variables
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from . import postgres
from .models import ApiToken, token_digest
from .throttling import failed_authentication_record

# The user's permissions, "app_label.codename" joined by commas (codenames are identifiers: no commas), for
# an active user (ModelBackend gives an inactive user none). Correlated on the token row's user.
_PERMISSIONS_SQL = """
    SELECT {joined}
      FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
     WHERE p.id IN (SELECT up.permission_id FROM auth_user_user_permissions up
                     WHERE up.user_id = core_apitoken.user_id
                    UNION
                    SELECT gp.permission_id FROM auth_group_permissions gp
                      JOIN auth_user_groups ug ON ug.group_id = gp.group_id
                     WHERE ug.user_id = core_apitoken.user_id)
"""
# The attribute of the request's user holding the permissions read with its token ("app_label.codename").
TOKEN_PERMISSIONS = "token_permissions"


def _permissions_annotation() -> RawSQL | None:
    joined = postgres.joined_text("ct.app_label || '.' || p.codename")
    return None if joined is None else RawSQL(_PERMISSIONS_SQL.format(joined=joined), [], output_field=CharField())


class TokenPermissionsBackend(ModelBackend):
    """Django's ``ModelBackend``, except that a user authenticated by a bearer token has the permissions read
    with the token (no more statements); any other user (the admin's sessions) has them as ``ModelBackend``
    reads them."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        loaded: set[str] | None = getattr(user_obj, TOKEN_PERMISSIONS, None)
        if loaded is None or obj is not None or not user_obj.is_active:
            return super().get_all_permissions(user_obj, obj)
        return loaded


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``. Every failed attempt counts against the client address; a failed
    attempt from an address over ``API_THROTTLE_RATES["failed_auth"]`` gets 429 instead of 401, while a valid
    token from that address is still served (one client's failures do not lock out its neighbours)."""

    keyword = "Bearer"
    www_authenticate_realm = "api"

    # The token never appears in an error report (Django's debug page, its error mails): the frames holding it
    # mark it sensitive. Logs and Sentry carry no local variables at all (synthesq.observability).
    @sensitive_variables("header")
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        try:
            return self._authenticate(header)
        except exceptions.AuthenticationFailed:
            failed_authentication_record(request)  # 429 when the address is over its rate
            raise

    @sensitive_variables("header", "plain")
    def _authenticate(self, header: list[bytes]) -> tuple[Any, ApiToken]:
        if header[0].lower() != self.keyword.lower().encode():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        try:
            plain = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from exc
        query = ApiToken.objects.active().select_related("user").filter(digest=token_digest(plain))
        annotation = _permissions_annotation()
        if annotation is not None:
            query = query.annotate(permission_names=annotation)
        token = query.first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if annotation is not None:
            names = token.permission_names  # type: ignore[attr-defined]
            setattr(token.user, TOKEN_PERMISSIONS, set(names.split(",")) if names else set())
        token.touch()
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'
