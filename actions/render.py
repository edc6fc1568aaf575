"""Korean reply texts and buttons built from knowledge-base hits and programs (every number with year and source)."""

from __future__ import annotations

import json
import re
from typing import Any

from actions.korean import topic_particle
from actions.profile import SLOT_LABELS
from knowledge_base import Answer, Hit, Program
from knowledge_base.agencies import publisher_of
from knowledge_base.answering import Reply, Verdict, first_sources
from knowledge_base.guide_documents import Guide, Source
from knowledge_base.leads import first_sentences

YEAR = re.compile(r"(19|20)\d{2}")
TERM_LABELS = {"limit": "한도", "rate": "금리", "period": "기간"}
OTHER_TERM_LABELS = {"limit": "지원 내용", "rate": "비용·금리", "period": "기간"}
FUND_CATEGORIES = {"정책자금", "위기지원"}
TOPIC_LABELS = {**TERM_LABELS, "eligibility": "지원대상", "documents": "제출서류", "application": "신청방법",
                "contact": "문의처"}
CALL_CENTRE = "중소기업 정책자금 전담 콜센터 1811-3655 (2025년 기준, 출처: 뉴시스)"
# The call centre's source (newsis, 2025): https://mobile.newsis.com/view_amp.html?ar_id=NISX20250718_0003258007
HANDOFF_BUTTON = {"title": "상담원 연결", "payload": "/request_human"}
NO_THANKS_BUTTON = {"title": "괜찮아요", "payload": "/deny"}
RATING_BUTTONS = [
    {"title": "👍 도움이 됐어요", "payload": '/rate_answer{"rating":"up"}'},
    {"title": "👎 아쉬워요", "payload": '/rate_answer{"rating":"down"}'},
]
SECTION_LIMIT = 400
KEY_NUMBER_LIMIT = 70
SUMMARY_LIMIT = 60
MAX_LINKS = 4  # link buttons under one card (the names of all sources stay in its text)
HOST_NAME = re.compile(r"^[\w.-]+\.[a-z]{2,}$", re.IGNORECASE)  # a "name" that is only a site address
WEB_PAGE = "인터넷 안내 글"
Button = dict[str, str]


def payload(intent: str, **entities: str) -> str:
    """A button payload that sets an intent and entities without NLU: /intent{"entity":"value"}."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def with_year(text: str, as_of: int) -> str:
    """The text, with '(YYYY년 기준)' added when it does not already say a year."""
    return text if YEAR.search(text) else f"{text} ({as_of}년 기준)"


def publisher_name(publisher: str, url: str) -> str:
    """The publisher as owners read it: a bare site address becomes the site's known name, else '인터넷 안내 글'."""
    if not HOST_NAME.match(publisher):
        return publisher
    known = publisher_of(url)
    return WEB_PAGE if HOST_NAME.match(known) else known


def source_name(source: Source) -> str:
    """'서울경제 2022년': how a source is named to the owner (never its address)."""
    return f"{publisher_name(source.publisher, source.url)} {source.year}년"


def link_buttons(sources: list[Source], limit: int = MAX_LINKS) -> list[Button]:
    """One link button per distinct source address, titled with its name: {"title": "서울경제 2022년", "url": …}.
    No payload: each channel shows it as a link (widget <a>, Telegram url button, Kakao webLink)."""
    buttons: dict[str, Button] = {}
    for source in sources:
        if source.url.startswith(("https://", "http://")) and source.url not in buttons:
            buttons[source.url] = {"title": source_name(source), "url": source.url}
    return list(buttons.values())[:limit]


def terms_lines(key_terms: dict[str, str], as_of: int, category: str) -> list[str]:
    """Bullet lines for limit, rate and period (named as loan terms only for funds)."""
    labels = TERM_LABELS if category in FUND_CATEGORIES else OTHER_TERM_LABELS
    return [f"• {label}: {with_year(key_terms[key], as_of)}" for key, label in labels.items() if key_terms.get(key)]


def search_line(rank: int, hit: Hit) -> str:
    """One found program in two short lines: name and what it is, then its key number with year."""
    what = shorten(first_sentences(hit.summary, 1), SUMMARY_LIMIT) if hit.summary else ""
    lines = [f"{rank}. {hit.title}" + (f" — {what}" if what else ""), key_number_line(hit, "limit")]
    if getattr(hit, "notes", None):
        lines.append("   (현재 운영 여부 확인 필요)")
    return "\n".join(line for line in lines if line)


def key_number_line(hit: Hit, topic: str) -> str:
    """'   한도: …' — the first sentence of one key term with its year, short; '' when the program has none."""
    term = hit.key_terms.get(topic)
    if not term:
        return ""
    label = (TERM_LABELS if hit.category in FUND_CATEGORIES else OTHER_TERM_LABELS)[topic]
    return f"   {label}: {shorten(with_year(first_sentences(term, 1), hit.as_of), KEY_NUMBER_LIMIT)}"


def fit_line(rank: int, hit: Hit) -> str:
    """One program of a recommendation in two short lines: name and why it fits, then its key number with year."""
    met = [reason for reason in hit.reasons if not reason.endswith("미충족")]
    why = met[0] if met else ("조건 확인 필요: " + ", ".join(SLOT_LABELS.get(key, key) for key in hit.missing[:2])
                              if hit.missing else "말씀하신 내용과 관련이 높아요")
    lines = [f"{rank}. {hit.title} — {why}", key_number_line(hit, "limit")]
    lines = [line for line in lines if line]
    if getattr(hit, "notes", None):
        lines[-1] += " (현재 운영 여부 확인 필요)"
    return "\n".join(lines)


def recommendation_text(intro: str, hits: list[Hit], excluded: Hit | None, found: bool = False) -> str:
    """A recommendation (or, `found`, search results) that fits a phone screen: one short entry per program, the
    program left out and why, the named sources with year (links behind each program's details button)."""
    entry = search_line if found else fit_line
    lines = [intro, *(entry(rank, hit) for rank, hit in enumerate(hits, start=1))]
    if excluded:
        lines.append(excluded_text(excluded))
    lines.append(source_names(first_sources(*hits)))
    lines.append("번호를 눌러 자세히 보세요. 답변이 도움이 되셨나요?" if found else
                 "최종 지원 여부는 심사로 정해져요. 추천이 도움이 되셨나요?")
    return "\n".join(line for line in lines if line)


def fast_track_text(hit: Hit, steps: str | None, caring: bool, shown: bool = False) -> str:
    """The emergency fast track on one phone screen: the program and why, its limit and rate with year (unless the
    program was `shown` just before), how to apply in short, the named source and the call centre (details,
    documents and links behind buttons)."""
    lines = ["많이 힘드시죠. 도움이 될 방법을 함께 찾아 드릴게요." if caring else ""]
    if not shown:
        lines += ["긴급 지원으로 가장 알맞은 사업이에요.", fit_line(1, hit), key_number_line(hit, "rate")]
    if steps:
        lines.append(f"신청: {shorten(first_sentences(steps, 2), 160)}")
    lines.append(source_names(first_sources(hit)))
    lines.append(f"급하시면 {CALL_CENTRE}로 바로 문의하세요.")
    return "\n".join(line for line in lines if line)


def recommendation_buttons(hits: list[Hit]) -> list[Button]:
    """'N번 자세히' for each program, the counsellor and the rating buttons."""
    details = [{"title": f"{rank}번 자세히", "payload": payload("ask_program_detail", program_id=hit.program_id)}
               for rank, hit in enumerate(hits, start=1)]
    return [*details, HANDOFF_BUTTON, *RATING_BUTTONS]


def excluded_text(hit: Hit) -> str:
    """Why a close program was left out."""
    unmet = [reason for reason in hit.reasons if reason.endswith("미충족")] or hit.reasons
    return f"참고: {hit.title}도 살펴봤지만 {'; '.join(unmet)}이라 제외했어요."


def shorten(text: str, limit: int = SECTION_LIMIT) -> str:
    """The text cut at `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def program_text(program: Program, notes: list[str] | tuple[str, ...] = (), target: bool = True) -> str:
    """A program: name, summary, (target,) key terms with year, freshness notes, source."""
    lines = [f"[{program.title}]"]
    if program.summary:
        lines.append(program.summary)
    if target and program.sections.get("지원대상"):
        lines.append(f"지원대상: {shorten(program.sections['지원대상'])}")
    lines += terms_lines(program.key_terms, program.as_of, program.category)
    lines += [f"ℹ {note}" for note in notes]
    sources = first_sources(program)
    lines.append(source_names(sources) if sources else f"({program.as_of}년 자료, 출처 확인 필요)")
    return "\n".join(lines)


def detail_buttons(program_id: str) -> list[Button]:
    """Follow-up questions about one program plus the counsellor."""
    return [{"title": "신청 방법", "payload": payload("ask_application", program=program_id)},
            {"title": "제출서류", "payload": payload("ask_documents", program=program_id)},
            {"title": "지원대상", "payload": payload("ask_eligibility", program=program_id)},
            HANDOFF_BUTTON]


def message(text: str, buttons: list[Button] | None = None) -> dict[str, Any]:
    """Keyword arguments for dispatcher.utter_message."""
    return {"text": text, "buttons": buttons} if buttons else {"text": text}


def source_names(sources: list[Source], limit: int | None = 2) -> str:
    """'출처: 뉴시스 2025년 · 뉴스1 2026년': the first `limit` distinct sources by name (None: all of them); their links
    travel as buttons."""
    names = dict.fromkeys(source_name(source) for source in sources)
    return "출처: " + " · ".join(list(names)[:limit]) if names else ""


def reply_text(reply: Reply) -> str:
    """A question's answer: the direct answer, whom to ask, and the named sources with year (what is not known and
    the links are behind the details button)."""
    lines = [reply.answer]
    if reply.agency and reply.agency.contact:
        lines.append(f"문의: {reply.agency.name} {reply.agency.contact}")
    if reply.sources:
        lines.append(source_names(reply.sources))
    return "\n".join(line for line in lines if line)


def reply_buttons(reply: Reply, titles: dict[str, str]) -> list[Button]:
    """자세히 보기 for the answer's document, one related document, and the rating buttons."""
    buttons = []
    if reply.document_id:
        buttons.append({"title": "자세히 보기", "payload": payload("ask_program_detail", program_id=reply.document_id)})
    for related in reply.related[:1]:
        if related in titles:
            buttons.append({"title": shorten(titles[related], 20), "payload": payload("ask_program_detail",
                                                                                       program_id=related)})
    return [*buttons, *RATING_BUTTONS]


def answers_text(answers: list[Answer]) -> str:
    """Program answers (limit, documents …) one after another, their link footers replaced by one line of named
    sources with year."""
    bodies = [answer.body for answer in answers]
    sources = first_sources(*answers)
    return "\n".join([*bodies, source_names(sources)] if sources else bodies)


def suggestion_buttons(reply: Reply, titles: dict[str, str]) -> list[Button]:
    """One button per guide the owner may have meant (its full answer on press), then the counsellor."""
    return [*({"title": shorten(titles[doc_id], 30), "payload": payload("ask_program_detail", program_id=doc_id)}
              for doc_id in reply.related if doc_id in titles), HANDOFF_BUTTON]


def guide_detail_text(guide: Guide) -> str:
    """A guide in full: title, answer, detail, what is not known, and every source by name and year (the links
    travel as buttons, `link_buttons(guide.sources)`)."""
    lines = [f"[{guide.title}]", guide.answer]
    if guide.detail:
        lines.append(shorten(guide.detail, 600))
    if guide.unknown:
        lines.append(guide.unknown)
    lines.append(source_names(guide.sources, limit=None))
    return "\n".join(line for line in lines if line)


def verdict_text(verdict: Verdict, titles: dict[str, str]) -> str:
    """Yes / no / cannot tell for one program, the condition that decides it, and programs that fit instead."""
    unchecked = ", ".join(SLOT_LABELS.get(key, key) for key in verdict.missing)
    if verdict.eligible is True and verdict.missing:  # '만39세 이하죠? 2년 반 됐는데': the age is still open
        head = (f"말씀하신 조건은 {verdict.title}의 대상 조건에 맞아요. "
                f"다만 {topic_particle(unchecked)} 아직 확인하지 못했어요.")
    elif verdict.eligible is True:
        head = f"네, 말씀하신 조건이면 {verdict.title}의 대상 조건에 맞아요."
    elif verdict.eligible is False:
        head = f"아니요, {verdict.title}은(는) 대상 조건에 맞지 않아요."
    else:
        head = f"{verdict.title}은(는) 말씀하신 정보만으로는 판단하기 어려워요."
    lines = [head]
    if verdict.deciding:
        lines.append("근거: " + "; ".join(verdict.deciding))
    if verdict.eligible is not False and verdict.missing:
        lines.append(f"알려 주시면 확인해 드릴게요: {unchecked}")
    if verdict.alternatives:
        lines.append("대신 살펴볼 만한 사업: " + ", ".join(titles.get(pid, pid) for pid in verdict.alternatives))
    if verdict.source:
        lines.append(f"최종 지원 여부는 심사로 정해져요. {source_names([verdict.source])}")
    return "\n".join(lines)
