"""Staff close the gaps: for a question the bot could not answer (review reason `unanswered`), a staff member writes
the answer with its source — or links the question to an existing guide — from the staff pages. The answer is
written as a staff guide (knowledge_base.guide_documents.save_staff_guide, folder KB_STAFF_GUIDES_DIR); the action
server's knowledge base picks the folder up on its next load, so the next owner asking the same thing in other words
gets the answer without retraining. The turn gets the decision `answered` and the staff audit log the entry
staff_answer:write (or staff_answer:link) with the guide id.

Page: /turn/{event_id}/answer ("미답변 질문 답변 작성", template answer.html), registered on the staff app by
`add_routes`.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.staff.pages import CONFIG, int_field, redirect, render
from bot.staff.store import ReviewError, Turn, get_turn, record_answer
from knowledge_base.guide_documents import (
    MAX_ANSWER_SENTENCES,
    DocumentError,
    Guide,
    guides_dir,
    load_guides,
    save_staff_guide,
    staff_dir,
)

MAX_ANSWER_CHARS = 600
FIELDS = ("answer", "source_url", "publisher", "year", "see")

# DocumentError problems (English, from the guide validator) → what the staff member is asked to fix.
_PROBLEMS = [
    (r"missing field 'answer'", "답변 내용을 입력해 주세요."),
    (r"needs an http\(s\) url", "출처 주소를 http:// 또는 https://로 시작하는 전체 주소로 입력해 주세요."),
    (r"needs the year it applies to|missing field 'as_of'|as_of must be a year",
     "출처의 기준 연도를 2000~2100 사이의 네 자리 연도(예: 2025)로 입력해 주세요."),
    (r"more than \d+ sentences", f"답변은 {MAX_ANSWER_SENTENCES}문장 이내로 줄여 주세요."),
    (r"number without the year", "답변에 숫자(금액·비율·기간 등)가 있으면 그 기준 연도(예: 2025년 기준)도 함께 "
                                 "적어 주세요."),
    (r"no guide '([^']*)' to link to", "연결할 가이드 '{0}'을(를) 찾을 수 없습니다. 목록에서 골라 주세요."),
]


def explain(error: DocumentError) -> str:
    """The Korean request(s) for an incomplete answer (the validator's own text for a problem not listed)."""
    messages: list[str] = []
    for problem in re.split(r"; |\n", str(error)):
        if problem.startswith("sources: at least one source"):
            continue  # said by the url/year problem of the one source the form sends
        for pattern, text in _PROBLEMS:
            match = re.search(pattern, problem)
            if match:
                message = text.format(*match.groups())
                break
        else:
            message = f"답변을 저장할 수 없습니다: {problem}"
        if message not in messages:
            messages.append(message)
    return " ".join(messages) or "답변을 저장할 수 없습니다."


def parse_year(value: str) -> int | None:
    """The year field: empty → None (the validator asks for it), a whole number → int."""
    value = value.strip().removesuffix("년").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ReviewError("기준 연도는 2025처럼 숫자로 입력해 주세요.")
    return int(value)


def write_answer(event_id: int, who: str, answer: str = "", source_url: str = "", publisher: str = "",
                 year: int | None = None, see: str = "", url: str | None = None) -> Guide:
    """Write the staff answer (or link to the guide `see`) for the question of a turn, record the turn's decision
    `answered` and audit it. An incomplete answer raises ReviewError (in Korean) and writes nothing."""
    if not who or not who.strip():
        raise ReviewError("작성자 이름이 필요합니다.")
    turn, _ = get_turn(event_id, url)
    if turn.is_payload:
        raise ReviewError("버튼 입력(/로 시작)에는 답변을 작성할 수 없습니다.")
    question = turn.text  # stored masked by the tracker store; record_answer masks again like every decision
    try:
        guide = save_staff_guide(question, who.strip(), answer=answer, source_url=source_url, publisher=publisher,
                                 year=year, see=see.strip())
    except DocumentError as error:
        raise ReviewError(explain(error)) from error
    try:
        record_answer(turn, who.strip(), guide.guide_id, see=guide.see, source_url=source_url.strip(), url=url)
    except BaseException:
        if guide.path is not None:
            guide.path.unlink(missing_ok=True)  # no answer in the index without its audit entry
        raise
    return guide


def guide_choices() -> tuple[list[tuple[str, str]], str]:
    """(guide id, title) of the guides a question can be linked to (shipped and staff-written), and a problem."""
    try:
        guides = load_guides(guides_dir(), staff_dir())
    except DocumentError as error:
        try:
            guides = load_guides(guides_dir())
        except DocumentError:
            return [], f"가이드 목록을 읽지 못했습니다: {error}"
    return sorted((guide.guide_id, guide.title or guide.guide_id) for guide in guides), ""


def _form_page(request: web.Request, turn: Turn, values: dict[str, str], error: str = "",
               status: int = 200) -> web.Response:
    choices, problem = guide_choices()
    return render(request, "answer.html", status=status, turn=turn, error=error, choices=choices, problem=problem,
                  values={name: values.get(name, "") for name in FIELDS}, max_sentences=MAX_ANSWER_SENTENCES,
                  max_chars=MAX_ANSWER_CHARS)


async def answer_page(request: web.Request) -> web.Response:
    """GET: the question, the bot's reply and the two forms; POST: write or link, then back to the queue."""
    event_id = int_field(request.match_info["event_id"])
    db = request.app[CONFIG]["db"]
    turn, _ = get_turn(event_id, db)
    if turn.is_payload:
        raise ReviewError("버튼 입력(/로 시작)에는 답변을 작성할 수 없습니다.")
    if request.method != "POST":
        return _form_page(request, turn, {})
    form = await request.post()
    values = {name: str(form.get(name, "")) for name in FIELDS}
    linking = str(form.get("mode", "")) == "link"
    try:
        if linking and not values["see"].strip():
            raise ReviewError("연결할 가이드를 골라 주세요.")
        fields = {"see": values["see"]} if linking else {
            "answer": values["answer"], "source_url": values["source_url"], "publisher": values["publisher"],
            "year": parse_year(values["year"])}
        guide = write_answer(event_id, request["who"], url=db, **fields)
    except ReviewError as error:
        return _form_page(request, turn, values, str(error), status=400)
    done = f"'{guide.see}' 가이드에 연결" if guide.see else "답변 저장"
    raise redirect(request, "queue", f"턴 {event_id}: {done} 완료 ({guide.guide_id})")


def add_routes(app: web.Application) -> None:
    """Register the answer page on the staff app."""
    app.router.add_route("*", "/turn/{event_id}/answer", answer_page, name="answer")
