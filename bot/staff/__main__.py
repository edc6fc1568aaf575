"""`python -m bot.staff`: the staff review from the command line (queue, show, decide, export, handoffs, stats)."""

from __future__ import annotations

import argparse
import os
import sys

from bot.server.database import tracker_db_url
from bot.server.rasa_api import default_rasa_url
from bot.staff import analytics, handoff
from bot.staff.export import export
from bot.staff.inbox import take_or_release
from bot.staff.records import audit_log
from bot.staff.store import (
    DECISIONS,
    REASONS,
    QueueFilter,
    ReviewError,
    annotate,
    decide,
    get_turn,
    parse_day,
    queue,
)


def _print_queue(args: argparse.Namespace) -> None:
    filters = QueueFilter(parse_day(args.since), parse_day(args.until), args.channel, args.intent, args.reason,
                          args.status)
    turns = queue(filters, args.db)
    for turn in turns[:args.limit]:
        confidence = f"{turn.confidence:.2f}" if turn.confidence is not None else "-"
        reasons = ",".join(REASONS[r] for r in turn.reasons)
        done = f" [{DECISIONS[turn.decision['decision']]}→{turn.decision['intent']}]" if turn.decision else ""
        print(f"{turn.event_id:>6}  {turn.when:%Y-%m-%d %H:%M}  {turn.channel or '-':<9} "
              f"{turn.predicted_intent or '-'}({confidence})  [{reasons}]{done}  {turn.text}")
    print(f"— {len(turns)}건")


def _print_turn(args: argparse.Namespace) -> None:
    turn, conversation = get_turn(args.event_id, args.db)
    print(f"턴 {turn.event_id} · 대화 {turn.sender_id} · 채널 {turn.channel} · 사유 "
          f"{', '.join(REASONS[r] for r in turn.reasons) or '-'}")
    print("의도 순위: " + ", ".join(f"{r.get('name')} {float(r.get('confidence') or 0):.2f}" for r in turn.ranking[:5]))
    print("개체 표시: " + annotate(turn.text, turn.decision["entities"] if turn.decision else turn.entities))
    if turn.decision:
        decision = turn.decision
        print(f"결정: {DECISIONS[decision['decision']]} → {decision['intent']} ({decision['reviewed_by']})")
    print()
    for item in conversation:
        marker = ">>" if item.event_id == turn.event_id else "  "
        print(f"{marker} 👤 {item.text}    ({item.intent} {item.confidence or 0:.2f})")
        for reply in item.bot_replies:
            print("     🤖 " + reply.replace("\n", "\n        "))


def _handoffs(args: argparse.Namespace) -> None:
    for record in handoff.list_handoffs(None if args.status == "all" else args.status, url=args.db):
        print(f"#{record['id']} {record['status']:<8} {record['taken_by'] or '':<10} "
              f"{record['created_at']:%Y-%m-%d %H:%M} {record['channel']} {record['sender_id']}")
        print("    " + record["summary"].replace("\n", "\n    "))


def _stats(args: argparse.Namespace) -> None:
    result = analytics.compute(parse_day(args.since), parse_day(args.until), args.db)
    print(f"대화 {result.conversations}건, 사용자 메시지 {result.messages}건, "
          f"폴백 비율 {100 * result.fallback_rate:.1f}%, "
          f"상담원 연결 비율 {100 * result.handoff_rate:.1f}%, 평가 👍 {result.ratings.get('up', 0)} "
          f"👎 {result.ratings.get('down', 0)}")
    for day, counts in result.messages_per_day.items():
        print(f"  {day}  메시지 " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) + "  대화 "
              + ", ".join(f"{c} {n}" for c, n in sorted(result.conversations_per_day[day].items())))
    print("의도: " + ", ".join(f"{name} {n}" for name, n in result.intents.most_common(10)))
    print("추천 지원사업: " + ", ".join(f"{name} {n}" for name, n in result.programs.most_common(10)))


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(prog="python -m bot.staff", description=__doc__)
    parser.add_argument("--db", default=None, help="tracker database URL (default TRACKER_DB_URL or var/tracker.db)")
    parser.add_argument("--staff", default=os.environ.get("STAFF_NAME") or os.environ.get("USER") or "cli",
                        help="who is acting (audit log); default $STAFF_NAME or $USER")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("queue", help="turns to review")
    listing.add_argument("--since", help="first day YYYY-MM-DD (KST)")
    listing.add_argument("--until", help="last day YYYY-MM-DD (KST)")
    listing.add_argument("--channel", help="rest | socketio | telegram")
    listing.add_argument("--intent")
    listing.add_argument("--reason", choices=list(REASONS))
    listing.add_argument("--status", choices=["pending", "reviewed", "all"], default="pending")
    listing.add_argument("--limit", type=int, default=50)
    commands.add_parser("show", help="a turn and its conversation").add_argument("event_id", type=int)
    for name, help_text in (("confirm", "the predicted intent is right"), ("out-of-scope", "label out_of_scope"),
                            ("dismiss", "do not use this turn for training")):
        commands.add_parser(name, help=help_text).add_argument("event_id", type=int)
    relabel = commands.add_parser("relabel", help="set the right intent")
    relabel.add_argument("event_id", type=int)
    relabel.add_argument("intent")
    entities = commands.add_parser("entities", help="fix entity spans: '[서울](region)에서 [제조업](industry) 해요'")
    entities.add_argument("event_id", type=int)
    entities.add_argument("annotated")
    commands.add_parser("export", help="write confirmed examples to bot/data/nlu/reviewed_examples.yml")
    inbox = commands.add_parser("handoffs", help="handoff inbox")
    inbox.add_argument("--status", choices=["open", "taken", "released", "all"], default="open")
    commands.add_parser("take", help="take a handoff").add_argument("handoff_id", type=int)
    release = commands.add_parser("release", help="release a handoff (the bot talks again)")
    release.add_argument("handoff_id", type=int)
    release.add_argument("--rasa-url", default=default_rasa_url())
    stats = commands.add_parser("stats", help="conversation analytics")
    stats.add_argument("--since")
    stats.add_argument("--until")
    commands.add_parser("audit", help="latest staff actions")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.db = tracker_db_url(args.db)
    try:
        if args.command == "queue":
            _print_queue(args)
        elif args.command == "show":
            _print_turn(args)
        elif args.command in ("confirm", "relabel", "entities", "out-of-scope", "dismiss"):
            decision = args.command.replace("-", "_")
            row = decide(args.event_id, decision, args.staff, intent=getattr(args, "intent", None),
                         annotated=getattr(args, "annotated", None), url=args.db)
            marked = annotate(row["text"], row["entities"])
            print(f"턴 {args.event_id}: {DECISIONS[decision]} → {row['intent']} {marked}")
        elif args.command == "export":
            print(export(args.staff, url=args.db).summary())
        elif args.command == "handoffs":
            _handoffs(args)
        elif args.command in ("take", "release"):
            print(take_or_release(args.handoff_id, args.command, args.staff, getattr(args, "rasa_url", ""), args.db))
        elif args.command == "stats":
            _stats(args)
        elif args.command == "audit":
            for row in audit_log(url=args.db):
                print(f"{row['at']:%Y-%m-%d %H:%M:%S}  {row['who']:<12} {row['action']:<18} {row['target'] or ''} "
                      f"{row['detail'] or ''}")
    except ReviewError as error:
        print(f"오류: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
