"""The problems the taxes services raise, as OpenAPI components (see ``synthesq.core.problem_schemas``)."""

from __future__ import annotations

from synthesq.core.problem_schemas import STRING, problem_doc
from taxes.exceptions import TaxClassInUse

TAX_CLASS_IN_USE = problem_doc("TaxClassInUse", error=TaxClassInUse,
                               description="Products or rates name the class (or it is the standard class).",
                               tax_class=STRING)
