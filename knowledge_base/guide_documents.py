"""Guide documents (knowledge_base/guides/*.md and staff answers): parse, validate, turn into index documents, and
write a staff answer so it joins the index at once (no retraining)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.documents import (
    ID_PATTERN,
    PACKAGE_DIR,
    URL_PATTERN,
    YEAR_PATTERN,
    DocumentError,
    Program,
    split_front_matter,
    split_sections,
)

DEFAULT_GUIDES_DIR = PACKAGE_DIR / "guides"
DEFAULT_STAFF_DIR = PACKAGE_DIR.parent / "var" / "staff_guides"
GUIDE_CATEGORY = "가이드"
TOPICS = ("절차·일정", "거절·재신청", "신용·재무·제한", "중복·한도", "개념", "다른기관", "공제", "기타", "직원답변")
REQUIRED = ("id", "title", "topic", "agency", "answer", "questions", "sources", "as_of")
MIN_QUESTIONS = 1
MAX_ANSWER_SENTENCES = 3
STAFF_PREFIX = "staff-"
DETAIL_SECTION = "자세히"


@dataclass(frozen=True)
class Source:
    """A named source: who published it, the year it applies to, and its address."""

    publisher: str
    year: int
    url: str


@dataclass
class Guide:
    """One general question's answer, with the owner phrasings that ask it."""

    guide_id: str
    title: str
    topic: str
    agency: str
    answer: str
    questions: list[str]
    sources: list[Source]
    as_of: int
    detail: str = ""
    unknown: str = ""
    related: list[str] = field(default_factory=list)
    author: str = ""  # staff answers: who wrote it (also in the audit log)
    see: str = ""  # staff link: these questions are answered by another guide
    path: Path | None = None

    def as_document(self) -> Program:
        """The guide as an index document (category 가이드): its phrasings and answer are searched like a program."""
        sections = {"답변": self.answer}
        if self.detail:
            sections[DETAIL_SECTION] = self.detail
        return Program(program_id=self.guide_id, title=self.title, category=GUIDE_CATEGORY, family=self.topic,
                       as_of=self.as_of, source_urls=[source.url for source in self.sources], key_terms={},
                       sections=sections, summary=self.answer, kind="guide", questions=list(self.questions),
                       path=self.path)


def guides_dir() -> Path:
    """The guide folder (env KB_GUIDES_DIR, default knowledge_base/guides)."""
    return Path(os.environ.get("KB_GUIDES_DIR") or DEFAULT_GUIDES_DIR)


def staff_dir() -> Path:
    """Where staff answers are written (env KB_STAFF_GUIDES_DIR, default var/staff_guides; git-ignored data)."""
    return Path(os.environ.get("KB_STAFF_GUIDES_DIR") or DEFAULT_STAFF_DIR)


def _sources(raw: Any, problems: list[str]) -> list[Source]:
    sources = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not URL_PATTERN.match(str(item.get("url", ""))):
            problems.append(f"source {item!r} needs an http(s) url")
            continue
        year = item.get("year")
        if not isinstance(year, int) or not 1990 <= year <= 2100:
            problems.append(f"source {item['url']} needs the year it applies to")
            continue
        sources.append(Source(str(item.get("publisher") or "").strip() or "출처", year, str(item["url"])))
    if not sources:
        problems.append("sources: at least one source with url, publisher and year")
    return sources


def sentence_count(text: str) -> int:
    """Sentences in a Korean answer (split after ., ?, ! or 요/다 followed by a space or the end)."""
    return len([part for part in re.split(r"(?<=[.?!])\s+", text.strip()) if part])


def parse_guide(raw: str, stem: str | None = None, path: Path | None = None) -> Guide:
    """Read and validate one guide; raises DocumentError listing every problem."""
    try:
        meta, body = split_front_matter(raw)
    except yaml.YAMLError as exc:
        raise DocumentError(f"front matter is not valid YAML: {exc}") from exc
    problems: list[str] = []
    linked = bool(meta.get("see"))
    required = ("id", "questions", "see") if linked else REQUIRED
    problems += [f"missing field '{name}'" for name in required if meta.get(name) in (None, "", [], {})]
    gid = str(meta.get("id") or "")
    if gid and not ID_PATTERN.match(gid):
        problems.append(f"id '{gid}' must be lowercase words joined by '-'")
    if gid and stem and gid != stem:
        problems.append(f"id '{gid}' differs from the file name '{stem}.md'")
    if not linked and meta.get("topic") and meta["topic"] not in TOPICS:
        problems.append(f"topic '{meta['topic']}' is not one of {list(TOPICS)}")
    questions = meta.get("questions")
    if not isinstance(questions, list) or len(questions) < MIN_QUESTIONS:
        problems.append("questions must be a list of owner phrasings")
        questions = []
    answer = " ".join(str(meta.get("answer") or "").split())
    if answer and sentence_count(answer) > MAX_ANSWER_SENTENCES:
        problems.append(f"answer has more than {MAX_ANSWER_SENTENCES} sentences")
    if answer and re.search(r"\d", answer) and not YEAR_PATTERN.search(answer):
        problems.append("answer states a number without the year it applies to")
    sources = _sources(meta.get("sources"), problems) if not linked else []
    as_of = meta.get("as_of", 0 if linked else None)
    if not linked and (not isinstance(as_of, int) or not 2000 <= as_of <= 2100):
        problems.append("as_of must be a year such as 2026")
    if problems:
        raise DocumentError("; ".join(problems))
    return Guide(guide_id=gid, title=str(meta.get("title") or ""), topic=str(meta.get("topic") or ""),
                 agency=str(meta.get("agency") or ""), answer=answer,
                 questions=[" ".join(str(q).split()) for q in questions if str(q).strip()], sources=sources,
                 as_of=int(as_of or 0), detail=split_sections(body).get(DETAIL_SECTION, ""),
                 unknown=" ".join(str(meta.get("unknown") or "").split()),
                 related=[str(r) for r in meta.get("related") or []], author=str(meta.get("author") or ""),
                 see=str(meta.get("see") or ""), path=path)


def guide_files(folder: Path) -> list[Path]:
    """The guide documents of a folder (its README.md describes the format and is not one)."""
    return sorted(path for path in folder.glob("*.md") if path.name != "README.md") if folder.is_dir() else []


def load_guides(*folders: Path) -> list[Guide]:
    """Every guide of the folders (missing folders are skipped), staff links merged into the guide they point to;
    raises DocumentError if any guide is invalid or an id repeats."""
    guides: dict[str, Guide] = {}
    links: list[Guide] = []
    problems = []
    for folder in folders:
        for path in guide_files(Path(folder)):
            try:
                guide = parse_guide(path.read_text(encoding="utf-8"), path.stem, path)
            except DocumentError as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            if guide.guide_id in guides or any(link.guide_id == guide.guide_id for link in links):
                problems.append(f"{path.name}: duplicate id '{guide.guide_id}'")
            if guide.see:
                links.append(guide)
            else:
                guides[guide.guide_id] = guide
    for link in links:
        target = guides.get(link.see)
        if target is None:
            problems.append(f"{link.guide_id}.md: 'see' names no guide '{link.see}'")
        else:
            target.questions += [q for q in link.questions if q not in target.questions]
    if problems:
        raise DocumentError("\n".join(problems))
    return list(guides.values())


def default_guides() -> list[Guide]:
    """The shipped guides plus the staff answers."""
    return load_guides(guides_dir(), staff_dir())


def save_staff_guide(question: str, author: str, answer: str = "", source_url: str = "", publisher: str = "",
                     year: int | None = None, see: str = "", folder: Path | None = None) -> Guide:
    """Write a staff answer for an owner's question (or link the question to the existing guide `see`) and return
    it; the next KnowledgeBase.load() indexes it. Raises DocumentError for an incomplete answer."""
    question = " ".join(question.split())
    stamp = datetime.now(timezone.utc)
    digest = hashlib.sha256(f"{question}\n{stamp.isoformat()}".encode()).hexdigest()[:10]
    gid = f"{STAFF_PREFIX}{digest}"
    meta: dict[str, Any] = {"id": gid, "questions": [question], "author": author,
                            "written": stamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if see:
        meta["see"] = see
    else:
        meta.update(title=question[:60], topic="직원답변", agency="중진공", answer=" ".join(answer.split()),
                    sources=[{"url": source_url.strip(), "publisher": publisher.strip() or "출처", "year": year}],
                    as_of=year)
    raw = f"---\n{yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}---\n"
    guide = parse_guide(raw, gid)
    target = Path(folder or staff_dir())
    if see and see not in {g.guide_id for g in load_guides(guides_dir(), target)}:
        raise DocumentError(f"no guide '{see}' to link to")
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{gid}.md"
    partial = target / f".{gid}.md.partial"  # not a document until it is whole: the loader reads *.md only
    partial.write_text(raw, encoding="utf-8")
    os.replace(partial, path)
    guide.path = path
    return guide
