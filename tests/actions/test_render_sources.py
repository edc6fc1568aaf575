"""Every real program and guide detail card: sources named by publisher and year, links only as link buttons."""

from __future__ import annotations

import re

import pytest

from actions import render
from knowledge_base.answering import first_sources
from knowledge_base.documents import load_programs
from knowledge_base.guide_documents import default_guides
from tests.knowledge_base.test_documents import research_words_in
from tests.knowledge_base.test_guides import RESEARCH_WORDS as GUIDE_RESEARCH_WORDS

LINK = re.compile(r"https?://", re.IGNORECASE)
ADDRESS = re.compile(r"https?://|www\.|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|kr|cc|io|me)\b", re.IGNORECASE)
"""A link, or a site address standing in for a source's name (texts may still name a site to visit)."""
PROGRAMS = load_programs()
GUIDES = default_guides()


def raw_addresses(text: str) -> list[str]:
    return ADDRESS.findall(text)


def test_the_address_checks_can_fail() -> None:
    assert raw_addresses("출처: https://www.sedaily.com/x (2022년 자료)") and LINK.search("출처: http://x.kr")
    assert raw_addresses("출처: bokmem.traintime.co.kr 2026년") and raw_addresses("출처: 소상공인바우처.kr 2025년")
    assert not raw_addresses("출처: 서울경제 2022년 · 1811-3655 · 2.5%")


def test_a_site_address_given_as_a_publisher_is_named_or_called_a_web_page() -> None:
    assert render.publisher_name("digital.kosmes.or.kr", "https://digital.kosmes.or.kr/x") == "중소벤처기업진흥공단"
    assert render.publisher_name("kmnal.com", "https://kmnal.com/12") == render.WEB_PAGE
    assert render.publisher_name("뉴스1", "https://blog.example.com/1") == "뉴스1"


@pytest.mark.parametrize("program", PROGRAMS, ids=[program.program_id for program in PROGRAMS])
def test_a_program_card_names_its_source_and_links_it_by_a_button(program) -> None:
    text = render.program_text(program)
    assert LINK.findall(text) == [] and research_words_in(text) == [], text
    assert raw_addresses(text.splitlines()[-1]) == [], text
    [link] = render.link_buttons(first_sources(program))
    assert link["url"] == program.source_urls[0] and "payload" not in link
    assert re.fullmatch(r"\S.* (19|20)\d{2}년", link["title"]) and raw_addresses(link["title"]) == [], link
    assert text.splitlines()[-1] == f"출처: {link['title']}"


@pytest.mark.parametrize("guide", GUIDES, ids=[guide.guide_id for guide in GUIDES])
def test_a_guide_card_names_every_source_and_links_them_by_buttons(guide) -> None:
    text = render.guide_detail_text(guide)
    assert LINK.findall(text) == [] and [word for word in GUIDE_RESEARCH_WORDS if word in text] == [], text
    assert raw_addresses(text.splitlines()[-1]) == [], text
    names = text.splitlines()[-1].removeprefix("출처: ").split(" · ")
    assert set(names) == {render.source_name(source) for source in guide.sources}
    links = render.link_buttons(guide.sources)
    assert 1 <= len(links) <= render.MAX_LINKS
    assert [link["url"] for link in links] == list(dict.fromkeys(source.url for source in guide.sources))[:len(links)]
    assert all(link["title"] in names and raw_addresses(link["title"]) == [] for link in links), links
