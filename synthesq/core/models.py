from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar, Self

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .actors import Actor


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def set_prefetched(instance: models.Model, relation: str, objects: list[Any]) -> None:
    """Hand ``instance`` the rows of a to-many ``relation`` it already has in memory (just written, or read in
    the statement that locked it), as ``prefetch_related`` would: ``instance.<relation>.all()`` then reads no row."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[relation] = queryset


def declared_keys(namespace: type) -> frozenset[str]:
    """The values of a namespace class's upper-case attributes: the history ``data`` keys it declares."""
    return frozenset(value for name, value in vars(namespace).items() if name.isupper() and isinstance(value, str))


class HistoryEvent(models.Model):
    """One row of an entity's history (orders, invoices): what happened, the status before and after, who,
    why, and any data (a tracking number, an invoice number, a payment). Subclasses add the entity and
    their ``kind`` choices, and name the foreign key to the entity in ``subject_field``."""

    subject_field: ClassVar[str]
    data_keys: ClassVar[frozenset[str]]  # the keys its ``data`` may carry, declared once in the app's ``history``

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        """What happened, and the status change if any: "Status changed: draft → confirmed"."""
        if self.from_status and self.from_status != self.to_status:
            change = f": {self.from_status} → {self.to_status}"
        else:
            change = f": {self.to_status}" if self.to_status else ""
        kind = getattr(self, "get_kind_display", lambda: "")()  # each subclass declares its ``kind`` choices
        return f"{kind}{change}"

    @classmethod
    def record(cls, subject: models.Model, *, kind: str, actor: Actor, from_status: str = "", to_status: str = "",
               reason: str = "", data: dict[str, Any] | None = None) -> Self:
        """Write one history row for ``subject`` (in the caller's transaction)."""
        row = cls.build(subject, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
                        reason=reason, data=data)
        row.save(force_insert=True)
        return row

    @classmethod
    def build(cls, subject: models.Model, *, kind: str, actor: Actor, from_status: str = "", to_status: str = "",
              reason: str = "", data: dict[str, Any] | None = None) -> Self:
        """One history row for ``subject``, not yet written (for a service that writes several in one INSERT).
        A ``data`` key the app's ``history`` module does not declare is a programming error: no reader knows it."""
        undeclared = set(data or {}) - cls.data_keys
        if undeclared:
            raise ValueError(f"{cls.__name__} data keys not declared in the app's history module: {sorted(undeclared)}")
        return cls(**{cls.subject_field: subject}, kind=kind, from_status=from_status, to_status=to_status,
                   actor=actor, reason=reason, data=data or {})


TOKEN_PREFIX = "sqs_"


def token_digest(plain_token: str) -> str:
    """SHA-256 of a token. Tokens are 256 random bits, so a fast digest is safe to store and index."""
    return hashlib.sha256(plain_token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the API. Only its digest is stored; the plain token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    key_prefix = models.CharField(max_length=12, editable=False, help_text="First characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate_plain_token() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    def touch(self) -> None:
        """Record a use, at most once per resolution window so reads do not each write."""
        now = timezone.now()
        resolution = timedelta(seconds=settings.API_TOKEN_LAST_USED_RESOLUTION_SECONDS)
        if self.last_used_at is None or now - self.last_used_at >= resolution:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


class Sequence(models.Model):
    """A named gap-free counter (order numbers, invoice numbers per year).

    ``synthesq.core.sequences.sequence_next`` increments it inside the caller's transaction: the row stays
    locked until that transaction ends, so numbers are never duplicated, and a rolled-back transaction gives
    its number back, so there are no gaps.
    """

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class IdempotencyKey(models.Model):
    """A stored response for an ``Idempotency-Key``, per user and endpoint, replayed for the same request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=255, help_text="Method and path the key was used on.")
    request_digest = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class StaffPreferences(models.Model):
    """What a staff member chose for themselves in the back-office: the time zone they read dates in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_preferences")
    time_zone = models.CharField(max_length=64, help_text="Dates and times in the back-office are shown in it.")

    class Meta:
        verbose_name = "staff preferences"
        verbose_name_plural = "staff preferences"

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone})"


class ThrottleBucket(models.Model):
    """One rate limit's state for one key (a token, a client address), shared by every worker and node: the
    time the key's bucket is next empty (GCRA's theoretical arrival time), in seconds since the epoch. Written by
    one statement per request (``synthesq.core.throttling``); a row whose time has passed is a full bucket,
    the same as no row, and is purged now and then. The table is UNLOGGED on PostgreSQL (no WAL to flush)."""

    key = models.CharField(max_length=120, primary_key=True)
    full_at = models.FloatField(help_text="Seconds since the epoch when the bucket is full again.")
    allowed = models.BooleanField(default=True, help_text="Whether the last request was let through.")

    def __str__(self) -> str:
        return self.key
