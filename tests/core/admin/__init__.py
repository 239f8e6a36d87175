"""The back-office as a whole (roles, dashboard, sidebar, history, messages, exports, the browser walks): pages
reached by clicking from the admin index (tests/admin/navigation.py)."""
