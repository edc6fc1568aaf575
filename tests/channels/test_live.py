"""A real Rasa server with every channel: one consultation via REST, socket.io and Telegram; the widget in Chromium."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.paths import REPO_ROOT
from bot.server.rasa_api import api_url
from channels.telegram import SECRET_HEADER, split_text
from tests.channels.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SECRET,
    WidgetClient,
    callback_update,
    message_update,
)
from tests.conftest import LiveStack

REPORTS = REPO_ROOT / "reports"
CONSULTATION = ["안녕하세요", "긴급경영안정자금 알려주세요"]
KOREAN_TIME = re.compile(r"^(오전|오후) \d{1,2}:\d{2}$")  # the widget's timestamps, e.g. 오후 3:05
_chat_ids = itertools.count(random.randrange(10**9, 2 * 10**9))  # fresh conversations on every run

Turn = tuple[str, list[str]]  # the turn's texts joined by blank lines, the titles of its buttons


def normalise(texts: list[str], buttons: list[str]) -> Turn:
    """What a user sees in one turn, independent of how a channel splits messages."""
    return "\n\n".join(text.strip() for text in texts if text and text.strip()), buttons


async def rest_consultation(stack: LiveStack) -> tuple[list[Turn], list[list[dict[str, Any]]], str]:
    """The consultation over REST; the third turn presses the first button of the second reply (or thanks)."""
    sender = f"cross-rest-{uuid.uuid4().hex[:8]}"
    turns: list[Turn] = []
    raw: list[list[dict[str, Any]]] = []
    third = "고마워요"
    async with httpx.AsyncClient(timeout=60) as http:
        for text in [*CONSULTATION, None]:
            if text is None:
                third = next((m["buttons"][0]["payload"] for m in raw[-1][::-1]
                              if m.get("buttons") and "payload" in m["buttons"][0]), third)
                text = third
            reply = await http.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            assert reply.status_code == 200, reply.text
            raw.append(reply.json())
            turns.append(normalise([m.get("text", "") for m in raw[-1]],
                                   [b["title"] for m in raw[-1] for b in m.get("buttons", [])]))
    return turns, raw, third


async def socketio_consultation(stack: LiveStack, third: str) -> list[Turn]:
    client = WidgetClient()
    await client.connect(stack.rasa_url, origin=None)
    try:
        session_id = await client.session()
        turns = []
        for text in [*CONSULTATION, third]:
            messages = await client.say({"message": text, "session_id": session_id})
            turns.append(normalise([m.get("text", "") for m in messages],
                                   [b["title"] for m in messages for b in m.get("quick_replies", [])]))
        return turns
    finally:
        await client.close()


async def telegram_consultation(stack: LiveStack, rest_raw: list[list[dict[str, Any]]], third: str) -> list[Turn]:
    chat_id = next(_chat_ids)
    api = stack.bot_api
    webhook = f"{stack.rasa_url}/webhooks/telegram/webhook"

    def sent() -> list[dict[str, Any]]:
        return [call.params for call in api.calls_to("sendMessage") if call.params["chat_id"] == chat_id]

    turns: list[Turn] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for index, expected in enumerate(rest_raw):
            before = len(sent())
            if index < len(CONSULTATION):
                update = message_update(CONSULTATION[index], chat_id=chat_id)
            elif third.startswith("/"):  # press the button: its callback data is on the last keyboard sent
                keyboards = [m["reply_markup"]["inline_keyboard"] for m in sent() if m.get("reply_markup")]
                update = callback_update(keyboards[-1][0][0]["callback_data"], chat_id=chat_id)
            else:
                update = message_update(third, chat_id=chat_id)
            reply = await http.post(webhook, content=json.dumps(update), headers={SECRET_HEADER: SECRET})
            assert reply.status_code == 200
            wanted = before + sum(len(split_text(m.get("text") or " ")) for m in expected)
            deadline = time.monotonic() + 60
            while len(sent()) < wanted and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # nothing more may follow
            messages = sent()[before:]
            assert len(messages) == wanted - before, messages
            turns.append(normalise([m["text"] for m in messages],
                                   [b["text"] for m in messages if m.get("reply_markup")
                                    for row in m["reply_markup"]["inline_keyboard"] for b in row]))
    return turns


@pytest.mark.timeout(600)
async def test_one_consultation_gets_the_same_replies_on_every_channel(live_stack: LiveStack) -> None:
    rest, raw, third = await rest_consultation(live_stack)
    socket = await socketio_consultation(live_stack, third)
    telegram = await telegram_consultation(live_stack, raw, third)
    assert all(text for text, _ in rest), rest
    assert socket == rest
    assert telegram == rest
    (REPORTS / "channels").mkdir(parents=True, exist_ok=True)
    (REPORTS / "channels" / "cross-channel.json").write_text(
        json.dumps({"turns": [*CONSULTATION, third], "replies": rest}, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def bot_messages(page: Page) -> int:
    return page.locator(".msg.bot").count()


def send_and_wait(page: Page, action: Any) -> str:
    """Do something that sends a message; wait for the bot's replies; return the text of the last bot message."""
    before = bot_messages(page)
    action()
    expect(page.locator(".msg.bot")).not_to_have_count(before, timeout=60_000)
    expect(page.locator(".typing")).to_be_hidden(timeout=60_000)
    return page.locator(".msg.bot .bubble").last.inner_text()


def tracker_user_texts(stack: LiveStack, session_id: str) -> list[str]:
    tracker = httpx.get(api_url(stack.rasa_url, f"/conversations/{session_id}/tracker"), timeout=30).json()
    return [event.get("text") for event in tracker["events"] if event["event"] == "user"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian chromium, headless, closed afterwards."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (apt-get install chromium)")
@pytest.mark.timeout(600)
def test_widget_in_a_real_browser(live_stack: LiveStack) -> None:
    shots = REPORTS / "channels"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR")
        page = context.new_page()
        page.goto(live_stack.web_url)
        launcher = page.get_by_role("button", name="상담 챗봇 열기")
        launcher.focus()
        page.keyboard.press("Enter")  # keyboard only
        expect(page.locator(".status")).to_have_text("연결됨", timeout=30_000)
        expect(page.get_by_label("메시지 입력")).to_be_focused()
        panel = page.get_by_role("dialog", name="중소기업 지원사업 상담")
        assert panel.bounding_box()["width"] == 390  # phone width: the panel fills the screen

        # a typed Korean message, then the bot's quick-reply buttons
        first = send_and_wait(page, lambda: (page.keyboard.type("맞춤 지원사업 추천해 주세요"),
                                             page.keyboard.press("Enter")))
        assert first.strip()
        replies = page.locator(".msg.bot").last.locator(".replies button")
        expect(replies.first).to_be_visible()
        button_title = replies.first.inner_text()
        send_and_wait(page, replies.first.click)
        expect(page.locator(".msg.user .bubble").last).to_have_text(button_title)
        expect(page.locator(".msg time").first).to_have_text(KOREAN_TIME)
        page.screenshot(path=str(shots / "widget-phone.png"))

        session_id = page.evaluate("JSON.parse(localStorage.getItem('kosme-chat:session'))")
        shown = page.locator(".msg").count()
        page.reload()
        expect(page.locator(".status")).to_have_text("연결됨", timeout=30_000)
        expect(page.locator(".msg")).to_have_count(shown)  # the conversation is still on screen
        assert page.evaluate("JSON.parse(localStorage.getItem('kosme-chat:session'))") == session_id
        send_and_wait(page, lambda: (page.get_by_label("메시지 입력").fill("긴급경영안정자금 알려주세요"),
                                     page.get_by_role("button", name="보내기").click()))
        page.screenshot(path=str(shots / "widget-after-reload.png"))
        texts = tracker_user_texts(live_stack, session_id)
        assert texts[0] == "맞춤 지원사업 추천해 주세요" and texts[-1] == "긴급경영안정자금 알려주세요", texts

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(page.get_by_role("button", name="상담 챗봇 열기")).to_be_focused()

        desktop = browser.new_page(viewport={"width": 1280, "height": 800}, locale="ko-KR")
        desktop.goto(live_stack.web_url)
        desktop.get_by_role("button", name="상담 챗봇 열기").click()
        expect(desktop.locator(".status")).to_have_text("연결됨", timeout=30_000)
        desktop.screenshot(path=str(shots / "widget-desktop.png"))

        # the same page from an origin that is not allowed cannot reach the bot
        stranger = browser.new_page()
        stranger.goto(live_stack.web_url.replace("127.0.0.1", "localhost"))
        stranger.get_by_role("button", name="상담 챗봇 열기").click()
        expect(stranger.locator(".status")).to_have_text("연결이 끊겼어요. 다시 연결하는 중…", timeout=30_000)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (apt-get install chromium)")
@pytest.mark.timeout(600)
def test_a_program_card_in_the_widget_names_its_source_as_a_link(live_stack: LiveStack) -> None:
    """The real bot's program card on a phone: '출처: <publisher> <year>년' in the text, the link under it."""
    shots = REPORTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="ko-KR")
        page.goto(live_stack.web_url)
        page.get_by_role("button", name="상담 챗봇 열기").click()
        expect(page.locator(".status")).to_have_text("연결됨", timeout=30_000)
        send_and_wait(page, lambda: (page.get_by_label("메시지 입력").fill("긴급경영안정자금 알려주세요"),
                                     page.get_by_role("button", name="보내기").click()))
        card = page.locator(".msg.bot", has_text="[긴급경영안정자금]").last
        link = card.locator(".links a")
        expect(link).to_have_count(1)
        name = link.inner_text()
        assert re.fullmatch(r"\S.* (19|20)\d{2}년", name), name
        assert card.locator(".bubble").inner_text().splitlines()[-1] == f"출처: {name}"
        assert link.get_attribute("href").startswith("https://") and link.get_attribute("target") == "_blank"
        assert "noopener" in link.get_attribute("rel")
        assert "http" not in page.locator(".log").inner_text()  # no address anywhere on screen
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "widget-live-source-link-phone.png"))
