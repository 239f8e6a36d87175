"""The admin fixtures (a signed-in client per role, a Chromium page) for sales' admin tests."""

from tests.admin.conftest import browser_page, finance_client, login, sales_client  # noqa: F401 (fixtures)
