from __future__ import annotations

from synthesq.core.errors import Conflict


class TaxClassInUse(Conflict):
    code = "tax_class_in_use"
    title = "Tax class in use"

    def __init__(self, *, code: str, detail: str | None = None) -> None:
        super().__init__(detail or f"Tax class {code!r} is in use (products or rates name it); it cannot be deleted.",
                         tax_class=code)
