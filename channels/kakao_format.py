"""Kakao skill responses (format version 2.0) built from the bot messages Rasa collected for one turn.

Every limit below comes from Kakao's own developer documentation, named next to it. Lengths are counted in UTF-16
code units, never fewer than the characters ("자") Kakao counts, so a text within a limit here is within Kakao's.
Texts go out as simpleText, links as webLink buttons on a textCard, Rasa buttons as quick replies whose `extra`
carries the Rasa payload back to the skill (`action.clientExtra`); what does not fit in one response is paged
behind a "더 보기" quick reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from channels.telegram import split_text

FORMAT_DOC = "https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format"
VERSION = "2.0"  # "현재 스킬 응답의 version은 2.0만 지원됩니다" (FORMAT_DOC#skillresponse)

# SkillTemplate: outputs "1개 이상 3개 이하", quickReplies "10개 이하" (FORMAT_DOC#skilltemplate).
MAX_OUTPUTS = 3
MAX_QUICK_REPLIES = 10
# SimpleText.text: "1000자"; past 500 KakaoTalk folds the rest behind its 전체 보기 button (FORMAT_DOC#simpletext).
MAX_SIMPLE_TEXT = 1000
# TextCard: "단일형인 경우, title과 description을 합쳐 최대 400자까지 노출" (FORMAT_DOC#textcard). We send no title.
MAX_TEXT_CARD = 400
# TextCard buttons: "가로 정렬 시 최대 2개, 세로 정렬 시 최대 3개"; buttonLayout "vertical" = 최대 3개
# (FORMAT_DOC#textcard, #buttonlayout). BasicCard has the same button limit but needs a thumbnail image
# (FORMAT_DOC#basiccard: thumbnail 필수), which our answers do not have, so links go on textCards.
MAX_CARD_BUTTONS = 3
# Button.label: "버튼 14자(가로배열 2개 8자)" (FORMAT_DOC#button); our cards are vertical, so 14.
MAX_BUTTON_LABEL = 14
# QuickReply.label: Kakao's QuickReplies table gives no length limit (FORMAT_DOC#quickreplies); not found anywhere
# else either, so the card button's 14 is used as the conservative choice.
MAX_QUICK_REPLY_LABEL = 14
# SimpleImage.altText: "최대 50자" (FORMAT_DOC#simpleimage).
MAX_ALT_TEXT = 50

PAYLOAD_KEY = "rasa_payload"
"""Key of a quick reply's `extra` holding the Rasa payload; Kakao hands `extra` back to the skill as
`action.clientExtra` ("바로연결 버튼의 extra 필드 ... 연결된 다음 블록에서 페이로드의 client Extra로 해당 값을 확인",
FORMAT_DOC#quickreplies)."""
MORE_KEY = "rasa_more"
MORE_LABEL = "더 보기"
MORE_CHOICES_TEXT = "다른 선택지도 있어요."
LINKS_TEXT = "관련 링크예요."
EMPTY_TURN_TEXT = "네, 더 궁금한 점이 있으면 말씀해 주세요."

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s)]+)\)")
_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")
_URL_TRAILING = ".,;:!?。…"

Output = dict[str, Any]
QuickReply = dict[str, Any]


def units(text: str) -> int:
    """Length in UTF-16 code units (an emoji counts twice, every Korean syllable once)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int) -> str:
    """The text within `limit` UTF-16 units, with an ellipsis when cut."""
    if units(text) <= limit:
        return text
    while units(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def simple_text(text: str) -> Output:
    return {"simpleText": {"text": text}}


def template(outputs: list[Output], quick_replies: list[QuickReply] | None = None) -> dict[str, Any]:
    """A SkillTemplate: 1-3 outputs, up to 10 quick replies."""
    body: dict[str, Any] = {"outputs": outputs}
    if quick_replies:
        body["quickReplies"] = quick_replies
    return body


def response(skill_template: dict[str, Any]) -> dict[str, Any]:
    """A SkillResponse (also the body of a callback request, which has the same format)."""
    return {"version": VERSION, "template": skill_template}


def text_response(text: str) -> dict[str, Any]:
    """One short text as a complete response."""
    return response(template([simple_text(cut(text, MAX_SIMPLE_TEXT))]))


def more_reply() -> QuickReply:
    return {"label": MORE_LABEL, "action": "message", "messageText": MORE_LABEL, "extra": {MORE_KEY: True}}


def is_more(extra: dict[str, Any]) -> bool:
    return extra.get(MORE_KEY) is True


def _host(url: str) -> str | None:
    """The host of an http(s) URL, or None when it has none (then it is no link)."""
    try:
        parts = urlsplit(url)
        return parts.hostname if parts.scheme in {"http", "https"} else None
    except ValueError:
        return None


def _link_label(host: str) -> str:
    for prefix in ("www.", "mobile.", "m."):
        host = host.removeprefix(prefix)
    return cut(host, MAX_BUTTON_LABEL)


@dataclass
class Turn:
    """One turn's answer in Kakao's terms, before paging."""

    texts: list[str] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # url → label
    buttons: list[tuple[str, str, int]] = field(default_factory=list)  # title, payload, index of its message

    def add_text(self, text: str) -> None:
        def markdown(match: re.Match[str]) -> str:
            label = match.group(1).strip()
            if label and _host(match.group(2)):
                self.links.setdefault(match.group(2), cut(label, MAX_BUTTON_LABEL))
                return match.group(1)
            return match.group(0)

        text = _MARKDOWN_LINK.sub(markdown, text).strip()
        for match in _URL.finditer(text):
            url = match.group(0).rstrip(_URL_TRAILING)
            host = _host(url)
            if host:
                self.links.setdefault(url, _link_label(host))
        if text:
            self.texts.append(text)

    def flush_texts(self) -> None:
        """Consecutive texts joined by blank lines (as Rasa split them) into as few simpleTexts as fit."""
        current = ""
        for text in self.texts:
            joined = f"{current}\n\n{text}" if current else text
            if units(joined) <= MAX_SIMPLE_TEXT:
                current = joined
                continue
            if current:
                self.outputs.append(simple_text(current))
            *whole, current = split_text(text, MAX_SIMPLE_TEXT)
            self.outputs += [simple_text(chunk) for chunk in whole]
        if current:
            self.outputs.append(simple_text(current))
        self.texts = []

    def link_cards(self) -> None:
        """webLink buttons, three to a textCard: on the last text when it fits a card, else on cards of their own."""
        buttons = [{"action": "webLink", "label": label, "webLinkUrl": url} for url, label in self.links.items()]
        groups = [buttons[i:i + MAX_CARD_BUTTONS] for i in range(0, len(buttons), MAX_CARD_BUTTONS)]
        last = self.outputs[-1].get("simpleText", {}).get("text") if self.outputs else None
        for index, group in enumerate(groups):
            card = {"description": LINKS_TEXT, "buttons": group, "buttonLayout": "vertical"}
            if index == 0 and last is not None and units(last) <= MAX_TEXT_CARD:
                self.outputs[-1] = {"textCard": {**card, "description": last}}
            else:
                self.outputs.append({"textCard": card})

    def quick_replies(self) -> list[QuickReply]:
        """Rasa buttons as message quick replies; a title offered with different payloads is numbered by the
        message it came with ("자세히 보기 (2)"), so every quick reply says which answer it belongs to."""
        unique = list(dict.fromkeys(self.buttons))
        payloads: dict[str, set[str]] = {}
        for title, payload, _ in unique:
            payloads.setdefault(title, set()).add(payload)
        replies, seen = [], set()
        for title, payload, group in unique:
            suffix = f" ({group})" if len(payloads[title]) > 1 else ""
            if (title, suffix) in seen:
                continue
            seen.add((title, suffix))
            label = cut(title, MAX_QUICK_REPLY_LABEL - units(suffix)) + suffix
            replies.append({"label": label, "action": "message", "messageText": title + suffix,
                            "extra": {PAYLOAD_KEY: payload}})
        return replies


def _message_text(message: dict[str, Any]) -> str | None:
    for value in (message.get("text"), message.get("attachment"), (message.get("custom") or {}).get("text")):
        if isinstance(value, str) and value.strip():
            return value
    return None


def from_rasa(messages: list[dict[str, Any]]) -> tuple[list[Output], list[QuickReply]]:
    """Outputs and quick replies of one turn from Rasa's collected messages (CollectingOutputChannel)."""
    turn = Turn()
    for index, message in enumerate(messages, start=1):
        text = _message_text(message)
        if text:
            turn.add_text(text)
        image = message.get("image")
        if isinstance(image, str) and _host(image):
            turn.flush_texts()
            turn.outputs.append({"simpleImage": {"imageUrl": image, "altText": cut("이미지", MAX_ALT_TEXT)}})
        for button in message.get("buttons") or []:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or button.get("payload") or "").strip()
            target = str(button.get("url") or button.get("payload") or "")
            if not title:
                continue
            if _host(target):
                turn.links.setdefault(target, cut(title, MAX_BUTTON_LABEL))
            else:
                turn.buttons.append((title, target or title, index))
    turn.flush_texts()
    turn.link_cards()
    return turn.outputs, turn.quick_replies()


def pages(outputs: list[Output], quick_replies: list[QuickReply]) -> list[dict[str, Any]]:
    """Skill templates within the limits: three outputs a page with only "더 보기" while text remains, then the
    quick replies (nine and "더 보기" while more than ten remain)."""
    outputs = outputs or [simple_text(EMPTY_TURN_TEXT)]
    replies = list(quick_replies)
    result = []
    while True:
        page, outputs = outputs[:MAX_OUTPUTS], outputs[MAX_OUTPUTS:]
        page = page or [simple_text(MORE_CHOICES_TEXT)]
        if outputs:
            page_replies = [more_reply()]
        elif len(replies) > MAX_QUICK_REPLIES:
            page_replies, replies = [*replies[:MAX_QUICK_REPLIES - 1], more_reply()], replies[MAX_QUICK_REPLIES - 1:]
        else:
            page_replies, replies = replies, []
        result.append(template(page, page_replies))
        if not outputs and not replies:
            return result
