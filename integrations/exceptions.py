from __future__ import annotations

from synthesq.core.errors import Conflict


class DeliveryInProgress(Conflict):
    code = "delivery_in_progress"
    title = "An attempt is under way"

    def __init__(self, *, delivery_id: str) -> None:
        super().__init__(f"Delivery {delivery_id} is being attempted right now; try again in a few seconds.",
                         delivery_id=delivery_id)
