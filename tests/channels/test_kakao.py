"""Kakao skill channel against a fake Kakao platform, with a stand-in bot: trust, bad input, the response format and
its limits, quick replies and their payloads, paging, links, and the callback flow past the time budget."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage

from channels import kakao_format
from channels.incoming import ERROR_REPLY, RATE_LIMITED_REPLY, TOO_LONG_REPLY
from channels.kakao import (
    ASK_AGAIN_REPLY,
    EXPIRED_MORE_REPLY,
    WAIT_TEXT,
    KakaoInput,
    KakaoSettings,
)
from channels.limits import ChannelLimits, RateLimiter
from tests.bad_input.conftest import encode, hostile_texts, json_values
from tests.channels.conftest import echo_bot, serve_channels, source_card
from tests.channels.kakao_platform import (
    BOT_ID,
    SECRET,
    FakeKakaoPlatform,
    press,
    problems,
    quick_replies,
    skill_payload,
    start_platform,
    texts,
)

SETTINGS = KakaoSettings(enabled=True, secret=SECRET, bot_ids=frozenset({BOT_ID}), sync_budget=1.0,
                         callback_deadline=50.0, callback_hosts=("127.0.0.1",))
NO_LIMITS = ChannelLimits(per_sender=None, per_ip=None)
MANY = [{"title": f"{n}번 사업 자세히", "payload": f'/ask_program_detail{{"program_id":"p{n}"}}'} for n in range(1, 14)]


class Bot:
    """A stand-in for Rasa that records what it was handed; '천천히' answers after `delay` seconds."""

    def __init__(self, delay: float = 1.5) -> None:
        self.messages: list[UserMessage] = []
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        send = message.output_channel.send_response
        if message.text == "천천히":
            await asyncio.sleep(self.delay)
            await send(message.sender_id, {"text": "느린 답변: 긴급경영안정자금 한도는 10억 원이에요."})
        elif message.text == "많은 버튼":
            await send(message.sender_id, {"text": "사업을 골라 주세요.", "buttons": MANY})
        elif message.text == "링크":
            await send(message.sender_id, {
                "text": "[중진공 누리집](https://www.kosmes.or.kr/) 참고\n출처: https://mobile.newsis.com/view.html?id=1.",
                "buttons": [{"title": "신청 페이지 열기", "url": "https://www.kosmes.or.kr/apply"},
                            {"title": "상담원 연결", "payload": "/request_human"}]})
        elif message.text == "여러 답":
            for rank in (1, 2, 3):
                await send(message.sender_id, {"text": f"{rank}. 사업 {rank}", "buttons": [
                    {"title": "자세히 보기", "payload": f'/ask_program_detail{{"program_id":"p{rank}"}}'}]})
        else:
            await echo_bot(message)


@pytest.fixture
async def platform() -> AsyncIterator[FakeKakaoPlatform]:
    fake, runner = await start_platform()
    yield fake
    await runner.cleanup()


@pytest.fixture
async def kakao(platform: FakeKakaoPlatform):
    bot = Bot()
    channel = KakaoInput(SETTINGS, NO_LIMITS)
    async with serve_channels([channel], bot) as base:
        yield f"{base}/webhooks/kakao/webhook", channel, bot, platform


async def ask(platform: FakeKakaoPlatform, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One skill request that must be answered 200 within Kakao's limits."""
    reply = await platform.send(url, payload)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert problems(body) == [], body
    return body


async def test_forged_or_missing_secret_is_refused_and_nothing_happens(kakao) -> None:
    url, channel, bot, platform = kakao
    for secret in ("wrong", "", None, SECRET + "x", SECRET[:-1]):
        reply = await platform.send(url, skill_payload("안녕하세요"), secret=secret)
        assert (reply.status_code, reply.json()) == (403, {"error": "forbidden"})
    wrong_header = await platform.send(url, skill_payload("안녕하세요"), header_secret="wrong")
    assert wrong_header.status_code == 403  # the header, when sent, is what counts
    other_bot = await platform.send(url, skill_payload("안녕하세요", bot_id="another-bot"))
    assert other_bot.status_code == 403
    assert bot.messages == []
    assert (await platform.send(url, skill_payload("헤더"), secret=None, header_secret=SECRET)).status_code == 200
    assert [m.text for m in bot.messages] == ["헤더"]


async def test_malformed_wrong_typed_and_oversized_bodies_get_4xx_and_nothing_happens(kakao) -> None:
    url, channel, bot, platform = kakao
    good = skill_payload("안녕")
    bad_payloads = [
        {**good, "userRequest": "안녕"},
        {**good, "userRequest": {**good["userRequest"], "user": {"id": 12345}}},
        {**good, "userRequest": {**good["userRequest"], "user": {"id": "u" * 71}}},
        {**good, "userRequest": {**good["userRequest"], "user": {"id": "a\x00b"}}},
        {**good, "userRequest": {**good["userRequest"], "user": None}},
        {**good, "userRequest": {**good["userRequest"], "utterance": ["안녕"]}},
        {**good, "userRequest": {**good["userRequest"], "utterance": None}},
        {**good, "userRequest": {**good["userRequest"], "callbackUrl": 5}},
        {**good, "bot": "bot"},
        {**good, "bot": {"id": 7}},
        {**good, "action": ["x"]},
        {key: value for key, value in good.items() if key != "userRequest"},
    ]
    for payload in bad_payloads:
        reply = await platform.send(url, payload)
        assert reply.status_code == 400 and "error" in reply.json(), payload
    for raw in (b"{not json", b"\xff\xfe\x00binary\x00", b"", b"[1, 2]", b'"text"', b"null", b"\xed\xa0\x80"):
        reply = await platform.send(url, raw=raw)
        assert reply.status_code == 400 and "error" in reply.json(), raw
    huge = await platform.send(url, raw=b'{"userRequest": {"utterance": "' + b"x" * 100_000 + b'"}}')
    assert huge.status_code == 413
    assert bot.messages == []
    assert (await platform.send(url, good)).status_code == 200  # still serving


async def test_channel_is_off_without_kakao_skill_enabled_and_refuses_without_a_secret(platform) -> None:
    off = KakaoInput(replace(SETTINGS, enabled=False), NO_LIMITS)
    bot = Bot()
    async with serve_channels([off], bot) as base:
        assert (await platform.send(f"{base}/webhooks/kakao/webhook", skill_payload("안녕"))).status_code == 404
    no_secret = KakaoInput(replace(SETTINGS, secret=None), NO_LIMITS)
    async with serve_channels([no_secret], bot) as base:
        for secret in ("", "anything", None):
            reply = await platform.send(f"{base}/webhooks/kakao/webhook", skill_payload("안녕"), secret=secret)
            assert reply.status_code == 403
    assert bot.messages == []


async def test_text_reaches_the_bot_masked_as_the_kakao_user_and_the_answer_is_simple_text(kakao) -> None:
    url, channel, bot, platform = kakao
    body = await ask(platform, url, skill_payload("긴급경영안정자금 <b>알려주세요</b>", user_id="botUserKey-42"))
    assert body == {"version": "2.0", "template": {"outputs": [
        {"simpleText": {"text": "에코: 긴급경영안정자금 <b>알려주세요</b>"}}]}}
    [message] = bot.messages
    assert (message.sender_id, message.input_channel) == ("botUserKey-42", "kakao")
    await ask(platform, url, skill_payload("연락처 010-1234-5678", user_id="botUserKey-42"))
    assert bot.messages[-1].text == "연락처 <전화번호>"  # masked before the bot sees it (channels.privacy)
    too_long = await ask(platform, url, skill_payload("가" * 2001))
    assert texts(too_long) == [TOO_LONG_REPLY] and len(bot.messages) == 2


async def test_buttons_become_quick_replies_whose_tap_sends_the_payload(kakao) -> None:
    url, channel, bot, platform = kakao
    body = await ask(platform, url, skill_payload("버튼"))
    assert texts(body) == ["업종을 골라 주세요."]
    assert quick_replies(body) == [
        {"label": "제조업", "action": "message", "messageText": "제조업",
         "extra": {"rasa_payload": '/inform{"industry":"제조업"}'}},
        {"label": "도매 및 소매업", "action": "message", "messageText": "도매 및 소매업",
         "extra": {"rasa_payload": '/inform{"industry":"도매 및 소매업"}'}},
    ]
    await ask(platform, url, press(quick_replies(body)[1]))
    assert bot.messages[-1].text == '/inform{"industry":"도매 및 소매업"}'
    # Without clientExtra (a typed title while the button is on screen) the payload is the same.
    await ask(platform, url, skill_payload("버튼"))
    await ask(platform, url, skill_payload("제조업"))
    assert bot.messages[-1].text == '/inform{"industry":"제조업"}'
    await ask(platform, url, skill_payload("제조업"))  # no button on screen any more: plain text
    assert bot.messages[-1].text == "제조업"


async def test_same_title_for_different_answers_is_numbered_by_its_message(kakao) -> None:
    url, channel, bot, platform = kakao
    body = await ask(platform, url, skill_payload("여러 답"))
    assert texts(body) == ["1. 사업 1\n\n2. 사업 2\n\n3. 사업 3"]
    replies = quick_replies(body)
    assert [r["label"] for r in replies] == ["자세히 보기 (1)", "자세히 보기 (2)", "자세히 보기 (3)"]
    await ask(platform, url, press(replies[1]))
    assert bot.messages[-1].text == '/ask_program_detail{"program_id":"p2"}'


async def test_more_than_ten_buttons_page_behind_more_without_reaching_the_bot(kakao) -> None:
    url, channel, bot, platform = kakao
    first = await ask(platform, url, skill_payload("많은 버튼"))
    labels = [r["label"] for r in quick_replies(first)]
    assert len(labels) == 10 and labels[-1] == "더 보기" and labels[0] == "1번 사업 자세히"
    assert all(len(label) <= 14 for label in labels)
    more = await ask(platform, url, press(quick_replies(first)[-1]))
    assert texts(more) == [kakao_format.MORE_CHOICES_TEXT]
    assert [r["label"] for r in quick_replies(more)] == [f"{n}번 사업 자세히" for n in range(10, 14)]
    assert [m.text for m in bot.messages] == ["많은 버튼"]
    await ask(platform, url, press(quick_replies(more)[3]))
    assert bot.messages[-1].text == '/ask_program_detail{"program_id":"p13"}'
    expired = await ask(platform, url, press(quick_replies(first)[-1]))
    assert texts(expired) == [EXPIRED_MORE_REPLY]


async def test_long_answers_are_split_over_outputs_and_pages(kakao) -> None:
    url, channel, bot, platform = kakao
    pages = [await ask(platform, url, skill_payload("긴 답변"))]
    while [r["label"] for r in quick_replies(pages[-1])] == ["더 보기"]:
        pages.append(await ask(platform, url, press(quick_replies(pages[-1])[0])))
    chunks = [text for page in pages for text in texts(page)]
    assert len(pages) == 4 and [len(texts(page)) for page in pages] == [3, 3, 3, 1]
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert " ".join(chunks).split() == ("가나다라마바사 " * 1200).split()
    assert [m.text for m in bot.messages] == ["긴 답변"]


async def test_links_become_web_link_buttons_on_a_text_card(kakao) -> None:
    url, channel, bot, platform = kakao
    body = await ask(platform, url, skill_payload("링크"))
    [card] = body["template"]["outputs"]
    assert card["textCard"]["description"] == "중진공 누리집 참고\n출처: https://mobile.newsis.com/view.html?id=1."
    assert card["textCard"]["buttons"] == [
        {"action": "webLink", "label": "중진공 누리집", "webLinkUrl": "https://www.kosmes.or.kr/"},
        {"action": "webLink", "label": "newsis.com", "webLinkUrl": "https://mobile.newsis.com/view.html?id=1"},
        {"action": "webLink", "label": "신청 페이지 열기", "webLinkUrl": "https://www.kosmes.or.kr/apply"},
    ]
    assert [r["messageText"] for r in quick_replies(body)] == ["상담원 연결"]


def test_a_source_link_button_becomes_a_web_link_and_the_text_only_names_it() -> None:
    card, link = source_card()
    outputs, replies = kakao_format.from_rasa([card])
    shown = " ".join(str(output) for output in outputs)
    assert "http" not in shown.replace(link["url"], "") and f"출처: {link['title']}" in shown
    [web_link] = [button for output in outputs for button in output.get("textCard", {}).get("buttons", [])]
    assert web_link == {"action": "webLink", "label": kakao_format.cut(link["title"], 14), "webLinkUrl": link["url"]}
    assert [reply["label"] for reply in replies] == [b["title"] for b in card["buttons"] if "payload" in b]


async def test_a_slow_answer_is_acknowledged_at_once_and_posted_once_to_the_callback(kakao) -> None:
    url, channel, bot, platform = kakao
    callback_url = platform.callback_url()
    started = time.monotonic()
    ack = await ask(platform, url, skill_payload("천천히", callback_url=callback_url))
    assert time.monotonic() - started < 1.5  # the 1 s budget, well within Kakao's 5 s
    assert ack == {"version": "2.0", "useCallback": True, "data": {"text": WAIT_TEXT}}
    [callback] = await platform.wait_for_callbacks(1)
    assert callback.status == "SUCCESS" and 1.0 < callback.seconds_after_issue < 60
    assert texts(callback.body) == ["느린 답변: 긴급경영안정자금 한도는 10억 원이에요."]
    await channel.bridge.drain()
    await asyncio.sleep(0.2)
    assert len(platform.callbacks) == 1 and [m.text for m in bot.messages] == ["천천히"]


async def test_a_fast_answer_with_a_callback_url_is_answered_directly(kakao) -> None:
    url, channel, bot, platform = kakao
    body = await ask(platform, url, skill_payload("빨리", callback_url=platform.callback_url()))
    assert texts(body) == ["에코: 빨리"]
    await channel.bridge.drain()
    assert platform.callbacks == []


async def test_without_a_callback_url_the_user_is_asked_again_and_then_gets_the_kept_answer(kakao) -> None:
    url, channel, bot, platform = kakao
    first = await ask(platform, url, skill_payload("천천히"))
    assert texts(first) == [ASK_AGAIN_REPLY]
    await asyncio.sleep(1.0)
    again = await ask(platform, url, skill_payload("천천히"))
    assert texts(again) == ["느린 답변: 긴급경영안정자금 한도는 10억 원이에요."]
    assert [m.text for m in bot.messages] == ["천천히"]  # the bot answered once


async def test_past_the_callback_deadline_an_apology_uses_the_callback_and_the_answer_waits(platform) -> None:
    bot = Bot(delay=2.0)
    channel = KakaoInput(replace(SETTINGS, sync_budget=0.2, callback_deadline=0.8), NO_LIMITS)
    async with serve_channels([channel], bot) as base:
        url = f"{base}/webhooks/kakao/webhook"
        ack = await ask(platform, url, skill_payload("천천히", callback_url=platform.callback_url()))
        assert ack["useCallback"] is True
        [callback] = await platform.wait_for_callbacks(1)
        assert callback.status == "SUCCESS" and texts(callback.body) == [ASK_AGAIN_REPLY]
        assert callback.seconds_after_issue < 1.5
        await channel.bridge.drain()
        again = await ask(platform, url, skill_payload("천천히", callback_url=platform.callback_url()))
        assert texts(again) == ["느린 답변: 긴급경영안정자금 한도는 10억 원이에요."]
        await channel.bridge.drain()
    assert len(platform.callbacks) == 1 and [m.text for m in bot.messages] == ["천천히"]


async def test_a_callback_url_on_another_host_is_never_called(kakao) -> None:
    url, channel, bot, platform = kakao
    elsewhere = platform.callback_url().replace("127.0.0.1", "localhost")
    for n, callback_url in enumerate((elsewhere, "file:///etc/passwd", "http://169.254.169.254/latest/meta-data")):
        body = await ask(platform, url, skill_payload("천천히", callback_url=callback_url, user_id=f"u-forged-{n}"))
        assert texts(body) == [ASK_AGAIN_REPLY]
    await channel.bridge.drain()
    assert platform.callbacks == []


async def test_a_failing_bot_gets_a_polite_reply(kakao) -> None:
    url, channel, bot, platform = kakao
    assert texts(await ask(platform, url, skill_payload("오류"))) == [ERROR_REPLY]


async def test_rate_limit_per_kakao_user(platform) -> None:
    limits = ChannelLimits(per_sender=RateLimiter(2), per_ip=None)
    bot = Bot()
    async with serve_channels([KakaoInput(SETTINGS, limits)], bot) as base:
        url = f"{base}/webhooks/kakao/webhook"
        answers = [texts(await ask(platform, url, skill_payload(f"질문 {n}", user_id="busy"))) for n in range(3)]
        other = texts(await ask(platform, url, skill_payload("질문", user_id="calm")))
    assert answers == [["에코: 질문 0"], ["에코: 질문 1"], [RATE_LIMITED_REPLY]] and other == ["에코: 질문"]
    assert [m.text for m in bot.messages] == ["질문 0", "질문 1", "질문"]


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAKAO_SKILL_ENABLED", "KAKAO_SKILL_SECRET", "KAKAO_BOT_IDS", "KAKAO_SYNC_BUDGET_SECONDS",
                 "KAKAO_CALLBACK_DEADLINE_SECONDS", "KAKAO_CALLBACK_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    off = KakaoSettings.from_env()
    assert (off.enabled, off.secret, off.bot_ids, off.sync_budget) == (False, None, frozenset(), 3.5)
    assert off.callback_allowed("https://bot-api.kakao.com/v1/callback/x")
    assert not off.callback_allowed("http://bot-api.kakao.com/v1/callback/x")  # https only
    assert not off.callback_allowed("https://kakao.com.evil.example/x")
    monkeypatch.setenv("KAKAO_SKILL_ENABLED", "1")
    monkeypatch.setenv("KAKAO_SKILL_SECRET", "s3cret-from-env")
    monkeypatch.setenv("KAKAO_BOT_IDS", "bot-a, bot-b")
    monkeypatch.setenv("KAKAO_SYNC_BUDGET_SECONDS", "0")
    on = KakaoSettings.from_env()
    assert (on.enabled, on.secret, on.bot_ids, on.sync_budget) == (True, "s3cret-from-env",
                                                                    frozenset({"bot-a", "bot-b"}), 0.0)
    monkeypatch.setenv("KAKAO_SYNC_BUDGET_SECONDS", "soon")
    with pytest.raises(ValueError, match="KAKAO_SYNC_BUDGET_SECONDS"):
        KakaoSettings.from_env()


def test_format_counts_utf16_and_never_exceeds_the_limits() -> None:
    assert kakao_format.cut("👍" * 10, 14) == "👍" * 6 + "…"
    outputs, replies = kakao_format.from_rasa([
        {"text": "😀" * 1500},
        {"image": "https://example.kr/a.png"},
        {"text": "끝", "buttons": [{"title": "아주 긴 버튼 제목입니다 정말로 길어요", "payload": "/a"},
                                  {"title": "", "payload": ""}, "not a button"]},
    ])
    kinds = [next(iter(output)) for output in outputs]
    assert kinds == ["simpleText"] * 3 + ["simpleImage", "simpleText"]  # 1500 emoji = 3000 UTF-16 units
    assert "".join(output["simpleText"]["text"] for output in outputs[:3]) == "😀" * 1500
    assert [r["label"] for r in replies] == ["아주 긴 버튼 제목입니다…"]
    assert replies[0]["messageText"] == "아주 긴 버튼 제목입니다 정말로 길어요"
    for page in kakao_format.pages(outputs, replies):
        assert problems(kakao_format.response(page)) == []
    assert kakao_format.pages([], []) == [{"outputs": [{"simpleText": {"text": kakao_format.EMPTY_TURN_TEXT}}]}]


FIELDS = [("userRequest",), ("userRequest", "utterance"), ("userRequest", "user"), ("userRequest", "user", "id"),
          ("userRequest", "callbackUrl"), ("bot",), ("bot", "id"), ("action",), ("action", "clientExtra"),
          ("action", "clientExtra", "rasa_payload"), ("action", "clientExtra", "rasa_more"), ("intent",)]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(FIELDS), value=st.one_of(json_values, hostile_texts))
async def test_hostile_payloads_get_a_4xx_or_a_response_within_the_limits(kakao, path, value) -> None:
    url, channel, bot, platform = kakao
    payload = skill_payload("안녕하세요", user_id=f"fuzz-{uuid.uuid4().hex[:8]}", extra={})
    node = payload
    for key in path[:-1]:
        node = node[key] if isinstance(node.get(key), dict) else node.setdefault(key, {})
    node[path[-1]] = value
    reply = await platform.send(url, raw=encode(payload))
    assert reply.status_code in {200, 400, 403, 413}, (reply.status_code, reply.text)
    if reply.status_code == 403:
        assert path[0] == "bot"
    elif reply.status_code == 200:
        assert problems(reply.json()) == [], reply.json()
