"""Owners' questions over REST against the real servers: answered from the guides, never small talk, other
agencies named, eligibility verdicts, replies that fit a phone screen."""

from __future__ import annotations

import pytest
import yaml

from bot.paths import DOMAIN_FILE
from tests.e2e.test_conversations import Chat, button_payloads, joined, link_buttons

RESPONSES = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]
SMALL_TALK = RESPONSES["utter_chitchat"][0]["text"]
NOT_KNOWN = RESPONSES["utter_not_known"][0]["text"]
PHONE_SCREEN = 600


@pytest.mark.parametrize(("question", "answer_words"), [
    ("작년에 정책자금 떨어졌는데 다시 신청해도 되나요?", ["6개월"]),
    ("약정하고 나면 돈은 언제 들어와요?", ["약정"]),
    ("보완서류 내라는 연락이 또 왔는데 왜 그런가요?", ["보완"]),
    ("직접대출이랑 대리대출 차이가 뭐예요", ["직접대출", "대리대출"]),
    ("세금 체납 있으면 정책자금 못 받나요ㅠㅠ", ["체납"]),
])
def test_a_question_gets_the_answer_first_with_a_named_source(rasa_server: str, question: str,
                                                               answer_words: list[str]) -> None:
    replies = Chat(rasa_server).say(question)
    first = replies[0]["text"]
    assert first not in (SMALL_TALK, NOT_KNOWN), first
    assert all(word in first for word in answer_words), first
    assert len(first) <= PHONE_SCREEN and "출처: " in first and "년" in first.split("출처: ")[1], first
    assert "http" not in first  # links are behind the details button
    assert any(payload.startswith("/ask_program_detail") for payload in button_payloads(replies))


@pytest.mark.parametrize(("question", "follow_up", "answer_words"), [
    ("5년 3회 제한이 뭐예요?", "예외도 있나요?", ["긴급경영안정"]),
    ("노란우산공제 해지하면 어떻게 돼요?", "그럼 세금은요?", ["세금"]),
])
def test_a_follow_up_is_answered_in_the_context_of_the_question_before(rasa_server: str, question: str,
                                                                       follow_up: str,
                                                                       answer_words: list[str]) -> None:
    chat = Chat(rasa_server)
    chat.say(question)
    first = chat.say(follow_up)[0]["text"]
    assert all(word in first for word in answer_words), first
    assert "출처: " in first, first


def test_the_details_button_gives_the_links(rasa_server: str) -> None:
    chat = Chat(rasa_server)
    replies = chat.say("작년에 정책자금 떨어졌는데 다시 신청해도 되나요?")
    detail = next(p for p in button_payloads(replies) if p.startswith("/ask_program_detail"))
    replies = chat.say(detail)
    text = joined(replies)
    links = link_buttons(replies)
    assert links and all(link["url"].startswith("https://") and link["title"] in text for link in links), replies
    assert "출처: " in text and "년" in text and "http" not in text, text  # named sources; links as buttons


@pytest.mark.parametrize(("question", "agency"), [
    ("노란우산공제 가입은 어디서 해요?", "중소기업중앙회"),
    ("소상공인 정책자금은 어디서 신청해요?", "소상공인시장진흥공단"),
    ("새도약기금 대상인지 어떻게 알아요?", "캠코"),
])
def test_another_agencys_business_names_that_agency(rasa_server: str, question: str, agency: str) -> None:
    first = Chat(rasa_server).say(question)[0]["text"]
    assert agency in first.split("\n")[0], first


def test_a_question_nobody_documented_is_plainly_not_known_with_the_counsellor(rasa_server: str) -> None:
    replies = Chat(rasa_server).say("정책자금 담당자한테 명절 선물 드려도 되나요?")
    assert replies[0]["text"] == NOT_KNOWN
    assert "/request_human" in button_payloads(replies)


@pytest.mark.parametrize("trouble", ["요즘 장사가 너무 안돼서 미치겠네요", "이번 달 월세 낼 돈이 없어요"])
def test_an_owners_trouble_told_not_asked_gets_where_to_start_not_small_talk(rasa_server: str, trouble: str) -> None:
    replies = Chat(rasa_server).say(trouble)
    first = replies[0]["text"]
    assert SMALL_TALK not in joined(replies), replies
    assert "긴급경영안정자금" in first and "소상공인시장진흥공단" in first and "출처: " in first, first


def test_small_talk_stays_small_talk(rasa_server: str) -> None:
    assert SMALL_TALK in joined(Chat(rasa_server).say("ㅎㅎ 오늘 기분 좋네요"))


def test_an_age_over_the_limit_gets_a_no_with_the_rule_and_programs_that_fit(rasa_server: str) -> None:
    replies = Chat(rasa_server).say("대표가 만 41세면 청년전용창업자금은 안 되나요?")
    text = joined(replies)
    assert text.startswith("아니요, 청년전용창업자금"), text
    assert "39세" in text and "대신 살펴볼 만한 사업" in text, text


def test_a_first_question_is_answered_without_the_greeting(rasa_server: str) -> None:
    replies = Chat(rasa_server).say("심사 결과는 언제 나와요?")
    assert "이런 일을 도와드려요" not in joined(replies)
    assert len(replies[0]["text"]) <= PHONE_SCREEN


def test_yes_inside_the_intake_never_repeats_the_same_question(rasa_server: str) -> None:
    chat = Chat(rasa_server)
    asked = joined(chat.say("맞춤 지원사업 추천해 주세요")).splitlines()[-1]
    for _ in range(2):
        replies = chat.say("네")
        question = joined(replies).splitlines()[-1]
        assert question != asked, joined(replies)
        asked = question
