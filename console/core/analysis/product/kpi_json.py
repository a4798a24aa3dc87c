"""Reading a KPI's JSON: Lookout's own shape and the brief's ``defineKPI``, both turned into
the field values of :class:`~console.core.analysis.product.kpi.KpiDefinition`.

The brief's names sit beside Lookout's (``calculation`` for the formula — a name, or an object
holding the calculation's keys —, ``event`` or ``numerator`` for ``ref``, ``per`` for
``rate_of``, ``metric`` for ``field``, ``percentile`` for ``quantile``, ``thresholds`` for
``warning`` and ``critical``, ``updateFrequency`` in seconds or like ``"5m"`` for
``refresh_s``, ``higherIsBetter``). A field given twice, or one nobody knows, is refused with
its name: an app's typo gets a reason rather than a KPI that silently means something else.
The definition's own checks (a rate needs a denominator ...) are the dataclass's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from console.core.analysis.product.refs import EventRef

__all__ = ["definition_values", "finite", "parse_duration_s"]

_FORMULA_ALIASES = {"uniqueusers": "unique_users", "users": "unique_users", "errorrate": "error_rate"}
_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_PERCENTILE = re.compile(r"[pP]\d{2}")
_CALCULATION_KEYS = {
    "formula": "formula", "type": "formula", "ref": "ref", "event": "ref", "numerator": "ref",
    "denominator": "denominator", "rate_of": "rate_of", "per": "rate_of", "field": "field", "metric": "field",
    "quantile": "quantile", "percentile": "quantile",
}
_OTHER_KEYS = {
    "name": "name", "description": "description", "unit": "unit", "target": "target",
    "higher_is_better": "higher_is_better", "higherIsBetter": "higher_is_better",
    "warning": "warning", "critical": "critical", "refresh_s": "refresh_s", "updateFrequency": "refresh_s",
    "project": "project", "id": "id",
}
_ALL_KEYS = {**_CALCULATION_KEYS, **_OTHER_KEYS}
_THRESHOLD_KEYS = {"warning": "warning", "critical": "critical"}


def parse_duration_s(value: Any, what: str = "updateFrequency") -> int:
    """Seconds from a number of seconds or a text like ``"90"``, ``"5m"``, ``"1.5h"``, ``"7d"``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"'{what}' must be seconds or a duration like '5m', '1h', '7d'")
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            raise ValueError(f"'{what}' {value!r} is not a duration like '30s', '5m', '1h', '7d'")
        seconds = float(found.group(1)) * _UNITS_S[found.group(2) or "s"]
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"'{what}' must be a positive duration")
    return max(1, math.ceil(seconds))


def finite(value: Any, key: str) -> float | None:
    """``value`` as a float (None stays None); ValueError unless a finite number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"'{key}' must be a finite number")
    return float(value)


def _ref(value: Any, key: str) -> EventRef | None:
    """An event reference from its JSON form, or a bare string naming an event."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return EventRef("event", value)
        return EventRef.from_json(value)
    except ValueError as exc:
        raise ValueError(f"'{key}': {exc}") from None


def _quantile(value: Any) -> float | None:
    """0.95 from 0.95, 95 or "p95"."""
    if value is None:
        return None
    if isinstance(value, str) and _PERCENTILE.fullmatch(value):
        value = int(value[1:])
    number = finite(value, "quantile")
    assert number is not None
    return number / 100 if number > 1 else number


def _better_side(values: Mapping[str, Any], formula: str) -> bool:
    """Whether higher is better when a KPI does not say: from its target and thresholds
    (the good side comes first: target, warning, critical), else lower for error rates and
    percentiles (times, mostly), higher for the rest."""
    ordered = [values[k] for k in ("target", "warning", "critical") if values.get(k) is not None]
    for good, bad in zip(ordered, ordered[1:], strict=False):
        if good != bad:
            return bool(good > bad)
    return formula not in ("error_rate", "percentile")


def _collect(data: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields under their dataclass names (None values left out)."""
    values: dict[str, Any] = {}

    def put(key: str, value: Any, names: Mapping[str, str]) -> None:
        target = names.get(key)
        if target is None:
            known = ", ".join(sorted({*_ALL_KEYS, "calculation", "thresholds"}))
            raise ValueError(f"unknown field {key!r}; a KPI has {known}")
        if target in values:
            raise ValueError(f"{target!r} is given twice (as {key!r})")
        if value is not None:
            values[target] = value

    for key, value in data.items():
        if key == "calculation":
            if isinstance(value, Mapping):
                for inner, found in value.items():
                    put(str(inner), found, _CALCULATION_KEYS)
            else:
                put("formula", value, _CALCULATION_KEYS)
        elif key == "thresholds":
            if not isinstance(value, Mapping):
                raise ValueError("'thresholds' must be an object with 'warning' and/or 'critical'")
            for inner, found in value.items():
                put(str(inner), found, _THRESHOLD_KEYS)
        else:
            put(str(key), value, _ALL_KEYS)
    return values


def definition_values(data: Any) -> dict[str, Any]:
    """Keyword arguments for ``KpiDefinition`` from either JSON shape; ValueError with the reason."""
    if not isinstance(data, Mapping):
        raise ValueError("a KPI must be an object with a 'name'")
    values = _collect(data)
    if "name" not in values:
        raise ValueError("a KPI needs a 'name'")
    formula = values.get("formula", "count")
    if not isinstance(formula, str):
        raise ValueError("'formula' (the calculation) must be a string such as 'count' or 'rate'")
    formula = _FORMULA_ALIASES.get(formula.lower().replace("_", ""), formula)
    if _PERCENTILE.fullmatch(formula):
        values.setdefault("quantile", formula)
        formula = "percentile"
    values["formula"] = formula
    for key in ("ref", "denominator"):
        values[key] = _ref(values.get(key), key)
    values["quantile"] = _quantile(values.get("quantile"))
    for key in ("target", "warning", "critical"):
        values[key] = finite(values.get(key), key)
    if "refresh_s" in values:
        values["refresh_s"] = parse_duration_s(values["refresh_s"])
    if "higher_is_better" not in values:
        values["higher_is_better"] = _better_side(values, formula)
    if "unit" not in values and formula in ("rate", "error_rate"):
        values["unit"] = "%"
    return values
