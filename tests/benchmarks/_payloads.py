"""Realistic native payloads for the benchmarks, built from the protocol's recorded examples.

Every event is a copy of one of the examples in ``tests/fixtures/payloads/native-examples.json``
(or ``/work/shared/protocol/native-examples.json`` when the fixture is absent) with its ids, session, user, times, routes
and messages varied, in a mix that resembles a mini program's traffic: mostly requests,
interactions and page views, a few per cent errors, rare experiment definitions.

Not a test module: the benchmark scripts import it from their own folder.
"""

from __future__ import annotations

import copy
import random
import time
from pathlib import Path
from typing import Any

import orjson

_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "native-examples.json",
    Path("/work/shared/protocol/native-examples.json"),
)

#: (example selector, weight in per cent). A selector is the example's type, or
#: "type:name" / "type:action" where one type has several examples.
MIX: list[tuple[str, float]] = [
    ("network_request", 22.0),
    ("interaction:click", 10.0),
    ("interaction:scroll", 6.0),
    ("interaction:form_submit", 2.0),
    ("page_view", 12.0),
    ("log", 10.0),
    ("transaction", 8.0),
    ("page_load", 8.0),
    ("custom_event", 6.0),
    ("event:funnel_step", 4.0),
    ("event:conversion", 1.5),
    ("event:user_identified", 1.0),
    ("event:experiment_assignment", 2.0),
    ("event:experiment_goal", 1.0),
    ("javascript_error", 3.0),
    ("unhandled_promise_rejection", 1.5),
    ("network_error", 1.5),
    ("experiment", 0.05),
]

_ROUTES = [
    "pages/index/index", "pages/cart/cart", "pages/checkout/checkout", "pages/product/detail",
    "pages/search/search", "pages/profile/profile", "pages/orders/list", "pages/orders/detail",
    "pages/coupon/coupon", "pages/address/edit",
]
_ENDPOINTS = ["cart", "orders", "products", "search", "profile", "coupons", "address", "auth/refresh"]
_PROPS = ["price", "sku", "length", "id", "name", "items", "total", "address", "token", "map"]
_FUNCS = ["sumCart", "onCheckout", "renderList", "loadProfile", "applyCoupon", "fetchOrders"]
_REJECTIONS = ["token expired", "network unreachable", "quota exceeded", "invalid signature"]
_EXPERIMENTS = ["checkout-button-color", "free-shipping-banner", "search-ranking-v2"]


def load_examples() -> list[dict[str, Any]]:
    for path in _CANDIDATES:
        if path.exists():
            return list(orjson.loads(path.read_bytes())["examples"])
    raise SystemExit("native-examples.json not found (looked in tests/fixtures/payloads and /work/shared/protocol)")


def _selector(example: dict[str, Any]) -> str:
    kind = example["type"]
    if kind == "event":
        return f"event:{example['name']}"
    if kind == "interaction":
        return f"interaction:{example['action']}"
    return kind


class PayloadFactory:
    """Makes varied native event objects; deterministic for a given seed."""

    def __init__(self, *, seed: int = 1, sessions: int = 5_000, users: int = 2_000,
                 start_ms: int | None = None, step_ms: float = 1.0) -> None:
        self.rng = random.Random(seed)
        by_selector = {_selector(e): e for e in load_examples()}
        missing = [s for s, _ in MIX if s not in by_selector]
        if missing:
            raise SystemExit(f"the examples file lacks {missing}")
        self._templates = [by_selector[s] for s, _ in MIX]
        self._weights = [w for _, w in MIX]
        self._sessions = [f"s-{seed:02d}{i:06x}" for i in range(sessions)]
        self._users = [f"u-{i}" for i in range(users)]
        self._seq = 0
        self._session: int | None = None  # the one session of every event, while set
        self._now = float(start_ms if start_ms is not None else int(time.time() * 1000))
        self._step = step_ms

    def events(self, n: int) -> list[dict[str, Any]]:
        picks = self.rng.choices(self._templates, weights=self._weights, k=n)
        return [self._vary(copy.deepcopy(t)) for t in picks]

    def bodies(self, count: int, per_body: int, *, session_per_body: bool = False) -> list[bytes]:
        """``count`` request bodies of ``per_body`` events each, as ``{"events": [...]}``:
        each event of a random session, or with ``session_per_body`` all of a body's events of
        one (as an SDK sends what its own session queued)."""
        out = []
        for _ in range(count):
            self._session = self.rng.randrange(len(self._sessions)) if session_per_body else None
            out.append(orjson.dumps({"events": self.events(per_body)}))
        self._session = None
        return out

    # --- variation -------------------------------------------------------------------------

    def _vary(self, e: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        self._seq += 1
        n = self._seq
        self._now += self._step
        ts = int(self._now)
        which = rng.randrange(len(self._sessions)) if self._session is None else self._session
        session = self._sessions[which]
        user = self._users[which % len(self._users)] if which % 5 else None
        route = rng.choice(_ROUTES)
        kind = e["type"]
        if "timestamp" in e:
            e["timestamp"] = ts if kind != "log" else _iso(ts)
        if "sessionId" in e:
            e["sessionId"] = session
            if user is None:
                e.pop("userId", None)
            else:
                e["userId"] = user
        if kind == "transaction":
            tx = e["transaction"]
            tx["id"] = f"tx-{n:x}"
            tx["name"] = rng.choice(["checkout.submit", "cart.load", "search.query", "profile.load"])
            tx["duration"] = round(rng.lognormvariate(6.0, 0.6), 1)
            for ctx in (tx["context"], tx["metadata"]):
                ctx["sessionId"] = session
                if user:
                    ctx["userId"] = user
                else:
                    ctx.pop("userId", None)
            tx["metadata"]["url"] = route
            for span in tx["spans"]:
                span["duration"] = round(rng.lognormvariate(4.0, 1.0), 1)
        elif kind == "page_load":
            e["url"] = route
            for key in e["metrics"]:
                e["metrics"][key] = round(e["metrics"][key] * rng.uniform(0.5, 2.0), 3)
        elif kind == "page_view":
            e["id"] = f"pv-{n:x}"
            e["url"] = route
            e["title"] = route.split("/")[-1].title()
            e["referrer"] = rng.choice(_ROUTES)
        elif kind == "interaction":
            if e["action"] == "click":
                e["element"]["id"] = rng.choice(["checkout", "add-to-cart", "buy-now", "search", "back"])
                e["element"]["text"] = e["element"]["id"].replace("-", " ").title()
                e["coordinates"] = {"x": rng.randint(0, 393), "y": rng.randint(0, 852)}
            elif e["action"] == "scroll":
                e["scrollPercentage"] = round(rng.uniform(0, 100), 1)
                e["scrollPosition"] = rng.randint(0, 4000)
            else:
                e["form"]["id"] = rng.choice(["address", "login", "coupon"])
        elif kind == "custom_event":
            e["name"] = rng.choice(["coupon_applied", "share", "favorite", "filter_changed"])
            e["properties"]["code"] = f"WINTER{rng.randint(1, 50)}"
            e["context"]["url"] = route
        elif kind == "javascript_error":
            prop, func = rng.choice(_PROPS), rng.choice(_FUNCS)
            line = rng.randint(10, 400)
            e["message"] = f"TypeError: Cannot read properties of undefined (reading '{prop}')"
            e["stack"] = (
                f"{e['message']}\n    at {func} ({route}.js:{line}:27)\n"
                f"    at Object.onTap ({route}.js:{line + 53}:9)\n    at Function.tap (WAService.js:2:1093)"
            )
            e["id"] = f"err-{n:x}"
            e["context"]["route"] = route
        elif kind == "unhandled_promise_rejection":
            reason = f"Error: {rng.choice(_REJECTIONS)}"
            e["reason"] = e["message"] = reason
            e["stack"] = f"{reason}\n    at refresh (utils/auth.js:{rng.randint(10, 90)}:11)"
            e["id"] = f"err-{n:x}"
        elif kind == "network_error":
            e["url"] = f"https://api.example.com/{rng.choice(_ENDPOINTS)}?r={n}"
            e["error"] = rng.choice(["request:fail timeout", "request:fail net::ERR_CONNECTION_RESET"])
            e["id"] = f"err-{n:x}"
        elif kind == "network_request":
            e["url"] = f"https://api.example.com/{rng.choice(_ENDPOINTS)}?page={rng.randint(1, 20)}"
            e["method"] = rng.choice(["GET", "GET", "GET", "POST"])
            e["status"] = rng.choices([200, 201, 304, 404, 500], weights=[80, 5, 8, 4, 3])[0]
            e["success"] = e["status"] < 400
            e["duration"] = round(rng.lognormvariate(5.0, 0.7), 1)
        elif kind == "log":
            e["level"] = rng.choice(["info", "info", "warn", "error", "debug"])
            e["message"] = f"price missing for sku {rng.randint(1, 5000)}"
            e["context"]["sku"] = rng.randint(1, 5000)
            e["context"]["page"] = route
        elif kind == "event":
            e["eventId"] = f"ev-{n:x}"
            props = e["properties"]
            if e["name"] == "user_identified":
                props["userId"] = user or self._users[n % len(self._users)]
                props["properties"] = {"plan": rng.choice(["gold", "silver", "free"]), "visits": n % 97}
            elif e["name"] == "funnel_step":
                props["stepIndex"] = rng.randint(0, 4)
                props["step"] = ["home", "product", "cart", "checkout", "paid"][props["stepIndex"]]
            elif e["name"] == "conversion":
                props["value"] = round(rng.uniform(5, 500), 2)
                props["orderId"] = f"o-{n}"
            else:
                props["experimentId"] = rng.choice(_EXPERIMENTS)
                props["variant"] = rng.choice(["control", "orange"])
                if user:
                    props["userId"] = user
                else:
                    props.pop("userId", None)
        elif kind == "experiment":
            e["id"] = rng.choice(_EXPERIMENTS)
        return e


def _iso(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
