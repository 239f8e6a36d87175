"""The admin tests' sign-in fixtures, shared with tests/admin."""

from tests.admin.conftest import login, sales_client, warehouse_client  # noqa: F401 (fixtures)
