"""Program documents: parse Markdown + YAML front matter, validate them and split them into section chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_PROGRAMS_DIR = PACKAGE_DIR / "programs"

APPLICATION_CATEGORY = "신청안내"  # documents about applying for policy funds in general, not programs
CATEGORIES = {"정책자금", "위기지원", "교육연수", "스마트공장", "지역성장", "수출지원", "규제자유특구",
              "일자리", "공제", APPLICATION_CATEGORY}
REQUIRED_FIELDS = ("id", "name", "category", "family", "summary", "key_terms", "eligibility", "source_url", "as_of")
REQUIRED_SECTIONS = ("개요", "지원대상", "지원조건", "제출서류", "신청방법", "문의")
KEY_TERMS = ("limit", "rate", "period")
ELIGIBILITY_KEYS = {"business_age", "industries", "revenue_drop", "rep_age", "region", "export_status", "crisis",
                    "employee_count", "fund_purpose", "notes"}
EXPORT_STATUSES = {"수출중", "수출예정", "내수"}
# 운영중 (default): the program runs; 과거자료: only old facts are known (recommend() ranks it last);
# 종료: no longer run (recommend() leaves it out).
STATUSES = ("운영중", "과거자료", "종료")
REGIONS = {"비수도권", "수도권"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
YEAR_PATTERN = re.compile(r"(19|20)\d{2}")
URL_PATTERN = re.compile(r"^https?://\S+$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
SECTION_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.M)
QUESTION_SECTION = "질문"  # chunks holding one owner phrasing of a guide


class DocumentError(ValueError):
    """A program document that cannot be used (with every problem found)."""


@dataclass
class Program:
    """One program as the knowledge base knows it."""

    program_id: str
    title: str
    category: str
    family: str
    as_of: int
    source_urls: list[str]
    key_terms: dict[str, str]
    sections: dict[str, str]
    summary: str = ""
    status: str = "운영중"
    aliases: list[str] = field(default_factory=list)
    recommend_when: list[str] = field(default_factory=list)  # a niche program: offered only when the need names one
    eligibility: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    text_hash: str = ""
    kind: str = "program"  # program | guide (knowledge_base/guides, see guide_documents.py)
    questions: list[str] = field(default_factory=list)  # guides: owner phrasings, each indexed on its own

    @property
    def is_guide(self) -> bool:
        """True for a guide document (a general question's answer), False for a program."""
        return self.kind == "guide"


@dataclass(frozen=True)
class Chunk:
    """One indexed piece of a program: a section (or the title card) with the text that is embedded."""

    program_id: str
    section: str
    text: str
    embedded_as: str = ""  # the text whose vector stands for this one, when not its own (see chunk_program)

    @property
    def embedding_text(self) -> str:
        """The text that is embedded for this chunk."""
        return self.embedded_as or self.text

    @property
    def key(self) -> str:
        """Content hash that identifies this chunk's embedding."""
        shared = f"\n{self.embedded_as}" if self.embedded_as else ""
        content = f"{self.program_id}\n{self.section}\n{self.text}{shared}"
        return hashlib.sha256(content.encode()).hexdigest()[:32]


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Return (front matter dict, Markdown body); raises DocumentError when there is no front matter."""
    match = FRONT_MATTER.match(raw.replace("\r\n", "\n"))
    if not match:
        raise DocumentError("front matter missing (the file must start with '---' and a closing '---')")
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise DocumentError("front matter is not a mapping")
    return meta, match.group(2)


def split_sections(body: str) -> dict[str, str]:
    """Map each '## heading' of the body to its text."""
    parts = SECTION_HEADING.split(body)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def validate_meta(meta: dict[str, Any], sections: dict[str, str], stem: str | None = None) -> list[str]:
    """Every problem of one document (empty list = valid)."""
    problems = [f"missing field '{name}'" for name in REQUIRED_FIELDS
                if meta.get(name) in (None, "", [], {}) and not (name == "eligibility" and meta.get(name) == {})]
    pid = meta.get("id")
    if pid and not ID_PATTERN.match(str(pid)):
        problems.append(f"id '{pid}' must be lowercase words joined by '-'")
    if pid and stem and pid != stem:
        problems.append(f"id '{pid}' differs from the file name '{stem}.md'")
    if meta.get("category") and meta["category"] not in CATEGORIES:
        problems.append(f"category '{meta['category']}' is not one of {sorted(CATEGORIES)}")
    as_of = meta.get("as_of")
    if as_of is not None and (not isinstance(as_of, int) or not 2000 <= as_of <= 2100):
        problems.append("as_of must be a year such as 2026")
    if meta.get("status", STATUSES[0]) not in STATUSES:
        problems.append(f"status '{meta['status']}' is not one of {list(STATUSES)}")
    urls = meta.get("source_url")
    if urls is not None:
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not urls:
            problems.append("source_url must be a URL or a list of URLs")
        else:
            problems += [f"source_url '{u}' is not an http(s) URL" for u in urls if not URL_PATTERN.match(str(u))]
    terms = meta.get("key_terms")
    if terms is not None:
        if not isinstance(terms, dict):
            problems.append("key_terms must be a mapping with limit, rate and period")
        else:
            for name in KEY_TERMS:
                text = str(terms.get(name) or "")
                if not text:
                    problems.append(f"key_terms.{name} missing")
                elif not YEAR_PATTERN.search(text):
                    problems.append(f"key_terms.{name} does not say which year it applies to")
    problems += validate_eligibility(meta.get("eligibility"))
    need_words = meta.get("recommend_when")
    if need_words is not None and (not isinstance(need_words, list) or not all(isinstance(w, str) and w.strip()
                                                                                 for w in need_words)):
        problems.append("recommend_when must be a list of words")
    for name in REQUIRED_SECTIONS:
        if not sections.get(name):
            problems.append(f"section '## {name}' missing or empty")
    return problems


def validate_eligibility(rules: Any) -> list[str]:
    """Problems of the machine-readable eligibility block."""
    if rules is None:
        return []
    if not isinstance(rules, dict):
        return ["eligibility must be a mapping"]
    problems = [f"eligibility.{key} is not a known condition" for key in rules if key not in ELIGIBILITY_KEYS]
    for key in ("business_age", "rep_age", "employee_count"):
        rule = rules.get(key)
        if rule is not None and (not isinstance(rule, dict) or not ({"min", "max"} & set(rule)) or "label" not in rule):
            problems.append(f"eligibility.{key} needs min and/or max and a label")
    drop = rules.get("revenue_drop")
    if drop is not None and (not isinstance(drop, dict) or "min_percent" not in drop or "label" not in drop):
        problems.append("eligibility.revenue_drop needs min_percent and label")
    region = rules.get("region")
    if region is not None and region not in REGIONS:
        problems.append(f"eligibility.region '{region}' is not one of {sorted(REGIONS)}")
    export = rules.get("export_status")
    if export is not None and (not isinstance(export, list) or not set(export) <= EXPORT_STATUSES):
        problems.append(f"eligibility.export_status must be a list drawn from {sorted(EXPORT_STATUSES)}")
    crisis = rules.get("crisis")
    if crisis is not None and (not isinstance(crisis, dict) or not crisis.get("types") or "label" not in crisis):
        problems.append("eligibility.crisis needs types and label")
    for key in ("industries", "fund_purpose"):
        if rules.get(key) is not None and not isinstance(rules[key], list):
            problems.append(f"eligibility.{key} must be a list")
    return problems


def parse_program(path: Path) -> Program:
    """Read and validate one document; raises DocumentError listing every problem."""
    raw = path.read_text(encoding="utf-8")
    try:
        meta, body = split_front_matter(raw)
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path.name}: front matter is not valid YAML: {exc}") from exc
    except DocumentError as exc:
        raise DocumentError(f"{path.name}: {exc}") from exc
    sections = split_sections(body)
    problems = validate_meta(meta, sections, path.stem)
    if problems:
        raise DocumentError(f"{path.name}: " + "; ".join(problems))
    urls = meta["source_url"]
    return Program(
        program_id=meta["id"],
        title=str(meta["name"]),
        category=meta["category"],
        family=str(meta["family"]),
        as_of=int(meta["as_of"]),
        source_urls=[urls] if isinstance(urls, str) else [str(u) for u in urls],
        key_terms={name: str(meta["key_terms"][name]).strip() for name in KEY_TERMS},
        sections=sections,
        summary=str(meta["summary"]).strip(),
        status=str(meta.get("status", STATUSES[0])),
        aliases=[str(a) for a in meta.get("aliases") or []],
        recommend_when=[str(word) for word in meta.get("recommend_when") or []],
        eligibility=dict(meta["eligibility"] or {}),
        path=path,
        text_hash=hashlib.sha256(raw.encode()).hexdigest(),
    )


def load_programs(programs_dir: Path | None = None) -> list[Program]:
    """Every program document of the folder, sorted by id; raises DocumentError if any is invalid."""
    folder = Path(programs_dir or DEFAULT_PROGRAMS_DIR)
    programs, problems, seen = [], [], set()
    for path in sorted(folder.glob("*.md")):
        try:
            program = parse_program(path)
        except DocumentError as exc:
            problems.append(str(exc))
            continue
        if program.program_id in seen:
            problems.append(f"{path.name}: duplicate id '{program.program_id}'")
        seen.add(program.program_id)
        programs.append(program)
    if problems:
        raise DocumentError("\n".join(problems))
    if not programs:
        raise DocumentError(f"no program documents in {folder}")
    return programs


def validate_folder(programs_dir: Path | None = None) -> list[str]:
    """Problems of every document in the folder (empty list = all valid)."""
    try:
        load_programs(programs_dir)
    except DocumentError as exc:
        return str(exc).splitlines()
    return []


def chunk_program(program: Program) -> list[Chunk]:
    """Index units: a title card (name, aliases, summary) plus one chunk per section, each prefixed with the name.
    A guide's summary is its answer, so its card shares the answer chunk's vector (embedding it again would only
    lengthen the build) while keeping its own words for lexical search."""
    card = " ".join([program.title, *program.aliases, program.family, program.summary])
    sections = [Chunk(program.program_id, name, f"{program.title} {name}: {' '.join(_plain(text).split())}")
                for name, text in program.sections.items()]
    same = next((chunk.text for chunk, text in zip(sections, program.sections.values(), strict=True)
                 if text == program.summary), "") if program.is_guide else ""
    chunks = [Chunk(program.program_id, "요약", card, embedded_as=same)]
    chunks += [Chunk(program.program_id, QUESTION_SECTION, question) for question in program.questions]
    return chunks + sections


def _plain(text: str) -> str:
    """Markdown emphasis, brackets and link targets removed."""
    return re.sub(r"[*_`>#\[\]]|\(https?://\S+\)", " ", text)
