from tests.admin.conftest import login  # noqa: F401  (the admin's signed-in clients, for these tests too)
