from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    id = PrefixedIdField(prefix="cust")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=32, blank=True)
    default_shipping_address = models.JSONField(
        null=True, blank=True, help_text="line1, line2, city, state, postal_code, country (ISO 3166 alpha-2)"
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(Lower("email"), name="customer_email_lower"),
            models.Index(Lower("name"), name="customer_name_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
