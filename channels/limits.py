"""Rate and size limits shared by every channel: token buckets per sender and per client IP, bounded bodies.

Configured by environment variables (read when Rasa builds the channels):
BOT_RATE_LIMIT_PER_SENDER and BOT_RATE_LIMIT_PER_IP (messages per minute, a burst of that many; 0 turns the limit
off), BOT_TRUSTED_PROXIES (space/comma-separated addresses or networks whose X-Forwarded-For is believed) and
BOT_RATE_LIMIT_REDIS_URL (production shape: the budgets are counted in Redis, so all replicas spend one budget).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

DEFAULT_PER_SENDER = 20
DEFAULT_PER_IP = 120
MAX_TRACKED_KEYS = 100_000
DRAIN_BYTES = 1024 * 1024
"""An oversized body up to this size is read and dropped so the client can read its 413; beyond it, cut off."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
REDIS_TIMEOUT_SECONDS = 0.25
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """The answer for one message: allowed, or how long to wait; `first_refusal` is the first refusal in a row."""

    retry_after: float = 0.0
    first_refusal: bool = False

    @property
    def allowed(self) -> bool:
        return self.retry_after == 0.0


@dataclass
class _Bucket:
    tokens: float
    updated: float
    refused: bool = False


@dataclass
class RateLimiter:
    """A token bucket per key: `per_minute` tokens at most, refilled at `per_minute` per minute.

    Keys idle long enough to be full again are forgotten, and at most `max_keys` are kept (least recently used
    go first), so random sender ids cannot grow memory without bound.
    """

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_TRACKED_KEYS
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def hit(self, key: str) -> Decision:
        """Take one token for `key`."""
        now = self.clock()
        rate = self.per_minute / 60.0
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.per_minute), now)
        bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[key] = bucket
        self._forget_idle(now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.refused = False
            return Decision()
        first_refusal = not bucket.refused
        bucket.refused = True
        return Decision(retry_after=(1.0 - bucket.tokens) / rate, first_refusal=first_refusal)

    def _forget_idle(self, now: float) -> None:
        """Drop least recently used buckets that are full again (a minute idle) or beyond `max_keys`."""
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if len(self._buckets) <= self.max_keys and now - oldest.updated < 60.0:
                return
            del self._buckets[key]


@dataclass
class SharedRateLimiter:
    """`per_minute` messages per key in fixed one-minute windows counted in Redis, so every replica of the
    production shape spends one budget. A Redis outage lets messages through (logged): it must not silence the bot."""

    per_minute: int
    client: Any  # redis.Redis
    scope: str
    clock: Callable[[], float] = time.time

    def hit(self, key: str) -> Decision:
        """Count one message for `key` in the current window."""
        now = self.clock()
        window = int(now // 60)
        name = f"bot:ratelimit:{self.scope}:{window}:{key}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(name)
            pipe.expire(name, 120)
            count = int(pipe.execute()[0])
        except redis.RedisError as error:
            logger.warning("shared rate limit unavailable, message let through: %s", error)
            return Decision()
        if count <= self.per_minute:
            return Decision()
        return Decision(retry_after=max(0.001, (window + 1) * 60 - now), first_refusal=count == self.per_minute + 1)


class Limiter(Protocol):
    def hit(self, key: str) -> Decision: ...


def _limiter(per_minute: int, scope: str, clock: Callable[[], float], client: Any) -> Limiter | None:
    if not per_minute:
        return None
    return SharedRateLimiter(per_minute, client, scope) if client is not None else RateLimiter(per_minute, clock)


def _per_minute(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return max(0, int(value)) if value else default
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number of messages per minute, got {value!r}") from error


def parse_networks(text: str) -> tuple[Network, ...]:
    """`"127.0.0.1 10.0.0.0/8,::1"` → networks."""
    return tuple(ipaddress.ip_network(part, strict=False) for part in text.replace(",", " ").split())


def _in(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(peer: str, forwarded_for: str | None, trusted_proxies: Iterable[Network]) -> str:
    """The peer address; behind a trusted proxy, the nearest untrusted address of X-Forwarded-For."""
    if not forwarded_for or not _in(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


@dataclass
class ChannelLimits:
    """The per-sender and per-IP limits of one channel and how it finds the client's address."""

    per_sender: Limiter | None
    per_ip: Limiter | None
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def from_env(cls, clock: Callable[[], float] = time.monotonic) -> ChannelLimits:
        """Limits from BOT_RATE_LIMIT_PER_SENDER, BOT_RATE_LIMIT_PER_IP, BOT_TRUSTED_PROXIES and (shared across
        replicas) BOT_RATE_LIMIT_REDIS_URL."""
        per_sender = _per_minute("BOT_RATE_LIMIT_PER_SENDER", DEFAULT_PER_SENDER)
        per_ip = _per_minute("BOT_RATE_LIMIT_PER_IP", DEFAULT_PER_IP)
        url = os.environ.get("BOT_RATE_LIMIT_REDIS_URL", "").strip()
        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                      socket_connect_timeout=REDIS_TIMEOUT_SECONDS) if url else None
        return cls(
            per_sender=_limiter(per_sender, "sender", clock, client),
            per_ip=_limiter(per_ip, "ip", clock, client),
            trusted_proxies=parse_networks(os.environ.get("BOT_TRUSTED_PROXIES", "")),
        )

    def client_ip(self, peer: str, forwarded_for: str | None) -> str:
        """The client address behind this channel's trusted proxies."""
        return client_ip(peer, forwarded_for, self.trusted_proxies)

    def request_ip(self, request: Request) -> str:
        """The client address of a Sanic request."""
        return self.client_ip(request.ip, request.headers.get("X-Forwarded-For"))

    def check_ip(self, ip: str) -> Decision:
        return self.per_ip.hit(ip) if self.per_ip else Decision()

    def check_sender(self, sender: str) -> Decision:
        return self.per_sender.hit(sender) if self.per_sender else Decision()


def retry_after_header(decision: Decision) -> dict[str, str]:
    """The Retry-After header (whole seconds, at least 1) of a refused request."""
    return {"Retry-After": str(max(1, math.ceil(decision.retry_after)))}


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body of a streaming route, or None when it is larger than `limit` (nothing past the limit is kept)."""
    request.stream.request_max_size = limit
    try:
        await request.receive_body()
    except PayloadTooLarge:
        request.stream.request_max_size = DRAIN_BYTES  # Sanic drains the rest after the response
        return None
    return request.body
