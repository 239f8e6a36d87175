"""The admin's fixtures (tests/admin/conftest.py: ``login``, the role clients, ``browser_page``,
``every_kind_of_page``) for every test: tests/conftest.py registers this module as a plugin, so the admin tests
beside each app's tests (tests/<app>/admin/) use them as they are. A fixture added to that conftest comes along."""

from tests.admin.conftest import *  # noqa: F403 (every fixture of the admin's conftest, whatever its name)
