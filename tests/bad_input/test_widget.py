"""HTML and script typed into the widget on the demo website (real servers, Debian Chromium) are shown as text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.channels.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import LiveStack

INJECTIONS = [  # each names a program, so the bot answers every one (markup alone is not understood twice in a row)
    "<img src=x onerror=alert(1)> 긴급경영안정자금",
    "<script>alert(2)</script> 청년전용창업자금",
    '<a href="javascript:alert(3)">눌러 주세요</a> <svg onload=alert(4)> 재창업자금',
]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_html_and_script_in_messages_are_shown_literally(live_stack: LiveStack) -> None:
    dialogs: list[str] = []
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(live_stack.web.url)
            page.get_by_role("button", name="상담 챗봇 열기").click()
            expect(page.locator(".status")).to_have_text("연결됨", timeout=30_000)
            for number, text in enumerate(INJECTIONS, start=1):
                bot_messages = page.locator(".msg.bot").count()
                page.get_by_label("메시지 입력").fill(text)
                page.get_by_label("메시지 입력").press("Enter")
                expect(page.locator(".msg.user .bubble")).to_have_count(number)
                expect(page.locator(".msg.user .bubble").last).to_have_text(text)
                expect(page.locator(".msg.bot")).not_to_have_count(bot_messages, timeout=60_000)  # the bot replied
                expect(page.locator(".typing")).to_be_hidden(timeout=60_000)
            bubbles = page.locator(".msg .bubble")
            assert bubbles.locator("img, script, svg, iframe").count() == 0
            assert bubbles.locator("a[href^='javascript']").count() == 0
            assert page.evaluate("document.querySelectorAll('img, svg, script:not([src])').length") == 0
            page.wait_for_timeout(500)  # an onerror/onload handler would have fired by now
        finally:
            browser.close()
    assert dialogs == []
    assert violations == []  # the page's security policy lets the widget work
