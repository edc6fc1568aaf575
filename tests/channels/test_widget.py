"""The built widget in Chromium against an in-process socket.io server: reconnects after a restart, origins, markup."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page, async_playwright, expect

from bot.deploy.local_services import free_port
from channels.socketio import SocketIOInput
from tests.channels.conftest import CHROMIUM, CHROMIUM_ARGS, echo_bot, serve_channels, source_card

WEB = Path(__file__).resolve().parents[2] / "channels" / "web"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
STATIC = WEB / "static"
OFFLINE = "연결이 끊겼어요. 다시 연결하는 중…"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")


def test_the_committed_build_is_built_from_the_current_source() -> None:
    source_hash = hashlib.sha256((WEB / "src" / "widget.js").read_bytes()).hexdigest()
    banner = (STATIC / "widget.js").read_text(encoding="utf-8").splitlines()[0]
    assert f"sha256:{source_hash}" in banner, "run: cd channels/web && npm ci && npm run build"


async def site(socket_url: str) -> tuple[web.AppRunner, str]:
    """The demo page and the built widget on a port of their own (another origin than the socket server)."""

    async def page(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name") or "index.html"
        if name == "widget-config.json":
            return web.json_response({"socketUrl": socket_url})
        if name not in {"index.html", "widget.js"}:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC / name)

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


async def open_widget(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_role("button", name="상담 챗봇 열기").click()


async def say(page: Page, text: str) -> None:
    await page.get_by_label("메시지 입력").fill(text)
    await page.get_by_label("메시지 입력").press("Enter")


@needs_chromium
async def test_widget_reconnects_after_a_server_restart_and_keeps_its_session(browser: Any) -> None:
    socket_port = free_port()
    socket_url = f"http://127.0.0.1:{socket_port}"
    runner, page_url = await site(socket_url)
    received: list[Any] = []

    async def bot(message: Any) -> None:
        received.append(message)
        await echo_bot(message)

    try:
        page = await browser.new_page()
        async with serve_channels([SocketIOInput(origins={page_url})], bot, port=socket_port, cors=[page_url]):
            await open_widget(page, page_url)
            await expect(page.locator(".status")).to_have_text("연결됨", timeout=15_000)
            await say(page, "첫 질문")
            await expect(page.locator(".msg.bot .bubble").last).to_have_text("에코: 첫 질문")
            await expect(page.locator(".typing")).to_be_hidden()
            session_id = await page.evaluate("JSON.parse(localStorage.getItem('kosme-chat:session'))")

        await expect(page.locator(".status")).to_have_text(OFFLINE, timeout=15_000)
        await expect(page.get_by_role("button", name="보내기")).to_be_disabled()

        async with serve_channels([SocketIOInput(origins={page_url})], bot, port=socket_port, cors=[page_url]):
            await expect(page.locator(".status")).to_have_text("연결됨", timeout=20_000)
            await say(page, "다시 연결됐나요")
            await expect(page.locator(".msg.bot .bubble").last).to_have_text("에코: 다시 연결됐나요")
        assert [m.sender_id for m in received] == [session_id, session_id]
        assert await page.evaluate("JSON.parse(localStorage.getItem('kosme-chat:session'))") == session_id
    finally:
        await runner.cleanup()


@needs_chromium
async def test_widget_markup_links_buttons_and_new_conversation(browser: Any) -> None:
    async def bot(message: Any) -> None:
        if message.text == "링크":
            await message.output_channel.send_response(
                message.sender_id, {"text": "출처: https://www.kosmes.or.kr/ <script>alert(1)</script>"})
        else:
            await echo_bot(message)

    async with serve_channels([SocketIOInput(origins=set())], bot, cors=[]) as socket_url:
        runner, page_url = await site(socket_url)
        try:
            # a page whose origin is not allowed never connects
            page = await browser.new_page()
            await open_widget(page, page_url)
            await expect(page.locator(".status")).to_have_text(OFFLINE, timeout=15_000)
        finally:
            await runner.cleanup()

    async with serve_channels([SocketIOInput(origins={"*"})], bot, cors=["*"]) as socket_url:
        runner, page_url = await site(socket_url)
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 640})
            await open_widget(page, page_url)
            await expect(page.locator(".status")).to_have_text("연결됨", timeout=15_000)
            launcher = page.locator(".launcher")
            await expect(launcher).to_have_attribute("aria-expanded", "true")
            await expect(page.locator("[role=log]")).to_have_attribute("aria-live", "polite")

            await say(page, "링크")
            link = page.locator(".msg.bot .bubble a").last
            await expect(link).to_have_attribute("href", "https://www.kosmes.or.kr/")
            await expect(link).to_have_attribute("rel", "noopener noreferrer")
            await expect(page.locator(".msg.bot .bubble").last).to_contain_text("<script>alert(1)</script>")

            await say(page, "버튼")
            buttons = page.locator(".msg.bot").last.locator(".replies button")
            await expect(buttons).to_have_text(["제조업", "도매 및 소매업"])
            await buttons.first.click()
            await expect(page.locator(".msg.user .bubble").last).to_have_text("제조업")
            await expect(page.locator(".msg.bot .bubble").last).to_have_text('에코: /inform{"industry":"제조업"}')
            await expect(page.locator(".replies button")).to_have_count(0)  # answered buttons go away
            await expect(page.locator(".msg time").last).to_have_text(re.compile(r"^(오전|오후) \d{1,2}:\d{2}$"))

            old_session = await page.evaluate("JSON.parse(localStorage.getItem('kosme-chat:session'))")
            await page.get_by_role("button", name="새 상담 시작").click()
            await expect(page.locator(".msg")).to_have_count(1)  # only the welcome
            await expect(page.locator(".msg.bot .replies button")).to_have_count(3)
            await page.wait_for_function(
                f"JSON.parse(localStorage.getItem('kosme-chat:session')) && "
                f"JSON.parse(localStorage.getItem('kosme-chat:session')) !== '{old_session}'"
            )
        finally:
            await runner.cleanup()


@needs_chromium
async def test_a_source_is_a_named_link_that_opens_in_a_new_tab_and_stays(browser: Any) -> None:
    card, link = source_card()

    async def bot(message: Any) -> None:
        if message.text.startswith("/"):
            await echo_bot(message)
        else:
            await message.output_channel.send_response(message.sender_id, {**card, "buttons": list(card["buttons"])})

    async with serve_channels([SocketIOInput(origins={"*"})], bot, cors=["*"]) as socket_url:
        runner, page_url = await site(socket_url)
        try:
            context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR")
            await context.route(link["url"], lambda route: route.fulfill(body="source page", content_type="text/plain"))
            page = await context.new_page()
            await open_widget(page, page_url)
            await expect(page.locator(".status")).to_have_text("연결됨", timeout=15_000)
            await say(page, "긴급경영안정자금 알려주세요")
            card_node = page.locator(".msg.bot").last
            anchor = card_node.get_by_role("link", name=link["title"])
            await expect(anchor).to_be_visible()
            await expect(anchor).to_have_attribute("href", link["url"])
            await expect(anchor).to_have_attribute("target", "_blank")
            await expect(anchor).to_have_attribute("rel", "noopener noreferrer")
            titles = [button["title"] for button in card["buttons"] if "payload" in button]
            await expect(card_node.locator(".replies button")).to_have_text(titles)  # the link is no button
            shown = await page.locator(".log").inner_text()
            assert "http" not in shown and f"출처: {link['title']}" in shown, shown
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "widget-source-link-phone.png"))

            async with context.expect_page() as opened:
                await anchor.click()
            source_page = await opened.value
            await source_page.wait_for_load_state()
            assert source_page.url == link["url"]
            assert await source_page.evaluate("window.opener") is None  # rel=noopener

            await card_node.locator(".replies button").first.click()  # answered: the buttons go, the link stays
            await expect(page.locator(".msg.bot .bubble").last).to_contain_text("에코: /ask_application")
            await expect(card_node.locator(".replies button")).to_have_count(0)
            await page.reload()
            await expect(page.get_by_role("link", name=link["title"])).to_have_attribute("href", link["url"])
        finally:
            await runner.cleanup()
