"""The problems the integrations services raise, as OpenAPI components (see ``synthesq.core.problem_schemas``)."""

from __future__ import annotations

from integrations.exceptions import DeliveryInProgress
from synthesq.core.problem_schemas import STRING, problem_doc

DELIVERY_IN_PROGRESS = problem_doc("DeliveryInProgress", error=DeliveryInProgress,
                                   description="An attempt is being sent right now; retry in a few seconds.",
                                   delivery_id=STRING)
