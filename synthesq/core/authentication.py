"""Bearer-token authentication: ``Authorization: Bearer <token>``, looked up by the token's digest.

One statement per request: the token, its user and the user's permissions (its own and its groups', as
Django's ``ModelBackend`` reads them) come back together; the permissions go with the user of this request
(``TOKEN_PERMISSIONS``), where ``TokenPermissionsBackend`` reads them, so the role checks that follow
(``ActionPermissions``, ``allowed_statuses``) read no more rows. The next request reads them again: a revoked
token or a changed role counts at once (nothing is cached between requests but the statement's text).

The statement is written once per process and database (``_lookup_sql``: the token's and the user's columns,
the permissions' aggregate) and its row made into the two model instances with ``Model.from_db``: no queryset
is built and compiled per request (issue 25: that compiling was most of a trivial request's authentication)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections
from django.views.decorators.debug import sensitive_variables
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions
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


@dataclass(frozen=True)
class _Lookup:
    """The token lookup's statement for one database, and how its row splits into the token and its user."""

    sql: str
    token_names: list[str]
    user_names: list[str]
    with_permissions: bool
    # (position, column, the database's converters for it), for the columns the database returns unconverted
    # (SQLite's date-times and booleans; none on PostgreSQL), as the ORM would apply them.
    converters: list[tuple[int, Any, list[Callable[..., Any]]]]


# One per connection (a thread's): the converters are its backend's.
_LOOKUPS: weakref.WeakKeyDictionary[Any, _Lookup] = weakref.WeakKeyDictionary()


def _converters(connection: Any, fields: list[Any], table: str, start: int
                ) -> list[tuple[int, Any, list[Callable[..., Any]]]]:
    found = []
    for position, field in enumerate(fields, start=start):
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((position, column, converters))
    return found


def _lookup_sql(connection: Any) -> _Lookup:
    """The active token by digest with its user's columns and permissions: written once per connection."""
    lookup = _LOOKUPS.get(connection)
    if lookup is None:
        quote = connection.ops.quote_name
        user_model = get_user_model()
        token_table, user_table = ApiToken._meta.db_table, user_model._meta.db_table
        token_fields, user_fields = ApiToken._meta.concrete_fields, user_model._meta.concrete_fields
        columns = [f"{quote(token_table)}.{quote(f.column)}" for f in token_fields]
        columns += [f"{quote(user_table)}.{quote(f.column)}" for f in user_fields]
        joined = postgres.joined_text("ct.app_label || '.' || p.codename", connection.vendor)
        if joined is not None:
            columns.append(f"({_PERMISSIONS_SQL.format(joined=joined)})")
        user_key = ApiToken._meta.get_field("user")
        sql = (f"SELECT {', '.join(columns)} FROM {quote(token_table)} INNER JOIN {quote(user_table)} "
               f"ON {quote(user_table)}.{quote(user_model._meta.pk.column)} = "
               f"{quote(token_table)}.{quote(user_key.column)}"
               f" WHERE {quote(token_table)}.{quote('digest')} = %s"
               f" AND {quote(token_table)}.{quote('revoked_at')} IS NULL")
        lookup = _Lookup(sql=sql, token_names=[f.attname for f in token_fields],
                         user_names=[f.attname for f in user_fields], with_permissions=joined is not None,
                         converters=_converters(connection, list(token_fields), token_table, 0)
                         + _converters(connection, list(user_fields), user_table, len(token_fields)))
        _LOOKUPS[connection] = lookup
    return lookup


def active_token_with_user(digest: str) -> ApiToken | None:
    """The active token of this digest with its user (``token.user``, no further statement) and, where the
    database aggregates text, the user's permissions (``TOKEN_PERMISSIONS`` on the user): one statement."""
    connection = connections[DEFAULT_DB_ALIAS]  # this thread's (the proxy is not a key)
    lookup = _lookup_sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(lookup.sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    if lookup.converters:
        values = list(row)
        for position, column, converters in lookup.converters:
            for convert in converters:
                values[position] = convert(values[position], column, connection)
        row = tuple(values)
    split = len(lookup.token_names)
    token = ApiToken.from_db(connection.alias, lookup.token_names, row[:split])
    user = get_user_model().from_db(connection.alias, lookup.user_names,
                                    row[split:split + len(lookup.user_names)])
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    if lookup.with_permissions:
        names = row[-1]
        setattr(user, TOKEN_PERMISSIONS, set(names.split(",")) if names else set())
    return token


class TokenPermissionsBackend(ModelBackend):
    """Django's ``ModelBackend``, except that a user authenticated by a bearer token has the permissions read
    with the token (no more statements); any other user (the admin's sessions) has them as ``ModelBackend``
    reads them."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        loaded: set[str] | None = getattr(user_obj, TOKEN_PERMISSIONS, None)
        if loaded is None or obj is not None or not user_obj.is_active:
            return super().get_all_permissions(user_obj, obj)
        return loaded


def authorization_header(request: Request) -> bytes:
    """DRF's ``get_authorization_header`` read from ``META``: through ``request.headers`` it would build the whole
    header mapping (every ``HTTP_*`` key) for this one header."""
    value = request.META.get("HTTP_AUTHORIZATION", b"")
    return value.encode(HTTP_HEADER_ENCODING) if isinstance(value, str) else value


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
        header = authorization_header(request).split()
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
        token = active_token_with_user(token_digest(plain))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        token.touch()
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'
