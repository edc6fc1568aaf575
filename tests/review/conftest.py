"""Fixtures of the review tests: a PostgreSQL server on loopback and a conversation with personal data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.review.postgres import postgres_bindir, running_postgres

RAW_PII = ["900101-1234567", "123-45-67890", "010-1234-5678", "foo@bar.co.kr", "110-123-456789", "1234-5678-9012-3456"]
PII_MESSAGES = [
    "안녕하세요 제 주민번호는 900101-1234567 이에요",
    "사업자등록번호 123-45-67890 인데 긴급경영안정자금 받을 수 있나요",
    "연락처는 010-1234-5678, 이메일은 foo@bar.co.kr 입니다",
    "입금은 신한 110-123-456789 계좌로, 카드는 1234-5678-9012-3456 이요",
]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a real PostgreSQL server started for this test session on 127.0.0.1."""
    if postgres_bindir() is None:
        pytest.fail("PostgreSQL server binaries not found: apt-get install postgresql (.ci/run does)")
    with running_postgres() as url:
        yield url
