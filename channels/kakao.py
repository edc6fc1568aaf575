"""KakaoTalk channel: a skill server for Kakao's chatbot platform (카카오 i 오픈빌더 / 챗봇 관리자센터), on Rasa.

`POST /webhooks/kakao/webhook?secret=…` takes Kakao's skill payload and answers in the skill response format 2.0
(channels/kakao_format.py). Kakao waits 5 seconds for a skill: an answer ready within KAKAO_SYNC_BUDGET_SECONDS goes
back in the HTTP response; a slower one goes to the request's one-time `callbackUrl` (acknowledged at once with
`useCallback: true`), or, without a callback URL, the user is asked to send the question again a little later and
gets the answer kept for them then.

Configured by environment variables: KAKAO_SKILL_ENABLED=1 (the channel is on), KAKAO_SKILL_SECRET (required; the
`secret` query parameter or the X-Kakao-Skill-Secret header must match), KAKAO_BOT_IDS (optional allow-list of
`bot.id`), KAKAO_SYNC_BUDGET_SECONDS (default 3.5), KAKAO_CALLBACK_DEADLINE_SECONDS (default 50),
KAKAO_CALLBACK_HOSTS (hosts a callback may go to; default kakao.com and its subdomains).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import httpx
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import kakao_format as kakao
from channels.incoming import ERROR_REPLY, RATE_LIMITED_REPLY, RejectedMessage, hand_off, prepare_text
from channels.limits import ChannelLimits, read_body
from channels.rest import valid_sender

logger = logging.getLogger(__name__)

CALLBACK_DOC = "https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/ai_chatbot_callback_guide"
SECRET_HEADER = "X-Kakao-Skill-Secret"
MAX_BODY_BYTES = 64 * 1024  # skill payloads are a few KB; the same bound as the REST channel
MAX_USER_ID_CHARS = 70  # userRequest.user.id: "최대 70자의 값" (kakao_format.FORMAT_DOC#user)
# Kakao gives a skill 5 seconds ("skill timeout: 5sec", CALLBACK_DOC#overview). 3.5 s of our own time leaves 1.5 s
# for the way from Kakao to this server and back (TLS, a proxy) and for JSON on both sides.
DEFAULT_SYNC_BUDGET = 3.5
# A callback URL is valid for one minute and for one use only ("callbackUrl valid time: 1min ... 1회에 한하여",
# CALLBACK_DOC#overview). An answer not ready 50 s after the request gets a short apology through the callback
# instead (the answer is kept for when the user asks again), 10 s before the URL expires.
DEFAULT_CALLBACK_DEADLINE = 50.0
CALLBACK_TIMEOUT = 8.0  # one POST to the callback URL, within the minute
KEEP_SECONDS = 600.0  # quick-reply payloads, "더 보기" pages and late answers are kept this long per user
MAX_USERS = 10_000

WAIT_TEXT = "답변을 준비하고 있어요. 잠시만 기다려 주세요."
ASK_AGAIN_REPLY = "답변을 준비하는 데 시간이 조금 걸리고 있어요. 잠시 후 같은 질문을 다시 보내 주세요."
EXPIRED_MORE_REPLY = "이전 목록이 만료되었어요. 궁금한 점을 다시 적어 주세요."

T = TypeVar("T")


class Recent(Generic[T]):
    """Per-user values kept for KEEP_SECONDS, at most MAX_USERS (least recently set go first)."""

    def __init__(self, keep: float = KEEP_SECONDS, capacity: int = MAX_USERS) -> None:
        self.keep, self.capacity = keep, capacity
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def put(self, key: str, value: T) -> None:
        self._items.pop(key, None)
        self._items[key] = (time.monotonic(), value)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is None or time.monotonic() - item[0] > self.keep:
            self._items.pop(key, None)
            return None
        return item[1]

    def pop(self, key: str) -> T | None:
        value = self.get(key)
        self._items.pop(key, None)
        return value


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return max(0.0, float(value)) if value else default
    except ValueError as error:
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from error


def _words(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.replace(",", " ").split() if part)


@dataclass(frozen=True)
class KakaoSettings:
    """Channel configuration read from the environment."""

    enabled: bool
    secret: str | None
    bot_ids: frozenset[str] = frozenset()
    sync_budget: float = DEFAULT_SYNC_BUDGET
    callback_deadline: float = DEFAULT_CALLBACK_DEADLINE
    callback_hosts: tuple[str, ...] = ("kakao.com",)

    @classmethod
    def from_env(cls) -> KakaoSettings:
        return cls(
            enabled=os.environ.get("KAKAO_SKILL_ENABLED", "").strip().lower() in {"1", "true", "yes", "on"},
            secret=os.environ.get("KAKAO_SKILL_SECRET") or None,
            bot_ids=frozenset(_words(os.environ.get("KAKAO_BOT_IDS", ""))),
            sync_budget=_seconds("KAKAO_SYNC_BUDGET_SECONDS", DEFAULT_SYNC_BUDGET),
            callback_deadline=_seconds("KAKAO_CALLBACK_DEADLINE_SECONDS", DEFAULT_CALLBACK_DEADLINE),
            callback_hosts=_words(os.environ.get("KAKAO_CALLBACK_HOSTS", "")) or ("kakao.com",),
        )

    def callback_allowed(self, url: str) -> bool:
        """Only https URLs on the allowed hosts (or their subdomains); plain http only to a loopback host, for
        local tests. Anything else is never called, so a forged callbackUrl cannot make the server post anywhere."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        loopback = host in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            return False
        return any(host == allowed or host.endswith("." + allowed) for allowed in self.callback_hosts)


@dataclass(frozen=True)
class SkillRequest:
    """The parts of a skill payload the channel reads."""

    user_id: str
    utterance: str
    bot_id: str | None
    callback_url: str | None
    extra: dict[str, Any]

    @classmethod
    def parse(cls, body: bytes) -> SkillRequest:
        """Raises ValueError with a message for the client on anything that is not a skill payload."""
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError("body must be a JSON object") from error
        if not isinstance(payload, dict):
            raise ValueError("body must be a JSON object")
        user_request, bot, action = (payload.get(key) for key in ("userRequest", "bot", "action"))
        if not isinstance(user_request, dict) or not isinstance(user_request.get("user"), dict):
            raise ValueError("'userRequest.user' must be a JSON object")
        user_id = user_request["user"].get("id")
        if not valid_sender(user_id) or len(user_id) > MAX_USER_ID_CHARS:
            raise ValueError(f"'userRequest.user.id' must be a string of at most {MAX_USER_ID_CHARS} characters")
        if not isinstance(user_request.get("utterance"), str):
            raise ValueError("'userRequest.utterance' must be a string")
        if bot is not None and not (isinstance(bot, dict) and isinstance(bot.get("id", ""), str)):
            raise ValueError("'bot' must be a JSON object with a string 'id'")
        callback_url = user_request.get("callbackUrl")
        if callback_url is not None and not isinstance(callback_url, str):
            raise ValueError("'userRequest.callbackUrl' must be a string")
        if action is not None and not isinstance(action, dict):
            raise ValueError("'action' must be a JSON object")
        extra = (action or {}).get("clientExtra")
        return cls(user_id, user_request["utterance"], (bot or {}).get("id"), callback_url or None,
                   extra if isinstance(extra, dict) else {})


class KakaoBridge:
    """Turns skill requests into Rasa user messages and Rasa's replies into skill responses, within Kakao's time."""

    def __init__(
        self, settings: KakaoSettings, on_new_message: Callable[[UserMessage], Awaitable[Any]],
        limits: ChannelLimits | None = None,
    ) -> None:
        self.settings = settings
        self.on_new_message = on_new_message
        self.limits = limits or ChannelLimits.from_env()
        self.offered: Recent[dict[str, str]] = Recent()  # messageText of the quick replies offered → payload
        self.more_pages: Recent[list[dict[str, Any]]] = Recent()  # the pages behind "더 보기"
        self.late: Recent[tuple[str, asyncio.Task]] = Recent()  # a slow answer: (its text, its task)
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait for every background task (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def answer(self, skill: SkillRequest, received: float) -> dict[str, Any]:
        """The skill response to one request that was received at `received` (time.monotonic())."""
        user = skill.user_id
        if not self.limits.check_sender(user).allowed:
            return kakao.text_response(RATE_LIMITED_REPLY)
        if kakao.is_more(skill.extra) or (skill.utterance.strip() == kakao.MORE_LABEL and self.more_pages.get(user)):
            return self._more(user)
        self.more_pages.pop(user)
        payload = skill.extra.get(kakao.PAYLOAD_KEY)
        if not isinstance(payload, str):
            payload = (self.offered.get(user) or {}).get(skill.utterance.strip())
        try:
            text = prepare_text(payload if payload is not None else skill.utterance)
        except RejectedMessage as rejected:
            return kakao.text_response(rejected.reply)
        late = self.late.pop(user)
        turn = late[1] if late and late[0] == text else self.spawn(self._to_rasa(user, text))
        await asyncio.wait({turn}, timeout=max(0.0, self.settings.sync_budget - (time.monotonic() - received)))
        if turn.done():
            return self._render(user, turn)
        logger.info("Kakao answer for %s not ready within %.1f s", user, self.settings.sync_budget)
        if skill.callback_url and self.settings.callback_allowed(skill.callback_url):
            deadline = received + self.settings.callback_deadline
            self.spawn(self._call_back(user, text, turn, skill.callback_url, deadline))
            # "useCallback을 true로 명시해서 반환 (template 필드는 입력하지 않습니다)" (CALLBACK_DOC#skillresponse);
            # data.text can be shown in the block's waiting message.
            return {"version": kakao.VERSION, "useCallback": True, "data": {"text": WAIT_TEXT}}
        if skill.callback_url:
            logger.warning("Kakao callbackUrl on a host not in KAKAO_CALLBACK_HOSTS: %s",
                           urlsplit(skill.callback_url).hostname)
        self.late.put(user, (text, turn))
        return kakao.text_response(ASK_AGAIN_REPLY)

    async def _to_rasa(self, user: str, text: str) -> list[dict[str, Any]]:
        collector = CollectingOutputChannel()
        await self.on_new_message(UserMessage(text, collector, user, input_channel=KakaoInput.name()))
        return collector.messages

    def _render(self, user: str, turn: asyncio.Task) -> dict[str, Any]:
        """The first page of a finished turn; the rest stays behind "더 보기", its payloads are remembered."""
        if turn.cancelled() or turn.exception() is not None:
            logger.error("Rasa failed on a Kakao message from %s", user, exc_info=turn.exception())
            return kakao.text_response(ERROR_REPLY)
        outputs, replies = kakao.from_rasa(turn.result())
        pages = kakao.pages(outputs, replies)
        if len(pages) > 1:
            self.more_pages.put(user, pages[1:])
        offered = {reply["messageText"]: reply["extra"][kakao.PAYLOAD_KEY] for reply in replies}
        if offered:
            self.offered.put(user, offered)
        else:
            self.offered.pop(user)  # a typed title only means a button while that button is on screen
        return kakao.response(pages[0])

    def _more(self, user: str) -> dict[str, Any]:
        pages = self.more_pages.pop(user)
        if not pages:
            return kakao.text_response(EXPIRED_MORE_REPLY)
        if len(pages) > 1:
            self.more_pages.put(user, pages[1:])
        return kakao.response(pages[0])

    async def _call_back(self, user: str, text: str, turn: asyncio.Task, url: str, deadline: float) -> None:
        """POST the answer (or, past the deadline, the apology) to the one-time callback URL, exactly once."""
        try:
            await asyncio.wait_for(asyncio.shield(turn), timeout=max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            self.late.put(user, (text, turn))
            body = kakao.text_response(ASK_AGAIN_REPLY)
        except Exception:  # the turn failed: _render answers with the error reply
            body = self._render(user, turn)
        else:
            body = self._render(user, turn)
        # "CallbackRequest: 요청 포맷은 스킬 응답 포맷과 동일" (CALLBACK_DOC#callbackrequest). One attempt only, as the
        # URL is single-use; a refused connection (nothing was sent) is the one case tried again.
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as client:
            for attempt in (1, 2):
                try:
                    reply = await client.post(url, json=body)
                    break
                except httpx.ConnectError as error:
                    if attempt == 2:
                        logger.error("Kakao callback for %s not delivered: %s", user, error)
                        return
                except httpx.HTTPError as error:
                    logger.error("Kakao callback for %s failed: %s", user, error)
                    return
        try:
            status = reply.json().get("status")
        except (ValueError, AttributeError):
            status = None
        if reply.status_code != 200 or status != "SUCCESS":
            logger.error("Kakao callback for %s answered %s: %s", user, reply.status_code, reply.text[:300])


class KakaoInput(InputChannel):
    """`POST /webhooks/kakao/webhook`: the secret first (before the body is read), then the payload, then the bot."""

    @classmethod
    def name(cls) -> str:
        return "kakao"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(KakaoSettings.from_env())

    def __init__(self, settings: KakaoSettings, limits: ChannelLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits
        self.bridge: KakaoBridge | None = None
        if settings.enabled and not settings.secret:
            logger.warning("KAKAO_SKILL_SECRET is not set: the Kakao skill endpoint will refuse every request")

    def get_output_channel(self) -> OutputChannel | None:
        return None  # Kakao cannot be written to outside a skill request

    def authorised(self, request: Request) -> bool:
        """The shared secret (header, else `secret` query parameter), compared in constant time."""
        given = request.headers.get(SECRET_HEADER) or request.args.get("secret") or ""
        secret = self.settings.secret
        return bool(secret) and hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health check at `/` and the skill endpoint at `/webhook`."""
        skill = Blueprint("channels_kakao_webhook", __name__)
        settings = self.settings
        if settings.enabled:
            self.bridge = KakaoBridge(settings, hand_off(on_new_message), self.limits)
        bridge = self.bridge

        @skill.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if bridge else "off"})

        @skill.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            received = time.monotonic()
            if bridge is None:
                return response.json({"error": "Kakao channel is off (KAKAO_SKILL_ENABLED not set)"}, status=404)
            if not self.authorised(request):
                return response.json({"error": "forbidden"}, status=403)
            body = await read_body(request, MAX_BODY_BYTES)
            if body is None:
                return response.json({"error": f"request body larger than {MAX_BODY_BYTES} bytes"}, status=413)
            try:
                skill_request = SkillRequest.parse(body)
            except ValueError as error:
                return response.json({"error": str(error)}, status=400)
            if settings.bot_ids and skill_request.bot_id not in settings.bot_ids:
                return response.json({"error": "forbidden"}, status=403)
            return response.json(await bridge.answer(skill_request, received))

        @skill.listener("before_server_stop")
        async def stop(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
            if bridge is not None:
                await bridge.drain()

        return skill
