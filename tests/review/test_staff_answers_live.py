"""End to end on the real Rasa and action servers: an owner's question the bot cannot answer, a staff member's
answer written on the staff pages, and the next owner's paraphrase answered from it over REST — no retraining, no
restart (the action server's knowledge base reloads when the staff answers folder changes)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.paths import DOMAIN_FILE
from bot.staff.store import QueueFilter, queue
from bot.staff.web import create_app

TOKEN = "live-staff-token-0123456789"
# The first question has no answer in the index (closest document: cosine 0.855, no shared content words); the
# paraphrase shares few words with it. Measured with the shipped embedder when this test was written.
QUESTION = "사업장 이전하면 주소 변경 신고 해야 하나요?"
PARAPHRASE = "사업장 옮기면 정책자금 쪽에 주소 바뀐 거 알려야 돼요?"
ANSWER = "사업장을 옮기면 융자를 받은 지역본부에 바뀐 주소를 알리고 약정 내용을 변경해야 합니다."
SOURCE = "https://www.kosme.or.kr/"


def response_text(name: str) -> str:
    """The (single) text of a domain response."""
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"][name][0]["text"]


async def ask(http: httpx.AsyncClient, rasa_url: str, sender: str, text: str) -> str:
    """One REST message; every text the bot replied, joined."""
    reply = await http.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert reply.status_code == 200, reply.text
    return "\n".join(message.get("text") or "" for message in reply.json())


async def test_staff_answer_is_used_for_a_paraphrase_without_retraining(
        rasa_server: str, server_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes a staff answer through the staff pages and then gets it for a paraphrase over REST with no
    retraining."""
    db = server_env["TRACKER_DB_URL"]
    staff_guides = Path(os.environ["KB_STAFF_GUIDES_DIR"])
    monkeypatch.setenv("KB_STAFF_GUIDES_DIR", str(staff_guides))  # the folder the action server reads
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    asker, next_owner = f"gap-{uuid.uuid4().hex[:8]}", f"gap-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=60) as http:
        first = await ask(http, rasa_server, asker, QUESTION)
        assert response_text("utter_not_known") in first, first
        assert ANSWER not in first

        async with TestClient(TestServer(create_app(rasa_url=rasa_server, db_url=db))) as staff:
            login = await staff.post("/login", data={"name": "김상담", "token": TOKEN}, allow_redirects=False)
            assert login.status == 302
            [turn] = [t for t in queue(QueueFilter(reason="unanswered"), db) if t.sender_id == asker]
            assert turn.text == QUESTION
            path = f"/turn/{turn.event_id}/answer"
            form = await (await staff.get(path)).text()
            csrf = re.search(r"name='csrf' value='([0-9a-f]+)'", form).group(1)
            written = await staff.post(path, data={"csrf": csrf, "mode": "write", "answer": ANSWER,
                                                   "source_url": SOURCE, "publisher": "중소벤처기업진흥공단",
                                                   "year": "2025"}, allow_redirects=False)
            assert written.status == 302, await written.text()
        assert len(list(staff_guides.glob("staff-*.md"))) == 1

        second = await ask(http, rasa_server, next_owner, PARAPHRASE)
        assert ANSWER in second, second
        assert "2025" in second and "중소벤처기업진흥공단" in second, "the answer is shown with its year and source"
