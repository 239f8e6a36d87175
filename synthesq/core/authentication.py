"""Bearer-token authentication: ``Authorization: Bearer <token>``, looked up by the token's digest.

One statement per request: the token, its user and the user's permissions (its own and its groups', as
Django's ``ModelBackend`` reads them) come back together; the permissions fill the user's permission cache, so
the role checks that follow (``ActionPermissions``, ``allowed_statuses``) read no more rows."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.views.decorators.debug import sensitive_variables
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiToken, token_digest
from .throttling import failed_authentication_record

# The user's permissions, "app_label.codename" joined by commas (codenames are identifiers: no commas), for
# an active user (ModelBackend gives an inactive user none). Correlated on the token row's user.
_PERMISSIONS_SQL = """
    SELECT {aggregate}
      FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
     WHERE p.id IN (SELECT up.permission_id FROM auth_user_user_permissions up
                     WHERE up.user_id = core_apitoken.user_id
                    UNION
                    SELECT gp.permission_id FROM auth_group_permissions gp
                      JOIN auth_user_groups ug ON ug.group_id = gp.group_id
                     WHERE ug.user_id = core_apitoken.user_id)
"""
_AGGREGATE = {
    "postgresql": "string_agg(ct.app_label || '.' || p.codename, ',')",
    "sqlite": "group_concat(ct.app_label || '.' || p.codename, ',')",
}


def _permissions_annotation() -> RawSQL:
    return RawSQL(_PERMISSIONS_SQL.format(aggregate=_AGGREGATE[connection.vendor]), [], output_field=CharField())


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
        if connection.vendor in _AGGREGATE:
            query = query.annotate(permission_names=_permissions_annotation())
        token = query.first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        names = getattr(token, "permission_names", None)
        if hasattr(token, "permission_names"):
            # What ModelBackend.get_all_permissions caches on the user (it reads the cache before the rows).
            token.user._perm_cache = set(names.split(",")) if names else set()  # type: ignore[attr-defined]
        token.touch()
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'
