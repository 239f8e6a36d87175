"""The admin test clients (``login``, ``finance_client``…) for billing's admin tests."""

from tests.admin.conftest import finance_client, login, sales_client

__all__ = ["finance_client", "login", "sales_client"]
