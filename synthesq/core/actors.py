"""Who does something: a signed-in user, or ``None`` for the system (a batch job, an automation)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

Actor = AbstractBaseUser | None
