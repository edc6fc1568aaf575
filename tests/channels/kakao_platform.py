"""A fake Kakao chatbot platform on 127.0.0.1 for the Kakao channel tests.

It sends real-shaped skill payloads (as documented in Kakao's "응답 타입별 JSON 포맷") to a skill URL with the 5-second
skill timeout, issues one-time callback URLs valid for one minute and receives the callback POSTs on them, answering
like Kakao does ({"taskId", "status": "SUCCESS"|"FAIL", ...}). `problems()` checks a skill response against Kakao's
documented limits, written here from the documentation independently of channels/kakao_format.py.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from bot.deploy.local_services import free_port

FORMAT_DOC = "https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format"
CALLBACK_DOC = "https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/ai_chatbot_callback_guide"
SKILL_TIMEOUT = 5.0  # "skill timeout: 5sec" (CALLBACK_DOC)
CALLBACK_VALIDITY = 60.0  # "callbackUrl valid time: 1min", one use (CALLBACK_DOC)
SECRET = "kakao-test-secret_7"
BOT_ID = "5f1e2d3c4b5a697887766554"
_block_ids = itertools.count(1)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def problems(body: dict[str, Any]) -> list[str]:
    """Every way a skill response (or callback body) breaks Kakao's documented format and limits (FORMAT_DOC)."""
    found = []
    if body.get("version") != "2.0":
        found.append("version must be 2.0")
    if body.get("useCallback") is True:
        return found if "template" not in body else [*found, "a callback acknowledgement carries no template"]
    outputs = (body.get("template") or {}).get("outputs")
    replies = (body.get("template") or {}).get("quickReplies", [])
    if not isinstance(outputs, list) or not 1 <= len(outputs) <= 3:
        return [*found, f"outputs must be 1-3, got {outputs!r}"]
    if len(replies) > 10:
        found.append(f"{len(replies)} quick replies (at most 10)")
    for reply in replies:
        if reply.get("action") not in {"message", "block"} or not reply.get("label"):
            found.append(f"bad quick reply {reply}")
        if utf16(reply.get("label", "")) > 14:  # no documented limit; the button label's 14 (see the channel)
            found.append(f"quick reply label over 14: {reply['label']!r}")
    for output in outputs:
        (kind, component), = output.items()
        if kind == "simpleText":
            if not component.get("text") or utf16(component["text"]) > 1000:
                found.append(f"simpleText must have 1-1000 characters, got {utf16(component.get('text', ''))}")
        elif kind == "textCard":
            if utf16(component.get("title", "") + component.get("description", "")) > 400:
                found.append("textCard title+description over 400")
            buttons = component.get("buttons", [])
            if len(buttons) > (2 if component.get("buttonLayout") == "horizontal" else 3):
                found.append(f"{len(buttons)} card buttons")
            for button in buttons:
                if utf16(button.get("label", "")) > 14:
                    found.append(f"button label over 14: {button.get('label')!r}")
                if button.get("action") == "webLink" and urlsplit(button.get("webLinkUrl", "")).scheme not in {
                        "http", "https"}:
                    found.append(f"webLink without URL: {button}")
        elif kind == "simpleImage":
            if not component.get("imageUrl", "").startswith(("http://", "https://")):
                found.append("simpleImage needs an image URL")
        else:
            found.append(f"unexpected output {kind}")
    return found


def skill_payload(utterance: Any, user_id: Any = "kakao-user-1", callback_url: str | None = None,
                  extra: dict[str, Any] | None = None, bot_id: str = BOT_ID,
                  trigger: str = "TEXT_INPUT") -> dict[str, Any]:
    """A skill payload as Kakao sends it from the fallback block (userRequest, bot, action, intent, contexts, flow)."""
    block = {"id": f"64f0{next(_block_ids):020d}", "name": "폴백 블록"}
    user_request: dict[str, Any] = {
        "timezone": "Asia/Seoul", "params": {"surface": "Kakaotalk.plusfriend"}, "block": block,
        "utterance": utterance, "lang": "ko",
        "user": {"id": user_id, "type": "botUserKey",
                 "properties": {"botUserKey": user_id, "plusfriendUserKey": "Ab3dE5fG7hI9", "isFriend": True}},
    }
    if callback_url:
        user_request["callbackUrl"] = callback_url
    return {
        "intent": {"id": block["id"], "name": block["name"]},
        "userRequest": user_request,
        "bot": {"id": bot_id, "name": "중소기업 지원사업 상담봇"},
        "action": {"name": "rasa_skill", "clientExtra": extra, "params": {}, "id": "64f0aa11bb22cc33dd44ee55",
                   "detailParams": {}},
        "contexts": [],
        "flow": {"trigger": {"type": trigger, "referrerBlock": block}, "lastBlock": block},
    }


def press(quick_reply: dict[str, Any], user_id: str = "kakao-user-1", **options: Any) -> dict[str, Any]:
    """What a tap on a message quick reply sends: its messageText as the utterance and its extra as clientExtra."""
    return skill_payload(quick_reply["messageText"], user_id, extra=quick_reply.get("extra"),
                         trigger="QUICKREPLY_BUTTON_MESSAGE", **options)


def texts(body: dict[str, Any]) -> list[str]:
    """The texts a user reads in a response: simpleText texts and textCard descriptions."""
    outputs = (body.get("template") or {}).get("outputs", [])
    return [component.get("text") or component.get("description") for output in outputs
            for component in output.values() if component.get("text") or component.get("description")]


def quick_replies(body: dict[str, Any]) -> list[dict[str, Any]]:
    return (body.get("template") or {}).get("quickReplies", [])


@dataclass
class Callback:
    """One POST the skill server made to a callback URL, and what the platform answered."""

    token: str
    body: Any
    status: str
    seconds_after_issue: float


@dataclass
class FakeKakaoPlatform:
    """Kakao's side: sends skill requests, issues one-time callback URLs and receives the callbacks."""

    url: str = ""
    callbacks: list[Callback] = field(default_factory=list)
    issued: dict[str, float] = field(default_factory=dict)
    validity: float = CALLBACK_VALIDITY

    def callback_url(self) -> str:
        token = uuid.uuid4().hex
        self.issued[token] = time.monotonic()
        return f"{self.url}/v1/callbacks/{token}"

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        issued = self.issued.get(token)
        age = time.monotonic() - issued if issued is not None else -1.0
        used = any(callback.token == token for callback in self.callbacks)
        if issued is None or used or age > self.validity:  # unknown, used once already, or expired
            status, message = "FAIL", "Invalid callback token. Check your callback token."
        elif not isinstance(body, dict) or problems(body) or body.get("useCallback"):
            status, message = "FAIL", "Invalid json response from bot-skill."
        else:
            status, message = "SUCCESS", "OK"
        self.callbacks.append(Callback(token, body, status, age))
        return web.json_response({"taskId": str(uuid.uuid4()), "status": status, "message": message,
                                  "timestamp": int(time.time() * 1000)})

    async def wait_for_callbacks(self, count: int = 1, timeout: float = 70.0) -> list[Callback]:
        deadline = time.monotonic() + timeout
        while len(self.callbacks) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.callbacks)} callbacks, wanted {count}")
            await asyncio.sleep(0.02)
        return self.callbacks

    async def send(self, skill_url: str, payload: Any = None, secret: str | None = SECRET, raw: bytes | None = None,
                   header_secret: str | None = None, timeout: float = SKILL_TIMEOUT) -> httpx.Response:
        """POST a skill request as Kakao does, giving up after the skill timeout (httpx raises ReadTimeout)."""
        params = {"secret": secret} if secret is not None else {}
        headers = {"X-Kakao-Skill-Secret": header_secret} if header_secret is not None else {}
        async with httpx.AsyncClient(timeout=timeout) as client:
            if raw is not None:
                return await client.post(skill_url, params=params, headers=headers, content=raw)
            return await client.post(skill_url, params=params, headers=headers, json=payload)


async def start_platform() -> tuple[FakeKakaoPlatform, web.AppRunner]:
    platform = FakeKakaoPlatform()
    app = web.Application()
    app.router.add_post("/v1/callbacks/{token}", platform.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    platform.url = f"http://127.0.0.1:{port}"
    return platform, runner
