"""Conversation analytics from the tracker store, and their charts as inline SVG (matplotlib, no CDN)."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.staff.store import FALLBACK_ACTIONS, FALLBACK_INTENT, HANDOFF_ACTIONS, build_turns, load_events, rating_of


@dataclass
class Analytics:
    """Counts over a period (days are KST)."""

    conversations_per_day: dict[str, Counter] = field(default_factory=dict)  # day → channel → conversations
    messages_per_day: dict[str, Counter] = field(default_factory=dict)  # day → channel → user messages
    intents: Counter = field(default_factory=Counter)
    conversations: int = 0
    messages: int = 0
    fallback_turns: int = 0
    handoff_conversations: int = 0
    programs: Counter = field(default_factory=Counter)
    ratings: Counter = field(default_factory=Counter)

    @property
    def fallback_rate(self) -> float:
        """Share of user messages that ended in a fallback."""
        return self.fallback_turns / self.messages if self.messages else 0.0

    @property
    def handoff_rate(self) -> float:
        """Share of conversations handed to a counsellor."""
        return self.handoff_conversations / self.conversations if self.conversations else 0.0


def compute(since: date | None = None, until: date | None = None, url: str | None = None) -> Analytics:
    """Analytics of the stored conversations between two days (inclusive)."""
    rows = load_events(since, until, url=url)
    result = Analytics()
    per_day: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    messages: dict[str, Counter] = defaultdict(Counter)
    handed_over: set[str] = set()
    for turn in build_turns(rows):
        day, channel = turn.when.date().isoformat(), turn.channel or "기타"
        per_day[day][channel].add(turn.sender_id)
        messages[day][channel] += 1
        result.messages += 1
        if turn.intent:
            result.intents[turn.intent] += 1
        if turn.intent == FALLBACK_INTENT or FALLBACK_ACTIONS & set(turn.actions):
            result.fallback_turns += 1
        if HANDOFF_ACTIONS & set(turn.actions):
            handed_over.add(turn.sender_id)
    for _, _, event in rows:
        rating = rating_of(event) if event.get("event") == "user" else None
        if rating:
            result.ratings[rating] += 1
        if event.get("event") == "slot" and event.get("name") == "recommended_programs":
            result.programs.update(str(p) for p in event.get("value") or [])
    result.conversations_per_day = {d: Counter({c: len(s) for c, s in v.items()}) for d, v in sorted(per_day.items())}
    result.messages_per_day = dict(sorted(messages.items()))
    result.conversations = len({sender for _, sender, _ in rows})
    result.handoff_conversations = len(handed_over)
    return result


def _figure(width: float = 7.0, height: float = 3.2) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    names = {font.name for font in font_manager.fontManager.ttflist}
    korean = [name for name in ("Noto Sans CJK KR", "Noto Sans CJK JP", "NanumGothic", "Noto Sans KR") if name in names]
    pyplot.rcParams.update({"font.family": korean + ["DejaVu Sans"], "svg.fonttype": "none",
                            "axes.unicode_minus": False})
    return pyplot.figure(figsize=(width, height))


def _svg(figure: Any) -> str:
    from matplotlib import pyplot

    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    pyplot.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def stacked_days_chart(per_day: dict[str, Counter], title: str) -> str:
    """Stacked bars per day and channel, as SVG markup."""
    figure = _figure()
    axis = figure.add_subplot()
    days = list(per_day)
    channels = sorted({channel for counts in per_day.values() for channel in counts})
    bottom = [0] * len(days)
    for channel in channels:
        values = [per_day[day][channel] for day in days]
        axis.bar([day[5:] for day in days], values, bottom=bottom, label=channel)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.set_title(title)
    if channels:
        axis.legend(fontsize=8)
    axis.tick_params(axis="x", labelrotation=45, labelsize=8)
    return _svg(figure)


def bar_chart(counts: Counter, title: str, top: int = 15) -> str:
    """Horizontal bars of the most common items, as SVG markup."""
    items = counts.most_common(top)[::-1]
    figure = _figure(height=max(2.0, 0.3 * len(items) + 1))
    axis = figure.add_subplot()
    axis.barh([str(name) for name, _ in items], [value for _, value in items], color="#2f6fb0")
    axis.set_title(title)
    axis.tick_params(axis="y", labelsize=8)
    return _svg(figure)


def charts(analytics: Analytics) -> dict[str, str]:
    """Every chart of the analytics page (title → SVG)."""
    rates = Counter({"폴백 비율(%)": round(100 * analytics.fallback_rate, 1),
                     "상담원 연결 비율(%)": round(100 * analytics.handoff_rate, 1)})
    ratings = Counter({"도움됨(up)": analytics.ratings.get("up", 0), "아쉬움(down)": analytics.ratings.get("down", 0)})
    return {
        "일별 대화 수 (채널별)": stacked_days_chart(analytics.conversations_per_day, "일별 대화 수"),
        "일별 메시지 수 (채널별)": stacked_days_chart(analytics.messages_per_day, "일별 메시지 수"),
        "의도 분포": bar_chart(analytics.intents, "의도 분포"),
        "폴백·상담원 연결 비율": bar_chart(rates, "폴백·상담원 연결 비율 (%)"),
        "가장 많이 추천된 지원사업": bar_chart(analytics.programs, "추천 횟수"),
        "답변 평가": bar_chart(ratings, "답변 평가"),
    }
