"""The Rasa server entry point: `python -m bot.server.rasa_server <rasa CLI arguments>`, e.g. `run --enable-api ...`.

It patches eight things in Rasa 3.6 before running Rasa's own CLI:

1. Custom actions run as `ResilientRemoteAction`. Plain Rasa waits up to 5 minutes for the action server and, when
   a custom action fails, logs the error and sends nothing, so the user waits for an answer that never comes. Here
   an action call is bounded by ACTION_TIMEOUT_SECONDS, and a failed call (no connection, timeout, error status)
   answers with a polite apology and the handoff offer; the conversation works normally once the server is back.
2. The tracker store is used without Rasa's `FailSafeTrackerStore` wrapper, which answers a database outage with
   a new, empty conversation kept in memory: the user silently loses the conversation, and events saved once the
   database is back land out of place. Without it the error reaches the channel, which asks the user to try again;
   short outages (a database restart) never get that far, as the tracker store retries (bot.server.tracker_store).
3. The action server's answers are checked against Rasa's response schema compiled once. Plain Rasa compiles the
   schema again for every custom action call: a quarter of the Rasa server's time at 50 concurrent users
   (py-spy, `make bench-load`).
4. Custom action calls share one aiohttp session per event loop, so connections to the action server are kept
   alive and reused (`KeepAliveEndpointConfig`). Plain Rasa opens a new session, and so a new TCP connection, for
   every call (4.6 % of the Rasa server's time at 50 users). Idle connections are dropped after
   ACTION_KEEPALIVE_SECONDS, before the action server's own keep-alive timeout (Sanic: 5 s) closes them; the
   sessions are closed when the server stops (`close_action_sessions`, after Rasa's `close_resources`).
5. A model promotion (PUT /model) releases the replaced model's memory (bot.server.model_swap).
6. NLU inference runs in a worker thread, off the event loop (bot.server.inference).
7. An event's class is looked up once per type name; Rasa walked every Event subclass for each event it read
   (bot.server.tracker_window).
8. With env BOT_LISTEN_FD, the server accepts on that inherited listening socket instead of binding its port, and
   touches the file named by env BOT_READY_FILE once its model is loaded and it accepts: two servers can then share
   one port while a fresh one takes over from a promoted one (bot.server.shared_socket).

The server process also keeps PyTorch out (`keep_torch_out`: spaCy would import it, ~450 MB, for nothing), and
runs TensorFlow on one thread per pool (`limit_tensorflow_threads`).

`run` also takes its HTTP API token from env RASA_API_TOKEN (`--auth-token` added inside the process), so the
token never shows on the command line that `ps` lists.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from functools import lru_cache
from typing import Any

import aiohttp
import jsonschema
from rasa.core import run as rasa_run
from rasa.core.actions import action as rasa_action
from rasa.core.actions import forms as rasa_forms
from rasa.core.actions.action import ActionExecutionRejection, ActionSessionStart, RemoteAction, create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.server import inference, model_swap, shared_socket, tracker_window

logger = logging.getLogger(__name__)

DEFAULT_ACTION_TIMEOUT_SECONDS = 10.0
APOLOGY = (
    "죄송해요, 지금은 답변을 준비하지 못했어요. 잠시 후 다시 말씀해 주세요.\n"
    "급하시면 상담원과 이야기하시거나 중소기업 정책자금 전담 콜센터 1811-3655로 전화 주세요."
)
HANDOFF_BUTTON = {"title": "상담원 연결", "payload": "/request_human"}
ACTION_KEEPALIVE_SECONDS = 4.0  # idle connections to the action server closed before Sanic's 5 s keep-alive does

SessionKey = tuple[asyncio.AbstractEventLoop, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
_action_sessions: dict[SessionKey, aiohttp.ClientSession] = {}


def action_timeout_seconds() -> float:
    """How long one custom action call may take: env ACTION_TIMEOUT_SECONDS, default 10 s."""
    return float(os.environ.get("ACTION_TIMEOUT_SECONDS") or DEFAULT_ACTION_TIMEOUT_SECONDS)


def apologised_this_turn(tracker: DialogueStateTracker) -> bool:
    """True when the apology was already sent since the latest user message (one apology per turn)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and event.text == APOLOGY:
            return True
    return False


class ActionResponseCheck:
    """Rasa's action-response schema, checked event by event against that event type's own schema.

    The schema lets each event match exactly one of 23 event schemas (`oneOf`), so a plain check tries every event
    against all of them: about 7 % of the Rasa server's event-loop time at 50 users (py-spy). The event schemas are
    told apart by their `event` name alone, so checking an event against its own type's schema gives the same
    verdict, once the rest of the answer has passed the schema with its events left open."""

    def __init__(self, schema: dict[str, Any]) -> None:
        items = schema["properties"]["events"]["items"]
        common = {key: value for key, value in items.items() if key != "oneOf"}
        self.events = {variant["properties"]["event"]["const"]: self.compiled({"allOf": [common, variant]})
                       for variant in items["oneOf"]}
        outline = {**schema, "properties": {**schema["properties"],
                                            "events": {**schema["properties"]["events"], "items": {}}}}
        self.outline = self.compiled(outline)

    @staticmethod
    def compiled(schema: dict[str, Any]) -> Any:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        return validator_class(schema)

    def is_valid(self, result: Any) -> bool:
        """True when `result` is a valid action-server answer."""
        if not self.outline.is_valid(result):
            return False
        for event in result.get("events") or []:
            check = self.events.get(event.get("event")) if isinstance(event, dict) else None
            if check is None or not check.is_valid(event):
                return False
        return True


@lru_cache(maxsize=1)
def action_response_validator() -> ActionResponseCheck:
    """The check of Rasa's action-response schema, made once."""
    return ActionResponseCheck(RemoteAction.action_response_format_spec())


def shared_action_session(headers: dict[str, Any], basic_auth: dict[str, str]) -> aiohttp.ClientSession:
    """The running loop's session for these headers and credentials (created on first use), keeping connections
    alive; configured like Rasa's `EndpointConfig.session`."""
    loop = asyncio.get_running_loop()
    key = (loop, tuple(sorted((str(k), str(v)) for k, v in headers.items())),
           tuple(sorted(basic_auth.items())))
    session = _action_sessions.get(key)
    if session is None or session.closed:
        for old_key in [k for k in _action_sessions if k[0].is_closed()]:  # sessions of finished loops
            del _action_sessions[old_key]
        auth = aiohttp.BasicAuth(basic_auth["username"], basic_auth["password"]) if basic_auth else None
        session = aiohttp.ClientSession(
            headers=headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_SECONDS),
        )
        _action_sessions[key] = session
    return session


async def close_action_sessions() -> None:
    """Close the running loop's shared action-server sessions (at server shutdown)."""
    loop = asyncio.get_running_loop()
    for key in [k for k in _action_sessions if k[0] is loop]:
        await _action_sessions.pop(key).close()


class _BorrowedSession:
    """`async with` on the shared session without closing it at the end."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_: object) -> None:
        return None


class KeepAliveEndpointConfig(EndpointConfig):
    """An endpoint whose requests go through the shared keep-alive session instead of a new one each time."""

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> KeepAliveEndpointConfig:
        if isinstance(endpoint, cls):
            return endpoint
        copy = cls(endpoint.url, endpoint.params, endpoint.headers, endpoint.basic_auth, endpoint.token,
                   endpoint.token_name, endpoint.cafile, **endpoint.kwargs)
        copy.type = endpoint.type
        return copy

    def session(self) -> Any:  # used by `EndpointConfig.request` as `async with self.session() as session`
        return _BorrowedSession(shared_action_session(self.headers, self.basic_auth))


async def close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Rasa's `close_resources` (after the server stops), then the shared action-server sessions."""
    try:
        await _rasa_close_resources(app, loop)
    finally:
        await close_action_sessions()


_rasa_close_resources = rasa_run.close_resources


class ResilientRemoteAction(RemoteAction):
    """A custom action call bounded in time that apologises and offers the handoff when the action server fails."""

    def __init__(self, name: str, action_endpoint: EndpointConfig | None) -> None:
        super().__init__(name, KeepAliveEndpointConfig.of(action_endpoint) if action_endpoint else None)

    def _validate_action_result(self, result: dict[str, Any]) -> bool:
        """A valid answer passes the compiled schema; an invalid one goes to Rasa's own check for its error."""
        return action_response_validator().is_valid(result) or super()._validate_action_result(result)

    async def run(self, output_channel: OutputChannel, nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
                  domain: Domain) -> list[Event]:
        try:
            return await asyncio.wait_for(super().run(output_channel, nlg, tracker, domain), action_timeout_seconds())
        except ActionExecutionRejection:
            raise  # the action server's own answer (HTTP 400): Rasa predicts another action
        except (RasaException, aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("Custom action '%s' failed (%s); the conversation goes on without it",
                         self.name(), str(error) or type(error).__name__)
        if self.name() == ACTION_SESSION_START_NAME:  # start the session the way plain Rasa does, without greeting
            return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        if apologised_this_turn(tracker):
            return []
        return [create_bot_utterance({"text": APOLOGY, "buttons": [HANDOFF_BUTTON]})]


def tracker_store_without_fallback(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Replaces `Agent._create_tracker_store`: the configured store itself, not wrapped in FailSafeTrackerStore."""
    tracker_store = store or InMemoryTrackerStore(domain)
    tracker_store.domain = domain
    return tracker_store


def install() -> None:
    """Apply the patches.

    Rasa 3.6 looks `RemoteAction` up at call time in two modules: `action` (predicted actions via
    `action_for_name_or_text`, custom slot mappings) and `forms` (the `validate_<form>` call).
    """
    rasa_action.RemoteAction = ResilientRemoteAction
    rasa_forms.RemoteAction = ResilientRemoteAction
    rasa_run.close_resources = close_resources
    shared_socket.install()
    Agent._create_tracker_store = staticmethod(tracker_store_without_fallback)
    model_swap.install()
    inference.install()
    tracker_window.install_event_type_cache()


def keep_torch_out() -> None:
    """Make `import torch` fail in this process (unless BOT_RASA_ALLOW_TORCH=1): spaCy's thinc imports PyTorch
    when it is installed, for the entity extractor's Matcher that never uses it, and that import alone adds about
    450 MB to the Rasa server's memory. PyTorch is needed only by the optional sentence-transformers embedders, in the
    action server. thinc treats the failed import as "no PyTorch"."""
    if os.environ.get("BOT_RASA_ALLOW_TORCH") != "1":
        sys.modules.setdefault("torch", None)  # type: ignore[assignment]


def limit_tensorflow_threads() -> None:
    """One TensorFlow thread per pool unless the environment sets others: the models are small, so a second thread
    only hands work over and spins waiting for more. On 2 cores at 50 users: p95 87 ms against 98-132 ms, and
    50 messages a second at saturation against 43-47 (make bench-load). Rasa applies these variables at start."""
    for name in ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS"):
        os.environ.setdefault(name, "1")


def main() -> None:
    """Install the patches, then run Rasa's command line with this process's arguments."""
    install()
    keep_torch_out()
    limit_tensorflow_threads()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    token = os.environ.get("RASA_API_TOKEN")
    if sys.argv[1:2] == ["run"] and token and "--auth-token" not in sys.argv:
        sys.argv.append(f"--auth-token={token}")  # one argument: a token may start with "-" (token_urlsafe)
    rasa_main()


if __name__ == "__main__":
    main()
