"""Two Rasa servers share one PostgreSQL tracker store and one Redis lock store: messages of the same
conversations sent to both servers, interleaved and at the same time, lose, duplicate or reorder nothing, and each
conversation ends as it does on a single server."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy

from bot.deploy.production import ProductionStack
from bot.server.rasa_api import api_request, api_url
from bot.staff.retrain import promote
from tests.channels.conftest import WidgetClient

CONSULTATIONS = [
    ["안녕하세요",
     "창업 2년 된 서울 식품 제조업체인데 운전자금이 필요해요. 직원은 5명이고 매출은 20% 줄었고 수출은 안 해요",
     "대표자는 만 34세예요", "긴급경영안정자금 금리는 얼마인가요?", "감사합니다"],
    ["긴급경영안정자금 알려주세요", "신청은 어떻게 하나요?", "상담사 연결해 주세요"],
    ["추천해 주세요", "부산에 있는 금속가공 업체예요", "업력은 7년이에요", "직원 30명이에요", "모르겠어요"],
    ["스마트공장 교육 있나요?", "비용은 얼마예요?", "처음부터"],
]
COPIES = 3  # conversations per script in the interleaved run


async def say(client: httpx.AsyncClient, server: str, sender: str, text: str) -> list[dict[str, Any]]:
    response = await client.post(f"{server}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    response.raise_for_status()
    return response.json()


async def tracker_events(client: httpx.AsyncClient, server: str, sender: str) -> list[dict[str, Any]]:
    response = await client.get(api_url(server, f"/conversations/{sender}/tracker", include_events="ALL"))
    response.raise_for_status()
    return response.json()["events"]


def signature(events: list[dict[str, Any]]) -> list[tuple]:
    """What a conversation did, without timestamps and ids: messages, intents, actions, slots, forms."""
    summary: list[tuple] = []
    for event in events:
        kind = event["event"]
        if kind == "user":
            summary.append((kind, event["text"], (event.get("parse_data") or {}).get("intent", {}).get("name")))
        elif kind == "bot":
            summary.append((kind, event["text"], str((event.get("data") or {}).get("buttons"))))
        elif kind == "action":
            summary.append((kind, event["name"]))
        elif kind == "slot":
            summary.append((kind, event["name"], str(event["value"])))
        else:
            summary.append((kind, str(event.get("name"))))
    return summary


def user_turns_are_atomic(events: list[dict[str, Any]]) -> bool:
    """Every user message is followed by its own actions up to `action_listen` before the next one starts."""
    listening = True
    for event in events:
        if event["event"] == "user":
            if not listening:
                return False
            listening = False
        elif event["event"] == "action" and event["name"] == "action_listen":
            listening = True
    return True


def stored_rows(database_url: str, sender: str) -> list[tuple[int, str, float]]:
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                "SELECT id, type_name, timestamp FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": sender}).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


async def run_interleaved(servers: list[str]) -> dict[str, list[str]]:
    """Every conversation at once; message i of a conversation goes to server i % 2."""
    senders = {f"multi-{n}-{copy}-{uuid.uuid4().hex[:6]}": script
               for n, script in enumerate(CONSULTATIONS) for copy in range(COPIES)}

    async def converse(client: httpx.AsyncClient, sender: str, script: list[str]) -> None:
        for turn, text in enumerate(script):
            assert await say(client, servers[turn % len(servers)], sender, text), f"no reply to {text!r}"

    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(*(converse(client, sender, script) for sender, script in senders.items()))
    return senders


async def run_on_one_server(server: str) -> list[str]:
    async with httpx.AsyncClient(timeout=120) as client:
        senders = []
        for n, script in enumerate(CONSULTATIONS):
            sender = f"single-{n}-{uuid.uuid4().hex[:6]}"
            for text in script:
                await say(client, server, sender, text)
            senders.append(sender)
    return senders


async def test_interleaved_conversations_end_as_on_one_server(production: ProductionStack):
    servers = [server.url for server in production.rasa_servers]
    reference_senders = await run_on_one_server(servers[0])
    senders = await run_interleaved(servers)
    async with httpx.AsyncClient(timeout=60) as client:
        reference = [signature(await tracker_events(client, servers[0], s)) for s in reference_senders]
        for sender, script in senders.items():
            events = await tracker_events(client, servers[1], sender)
            assert signature(events) == reference[CONSULTATIONS.index(script)], sender
            assert [e["text"] for e in events if e["event"] == "user"] == script
            assert user_turns_are_atomic(events)


async def test_the_same_conversation_on_both_servers_at_once(production: ProductionStack, shared_services):
    servers = [server.url for server in production.rasa_servers]
    first, second = "긴급경영안정자금 알려주세요", "스마트공장 교육 있나요?"
    senders = [f"race-{n}-{uuid.uuid4().hex[:6]}" for n in range(6)]
    async with httpx.AsyncClient(timeout=120) as client:
        replies = await asyncio.gather(*(say(client, server, sender, text) for sender in senders
                                         for server, text in zip(servers, (first, second), strict=True)))
        assert all(replies), "every message got an answer"
        for sender in senders:
            events = await tracker_events(client, servers[0], sender)
            assert sorted(e["text"] for e in events if e["event"] == "user") == sorted([first, second])
            assert user_turns_are_atomic(events), "the two turns did not interleave"
            rows = stored_rows(shared_services.tracker_db_url, sender)
            assert len(rows) == len(events), "the database holds exactly the events of the tracker"
            assert [timestamp for _, _, timestamp in rows] == sorted(timestamp for _, _, timestamp in rows)


async def test_the_load_balancer_serves_the_website_and_the_bot_and_keeps_the_api_internal(
        production: ProductionStack):
    async with httpx.AsyncClient(timeout=60) as client:
        assert (await client.get(f"{production.url}/healthz")).text == "ok"
        config = (await client.get(f"{production.url}/widget-config.json")).json()
        assert config["socketUrl"] == production.url
        replies = await say(client, production.url, f"lb-{uuid.uuid4().hex[:6]}", "긴급경영안정자금 알려주세요")
        assert any("긴급경영안정자금" in reply.get("text", "") for reply in replies)
        assert (await client.get(api_url(production.url, "/status"))).status_code == 404
        assert (await client.get(f"{production.api_url}/status")).status_code == 401
        assert (await client.get(api_url(production.api_url, "/status"))).status_code == 200


def test_a_promoted_model_reaches_every_replica(production: ProductionStack, rasa_model: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    promoted = tmp_path / f"promoted-{rasa_model.name}"
    shutil.copy(rasa_model, promoted)
    monkeypatch.setenv("RASA_REPLICA_URLS", " ".join(server.url for server in production.rasa_servers))
    promote(promoted, production.api_url)
    for server in production.rasa_servers:
        assert Path(api_request(server.url, "/status")["model_file"]).name == promoted.name


async def test_the_widget_talks_through_the_load_balancer(production: ProductionStack):
    widget = WidgetClient()
    await widget.connect(production.url, origin=production.url)
    try:
        session_id = await widget.session(uuid.uuid4().hex)
        replies = await widget.say({"message": "긴급경영안정자금 알려주세요", "session_id": session_id}, timeout=60)
        assert any("긴급경영안정자금" in reply.get("text", "") for reply in replies)
    finally:
        await widget.close()
