"""The program documents and the validator."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge_base.documents import (
    DEFAULT_PROGRAMS_DIR,
    REQUIRED_SECTIONS,
    DocumentError,
    Program,
    chunk_program,
    load_programs,
    parse_program,
    validate_folder,
)
from tests.knowledge_base.test_guides import RESEARCH_WORDS as GUIDE_RESEARCH_WORDS

REPO = Path(__file__).resolve().parents[2]
RESEARCH_WORDS = (*GUIDE_RESEARCH_WORDS, "확인되지 않", "공식 확인", "한 곳에서만", "1차 자료", "신뢰도", "문장이 잘려")
"""Research vocabulary owners must never read: how sure the research was, not what the owner can do about it."""


def owner_texts(program: Program) -> list[str]:
    """Everything of a program document an owner can read: summary, key terms and every section."""
    return [program.summary, *program.key_terms.values(), *program.sections.values()]


def research_words_in(text: str) -> list[str]:
    return [word for word in RESEARCH_WORDS if word in text]


def test_what_owners_read_in_program_documents_has_no_research_words() -> None:
    assert research_words_in("2026년 2분기 3.14%라는 값은 공식 확인되지 않았습니다.")  # the check can fail
    found = {program.program_id: [(words, text[:60]) for text in owner_texts(program)
                                  if (words := research_words_in(text))] for program in load_programs()}
    assert {program_id: hits for program_id, hits in found.items() if hits} == {}


def test_every_document_is_valid() -> None:
    assert validate_folder() == []


def test_corpus_covers_every_family() -> None:
    programs = load_programs()
    assert len(programs) >= 40
    families = {p.family for p in programs}
    for family in ("혁신창업사업화", "신시장진출", "신성장기반", "재도약", "긴급경영안정", "투융자복합금융",
                   "위기기업 패스트트랙", "재기·회생 지원", "인력양성", "스마트공장 사후관리", "지역성장",
                   "수출지원", "규제자유특구", "일자리 매칭", "재직자 공제", "신청안내"):
        assert family in families, family
    ids = {p.program_id for p in programs}
    assert {"youth-startup-fund", "emergency-tariff-fund", "smart-factory-supplier-alliance", "gangwon-next-unicorn",
            "apply-intake-schedule", "free-application-advice", "call-center"} <= ids


def test_every_key_term_states_its_year_and_contact_is_the_call_centre() -> None:
    for program in load_programs():
        for term in program.key_terms.values():
            assert re.search(r"20\d\d", term), (program.program_id, term)
        assert program.source_urls and all(u.startswith("http") for u in program.source_urls)
    call = parse_program(DEFAULT_PROGRAMS_DIR / "call-center.md")
    assert "1811-3655" in call.sections["문의"]


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (DEFAULT_PROGRAMS_DIR / "youth-startup-fund.md").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "youth-startup-fund.md"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("source_url:\n  - https://www.hankyung.com/article/202307054550Y\n"
     "  - https://www.g-enews.com/article/Real-Estate/2024/01/202401150844114012e250e8e188_1\n", "",
     "missing field 'source_url'"),
    ("as_of: 2026\n", "", "missing field 'as_of'"),
    ("as_of: 2026", "as_of: 최근", "as_of must be a year"),
    ("as_of: 2026\n", "as_of: 2026\nstatus: 중단\n", "status '중단' is not one of"),
    ("rate: \"2023~2024년 보도와 2026년 공고 모두 연 2.5% 고정금리입니다.\"",
     "rate: \"연 2.5% 고정금리입니다.\"", "key_terms.rate does not say which year"),
    ("## 제출서류", "## 기타", "section '## 제출서류' missing"),
    ("id: youth-startup-fund", "id: youth-fund", "differs from the file name"),
    ("category: 정책자금", "category: 기타", "category '기타'"),
    ("  rep_age:", "  rep_years:", "eligibility.rep_years is not a known condition"),
    ("  - https://www.hankyung.com/article/202307054550Y", "  - 한국경제 기사", "is not an http(s) URL"),
])
def test_validator_rejects_broken_documents(tmp_path: Path, old: str, new: str, problem: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DocumentError, match=re.escape(problem)):
        parse_program(path)
    assert any(problem in line for line in validate_folder(tmp_path))


def test_validator_rejects_a_file_without_front_matter(tmp_path: Path) -> None:
    (tmp_path / "plain.md").write_text("## 개요\n내용만 있습니다.\n", encoding="utf-8")
    assert "front matter missing" in validate_folder(tmp_path)[0]


def test_validate_cli_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "knowledge_base", "validate"], cwd=REPO, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    _broken(tmp_path, "as_of: 2026\n", "")
    bad = subprocess.run([sys.executable, "-m", "knowledge_base", "validate", "--programs", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "missing field 'as_of'" in bad.stderr


def test_chunks_follow_sections() -> None:
    program = parse_program(DEFAULT_PROGRAMS_DIR / "emergency-management-stabilization.md")
    sections = [c.section for c in chunk_program(program)]
    assert sections[0] == "요약"
    assert set(REQUIRED_SECTIONS) <= set(sections)
    assert all(c.text.startswith(program.title) for c in chunk_program(program)[1:])
