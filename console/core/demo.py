"""Simulated mini-program traffic, so Lookout can be shown, screenshotted and load-tested
without a real app in the field.

:class:`DemoScenario` plays many WeChat-style mini-program users through sessions and turns
what they do into native payloads shaped exactly like ``shared/protocol/native-examples.json``
(same field names; times in epoch milliseconds except the logger's ISO string).
:func:`run_demo_traffic` posts those payloads to a running collector at a steady rate.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import orjson

from console.core.demo_metrics import DemoMetrics

__all__ = ["EXPERIMENT_ID", "DemoScenario", "DemoStats", "run_demo_traffic"]

Payload = dict[str, object]
_Device = tuple[str, str, str, str, int, int, float]

log = logging.getLogger("lookout.demo")

EXPERIMENT_ID = "checkout-button-color"
_GOAL_RATE = {"control": 0.10, "orange": 0.12}  # the true per-user purchase rates of the A/B test
_FUNNEL = ("view_item", "add_to_cart", "checkout", "pay")

#: The KPIs the demo app defines (the brief's defineKPI, as native ``kpi`` payloads) right
#: after its experiment, so the Analytics panel and the report have something to judge.
DEMO_KPIS: tuple[Payload, ...] = (
    {"type": "kpi", "name": "Active users", "description": "Users who opened at least one page",
     "calculation": {"formula": "unique_users", "event": {"source": "page_view"}},
     "target": 300, "higherIsBetter": True, "updateFrequency": "1m"},
    {"type": "kpi", "name": "Checkout conversion", "description": "Cart visitors who went on to buy",
     "calculation": {"formula": "rate", "per": "users", "event": {"source": "conversion", "name": "purchase"},
                     "denominator": {"source": "page_view", "name": "pages/cart/cart"}},
     "unit": "%", "target": 30, "thresholds": {"warning": 20, "critical": 10}, "updateFrequency": "1m"},
    {"type": "kpi", "name": "Revenue", "description": "Purchases, in CNY",
     "calculation": {"formula": "sum", "event": {"source": "conversion", "name": "purchase"}, "field": "value"},
     "unit": "CNY", "target": 5000, "higherIsBetter": True, "updateFrequency": "1m"},
    {"type": "kpi", "name": "LCP p75", "description": "Largest contentful paint, 75th percentile",
     "calculation": {"formula": "percentile", "event": {"source": "page_load"}, "field": "lcp", "quantile": 0.75},
     "unit": "ms", "target": 2500, "thresholds": {"warning": 3000, "critical": 4000}, "updateFrequency": "1m"},
    {"type": "kpi", "name": "Sessions with an error", "description": "Share of sessions that hit an error",
     "calculation": {"formula": "error_rate"}, "unit": "%", "target": 5,
     "thresholds": {"warning": 10, "critical": 20}, "updateFrequency": "1m"},
)
_FUNNEL_PAGES = ("pages/item/item", "", "pages/checkout/checkout", "pages/pay/pay")  # "": stays put
_API = "https://api.example.com"
_BURST_PERIOD_MS, _BURST_MS = 240_000, 20_000

# route: (title, LCP median ms, INP median ms, CLS median, API calls, transaction). Search is slow.
_PAGES: dict[str, tuple[str, float, float, float, str, str]] = {
    "pages/index/index": ("Home", 1900, 120, 0.03, "GET /feed|GET /banners", "index.feed"),
    "pages/search/search": ("Search", 4400, 280, 0.14, "GET /search?q={kw}|GET /search/suggest?q={kw}",
                            "search.query"),
    "pages/item/item": ("Item", 2300, 150, 0.06, "GET /items/{n}|GET /items/{n}/reviews", "item.load"),
    "pages/cart/cart": ("Cart", 2000, 140, 0.04, "GET /cart|POST /cart/items", "cart.load"),
    "pages/checkout/checkout": ("Checkout", 2600, 180, 0.05, "POST /orders|GET /addresses",
                                "checkout.submit"),
    "pages/pay/pay": ("Pay", 1700, 110, 0.02, "POST /orders/{oid}/pay", "pay.request"),
    "pages/profile/profile": ("Me", 1500, 90, 0.02, "GET /me|GET /me/coupons", "profile.load"),
}
_BROWSE = ("pages/index/index", "pages/search/search", "pages/item/item", "pages/cart/cart",
           "pages/profile/profile")
_BROWSE_WEIGHTS = (3, 3, 4, 2, 1)
_SPAN_MEDIAN_MS = {"http.client": 220.0, "function": 8.0, "ui.render": 45.0, "storage": 5.0}
# (brand, model, system, platform, screenWidth, screenHeight, pixelRatio), how common
_DEVICES: tuple[tuple[_Device, int], ...] = (
    (("Apple", "iPhone 15", "iOS 17.4", "ios", 393, 852, 3), 5),
    (("Apple", "iPhone 13", "iOS 16.7.2", "ios", 390, 844, 3), 4),
    (("Apple", "iPhone SE", "iOS 15.8", "ios", 375, 667, 2), 2),
    (("Xiaomi", "23127PN0CC", "Android 14", "android", 393, 873, 2.75), 4),
    (("HUAWEI", "ALN-AL00", "Android 12", "android", 412, 915, 3.5), 4),
    (("OPPO", "PJJ110", "Android 14", "android", 412, 915, 3.5), 3),
    (("vivo", "V2309A", "Android 13", "android", 393, 873, 2.75), 3),
    (("devtools", "iPhone 12/13 (Pro)", "iOS 10.0.1", "devtools", 390, 844, 3), 1),
)
_WECHAT = (("8.0.50", "3.4.6"), ("8.0.49", "3.4.3"), ("8.0.47", "3.3.5"), ("8.0.44", "3.2.5"))
# tag#id.class.class "text"
_CLICKS = ("button#buy.btn.primary Buy now", "view#banner.swiper-item ", "navigator#tab-cart.tab Cart",
           "button#search.btn Search", "image#thumb.goods-thumb ", "button#coupon.btn.ghost Get coupon")


@dataclass(frozen=True)
class _Fault:
    """One recurring bug of the simulated app; the ``{…}`` parts of ``template`` vary per event."""

    kind: str
    route: str
    template: str
    frames: str
    line: int = 0
    severity: str = "medium"


_FAULTS = (
    _Fault("javascript_error", "pages/cart/cart",
           "TypeError: Cannot read properties of undefined (reading 'price') for sku {sku}",
           "sumCart (pages/cart/cart.js:88:27)|Object.onCheckout (pages/cart/cart.js:141:9)", 1893, "high"),
    _Fault("javascript_error", "pages/search/search",
           "SyntaxError: Unexpected token '{tok}' in JSON at position {pos}",
           "JSON.parse (<anonymous>)|parseHits (pages/search/search.js:57:22)", 2210),
    _Fault("javascript_error", "pages/item/item",
           "Error: setData payload of {size} bytes for item {sku} exceeds 1048576 bytes",
           "Object.renderGallery (pages/item/item.js:213:12)|Object.onLoad (pages/item/item.js:34:5)", 3021),
    _Fault("unhandled_promise_rejection", "pages/index/index",
           "Error: token expired for user '{uid}' (errcode {code})",
           "refresh (utils/auth.js:41:11)|async loadFeed (pages/index/index.js:66:3)"),
    _Fault("unhandled_promise_rejection", "pages/pay/pay",
           "Error: requestPayment:fail order {oid} not payable (state '{state}')",
           "startPay (pages/pay/pay.js:74:15)", severity="high"),
    _Fault("network_error", "pages/checkout/checkout", "/orders/{oid}/confirm", "", severity="critical"),
)


def _variant_for(user_id: str) -> str:
    """The user's arm of the experiment: a stable hash, the same across runs and seeds."""
    digest = hashlib.sha256(f"{EXPERIMENT_ID}:{user_id}".encode()).digest()
    return "control" if int.from_bytes(digest[:4], "big") % 100 < 50 else "orange"


@dataclass
class _User:
    id: str
    device: _Device
    wechat: tuple[str, str]
    app_version: str
    member: bool  # identifies itself once
    variant: str
    assigned: bool = False
    identified: bool = False
    buyer: bool = False
    bought: bool = False

    @property
    def user_agent(self) -> str:
        _, model, system, platform, *_ = self.device
        wechat = f"MicroMessenger/{self.wechat[0]} miniProgram"
        if platform == "android":
            return f"Mozilla/5.0 (Linux; {system}; {model}) {wechat}"
        ios = system.split(" ", 1)[1].replace(".", "_")
        tool = " wechatdevtools/1.06" if platform == "devtools" else ""
        return f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X){tool} {wechat}"


@dataclass
class _Session:
    id: str
    user: _User
    started_ms: int = 0
    route: str = ""
    crumbs: list[dict[str, object]] = field(default_factory=list)

    def crumb(self, crumb: dict[str, object]) -> None:
        self.crumbs.append(crumb)
        del self.crumbs[:-20]


class DemoScenario:
    """A deterministic (given ``seed``) crowd of mini-program users producing native payloads.

    About ``users // 8`` sessions run at once; each :meth:`next_batch` advances randomly chosen
    sessions one payload at a time.  A session opens on the home page, assigns the user to the
    ``checkout-button-color`` experiment on first sight, may identify the user, browses a few
    pages and walks some way down the ``purchase`` funnel.  Which assigned users buy is drawn by
    systematic sampling per variant, so the true 10 % / 12 % goal rates show even at demo scale
    instead of drowning in sampling noise.  Every few simulated minutes one of the recurring
    errors bursts for about twenty seconds.  ``project`` is kept for callers; payloads do not
    name their project (the collector URL does).
    """

    def __init__(self, *, seed: int | None = None, project: str = "demo", users: int = 400) -> None:
        if users < 1:
            raise ValueError("users must be at least 1")
        self.project = project
        self.seed = seed if seed is not None else random.SystemRandom().getrandbits(32)
        self._rng = rng = random.Random(self.seed)
        self._now = 0
        self._last_ms: int | None = None
        self._definitions: list[Payload] = [
            {"type": "experiment", "id": EXPERIMENT_ID, "name": "Checkout button colour",
             "variants": [{"name": v, "weight": 50} for v in _GOAL_RATE], "goals": ["purchase"]},
            *DEMO_KPIS,
        ]
        self._burst: tuple[int, int, _Fault] | None = None
        self._quota = {variant: rng.random() for variant in _GOAL_RATE}
        devices, weights = zip(*_DEVICES, strict=True)
        self._idle = [_User(f"u-{1000 + i}", rng.choices(devices, weights)[0], rng.choice(_WECHAT),
                            rng.choice(("2.3.1", "2.3.1", "2.3.0")), rng.random() < 0.35,
                            _variant_for(f"u-{1000 + i}")) for i in range(users)]
        self._active = [self._open_session() for _ in range(max(1, users // 8))]

    def next_batch(self, n: int, now_ms: int) -> list[Payload]:
        """Return the next ``n`` payloads, timestamped between the previous call and ``now_ms``."""
        low = now_ms if self._last_ms is None else min(now_ms, max(self._last_ms, now_ms - 5000))
        batch: list[Payload] = []
        for i in range(n):
            self._now = low + (now_ms - low) * (i + 1) // n
            batch.append(self._next_payload())
        self._last_ms = now_ms
        return batch

    def _open_session(self) -> tuple[_Session, Iterator[Payload]]:
        user = self._idle.pop(self._rng.randrange(len(self._idle)))
        session = _Session(f"s-{self._rng.getrandbits(32):08x}", user)
        return session, self._session_steps(session)

    def _next_payload(self) -> Payload:
        if self._definitions:
            return dict(self._definitions.pop(0))
        fault = self._bursting(self._now)
        if fault is not None and self._rng.random() < 0.2:
            victim = self._rng.choice(self._active)[0]
            if victim.crumbs:  # only a session that has started can fail
                return self._error(victim, fault)
        slot = self._rng.randrange(len(self._active))
        session, steps = self._active[slot]
        payload = next(steps, None)
        if payload is None:  # the session ended: its user goes idle, another user opens the app
            self._idle.append(session.user)
            session, steps = self._active[slot] = self._open_session()
            payload = next(steps)
        return payload

    def _bursting(self, now_ms: int) -> _Fault | None:
        period = now_ms // _BURST_PERIOD_MS
        if self._burst is None or self._burst[0] != period:
            # Seeded per period, so the schedule depends on simulated time only, not on traffic.
            rng = random.Random(f"{self.seed}:burst:{period}")
            start = period * _BURST_PERIOD_MS + rng.randrange(_BURST_PERIOD_MS - _BURST_MS)
            self._burst = (period, start, rng.choice(_FAULTS))
        _, start, fault = self._burst
        return fault if start <= now_ms < start + _BURST_MS else None

    def _session_steps(self, s: _Session) -> Iterator[Payload]:
        rng, user = self._rng, s.user
        s.started_ms = self._now
        yield from self._visit(s, "pages/index/index")
        if not user.assigned:
            user.assigned = True
            before = math.floor(self._quota[user.variant])
            self._quota[user.variant] += _GOAL_RATE[user.variant]
            user.buyer = math.floor(self._quota[user.variant]) > before
            yield self._event(s, "experiment_assignment",
                              {"experimentId": EXPERIMENT_ID, "variant": user.variant, "userId": user.id})
        if user.member and not user.identified:
            user.identified = True
            yield self._event(s, "user_identified", {"userId": user.id, "properties": {
                "plan": rng.choice(("gold", "silver", "free")),
                "city": rng.choice(("Hangzhou", "Shanghai", "Shenzhen", "Chengdu", "Beijing"))}})
        for _ in range(rng.randint(1, 4)):
            yield from self._visit(s, rng.choices(_BROWSE, _BROWSE_WEIGHTS)[0])
        depth = 0
        for keep_going in (0.7, 0.5, 0.55):
            if rng.random() >= keep_going:
                break
            depth += 1
        if user.buyer and not user.bought:
            depth = 4  # a drawn buyer goes all the way in the first session
        elif depth == 3 and user.bought and rng.random() < 0.3:
            depth = 4  # a repeat purchase
        for index in range(depth):
            yield from self._funnel_step(s, index)

    def _funnel_step(self, s: _Session, index: int) -> Iterator[Payload]:
        rng, page = self._rng, _FUNNEL_PAGES[index]
        if page:
            yield from self._visit(s, page, busy=False)
        else:
            yield self._click(s, "button#add-cart.btn.primary Add to cart")
            yield self._request(s, "POST /cart/items")
        if index == 2:
            yield {"type": "interaction", "action": "form_submit", **self._base(s),
                   "form": {"id": "address", "fields": rng.randint(4, 7)}}
        step = {"funnel": "purchase", "step": _FUNNEL[index], "stepIndex": index}
        yield self._event(s, "funnel_step", step)
        if index == 2:
            yield self._transaction(s)
        elif index == 3:
            s.user.bought = True
            yield self._event(s, "conversion", {
                "type": "purchase", "value": round(rng.lognormvariate(math.log(120), 0.7), 2),
                "currency": "CNY", "orderId": f"o-{rng.randint(1000, 99999)}"})
            yield self._event(s, "experiment_goal", {
                "experimentId": EXPERIMENT_ID, "variant": s.user.variant, "goal": "purchase", "value": 1,
                "userId": s.user.id})

    def _visit(self, s: _Session, route: str, *, busy: bool = True) -> Iterator[Payload]:
        rng = self._rng
        previous, s.route = s.route, route
        s.crumb({"type": "navigation", "category": "route",
                 "message": f"{previous or 'launch'} -> {route}", "timestamp": self._now})
        vitals = self._vitals(route)
        yield {"type": "page_view", "id": f"pv-{rng.getrandbits(32):08x}", "url": route,
               "title": _PAGES[route][0], "referrer": previous, **self._base(s),
               "deviceInfo": self._device_info(s),
               "performanceMetrics": {"firstContentfulPaint": vitals["firstContentfulPaint"]}}
        yield {"type": "page_load", "url": route, **self._base(s), "metrics": vitals, **self._where(s)}
        actions = (lambda: self._request(s, rng.choice(_PAGES[route][4].split("|"))),
                   lambda: self._click(s, rng.choice(_CLICKS)), lambda: self._scroll(s),
                   lambda: self._log(s), lambda: self._custom_event(s), lambda: self._transaction(s))
        for _ in range(rng.randint(1, 4) if busy else rng.randint(0, 1)):
            yield rng.choices(actions, (5, 3, 2, 2, 1, 1.5))[0]()
        faults = [fault for fault in _FAULTS if fault.route == route]
        if faults and rng.random() < 0.05:
            yield self._error(s, rng.choice(faults))

    def _base(self, s: _Session) -> Payload:
        return {"timestamp": self._now, "sessionId": s.id, "userId": s.user.id}

    def _device_info(self, s: _Session) -> dict[str, object]:
        brand, model, system, platform, width, height, ratio = s.user.device
        return {"brand": brand, "model": model, "system": system, "platform": platform,
                "version": s.user.wechat[0], "SDKVersion": s.user.wechat[1],
                "screenWidth": width, "screenHeight": height, "pixelRatio": ratio}

    def _where(self, s: _Session) -> Payload:
        """The device and release a page load or transaction ran on (the Performance panel's
        filters), the same as the session's page views and errors say."""
        return {"deviceInfo": self._device_info(s),
                "context": {"appVersion": s.user.app_version, "environment": "production"}}

    def _event(self, s: _Session, name: str, properties: dict[str, object]) -> Payload:
        return {"type": "event", "name": name, "eventId": f"ev-{self._rng.getrandbits(32):08x}",
                **self._base(s), "properties": properties}

    def _lognormal(self, median: float, sigma: float) -> float:
        return self._rng.lognormvariate(math.log(median), sigma)

    def _vitals(self, route: str) -> dict[str, float]:
        _, lcp_median, inp_median, cls_median, *_ = _PAGES[route]
        ln = self._lognormal
        ttfb = ln(280.0, 0.5)
        lcp = max(ttfb + 150.0, ln(lcp_median, 0.45))
        fcp = ttfb + (lcp - ttfb) * self._rng.uniform(0.25, 0.6)
        vitals = {"firstContentfulPaint": fcp, "largestContentfulPaint": lcp,
                  "cumulativeLayoutShift": ln(cls_median, 0.8), "firstInputDelay": ln(18.0, 0.8),
                  "interactionToNextPaint": ln(inp_median, 0.5), "timeToFirstByte": ttfb,
                  "domContentLoaded": ln(40.0, 0.6), "loadComplete": ln(15.0, 0.6),
                  "resourceLoadTime": ln(0.3 * lcp, 0.4), "timeToInteractive": lcp + ln(400.0, 0.6),
                  "totalBlockingTime": ln(150.0 * lcp_median / 2000.0, 0.7)}
        return {name: round(value, 3 if name == "cumulativeLayoutShift" else 1)
                for name, value in vitals.items()}

    def _click(self, s: _Session, target: str) -> Payload:
        selector, text = target.split(" ", 1)
        tag, _, rest = selector.partition("#")
        element_id, *classes = rest.split(".")
        s.crumb({"type": "user", "category": "ui.tap", "message": f"{tag}#{element_id}",
                 "timestamp": self._now})
        width, height = s.user.device[4:6]
        return {"type": "interaction", "action": "click", **self._base(s),
                "element": {"tag": tag, "id": element_id, "classes": classes, "text": text},
                "coordinates": {"x": self._rng.randint(0, width), "y": self._rng.randint(0, height)}}

    def _scroll(self, s: _Session) -> Payload:
        position = self._rng.randint(0, 4000)
        return {"type": "interaction", "action": "scroll", **self._base(s),
                "scrollPosition": position, "scrollPercentage": round(position / 40, 1)}

    def _request(self, s: _Session, endpoint: str) -> Payload:
        rng = self._rng
        method, path = endpoint.split(" ", 1)
        url = _API + path.format(n=rng.randint(1000, 99999), oid=f"o-{rng.randint(1000, 99999)}",
                                 kw=rng.choice(("tea", "shoes", "phone-case", "mooncake")))
        roll = rng.random()
        status = 500 if roll < 0.025 else 404 if roll < 0.045 else 201 if method == "POST" else 200
        duration = self._lognormal(600.0 if "search" in path else 180.0, 0.5)
        if rng.random() < 0.05:
            duration *= rng.uniform(5.0, 15.0)  # the occasional request stuck on a slow network
        s.crumb({"type": "http", "category": "request",
                 "data": {"url": url, "method": method, "status": status}, "timestamp": self._now})
        return {"type": "network_request", "url": url, "method": method, "status": status,
                "duration": round(duration, 1), "success": status < 400, **self._base(s)}

    def _transaction(self, s: _Session) -> Payload:
        rng = self._rng
        title, _, _, _, calls, name = _PAGES[s.route]
        method, path = calls.split("|")[0].split(" ", 1)
        path = path.format(n=":id", oid=":id", kw="").split("?")[0]
        span_specs = (("function", f"prepare-{name.split('.')[0]}"), ("http.client", f"{method} /api{path}"),
                      ("ui.render", f"render {title.lower()}"), ("storage", "wx.setStorage"),
                      ("function", "report-exposure"))
        start = cursor = max(0.0, float(self._now - s.started_ms)) + rng.uniform(1.0, 50.0)
        spans: list[dict[str, object]] = []
        slowest, failed = ("", 0.0), False
        for i, (op, span_name) in enumerate(span_specs[: rng.randint(2, 5)]):
            median = _SPAN_MEDIAN_MS[op] * (3 if "search" in span_name else 1)
            duration = round(self._lognormal(median, 0.6), 1)
            span: dict[str, object] = {"id": f"sp-{i + 1}", "name": span_name, "op": op,
                                       "startTime": round(cursor, 1), "duration": duration}
            if op == "http.client":
                status = 500 if rng.random() < 0.03 else 201 if span_name.startswith("POST") else 200
                span["status"] = status
                failed = failed or status >= 500
            spans.append(span)
            slowest = max(slowest, (span_name, duration), key=lambda pair: pair[1])
            cursor += duration + rng.uniform(0.2, 3.0)
        ids = {"userId": s.user.id, "sessionId": s.id}
        total = round(cursor - start, 1)
        return {"type": "transaction", "timestamp": self._now, "transaction": {
            "id": f"tx-{rng.getrandbits(32):08x}", "name": name, "startTime": round(start, 1),
            "endTime": round(cursor, 1), "duration": total, "context": ids, "spans": spans,
            "metadata": {**ids, "userAgent": s.user.user_agent, "url": s.route},
            "result": {"status": "error" if failed else "ok"}},
            "metrics": {"duration": total, "spanCount": len(spans), "slowestSpan": slowest[0]},
            **self._where(s)}

    def _custom_event(self, s: _Session) -> Payload:
        rng = self._rng
        name, properties = rng.choice((
            ("coupon_applied", {"code": rng.choice(("WINTER10", "NEW20", "VIP5")),
                                "discount": rng.choice((5, 10, 20))}),
            ("share_clicked", {"channel": rng.choice(("friend", "moments", "group"))}),
            ("banner_viewed", {"bannerId": rng.randint(1, 12), "position": rng.randint(0, 4)})))
        width, height = s.user.device[4:6]
        return {"type": "custom_event", "name": name, "properties": properties, **self._base(s),
                "context": {"url": s.route, "userAgent": s.user.user_agent,
                            "viewport": {"width": width, "height": height}}}

    def _log(self, s: _Session) -> Payload:
        rng = self._rng
        level = rng.choices(("info", "warn", "error"), (70, 22, 8))[0]
        sku = rng.randint(10, 9999)
        message, context = {
            "info": (f"loaded {sku % 50} items", {"count": sku % 50, "page": s.route}),
            "warn": (f"price missing for sku {sku}", {"sku": sku, "page": s.route}),
            "error": (f"cart sync failed: errcode {rng.choice((-1, 40001, 45009))}", {"page": s.route}),
        }[level]
        if level == "warn":
            s.crumb({"type": "default", "category": "console", "level": "warning",
                     "message": message, "timestamp": self._now})
        stamp = datetime.fromtimestamp(self._now / 1000, UTC).isoformat(timespec="milliseconds")
        return {"type": "log", "timestamp": stamp.replace("+00:00", "Z"), "level": level, "message": message,
                "context": context, "sessionId": s.id, "userId": s.user.id,
                "source": f"{s.route or 'app'}.js", "environment": "production"}

    def _error(self, s: _Session, fault: _Fault) -> Payload:
        rng = self._rng
        text = fault.template.format(
            sku=rng.randint(10, 99999), pos=rng.randint(0, 400), size=rng.randint(1_048_600, 3_000_000),
            code=rng.choice((40001, 42001, 40014)), uid=s.user.id, tok=rng.choice("<uN{"),
            oid=f"o-{rng.randint(1000, 99999)}", state=rng.choice(("CLOSED", "PAID", "EXPIRED")))
        error_id = f"err-{rng.getrandbits(32):08x}"
        if fault.kind == "network_error":
            return {"type": "network_error", "url": _API + text, "method": "POST",
                    "error": "request:fail timeout", "duration": float(15000 + rng.randint(0, 40)),
                    "id": error_id, **self._base(s), "severity": fault.severity}
        crumbs = [dict(crumb) for crumb in s.crumbs[-5:]]
        if fault.kind == "unhandled_promise_rejection":
            return {"type": fault.kind, "reason": text, "message": text,
                    "stack": "\n    at ".join((text, *fault.frames.split("|"))), "id": error_id,
                    **self._base(s), "breadcrumbs": crumbs, "severity": fault.severity}
        frames = (*fault.frames.split("|"), "Function.tap (WAService.js:2:1093)")
        return {"type": "javascript_error", "message": text, "filename": "app-service.js",
                "lineno": fault.line, "colno": 27, "stack": "\n    at ".join((text, *frames)), "id": error_id,
                **self._base(s), "context": {"route": fault.route, "appVersion": s.user.app_version,
                                             "environment": "production"},
                "breadcrumbs": crumbs, "fingerprint": None, "severity": fault.severity}


@dataclass
class DemoStats:
    """What :func:`run_demo_traffic` did.

    ``sent`` counts events in batches the collector answered with 2xx; ``accepted`` and
    ``rejected`` are the collector's own counts; ``requests`` counts HTTP attempts, of which
    ``failed_requests`` got no 2xx answer (connection errors, 429/503, other errors).
    """

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    requests: int = 0
    failed_requests: int = 0
    elapsed_s: float = 0.0


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.05), 30.0)  # the floor keeps "Retry-After: 0" from busy-looping


def _count_answer(response: httpx.Response, stats: DemoStats) -> None:
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict):
        accepted, rejected = body.get("accepted"), body.get("rejected")
        stats.accepted += accepted if isinstance(accepted, int) else 0
        stats.rejected += len(rejected) if isinstance(rejected, list) else (
            rejected if isinstance(rejected, int) else 0)


def _post_metrics(http: httpx.Client, url: str, project: str, metrics: DemoMetrics) -> None:
    try:
        http.post(
            f"{url.rstrip('/')}/v1/metrics",
            content=orjson.dumps(metrics.export(int(time.time() * 1000))),
            headers={"Content-Type": "application/json", "X-Lookout-Project": project},
        )
    except httpx.HTTPError as exc:
        log.warning("demo traffic: metrics export failed: %s", exc)


def run_demo_traffic(url: str, *, rate: float = 50.0, duration: float | None = None, batch_size: int = 20,
                     project: str = "demo", seed: int | None = None, stop: threading.Event | None = None,
                     client: httpx.Client | None = None, metrics_every_s: float | None = None,
                     users: int = 400) -> DemoStats:
    """POST simulated traffic to the collector at ``url`` at about ``rate`` events per second.

    ``users`` is how many simulated users come and go (the A/B test needs a few thousand
    for a verdict). With ``metrics_every_s`` it also posts an OTLP JSON metrics export that often to
    ``/v1/metrics`` (:mod:`console.core.demo_metrics`); those requests are not counted.

    Runs until ``duration`` seconds have passed or ``stop`` is set.  A batch answered 429 or
    503 is retried after the collector's Retry-After; a connection error is retried with
    exponential backoff; any other error answer drops the batch.  None of these raise.
    """
    if rate <= 0 or batch_size < 1:
        raise ValueError("rate must be positive and batch_size at least 1")
    scenario = DemoScenario(seed=seed, project=project, users=users)
    endpoint = f"{url.rstrip('/')}/api/{project}/events"
    halt = stop if stop is not None else threading.Event()
    # The collector is normally local, so a proxy from the environment would only get in the way.
    http = client if client is not None else httpx.Client(timeout=10.0, trust_env=False)
    stats = DemoStats()
    started = time.monotonic()
    deadline = math.inf if duration is None else started + duration
    interval = batch_size / rate
    due, streak = started, 0
    batch: list[Payload] | None = None
    metrics = DemoMetrics(service=project, seed=seed) if metrics_every_s else None
    metrics_due = started
    try:
        while not halt.is_set():
            now = time.monotonic()
            if now >= deadline:
                break
            if metrics is not None and metrics_every_s and now >= metrics_due:
                metrics_due = now + metrics_every_s
                _post_metrics(http, url, project, metrics)
            if now < due:
                halt.wait(min(due, deadline) - now)
                continue
            if batch is None:
                batch = scenario.next_batch(batch_size, int(time.time() * 1000))
            stats.requests += 1
            try:
                response = http.post(endpoint, content=orjson.dumps({"events": batch}),
                                     headers={"Content-Type": "application/json"})
            except httpx.HTTPError as exc:
                stats.failed_requests += 1
                streak += 1
                log.warning("demo traffic: POST %s failed: %s", endpoint, exc)
                due = time.monotonic() + min(5.0, 0.25 * 2 ** (streak - 1))
                continue
            streak = 0
            if response.status_code in (429, 503):
                stats.failed_requests += 1
                due = time.monotonic() + _retry_after(response)
                continue
            if response.is_success:
                stats.sent += len(batch)
                _count_answer(response, stats)
            else:
                stats.failed_requests += 1
                log.warning("demo traffic: dropping a batch the collector answered %d", response.status_code)
            batch = None
            due = max(due + interval, time.monotonic() - interval)  # keep pace, but no catch-up burst
    finally:
        if client is None:
            http.close()
        stats.elapsed_s = time.monotonic() - started
    return stats
