"""The back-office's XLSX exports as staff open them in a spreadsheet: amounts are numbers shown with their row's
currency's decimals (``#,##0.00`` for USD, ``#,##0`` for JPY), quantities are whole numbers, times are real
date-times (not text), the header row is bold and frozen, and text that looks like a formula stays text. Which
columns are amounts, quantities and times, and which column holds the currency, the export's resource says
(``synthesq.core.exports.ExportResource``).

Kept free of models and serializers: the settings name this format (``EXPORT_FORMATS``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from import_export.formats.base_formats import XLSX

TIME_FORMAT = "%Y-%m-%d %H:%M"  # how ``LocalTimeWidget`` writes a time as text (CSV)
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"


def amount_format(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


class StaffXLSX(XLSX):
    def export_data(self, dataset: Any, **kwargs: Any) -> bytes:
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

        from .money import minor_unit  # imported when exporting: the settings import this module

        headers = list(dataset.headers or [])
        money = set(getattr(dataset, "money_columns", ()))
        times = set(getattr(dataset, "time_columns", ()))
        counts = set(getattr(dataset, "count_columns", ()))
        currency_column = getattr(dataset, "currency_column", None)
        currency_at = headers.index(currency_column) if currency_column in headers else None

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = (dataset.title or "Export")[:31]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        widths = [len(str(header)) for header in headers]
        for row in dataset:
            currency = str(row[currency_at]) if currency_at is not None else ""
            try:
                decimals = minor_unit(currency) if currency else 2
            except ValueError:
                decimals = 2
            sheet.append([self._value(header, value, money, counts, times, ILLEGAL_CHARACTERS_RE)
                          for header, value in zip(headers, row, strict=True)])
            for header, cell in zip(headers, sheet[sheet.max_row], strict=True):
                if header in money and isinstance(cell.value, Decimal | int | float):
                    cell.number_format = amount_format(decimals)
                elif header in times and isinstance(cell.value, datetime):
                    cell.number_format = XLSX_TIME_FORMAT
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a customer named "=1+1" is text, never a formula
            widths = [max(width, len(str(value))) for width, value in zip(widths, row, strict=True)]
        for cell, width in zip(sheet[1], widths, strict=True):
            sheet.column_dimensions[cell.column_letter].width = min(width + 2, 60)
        stream = BytesIO()
        workbook.save(stream)
        return stream.getvalue()

    @staticmethod
    def _value(header: str, value: Any, money: set[str], counts: set[str], times: set[str], illegal: Any) -> Any:
        if value in (None, ""):
            return None
        if header in counts:
            try:
                return int(str(value))
            except ValueError:
                return str(value)
        if header in money:
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return str(value)
        if header in times:
            if isinstance(value, datetime):
                return value.replace(tzinfo=None)
            try:
                return datetime.strptime(str(value), TIME_FORMAT)
            except ValueError:
                return str(value)
        if isinstance(value, str):
            return illegal.sub("", value)
        return value
