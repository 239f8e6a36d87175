"""The admin's signed-in clients, shared with tests/admin."""

from tests.admin.conftest import finance_client, login, sales_client

__all__ = ["finance_client", "login", "sales_client"]
