"""Invoices and payments live here (see the billing issue)."""
