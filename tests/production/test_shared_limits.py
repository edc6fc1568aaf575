"""Rate limits in the production shape: replicas count in one Redis, so together they allow one budget."""

from __future__ import annotations

import pytest

from bot.deploy.local_services import free_port, running_redis
from channels.limits import ChannelLimits, RateLimiter, SharedRateLimiter


@pytest.fixture(scope="module")
def redis_url() -> str:
    with running_redis() as redis:
        yield redis.url


def replica(monkeypatch: pytest.MonkeyPatch, url: str) -> ChannelLimits:
    """The limits one Rasa replica builds from its environment."""
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_SENDER", "3")
    monkeypatch.setenv("BOT_RATE_LIMIT_REDIS_URL", url)
    return ChannelLimits.from_env()


def test_two_replicas_together_allow_one_budget_per_sender(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    first, second = replica(monkeypatch, redis_url), replica(monkeypatch, redis_url)
    assert isinstance(first.per_sender, SharedRateLimiter)
    decisions = [limits.check_sender("owner-1") for limits in (first, second, first, second)]
    assert [decision.allowed for decision in decisions] == [True, True, True, False]
    assert decisions[-1].first_refusal and 0 < decisions[-1].retry_after <= 60
    assert second.check_sender("owner-2").allowed  # another sender has a budget of its own


def test_without_redis_each_replica_counts_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_RATE_LIMIT_REDIS_URL", raising=False)
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_SENDER", "3")
    assert isinstance(ChannelLimits.from_env().per_sender, RateLimiter)


def test_a_redis_outage_lets_messages_through(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = replica(monkeypatch, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert all(limits.check_sender("owner-1").allowed for _ in range(5))
