"""Staff close the gaps: questions the bot deflected join the review queue as "unanswered"; on the staff pages a
staff member writes the answer with its source (or links an existing guide), which lands as a staff guide file in
KB_STAFF_GUIDES_DIR, in the audit log and as the turn's decision (real SQLite tracker database, aiohttp test client,
the real guide validator and writer)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.paths import DOMAIN_FILE
from bot.server.tracker_store import MaskingSQLTrackerStore
from bot.staff.answers import write_answer
from bot.staff.records import audit_log
from bot.staff.store import QueueFilter, ReviewError, decide, queue, reviewed_examples
from bot.staff.web import create_app
from knowledge_base.guide_documents import guides_dir, load_guides
from tests.review.conftest import _user

TOKEN = "test-token-0123456789abcdef"
GAP = "사업장 이전하면 정책자금 주소 변경 신고 해야 하나요? 제 번호는 010-1234-5678이에요"
GAP_MASKED = GAP.replace("010-1234-5678", "<전화번호>")
ANSWERED = "긴급경영안정자금 신청 절차 알려주세요"
SMALL_TALK = "정책자금 받으면 회식비로 써도 되나요"
NOT_KNOWN = "죄송해요, 이 질문에 정확히 답할 자료를 제가 갖고 있지 않아요."
ANSWER = "사업장을 옮기면 대출을 받은 지역본부에 바뀐 주소를 알리고 약정 내용을 변경해야 합니다."
SOURCE = "https://www.kosme.or.kr/guide/relocation"


def conversation() -> list[Event]:
    """A REST conversation as Rasa logs it: the not-known reply (sent by the action server with
    `response="utter_not_known"`, so the bot event's metadata names the response), a real answer, small talk."""
    return [
        ActionExecuted("action_listen"),
        _user(GAP, "ask_question", 0.91, "rest"), ActionExecuted("action_answer_question"),
        BotUttered(NOT_KNOWN, {"buttons": [{"title": "상담원 연결", "payload": "/request_human"}]},
                   metadata={"utter_action": "utter_not_known"}),
        ActionExecuted("action_listen"),
        _user(ANSWERED, "ask_question", 0.97, "rest"), ActionExecuted("action_answer_question"),
        BotUttered("긴급경영안정자금은 온라인 신청 → 현장 실사 → 융자 결정 순서입니다 (2025년 기준)."),
        ActionExecuted("action_listen"),
        _user(SMALL_TALK, "chitchat", 0.88, "rest"), ActionExecuted("action_answer_question"),
        BotUttered("네, 편하게 말씀하세요!", metadata={"utter_action": "utter_chitchat"}),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture
async def gap_db(tmp_path: Path) -> str:
    """A SQLite tracker database holding `conversation()` saved through the masking tracker store."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = MaskingSQLTrackerStore(domain=Domain.load(str(DOMAIN_FILE)), host=url)
    tracker = DialogueStateTracker("owner-gap", store.domain.slots)
    for event in conversation():
        tracker.update(event)
    await store.save(tracker)
    store.engine.dispose()
    return url


@pytest.fixture
def staff_guides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KB_STAFF_GUIDES_DIR of this test (never the repository's var/staff_guides)."""
    folder = tmp_path / "staff_guides"
    monkeypatch.setenv("KB_STAFF_GUIDES_DIR", str(folder))
    return folder


@pytest.fixture
async def client(gap_db: str, staff_guides: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_ENV", "production")
    async with TestClient(TestServer(create_app(rasa_url="http://127.0.0.1:9", db_url=gap_db))) as test_client:
        response = await test_client.post("/login", data={"name": "김상담", "token": TOKEN}, allow_redirects=False)
        assert response.status == 302
        yield test_client


def _turn_id(url: str, text: str) -> int:
    return next(turn.event_id for turn in queue(QueueFilter(status="all"), url) if turn.text == text)


async def _csrf(client: TestClient, path: str) -> str:
    page = await (await client.get(path)).text()
    return re.search(r"name='csrf' value='([0-9a-f]+)'", page).group(1)


def _written(folder: Path) -> list[Path]:
    return sorted(folder.glob("staff-*.md")) if folder.is_dir() else []


def _front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


# --- the queue --------------------------------------------------------------------------------------------------


def test_deflected_turns_are_unanswered_and_answered_ones_are_not(gap_db: str) -> None:
    everything = {turn.text: turn for turn in queue(QueueFilter(status="all"), gap_db)}
    assert everything[GAP_MASKED].reasons == ["unanswered"]
    assert everything[GAP_MASKED].responses == ["utter_not_known"]
    assert everything[SMALL_TALK].reasons == ["unanswered"]
    assert ANSWERED not in everything, "a turn the bot answered with confidence needs no review"
    unanswered = [turn.text for turn in queue(QueueFilter(reason="unanswered"), gap_db)]
    assert unanswered == [SMALL_TALK, GAP_MASKED]  # newest first
    with pytest.raises(ReviewError, match="답변 작성"):
        decide(everything[GAP_MASKED].event_id, "answered", "kim", url=gap_db)


def test_the_default_fallback_is_unanswered_too(logged_db: str) -> None:
    turns = {turn.text: turn for turn in queue(QueueFilter(reason="unanswered"), logged_db)}
    assert list(turns) == ["코인 선물 투자 상담해줘"]  # the turn that ran action_default_fallback


def test_write_answer_without_the_web(gap_db: str, staff_guides: Path) -> None:
    event_id = _turn_id(gap_db, GAP_MASKED)
    with pytest.raises(ReviewError, match="기준 연도"):
        write_answer(event_id, "kim", answer="보증료는 0.5%입니다.", source_url=SOURCE, year=2025, url=gap_db)
    with pytest.raises(ReviewError, match="3문장"):
        write_answer(event_id, "kim", answer="하나. 둘. 셋. 넷.", source_url=SOURCE, year=2025, url=gap_db)
    assert _written(staff_guides) == [] and queue(QueueFilter(status="reviewed"), gap_db) == []
    guide = write_answer(event_id, "kim", answer=ANSWER, source_url=SOURCE, publisher="중진공", year=2025,
                         url=gap_db)
    assert guide.path == staff_guides / f"{guide.guide_id}.md" and guide.questions == [GAP_MASKED]
    assert [row for row in reviewed_examples(gap_db) if row["event_id"] == event_id] == [], "not an NLU example"


# --- the staff pages --------------------------------------------------------------------------------------------


async def test_staff_write_an_answer_with_its_source(client: TestClient, gap_db: str, staff_guides: Path) -> None:
    listing = await (await client.get("/queue", params={"reason": "unanswered"})).text()
    assert "미답변" in listing and GAP_MASKED.replace("<", "&lt;").replace(">", "&gt;") in listing
    assert ANSWERED not in listing and "010-1234-5678" not in listing
    event_id = _turn_id(gap_db, GAP_MASKED)
    path = f"/turn/{event_id}/answer"
    assert path in listing and path in await (await client.get(f"/turn/{event_id}")).text()
    form = await (await client.get(path)).text()
    assert "미답변 질문 답변 작성" in form and NOT_KNOWN in form and "application-steps" in form

    csrf = await _csrf(client, path)
    written = await client.post(path, data={"csrf": csrf, "mode": "write", "answer": ANSWER, "source_url": SOURCE,
                                            "publisher": "중소벤처기업진흥공단", "year": "2025"},
                                allow_redirects=False)
    assert written.status == 302 and "/queue" in written.headers["Location"]
    [file] = _written(staff_guides)
    meta = _front_matter(file)
    assert meta["questions"] == [GAP_MASKED] and meta["answer"] == ANSWER and meta["author"] == "김상담"
    assert meta["sources"] == [{"url": SOURCE, "publisher": "중소벤처기업진흥공단", "year": 2025}]
    assert meta["as_of"] == 2025 and file.stem == meta["id"]

    entry = next(row for row in audit_log(url=gap_db) if row["action"] == "staff_answer:write")
    assert (entry["who"], entry["target"]) == ("김상담", meta["id"]) and f'"turn": {event_id}' in entry["detail"]
    [done] = queue(QueueFilter(status="reviewed"), gap_db)
    assert (done.event_id, done.decision["decision"], done.decision["reviewed_by"]) == (event_id, "answered", "김상담")
    assert [t.text for t in queue(QueueFilter(reason="unanswered"), gap_db)] == [SMALL_TALK], "left the open queue"
    reviewed = await (await client.get("/queue", params={"status": "reviewed"})).text()
    assert "답변 작성 (김상담)" in reviewed
    assert meta["id"] in await (await client.get("/audit")).text()


async def test_an_answer_without_a_source_is_refused_and_kept(client: TestClient, gap_db: str,
                                                              staff_guides: Path) -> None:
    event_id = _turn_id(gap_db, GAP_MASKED)
    path = f"/turn/{event_id}/answer"
    csrf = await _csrf(client, path)
    refused = await client.post(path, data={"csrf": csrf, "mode": "write", "answer": ANSWER, "source_url": "",
                                            "publisher": "", "year": ""})
    page = await refused.text()
    assert refused.status == 400 and "출처 주소" in page and "기준 연도" in page
    assert f">{ANSWER}</textarea>" in page, "the staff member's text is kept"
    no_year = await client.post(path, data={"csrf": csrf, "mode": "write", "answer": ANSWER, "source_url": SOURCE,
                                            "publisher": "중진공", "year": "작년"})
    page = await no_year.text()
    assert no_year.status == 400 and "숫자로" in page and f"value='{SOURCE}'" in page and "value='작년'" in page
    forged = await client.post(path, data={"csrf": "0" * 32, "mode": "write", "answer": ANSWER,
                                           "source_url": SOURCE, "year": "2025"})
    assert forged.status == 403
    assert _written(staff_guides) == []
    assert queue(QueueFilter(status="reviewed"), gap_db) == []
    assert not [row for row in audit_log(url=gap_db) if row["action"].startswith("staff_answer")]


async def test_link_a_question_to_an_existing_guide(client: TestClient, gap_db: str, staff_guides: Path) -> None:
    event_id = _turn_id(gap_db, SMALL_TALK)
    path = f"/turn/{event_id}/answer"
    csrf = await _csrf(client, path)
    nothing = await client.post(path, data={"csrf": csrf, "mode": "link", "see": ""})
    assert nothing.status == 400 and "골라 주세요" in await nothing.text()
    unknown = await client.post(path, data={"csrf": csrf, "mode": "link", "see": "no-such-guide"})
    assert unknown.status == 400 and "no-such-guide" in await unknown.text()
    assert _written(staff_guides) == []

    linked = await client.post(path, data={"csrf": csrf, "mode": "link", "see": "application-steps"},
                               allow_redirects=False)
    assert linked.status == 302
    [file] = _written(staff_guides)
    meta = _front_matter(file)
    assert meta["see"] == "application-steps" and meta["questions"] == [SMALL_TALK] and "answer" not in meta
    target = next(g for g in load_guides(guides_dir(), staff_guides) if g.guide_id == "application-steps")
    assert SMALL_TALK in target.questions, "the question is now one of the guide's phrasings"
    entry = next(row for row in audit_log(url=gap_db) if row["action"] == "staff_answer:link")
    assert (entry["who"], entry["target"]) == ("김상담", meta["id"]) and "application-steps" in entry["detail"]
    assert queue(QueueFilter(status="reviewed"), gap_db)[0].decision["decision"] == "answered"
