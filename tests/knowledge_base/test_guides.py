"""Guide documents: validation, staff answers joining the index at once, and answers to owners' questions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge_base import KnowledgeBase
from knowledge_base.answering import answer_question, eligibility_verdict
from knowledge_base.context import answer_in_context
from knowledge_base.documents import DocumentError
from knowledge_base.guide_documents import DEFAULT_GUIDES_DIR, load_guides, parse_guide, save_staff_guide
from knowledge_base.leads import can_lead
from knowledge_base.questions import (
    asks_if_eligible,
    asks_what_it_is,
    is_follow_up,
    is_question,
    mentions_domain,
    reached_nobody,
    wants_programs,
)

GUIDE = """---
id: sample-guide
title: 예시
topic: 개념
agency: 중진공
answer: "{answer}"
questions: ["예시 질문이에요?"]
sources:
  - {{url: https://www.news1.kr/a, publisher: 뉴스1, year: 2026}}
as_of: 2026
---
## 자세히
본문
"""


def test_the_shipped_guides_cover_forty_topics_and_three_hundred_phrasings() -> None:
    guides = load_guides(DEFAULT_GUIDES_DIR)
    assert len(guides) >= 40
    assert len({q for guide in guides for q in guide.questions}) >= 300
    assert all(guide.sources and all(source.year for source in guide.sources) for guide in guides)


@pytest.mark.parametrize(("answer", "problem"), [
    ("한도는 5억원입니다.", "without the year"),
    ("하나. 둘. 셋. 넷.", "more than 3 sentences"),
])
def test_an_answer_with_a_yearless_number_or_too_long_is_refused(answer: str, problem: str) -> None:
    with pytest.raises(DocumentError, match=problem):
        parse_guide(GUIDE.format(answer=answer), "sample-guide")


def test_a_staff_answer_needs_a_source_and_its_year(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="source"):
        save_staff_guide("질문이에요?", "kim", answer="답입니다.", folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_staff_answer_is_found_for_a_paraphrase_without_retraining(kb: KnowledgeBase, index_path: Path,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_STAFF_GUIDES_DIR", str(tmp_path))
    before = answer_question(kb, "대출 약정서를 잃어버렸는데 재발급 되나요?")
    assert not before.answered
    guide = save_staff_guide("대출 약정서를 잃어버렸는데 재발급 되나요?", "kim",
                             answer="2026년 기준 약정서 사본은 관할 지역본부에서 다시 받으실 수 있어요.",
                             source_url="https://www.kosmes.or.kr/example", publisher="중진공", year=2026)
    fresh = KnowledgeBase.load(index_path=index_path)
    assert fresh is not kb and guide.guide_id in fresh.guides
    reply = answer_question(fresh, "약정서 분실했어요 다시 받을 수 있나요")
    assert reply.document_id == guide.guide_id and reply.answer.startswith("2026년 기준 약정서 사본은")


def test_linking_a_question_to_an_existing_guide_adds_the_phrasing(tmp_path: Path) -> None:
    save_staff_guide("떨어지면 언제 다시 내요", "kim", see="reapply-after-rejection", folder=tmp_path)
    guides = {guide.guide_id: guide for guide in load_guides(DEFAULT_GUIDES_DIR, tmp_path)}
    assert "떨어지면 언제 다시 내요" in guides["reapply-after-rejection"].questions
    with pytest.raises(DocumentError, match="no guide"):
        save_staff_guide("아무 질문", "kim", see="no-such-guide", folder=tmp_path)


@pytest.mark.parametrize(("text", "guide_id"), [
    ("작년에 떨어졌는데 다시 신청해도 되나요?", "reapply-after-rejection"),
    ("직접대출이랑 대리대출 차이가 뭐예요", "direct-vs-agency-loan"),
    ("소상공인인데 정책자금 어디서 받아요", "semas-small-business-funds"),
    ("신보 보증 받고 있는데 중진공 자금도 되나요", "guarantee-overlap"),
    ("재도약지원자금은 어떤 자금인가요", "jaedoyak-fund-tracks"),  # three funds share the name: not one of them
])
def test_owner_questions_get_their_guide(kb: KnowledgeBase, text: str, guide_id: str) -> None:
    reply = answer_question(kb, text)
    assert reply.kind == "guide" and reply.document_id == guide_id
    assert reply.sources and reply.sources[0].year >= 2000


def test_a_guide_reply_leads_with_the_detail_that_answers_the_question(kb: KnowledgeBase) -> None:
    guide = kb.guides["loan-overdue-consequences"]
    narrow = answer_question(kb, "대출 이자 하루 늦게 냈는데 신용에 문제 생기나요?")
    assert narrow.document_id == guide.guide_id
    assert narrow.answer.startswith("하루 이틀 늦은 것은") and "하루 이틀" not in guide.answer
    assert len(narrow.answer) <= len(guide.answer) + 200, "the lead replaces the answer's last sentence"
    general = answer_question(kb, "대출 연체하면 어떻게 되나요?")
    assert general.document_id == guide.guide_id and general.answer == guide.answer


WRAPPINGS = ["혹시 {} 궁금합니다", "{} 이 부분에 대해 알고 싶어요", "{} 질문 답변 부탁드립니다"]


@pytest.mark.parametrize("wrapping", WRAPPINGS)
@pytest.mark.parametrize(("question", "guide_id"), [
    ("신청하면 신용점수가 떨어지나요?", "credit-inquiry-score-effect"),
    ("약정하고 나면 돈은 언제 들어와요?", "agreement-disbursement"),
])
def test_polite_wrapping_does_not_change_the_answer(kb: KnowledgeBase, wrapping: str, question: str,
                                                     guide_id: str) -> None:
    """'… 궁금합니다', '… 알고 싶어요': words owners wrap a question in are not taken for what it asks."""
    assert answer_question(kb, question).document_id == guide_id
    assert answer_question(kb, wrapping.format(question)).document_id == guide_id


@pytest.mark.parametrize("text", ["긴급경영안정자금 금리 얼마에요", "긴급경영안전자금 금리 얼마에요"])  # and a typo
def test_a_named_program_and_aspect_get_the_programs_own_terms(kb: KnowledgeBase, text: str) -> None:
    reply = answer_question(kb, text)
    assert reply.kind == "program" and reply.document_id == "emergency-management-stabilization"
    assert "금리" in reply.answer


def test_a_named_program_asked_about_what_its_text_never_mentions_is_not_answered_with_its_summary(
        kb: KnowledgeBase) -> None:
    assert answer_question(kb, "긴급경영안정자금이란?").document_id == "emergency-management-stabilization"
    reply = answer_question(kb, "청년내일채움공제 적금 미납 시 불이익에 대해 알고 싶어요!")
    assert reply.document_id != "youth-tomorrow-fill-deduction"
    assert "미납" in reply.answer or reply.kind in {"suggest", "unknown"}


def test_a_follow_up_is_read_with_the_question_before(kb: KnowledgeBase) -> None:
    assert answer_question(kb, "예외도 있나요?").document_id != "five-year-three-times-rule"
    reply = answer_in_context(kb, "예외도 있나요?", "5년 3회 제한이 뭐예요?")
    assert reply.document_id == "five-year-three-times-rule"
    first = answer_question(kb, "5년 3회 제한이 뭐예요?").answer
    assert "예외" in reply.answer.split(". ")[0] and not first.startswith(reply.answer[:40])  # not the same again
    in_context = answer_in_context(kb, "그럼 신청은 어디서 해요?", "청년전용창업자금 한도 얼마예요")
    assert in_context.document_id == "youth-startup-fund" and "신청" in in_context.answer  # its own aspect


def test_a_new_question_is_not_bent_to_the_one_before(kb: KnowledgeBase) -> None:
    reply = answer_in_context(kb, "정책자금이 뭐예요?", "노란우산공제 해지하면 어떻게 돼요?")
    assert reply.document_id == answer_question(kb, "정책자금이 뭐예요?").document_id == "policy-fund-definition"


@pytest.mark.parametrize(("previous", "follow_up", "guide_id"), [
    ("휴업 중인데 신청 가능한가요", "그럼 매출 없으면요?", "low-or-no-sales"),
    ("신보 보증 받고 있는데 중진공 자금도 되나요", "그럼 5년 3회 제한도 걸려요?", "five-year-three-times-rule"),
    ("정책자금 신청했는데 언제 연락와요", "현장실사는 언제 해요?", "evaluation-site-visit"),  # not a guarantor's
])
def test_a_follow_up_the_answer_before_does_not_speak_to_gets_its_own_guide(kb: KnowledgeBase, previous: str,
                                                                             follow_up: str, guide_id: str) -> None:
    before = answer_question(kb, previous).document_id
    assert answer_in_context(kb, follow_up, previous).document_id == guide_id != before


def test_a_follow_up_on_what_the_guide_could_not_confirm_is_told_so(kb: KnowledgeBase) -> None:
    reply = answer_in_context(kb, "일부만 먼저 갚는 것도 돼요?", "중진공 대출 중도상환하면 수수료 있나요")
    assert reply.document_id == "early-repayment" and reply.answer.startswith("대출금의 일부만 먼저 갚는"), reply.answer


def test_a_follow_up_naming_only_another_agency_asks_the_question_before_again(kb: KnowledgeBase) -> None:
    previous = "신보 보증 받고 있는데 중진공 자금도 되나요"
    assert answer_question(kb, "기보는요?").document_id == "kibo-guarantee"  # what 기보 is, alone
    assert answer_in_context(kb, "기보는요?", previous).document_id == answer_question(kb, previous).document_id


def test_follow_up_detection() -> None:
    assert all(map(is_follow_up, ["그럼 세금은요?", "40살이면요?", "예외도 있나요?", "그건 어디서 해요",
                                  "개인사업자도 똑같아요?", "법인도 마찬가지인가요"]))
    assert not any(map(is_follow_up, ["정책자금이 뭐예요?", "세금 체납 있으면 못 받나요?", "안녕하세요"]))


@pytest.mark.parametrize(("typed", "careful"), [
    ("세금 밀렷는데 정책자금 가능?", "세금 밀렸는데 정책자금 가능한가요?"),
    ("정책자금 신청 어케함", "정책자금 신청 어떻게 해요"),
])
def test_a_question_typed_fast_gets_the_answer_of_the_careful_one(kb: KnowledgeBase, typed: str, careful: str) -> None:
    expected = answer_question(kb, careful)
    assert expected.kind == "guide"
    assert answer_question(kb, typed).document_id == expected.document_id


def test_a_concept_question_close_in_meaning_is_offered_its_guide(kb: KnowledgeBase) -> None:
    """'정책자금 대출이란?' shares few words with '정책자금이란?' but means the same: not 'not known'."""
    reply = answer_question(kb, "정책자금 대출이란 무엇인가요?")
    assert "policy-fund-definition" in (reply.document_id, *reply.related[:1])


def test_the_answer_sentence_that_answers_the_question_leads(kb: KnowledgeBase) -> None:
    """'분할 납부란?' is first told what instalments are, not first sent elsewhere; a first sentence that answers yes
    or no stays first."""
    reply = answer_question(kb, "분할 납부란 무엇인가요?")
    assert "분할납부는" in reply.answer.split(". ")[0], reply.answer
    assert answer_question(kb, "개인사업도 ‘중소기업’에 포함될까?").answer.startswith("네,")
    refund = answer_question(kb, "재단 보증서 대출을 만기 전에 다 갚으면 미리 낸 보증료 일부 돌려받을 수 있나요?")
    assert refund.answer.startswith("만기 전에 대출을 전부 갚으면"), refund.answer  # not the fee rates first


def test_a_sentence_leaning_on_the_one_before_never_leads(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "'창업자' 및 '창업'의 의미")
    assert reply.document_id == "startup-definition" and not reply.answer.startswith("그래서"), reply.answer


def test_the_sentence_stating_the_asked_figure_leads_whatever_the_name_in_it(kb: KnowledgeBase) -> None:
    """'청년창업사관학교 나이 제한 있어요?': the sentence with '만 39세 이하' answers 나이 without the word; the name
    the whole guide is about chooses no sentence."""
    reply = answer_question(kb, "청년창업사관학교 나이 제한 있어요?")
    assert reply.document_id == "youth-startup-academy-operator"
    assert "만 39세" in reply.answer.split(". ")[0], reply.answer


@pytest.mark.parametrize(("question", "document_id", "fact"), [
    # how far sales must fall is the emergency fund's eligibility, not its application steps
    ("긴급경영안정자금은 매출이 얼마나 줄어야 신청할수 있어요", "emergency-management-stabilization", "10%"),
    # "정책자금서류" is not the alias "정책자금종류" mistyped; the documents owners prepare, as advisers list them
    ("정책자금 서류 뭐 필요해요?", "policy-fund-documents-list", "사업자등록증"),
    # the product named (새출발기금, 캠코) beats a third agency's guide on debt relief closer in meaning (신복위)
    ("치킨집 8년째인데 카드값이랑 대출이 감당이 안되네요ㅠ 새출발기금이 빚 90%까지 깎아준다는게 아무나 되는건가요? "
     "아직 연체는 안했는데 신청 가능한지..", "new-start-fund", "캠코"),
    # who may apply is a program's eligibility
    ("수출바우처 누가 신청할 수 있나요", "export-voucher", "중소기업"),
    # '중진공 대출' names the policy-fund overview in passing; the question is about KAMCO's debt relief
    ("새출발기금 신청하면 중진공 대출도 같이 조정되는건가요 캠코랑 묶여서 하는건지", "new-start-fund", "캠코"),
    # the job-retention subsidy is the labour ministry's
    ("직원들 잠깐 휴업시키려고 하는데 고용유지지원금은 어디서 신청해요", "employment-subsidies", "고용노동부"),
    # how many years in business asks who may apply, not how long the loan runs
    ("혁신창업사업화자금 업력 몇 년까지 돼요", "startup-foundation-fund", "7년 이내"),
    # the disaster guide's steps are closer than the disaster fund's one-line summary
    ("폭우로 공장이 침수됐어요ㅠㅠ 재해확인증 받으면 중진공 자금 얼마나 빨리 나와요? 어디부터 가야돼요",
     "disaster-application-process", "지자체"),
])
def test_a_question_gets_the_document_that_holds_its_answer(kb: KnowledgeBase, question: str, document_id: str,
                                                             fact: str) -> None:
    reply = answer_question(kb, question)
    assert reply.document_id == document_id and fact in reply.answer, reply.answer


def test_a_question_naming_no_agency_is_about_this_one(kb: KnowledgeBase) -> None:
    """'심사 결과는 언제 나와요?' asks about this agency's screening; a guarantor's is only for questions naming it."""
    ours = answer_question(kb, "심사 결과는 언제 나와요?")
    assert (ours.document_id or ours.related[0]) == "decision-timing"
    assert answer_question(kb, "신보 심사 결과 언제 나와요").document_id == "guarantee-review-time"


@pytest.mark.parametrize(("text", "title"), [
    ("청년 창업자금이란?", "청년전용창업자금"),  # the program's summary never says its name
    ("정부 R&D 과제 성공 판정 받았는데 사업화할 때 대출 이자 지원해주는 제도 있나요? 한도는 얼마예요?",
     "혁신창업사업화자금(개발기술사업화자금)"),  # nor do its terms ('한도: 연 30억원 …')
])
def test_a_program_answer_says_which_program_it_is(kb: KnowledgeBase, text: str, title: str) -> None:
    assert answer_question(kb, text).answer.startswith(f"{title} — ")


def test_the_named_agencys_guide_does_not_displace_a_closer_guide_of_a_third_agency(kb: KnowledgeBase) -> None:
    """A guide on why any guarantor refuses (tagged 신보) answers a refusal by 지역신보 better than 지역신보's guide
    on how long screening takes."""
    reply = answer_question(kb, "지역신보에서 보증 거절당했습니다. 주로 어떤 이유로 거절되는지, 재신청하려면 "
                                "뭘 보완해야 하는지 알고 싶어요.")
    assert reply.document_id == "guarantee-rejection-reasons"
    assert reply.agency is not None and reply.agency.key == "지역신보"  # whom to ask: the agency named


@pytest.mark.parametrize(("text", "expected"), [
    ("중진공이랑 신보 기보 차이가 뭐에요? 돈 직접 빌려주는 데랑 보증서 끊어주는 데랑 맨날 헷갈림",
     "policy-fund-vs-grant-vs-bank"),  # three guides within a hair: the owner picks
    ("매출이 반년째 조금씩 빠지고 있는데 이것도 긴경자금 대상이에요? 아님 갑자기 확 떨어진 경우만 되는건지",
     "emergency-temporary-hardship"),  # tied guides on arrears and screening give way to the fund's own rule
])
def test_guides_tied_in_meaning_do_not_answer_on_meaning_alone(kb: KnowledgeBase, text: str, expected: str) -> None:
    reply = answer_question(kb, text)
    assert reply.document_id == expected or reply.kind == "suggest" and expected in reply.related


def test_a_fund_of_the_small_business_agency_is_not_taken_for_ours(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "소상공인 경영안정자금 금리 얼마에요")
    assert reply.document_id != "emergency-management-stabilization"


@pytest.mark.parametrize(("text", "agency"), [
    ("폐업하면 실업급여 받을 수 있나요", "고용노동부"),  # unemployment benefit: employment insurance
    ("부가세 조기환급 신청 어떻게 해요", "국세청"),
    ("부가세 낼 돈이 없는데 분납이나 연장 되나요", "국세청"),
    ("대한상의에서 하는 AI 교육도 중소기업 직원이면 국비지원 되는건가요", "대한상의"),  # an agency no guide is about
])
def test_a_product_of_another_agency_that_no_guide_answers_names_that_agency(kb: KnowledgeBase, text: str,
                                                                              agency: str) -> None:
    reply = answer_question(kb, text)
    assert reply.kind == "agency" and reply.agency is not None and reply.agency.key == agency, reply
    assert reply.sources and all(source.year >= 2000 and source.url.startswith("http") for source in reply.sources)


def test_a_figure_the_guide_could_not_confirm_is_said_first(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "기보 보증 한도가 어떻게 되나요")
    assert reply.document_id == "kibo-guarantee" and reply.answer.startswith("기보의 현재 보증 한도"), reply.answer


def test_whose_matter_it_is_leads_only_when_that_is_asked(kb: KnowledgeBase) -> None:
    """An answer opening with 'not KOSME but …' leads with its sentence on the question's own point."""
    reply = answer_question(kb, "정부 R&D에 처음 참여할 경우 지원정책은 없나.")
    assert reply.document_id == "sme-rnd-first-time" and reply.answer.startswith("처음 하는 기업에는"), reply.answer
    asked = answer_question(kb, "중소기업 R&D 지원은 어디서 신청해요?")
    assert asked.document_id == "sme-rnd-first-time" and "중진공 정책자금이 아니라" in asked.answer.split(". ")[0]


def test_an_aside_about_another_agency_never_leads(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "대출 받고 폐업하면 바로 갚아야돼요?")
    assert reply.document_id == "closure-outstanding-loan" and reply.answer.startswith("폐업을 해도"), reply.answer


def test_a_sentence_sending_the_owner_to_another_guide_never_leads(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "신용보증기금 보증료 얼마에요")
    assert "안내를 보세요" not in reply.answer.split(". ")[0], reply.answer


@pytest.mark.parametrize("text", ["오늘 날씨 어때요", "점심 뭐 먹을까요"])
def test_questions_outside_the_domain_are_not_answered(kb: KnowledgeBase, text: str) -> None:
    assert not answer_question(kb, text).answered


def test_asking_whether_one_may_get_a_fund_is_told_from_asking_whether_it_exists() -> None:
    may_get = ["창업 5년차인데 청년전용창업자금 되나요?", "대표가 만 41세면 청년전용창업자금은 안 되나요?",
               "창업한 지 1년인데 신성장기반자금 받을 수 있나요?"]
    exists = ["관세 피해 기업용 긴급자금이 따로 나왔나요?", "수출바우처 중에 관세 대응용이 따로 있나요?"]
    assert all(map(asks_if_eligible, may_get)) and not any(map(asks_if_eligible, exists))


def test_question_and_domain_detection() -> None:
    assert is_question("심사 결과는 언제 나와요") and is_question("보증 중복 되나")
    assert not is_question("음 그러니까") and not is_question("감사합니다")
    assert is_question("상가 사는것도 시설자금으로 치나요? 운전자금이랑 헷갈려서")  # the question comes first
    assert not is_question("제조업 5년차요. 직원 10명")
    assert mentions_domain("세금 체납 있는데") and not mentions_domain("ㅋㅋㅋ 좋네요")
    troubles = ("요즘 장사가 안돼요", "월세 낼 돈이 없네", "가게 문 닫을까 봐요",
                "돈 빌릴 데가 없어요", "빚 때문에 잠이 안 와요")
    assert all(mentions_domain(trouble) for trouble in troubles)
    assert not mentions_domain("오늘 점심은 돈가스 먹었어요")
    assert reached_nobody("하루종일 전화했는데 아무도 안받네요") and reached_nobody("콜센터 연결이 안 돼요")
    assert not reached_nobody("잠깐 전화 좀 받고 올게요") and not reached_nobody("상담 받고 싶어요")


def test_asking_whether_one_may_apply_is_answered_with_who_may_apply(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "신시장진출지원자금은 수출실적 없어도 신청 가능해요?")
    assert reply.document_id in ("export-entry-fund", "export-record-funds"), reply.document_id
    assert re.search(r"10만\s*(불|달러) 미만", reply.answer), reply.answer  # the rule on export records, not the steps


def test_an_aspect_asked_of_a_program_found_by_its_card_is_answered_from_that_aspect(kb: KnowledgeBase) -> None:
    reply = answer_question(kb, "주거래처 조선소가 발주를 다 끊어서 일감이 아예 없어요 이런 것도 긴경 대상인가요")
    assert reply.kind == "program" and "10% 이상" in reply.answer, reply.answer
    assert "거래처 도산(부도), 기술유출 피해" in reply.answer  # the listed causes read as one sentence


def test_an_age_over_the_limit_is_a_no_with_the_deciding_rule_and_other_programs(kb: KnowledgeBase) -> None:
    verdict = eligibility_verdict(kb, "youth-startup-fund", {"rep_age": 41})
    assert verdict.eligible is False
    assert any("39세" in reason for reason in verdict.deciding)
    assert verdict.alternatives and "youth-startup-fund" not in verdict.alternatives


def test_facts_that_do_not_decide_give_cannot_tell_with_what_is_missing(kb: KnowledgeBase) -> None:
    verdict = eligibility_verdict(kb, "youth-startup-fund", {"industry": "제조업"})
    assert verdict.eligible is None and "rep_age" in verdict.missing


RESEARCH_WORDS = ("전사본", "검증", "블로그", "GAP", "사본", "[code]", "[news]", "ENGINE", "BIZNAVI")


def test_what_owners_read_has_no_research_words(kb: KnowledgeBase) -> None:
    shown = [text for program in kb.programs.values()
             for text in (program.summary, *program.key_terms.values(), *program.sections.values())]
    shown += [text for guide in kb.guides.values()
              for text in (guide.title, guide.answer, guide.detail, guide.unknown,
                           *(source.publisher for source in guide.sources))]
    assert [text[:80] for text in shown if any(word in text for word in RESEARCH_WORDS)] == []


def test_a_sentence_opening_with_a_pointer_back_never_leads() -> None:
    """'이는 …', '그 밖의 …', '대신 …' point at the sentence before them, so they cannot open a reply."""
    leaning = ["이는 중진공 직접대출과 다른 서류로 심사합니다.", "그 밖의 서류는 지점에서 알려 줍니다.",
               "대신 보증서가 있으면 담보가 없어도 됩니다.", "이와 별도로 신용보증재단 보증을 받을 수 있습니다."]
    standing = ["이자는 분기마다 냅니다.", "이번 달 안에 신청해야 합니다.", "대신증권 계좌는 상관없습니다."]
    assert can_lead(leaning + standing) == standing


def test_asked_what_a_loan_is_the_answer_states_its_limit_and_rate(kb: KnowledgeBase) -> None:
    """'신성장기반자금이 뭐예요?' gets what the fund is and how much at what rate, not only the one-line summary;
    a question about something else in it keeps the summary alone."""
    reply = answer_question(kb, "신성장기반자금이 뭐예요?")
    assert reply.document_id == "innovation-growth-fund"
    assert "60억원" in reply.answer and "기준금리" in reply.answer, reply.answer
    assert asks_what_it_is("긴경이 뭐에요") and asks_what_it_is("청년전용창업자금에 대해 알려주세요")
    assert not asks_what_it_is("긴급경영안정자금 중복 신청 되나요")
    assert not asks_what_it_is("재단 보증서 대출이 뭐가 좋아요")


def test_a_question_about_a_hard_condition_is_not_a_request_for_programs() -> None:
    """'회생중인 회사도 받을수있는 정책자금이 있나요?' asks the rule for companies in rehabilitation, which a guide
    answers; the intake would first ask the business age. A plain request still goes to the intake."""
    assert not wants_programs("작년에 법인회생 인가 받았어요. 회생중인 회사도 받을수있는 정책자금이 있나요?")
    assert not wants_programs("신용불량인데 받을 수 있는 자금 있나요")
    assert wants_programs("받을 수 있는 지원사업 있나요")


def test_a_programs_contact_lines_answer_only_a_question_asking_whom_to_call(kb: KnowledgeBase) -> None:
    text = ("경기도 중소기업육성자금으로 은행대출 받아서 이자지원 받고있는데 이상태에서 중진공 정책자금 또 신청해도 "
            "되나요? 중복지원이라 안되는건 아닌지")
    reply = answer_question(kb, text)
    assert "1811-3655" not in reply.answer and "other-agency-loans-total" in (reply.document_id, *reply.related)
