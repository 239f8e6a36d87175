from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from synthesq.core.models import ApiToken, token_digest


class UserFactory(factory.django.DjangoModelFactory):
    """``UserFactory(roles=["sales"])`` adds the user to those role groups (made by the data migration)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")

    class Params:
        superuser = factory.Trait(is_superuser=True, is_staff=True)
        staff = factory.Trait(is_staff=True)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token row; its plain token is kept on the instance as ``token.plain`` (never stored)."""

    class Meta:
        model = ApiToken

    plain = factory.Sequence(lambda n: f"sqs_test_token_{n:06d}")
    user = factory.SubFactory(UserFactory)
    name = "test"
    key_prefix = factory.LazyAttribute(lambda o: o.plain[:10])
    digest = factory.LazyAttribute(lambda o: token_digest(o.plain))

    class Params:
        revoked = factory.Trait(revoked_at=factory.Faker("past_datetime", tzinfo=__import__("datetime").UTC))

    @classmethod
    def _create(cls, model_class: type[ApiToken], *args: Any, **kwargs: Any) -> ApiToken:
        plain = kwargs.pop("plain")
        token = super()._create(model_class, *args, **kwargs)
        token.plain = plain  # type: ignore[attr-defined]
        return token
