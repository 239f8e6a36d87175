"""The inventory admin's tests: pages reached by clicking from the admin index (tests/admin/navigation.py)."""
