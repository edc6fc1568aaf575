"""Handoff inbox actions for staff (take, release), on top of bot.staff.handoff, audited."""

from __future__ import annotations

import urllib.error

from bot.staff import handoff
from bot.staff.records import log_action
from bot.staff.store import ReviewError


def take_or_release(handoff_id: int, verb: str, who: str, rasa_url: str, url: str | None = None) -> str:
    """Take an open handoff or release an open/taken one (the bot talks again); returns a Korean message."""
    records = {record["id"]: record for record in handoff.list_handoffs(url=url)}
    if handoff_id not in records:
        raise ReviewError(f"상담원 연결 요청 {handoff_id}이(가) 없습니다.")
    status = records[handoff_id]["status"]
    if verb == "take":
        if status != "open":
            raise ReviewError("이미 담당자가 있거나 종료된 요청입니다.")
        handoff.set_status(handoff_id, "taken", taken_by=who, url=url)
        message = f"요청 {handoff_id}을(를) 담당합니다."
    elif verb == "release":
        if status not in handoff.SILENT_STATUSES:
            raise ReviewError("이미 종료된 요청입니다.")
        try:
            handoff.release(handoff_id, rasa_url, url=url)
            message = f"요청 {handoff_id}을(를) 종료했습니다. 챗봇이 다시 답합니다."
        except (urllib.error.URLError, OSError) as error:
            message = f"요청 {handoff_id}은(는) 종료로 표시했지만 Rasa 서버에서 대화를 재개하지 못했습니다: {error}"
    else:
        raise ReviewError(f"알 수 없는 작업입니다: {verb!r}")
    log_action(who, f"handoff:{verb}", f"handoff:{handoff_id}", message, url)
    return message
