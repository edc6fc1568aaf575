"""Program actions: recommendation from the profile, search by message, program detail and program questions,
the emergency fast track and the application guide — all answered from the knowledge base with year and source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.answers import previous_question, send_reply, verdict_for_named_program
from actions.handover import distress_handoff, handoff_if_needed
from actions.knowledge import get_kb
from actions.korean import ordinal_position
from actions.profile import describe
from actions.safety import distress_level
from actions.tracker_utils import latest_entity, latest_intent, latest_text, profile, recent_query
from knowledge_base import Answer, Hit, KnowledgeBase
from knowledge_base.answering import Reply, first_sources, topic_of
from knowledge_base.context import answer_in_context
from knowledge_base.documents import APPLICATION_CATEGORY
from knowledge_base.guide_documents import GUIDE_CATEGORY
from knowledge_base.questions import is_question

GUIDE_CATEGORIES = {APPLICATION_CATEGORY, GUIDE_CATEGORY}  # application and general-question guides are not programs
GUIDE_QUERY = "중소기업 정책자금 신청 절차 자가진단 상담신청 사전상담 신청 평가 약정 월별 접수"
SEARCH_HINTS = {
    "ask_emergency_fund": "긴급경영안정자금",
    "ask_startup_fund": "창업 혁신창업사업화자금 청년전용창업자금",
    "ask_market_fund": "신시장진출지원자금 수출 내수기업",
    "ask_growth_fund": "신성장기반자금 시설 스마트공장 제조현장스마트화",
    "ask_restart_fund": "재도약지원자금 사업전환 구조개선 재창업",
    "ask_investment_loan": "투융자복합금융 성장공유형 투자조건부 융자",
    "ask_training": "연수 교육 과정 재직자 스마트공장 AI 연수원",
    "ask_job_matching": "일자리 매칭 채용 청년 중장년 인력",
    "ask_savings_plan": "재직자 우대 저축공제 내일채움공제",
    "ask_regulation_free_zone": "규제자유특구",
    "ask_export_support": "수출 지원 수출인큐베이터 고비즈코리아 온라인 수출",
    "ask_crisis_support": "위기 기업 선제적 자율구조개선 회생 재기 컨설팅 위기극복 알림",
}
TOPIC_BY_INTENT = {"ask_eligibility": ["eligibility"], "ask_documents": ["documents"],
                   "ask_application": ["application"], "ask_contact": ["contact"]}
TOPIC_BY_TERM = {"한도": "limit", "금리": "rate", "기간": "period"}
TERMS_INTENT = "ask_terms"
TOPIC_QUERY_HINTS = {"rate": "정책자금 기준금리", "limit": "정책자금 융자 한도", "period": "정책자금 대출 기간"}
DISASTERS = {"재해", "태풍", "호우", "폭우", "집중호우", "홍수", "침수", "산불", "화재", "지진", "폭설", "한파", "가뭄",
             "풍수해"}
TRACK_QUERIES = {
    "disaster": "재해 피해 재해중소기업 확인증 긴급경영안정자금",
    "hardship": "일시적 경영애로 매출 감소 거래처 도산 정산 지연 긴급경영안정자금",
    "tariff": "관세 통상리스크 대응 긴급자금 미국 수출",
}
TRACK_BUTTONS = [
    {"title": "재해 피해(태풍·호우·산불 등)", "payload": render.payload("ask_emergency_fund", crisis_type="재해")},
    {"title": "매출 급감·거래처 부도", "payload": render.payload("ask_emergency_fund", crisis_type="매출감소")},
    {"title": "관세 피해", "payload": render.payload("ask_emergency_fund", crisis_type="관세")},
    {"title": "경영 위기·구조개선", "payload": "/ask_crisis_support"},
]
HARDSHIP_DROP = -10
UNSURE_MARKERS = ("확인 필요", "확인이 필요", "확인하지 못했", "확인되지 않", "공개되지 않")
FOCUSED_GUIDE_COSINE = 0.9  # with a program in focus, a guide must match this closely to answer instead
CLOSE_DEPTH = 30  # ineligible programs sink in search (score x 0.3), so look deep for the closest one


def answer_or_none(kb: KnowledgeBase, program_id: str, topic: str) -> Answer | None:
    """kb.answer, None for an unknown program or topic."""
    try:
        return kb.answer(program_id, topic)
    except KeyError:
        return None


def known_program(kb: KnowledgeBase, program_id: str) -> bool:
    """True when the knowledge base has a document with this id."""
    try:
        kb.get(program_id)
    except KeyError:
        return False
    return True


def not_known(subject: str) -> dict[str, Any]:
    """'확인이 필요합니다' with the counsellor offer — never a guessed number."""
    return render.message(f"{subject}은(는) 제가 가진 자료로는 확인이 필요합니다. 상담원에게 확인을 요청해 드릴까요?\n"
                          f"전화 문의: {render.CALL_CENTRE}", [render.HANDOFF_BUTTON, render.NO_THANKS_BUTTON])


def recommendation_messages(kb: KnowledgeBase, company: dict[str, Any], query: str) -> tuple[list[dict], list[str]]:
    """Top 3 programs for a profile in one phone-sized message: why each fits, its key number with year, one close
    program left out and why, named sources; details, counsellor and rating buttons."""
    hits = kb.recommend(company, query, top_k=3)
    if not hits:
        return [render.message(f"말씀하신 조건({describe(company)})에 맞는 지원사업을 자료에서 찾지 못했습니다. "
                               f"상담원이 직접 확인해 드릴 수 있어요.\n전화 문의: {render.CALL_CENTRE}",
                               [render.HANDOFF_BUTTON, {"title": "조건 다시 입력", "payload": "/restart"}])], []
    chosen = {hit.program_id for hit in hits}
    close = next((hit for hit in kb.search(query or describe(company), top_k=CLOSE_DEPTH, profile=company)
                  if hit.eligible is False and hit.program_id not in chosen), None)
    intro = (f"말씀하신 조건({describe(company)})에 맞는 지원사업 {len(hits)}개예요." if company else
             f"회사 정보 없이 찾은 지원사업 {len(hits)}개예요. 업력·업종을 알려 주시면 더 맞게 골라 드릴게요.")
    text = render.recommendation_text(intro, hits, close)
    return [render.message(text, render.recommendation_buttons(hits))], [hit.program_id for hit in hits]


def search_messages(hits: list[Hit], intro: str) -> list[dict[str, Any]]:
    """The found programs in one phone-sized message: what each is and its key number with year, named sources;
    'N번 자세히', counsellor and rating buttons."""
    return [render.message(render.recommendation_text(intro, hits, None, found=True),
                           render.recommendation_buttons(hits))]


def program_hits(kb: KnowledgeBase, query: str, top_k: int, company: dict[str, Any]) -> list[Hit]:
    """Search hits without the application-guide documents."""
    hits = kb.search(query, top_k=top_k + 2, profile=company or None)
    return [hit for hit in hits if hit.category not in GUIDE_CATEGORIES][:top_k]


def utter_all(dispatcher: CollectingDispatcher, messages: list[dict[str, Any]]) -> None:
    """Send every message."""
    for item in messages:
        dispatcher.utter_message(**item)


class ActionRecommendPrograms(Action):
    """Recommend the top 3 programs for the collected company profile."""

    def name(self) -> str:
        return "action_recommend_programs"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        query = recent_query(tracker)
        messages, program_ids = recommendation_messages(get_kb(), profile(tracker), query)
        if distress_level(query):
            dispatcher.utter_message(text="많이 힘드시죠. 아래 지원을 바로 확인해 보시고, 사람과 이야기하고 싶으시면 "
                                          "언제든 '상담원 연결'을 눌러 주세요.")
        utter_all(dispatcher, messages)
        return [SlotSet("recommended_programs", program_ids), SlotSet("program", None)]


class ActionSearchPrograms(Action):
    """Search the index with the user's message (plus a topic hint) and show the top programs."""

    def name(self) -> str:
        return "action_search_programs"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        if distress_level(latest_text(tracker)) == 2:
            return distress_handoff(dispatcher, tracker) or []
        verdict = verdict_for_named_program(dispatcher, tracker)  # "대표가 만 41세면 청년전용창업자금은 안 되나요?"
        if verdict is not None:
            return verdict
        kb = get_kb()
        program_id = named_program(tracker, kb)
        guide = guide_answer(kb, latest_text(tracker), program_id=program_id)
        if guide is not None:
            return send_reply(dispatcher, kb, guide)
        if program_id:
            return show_program(dispatcher, kb, program_id, detail=False)
        query = f"{SEARCH_HINTS.get(latest_intent(tracker) or '', '')} {latest_text(tracker)}".strip()
        hits = program_hits(kb, query, 3, profile(tracker))
        if not hits:
            dispatcher.utter_message(**not_known("문의하신 내용"))
            return []
        utter_all(dispatcher, search_messages(hits, "문의하신 내용과 관련된 지원사업이에요."))
        return [SlotSet("recommended_programs", [hit.program_id for hit in hits]), SlotSet("program", None)]


def guide_answer(kb: KnowledgeBase, text: str, focused: bool = False, program_id: str | None = None,
                 previous: str | None = None) -> Reply | None:
    """A guide's answer when the text is a question a guide answers closely (more closely still when a program is
    in focus, whose own answer is the better guess for a short follow-up; and closer than the program it names),
    read after the `previous` question ('예외도 있나요?'), else None."""
    if not text or not is_question(text):
        return None
    reply = answer_in_context(kb, text, previous, program_id)
    if reply.kind != "guide" or (focused and reply.confidence < FOCUSED_GUIDE_COSINE):
        return None
    return reply


def named_program(tracker: Tracker, kb: KnowledgeBase) -> str | None:
    """The known program the latest message names (the NLU's `program` entity or a button's `program_id`)."""
    program_id = latest_entity(tracker, "program", "program_id")
    return program_id if program_id and known_program(kb, program_id) else None


def show_program(dispatcher: CollectingDispatcher, kb: KnowledgeBase, program_id: str, detail: bool = True,
                 rating: bool = True) -> list[EventType]:
    """Send one program (name, summary, target when `detail`, key terms with year, source) and put it in focus."""
    program = kb.get(program_id)
    text = render.program_text(program, kb.freshness_notes(program), target=detail)
    links = render.link_buttons(first_sources(program))
    dispatcher.utter_message(**render.message(text, [*render.detail_buttons(program_id), *links]))
    if rating:
        dispatcher.utter_message(**render.message("답변이 도움이 되셨나요?", render.RATING_BUTTONS))
    return [SlotSet("program", program_id)]


class ActionProgramDetail(Action):
    """Show one program in detail (the 자세히 보기 button)."""

    def name(self) -> str:
        return "action_program_detail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        kb = get_kb()
        program_id = latest_entity(tracker, "program_id", "program") or tracker.get_slot("program")
        if program_id in kb.guides:
            guide = kb.guides[program_id]
            dispatcher.utter_message(**render.message(render.guide_detail_text(guide), [
                render.HANDOFF_BUTTON, *render.RATING_BUTTONS, *render.link_buttons(guide.sources)]))
            return []
        if not program_id or not known_program(kb, program_id):
            dispatcher.utter_message(**not_known("말씀하신 사업"))
            return []
        return show_program(dispatcher, kb, program_id)


def focused_program(tracker: Tracker, kb: KnowledgeBase) -> str | None:
    """The program a question is about: named now, pointed at in the last list ("두 번째 거", "마지막 자금"), in
    focus, or the first one recommended."""
    recommended = tracker.get_slot("recommended_programs") or []
    position = ordinal_position(latest_text(tracker))
    pointed = recommended[position] if position is not None and -len(recommended) <= position < len(recommended) \
        else None
    for candidate in (latest_entity(tracker, "program", "program_id"), pointed, tracker.get_slot("program"),
                      recommended[0] if recommended else None):
        if candidate and known_program(kb, candidate):
            return candidate
    return None


def application_guide(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """The general application path from the guide document, with the call centre."""
    guide = next((hit for hit in kb.search(GUIDE_QUERY, top_k=10) if hit.category == APPLICATION_CATEGORY), None)
    answer = answer_or_none(kb, guide.program_id, "application") if guide else None
    if answer is None:
        return [not_known("신청 절차")]
    return [render.message(f"{render.answers_text([answer])}\n전화 문의: {render.CALL_CENTRE}",
                           [{"title": "맞춤 추천 받기", "payload": "/ask_recommendation"}, render.HANDOFF_BUTTON,
                            *render.RATING_BUTTONS, *render.link_buttons(first_sources(answer))])]


class ActionAnswerProgramQuestion(Action):
    """Answer limit/rate/period, eligibility, documents, application and contact questions from the documents."""

    def name(self) -> str:
        return "action_answer_program_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        handed_over = handoff_if_needed(dispatcher, tracker)  # '콜센터 전화가 안 돼요' does not ask for the number
        if handed_over is not None:
            return handed_over
        verdict = verdict_for_named_program(dispatcher, tracker)
        if verdict is not None:
            return verdict
        kb = get_kb()
        intent = latest_intent(tracker) or ""
        topics = topics_for(intent, latest_entity(tracker, "term_type"), latest_text(tracker))
        named = named_program(tracker, kb)
        guide = guide_answer(kb, latest_text(tracker), focused=not named and bool(focused_program(tracker, kb)),
                             program_id=named, previous=previous_question(tracker))
        if guide is not None:
            return send_reply(dispatcher, kb, guide)
        program_id = focused_program(tracker, kb)
        if program_id is None and intent == "ask_application":
            utter_all(dispatcher, application_guide(kb))
            return []
        if program_id is None and intent == "ask_contact":
            dispatcher.utter_message(text=f"{render.CALL_CENTRE}로 문의하실 수 있어요.",
                                     buttons=[render.HANDOFF_BUTTON])
            return []
        intro = ""
        if program_id is None:
            hint = TOPIC_QUERY_HINTS.get(topics[0], "") if len(topics) == 1 else ""
            if not hint:  # no program and no single general aspect: the closest passage, or plainly not known
                text = latest_text(tracker)
                return send_reply(dispatcher, kb, answer_in_context(kb, text, previous_question(tracker)), text)
            hits = kb.search(f"{hint} {latest_text(tracker)}".strip(), top_k=1)
            if not hits:
                dispatcher.utter_message(**not_known("문의하신 내용"))
                return []
            program_id = hits[0].program_id
            intro = f"'{hits[0].title}' 기준으로 안내드려요.\n"
        answers = [answer_or_none(kb, program_id, topic) for topic in topics]
        if any(answer is None for answer in answers):
            dispatcher.utter_message(**not_known(f"{kb.get(program_id).title}의 해당 내용"))
            return [SlotSet("program", program_id)]
        text = intro + render.answers_text([answer for answer in answers if answer])
        unsure = any(marker in text for marker in UNSURE_MARKERS)
        buttons = render.detail_buttons(program_id) if not unsure else [render.HANDOFF_BUTTON]
        if unsure:
            text += "\n정확한 내용은 확인이 필요합니다. 상담원 연결을 원하시면 아래 버튼을 눌러 주세요."
        dispatcher.utter_message(text=text, buttons=[*buttons, *render.RATING_BUTTONS])
        return [SlotSet("program", program_id)]


def topics_for(intent: str, term_type: Any, text: str = "") -> list[str]:
    """Knowledge-base topics a question asks about: by intent, by the term named, by the question's words ('서류가
    뭐예요', not for a terms question), else all three key terms."""
    if intent in TOPIC_BY_INTENT:
        return TOPIC_BY_INTENT[intent]
    if term_type in TOPIC_BY_TERM:
        return [TOPIC_BY_TERM[term_type]]
    asked = topic_of(text) if text and intent != TERMS_INTENT else None  # '조건' of a loan = its terms
    return [asked] if asked else list(render.TERM_LABELS)


def emergency_track(crisis_type: str | None, revenue_change: float | None) -> str | None:
    """disaster | hardship | tariff for the crisis described, None when it is not clear yet."""
    if crisis_type in DISASTERS:
        return "disaster"
    if crisis_type == "관세":
        return "tariff"
    if crisis_type or (revenue_change is not None and revenue_change <= HARDSHIP_DROP):
        return "hardship"
    return None


class ActionEmergencyFastTrack(Action):
    """Emergency fast track: the right emergency program and how to apply, in one or two turns."""

    def name(self) -> str:
        return "action_emergency_fast_track"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        level = distress_level(latest_text(tracker))
        if level == 2:
            return distress_handoff(dispatcher, tracker) or []
        kb = get_kb()
        company = profile(tracker)
        track = emergency_track(company.get("crisis_type"), company.get("revenue_change"))
        named = named_program(tracker, kb)
        events = show_program(dispatcher, kb, named, detail=False, rating=False) if named else []
        if track is None:
            question = ("어떤 상황이신가요? 고르시면 맞는 긴급 지원을 바로 안내해 드릴게요." if named else
                        "어떤 어려움을 겪고 계신가요? 상황에 맞는 긴급 지원을 바로 찾아 드릴게요.")
            dispatcher.utter_message(text=question, buttons=TRACK_BUTTONS)
            return events
        hits = program_hits(kb, f"{TRACK_QUERIES[track]} {latest_text(tracker)}", 1, company)
        if not hits:
            if not named:
                dispatcher.utter_message(**not_known("긴급 지원 내용"))
            return events
        hit = hits[0]
        steps = answer_or_none(kb, hit.program_id, "application")
        text = render.fast_track_text(hit, steps.body if steps else None, caring=bool(level),
                                      shown=hit.program_id == named)
        dispatcher.utter_message(text=text, buttons=[*render.detail_buttons(hit.program_id)[:2],
                                                     render.HANDOFF_BUTTON, *render.RATING_BUTTONS])
        return [SlotSet("program", hit.program_id)]


class ActionAnswerShownProgram(ActionAnswerProgramQuestion):
    """A question pointing back at a shown program ('두 번째 거 한도는요?') that the NLU did not take for a program
    question: answered like one, then the turn ends. Inside the intake form the form's question is asked again
    first: handing the turn back to the form would have it reject the same message, and the fallback would answer
    it again, up to Rasa's limit of actions a turn (the answer five times, then silence)."""

    def name(self) -> str:
        return "action_answer_shown_program"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        asked = tracker.get_slot("requested_slot")
        if tracker.active_loop.get("name") and asked:
            dispatcher.utter_message(response=f"utter_ask_{asked}")
        return [*events, FollowupAction("action_listen")]
