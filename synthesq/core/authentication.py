"""Bearer-token authentication: ``Authorization: Bearer <token>``, looked up by the token's digest."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiToken, token_digest
from .throttling import FailedAuthenticationThrottle


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``. Every failed attempt counts against the client address; an address
    over ``API_THROTTLE_RATES["failed_auth"]`` gets 429 for every attempt until its window has passed."""

    keyword = "Bearer"
    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        throttle = FailedAuthenticationThrottle()
        throttle.refuse_if_over(request)
        try:
            return self._authenticate(header)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise

    def _authenticate(self, header: list[bytes]) -> tuple[Any, ApiToken]:
        if header[0].lower() != self.keyword.lower().encode():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        try:
            plain = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from exc
        token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(digest=token_digest(plain))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        token.touch()
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'
