from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "created_at"]
    search_fields = ["name", "email"]
    readonly_fields = ["id", "created_at", "updated_at"]
    fields = ["id", "name", "email", "phone", "default_shipping_address", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data}
            services.customer_update(customer=obj, data=data)
        else:
            created = services.customer_create(
                name=obj.name, email=obj.email, phone=obj.phone,
                default_shipping_address=obj.default_shipping_address,
            )
            obj.pk = created.pk
