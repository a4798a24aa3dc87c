"""The native ``kpi`` payload: an app defines a KPI (the brief's ``defineKPI``).

```json
{"type": "kpi", "name": "Checkout conversion", "description": "Carts that end in a purchase",
 "calculation": {"formula": "rate", "per": "users",
                 "event": {"source": "conversion", "name": "purchase"},
                 "denominator": {"source": "page_view", "name": "pages/cart/cart"}},
 "unit": "%", "target": 3.5, "thresholds": {"warning": 3.0, "critical": 2.0}, "updateFrequency": "5m"}
```

The definition is judged by :meth:`KpiDefinition.from_json`, so an app gets the same reasons
the window's editor shows; the writer replaces the stored KPI of the same name. A KPI an app
defines counts that app's project unless the payload names another. The envelope fields
(``timestamp``, ``sessionId``, ``userId``, ``eventId`` and the app's own ``id``) are not part
of the definition.
"""

from __future__ import annotations

from typing import Any

import orjson

from console.core.analysis.product.kpi import KpiDefinition
from console.core.events import Event, Kind
from console.core.ingest.limits import clip_data

__all__ = ["kpi_event"]

_ENVELOPE = frozenset({"type", "timestamp", "sessionId", "userId", "eventId", "id"})


def kpi_event(item: dict[str, Any], *, project: str, timestamp: int) -> Event:
    """The KPI event of a ``kpi`` payload; ValueError with the reason when it is not a valid KPI."""
    definition = {key: value for key, value in item.items() if key not in _ENVELOPE}
    definition.setdefault("project", project)
    kpi = KpiDefinition.from_json(definition)
    return Event(
        kind=Kind.KPI,
        project=project,
        timestamp=timestamp,
        summary=f"KPI {kpi.name} defined: {kpi.calculation_label()}",
        columns={"name": kpi.name, "definition": orjson.dumps(kpi.to_json()).decode()},
        data=clip_data(item),
    )
