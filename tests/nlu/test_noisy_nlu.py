"""The noisy NLU test set (bot/noisy_nlu.py): deterministic, really noisy, entity spans kept, committed file in sync."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from bot.nlu_scoring import NOISY_SPLIT, TEST_SPLIT, load_examples
from bot.noisy_nlu import (
    ABBREVIATION,
    EMOTICONS,
    KINDS,
    NOISE,
    annotated,
    assemble,
    noisy_variants,
    noisy_yaml,
    segments,
    variant,
)


@pytest.fixture(scope="module")
def clean() -> list[dict]:
    return load_examples(TEST_SPLIT)


@pytest.fixture(scope="module")
def noisy(clean: list[dict]) -> list[dict]:
    return noisy_variants(clean)


def example(text: str, *entities: tuple[str, str, object]) -> dict:
    """A clean example with the given (entity text, type, value) annotations, located in `text`."""
    spans = []
    for piece, kind, value in entities:
        start = text.index(piece)
        spans.append({"start": start, "end": start + len(piece), "entity": kind, "value": value})
    return {"text": text, "intent": "ask_terms", "entities": spans}


def labels(item: dict) -> Counter:
    return Counter((e["entity"], str(e["value"])) for e in item["entities"])


def check_spans(item: dict) -> None:
    """Entities lie inside the text, are non-empty, sorted and do not overlap."""
    end = 0
    for entity in sorted(item["entities"], key=lambda e: e["start"]):
        assert end <= entity["start"] < entity["end"] <= len(item["text"]), (item["text"], entity)
        assert item["text"][entity["start"]:entity["end"]].strip(), (item["text"], entity)
        end = entity["end"]


def test_the_committed_noisy_set_is_what_the_generator_writes() -> None:
    """tests/nlu/data/noisy_test.yml is generated: `python -m bot.noisy_nlu` after editing nlu_test.yml."""
    assert NOISY_SPLIT.read_text(encoding="utf-8") == noisy_yaml()


def test_generation_is_deterministic_and_independent_of_order(clean: list[dict], noisy: list[dict]) -> None:
    assert noisy_variants(clean) == noisy
    shuffled = clean[:]
    random.Random(7).shuffle(shuffled)
    key = lambda v: (v["metadata"]["source"], v["metadata"]["noise"])  # noqa: E731
    assert sorted(noisy_variants(shuffled), key=key) == sorted(noisy, key=key)


def test_the_set_is_large_varied_and_covers_every_intent(clean: list[dict], noisy: list[dict]) -> None:
    assert len(noisy) >= 150
    kinds = Counter(v["metadata"]["noise"] for v in noisy)
    assert set(kinds) == {*KINDS, ABBREVIATION}
    assert min(kinds.values()) >= 30, kinds
    assert {v["intent"] for v in noisy} == {e["intent"] for e in clean}
    assert sum(bool(v["entities"]) for v in noisy) >= 60


def test_every_variant_differs_from_its_source_and_keeps_its_entities(clean: list[dict], noisy: list[dict]) -> None:
    by_text = {e["text"]: e for e in clean}
    for item in noisy:
        source = by_text[item["metadata"]["source"]]
        assert item["text"] != source["text"]
        assert item["intent"] == source["intent"]
        assert labels(item) == labels(source), item
        check_spans(item)
        if item["metadata"]["noise"] in ("emoticon", "slang_ending"):  # noise that never touches an entity's text
            assert [item["text"][e["start"]:e["end"]] for e in item["entities"]] == \
                   [source["text"][e["start"]:e["end"]] for e in sorted(source["entities"], key=lambda e: e["start"])]


def test_the_committed_file_loads_with_the_same_spans(noisy: list[dict]) -> None:
    """Rasa reads back what was written: text, intent, entity spans and values, kind and source."""
    loaded = load_examples(NOISY_SPLIT)
    assert len(loaded) == len(noisy)
    for read, made in zip(loaded, noisy, strict=True):
        assert (read["text"], read["intent"], read["metadata"]) == (made["text"], made["intent"], made["metadata"])
        assert [(e["start"], e["end"], e["entity"], str(e["value"])) for e in read["entities"]] == \
               [(e["start"], e["end"], e["entity"], str(e["value"])) for e in made["entities"]]


def test_abbreviations_move_the_spans_after_them() -> None:
    source = example("중소벤처기업진흥공단 청년전용창업자금 금리 어떻게 돼요",
                     ("청년전용창업자금", "program", "youth-startup-fund"), ("금리", "term_type", "금리"))
    item = variant(source, ABBREVIATION)
    assert item["text"] == "중진공 청창자금 금리 어케 돼요"
    assert [(e["start"], e["end"], e["value"]) for e in item["entities"]] == [(4, 8, "youth-startup-fund"),
                                                                                (9, 11, "금리")]
    assert variant(example("긴급경영안정자금 한도"), ABBREVIATION)["text"] == "긴경자금 한도"
    assert variant(example("네 맞아요"), ABBREVIATION)["text"] == "ㅇㅇ 맞아요"
    assert variant(example("네이버 광고 문의"), ABBREVIATION)["text"] == "네이버 광고 문의"  # only a standalone 네


def test_no_spaces_joins_entities_and_their_neighbours() -> None:
    source = example("부산에서 식당 하고 있어요", ("부산", "region", "부산광역시"),
                     ("식당", "industry", "숙박 및 음식점업"))
    item = variant(source, "no_spaces")
    assert item["text"] == "부산에서식당하고있어요"
    assert [item["text"][e["start"]:e["end"]] for e in item["entities"]] == ["부산", "식당"]


@pytest.mark.parametrize(("text", "endings"), [
    ("구조개선 자금 대상이 뭐예요", ("뭐임", "머임")),
    ("신청서 양식 알려주세요", ("알려주셈", "알려주세여")),
    ("청년창업자금 받을 수 있나요?", ("있음?", "있나여?", "있남?")),
    ("공장이 불타서 자금이 필요합니다", ("필요함", "필요합니당")),
    ("신청 방법", ("방법임", "방법임?")),
])
def test_slang_endings_replace_the_polite_ending(text: str, endings: tuple[str, ...]) -> None:
    assert variant(example(text), "slang_ending")["text"].endswith(endings)


def test_a_sentence_ending_in_an_entity_gets_the_ending_after_it() -> None:
    source = example("정산지연 피해기업 긴급자금", ("긴급자금", "program", "emergency-management-stabilization"))
    item = variant(source, "slang_ending")
    assert re.fullmatch(r"정산지연 피해기업 긴급자금임\??", item["text"])
    assert item["text"][item["entities"][0]["start"]:item["entities"][0]["end"]] == "긴급자금"


def test_typos_are_small_hangul_slips() -> None:
    for text in ("긴급경영안정자금 신청하고 싶어요", "일시적 경영애로 자금 있나요", "서류는 뭐가 필요한가요"):
        item = variant(example(text), "typo")
        assert item["text"] != text
        assert abs(len(item["text"]) - len(text)) <= 2
        assert sum(a != b for a, b in zip(item["text"], text, strict=False)) <= 4 or len(item["text"]) < len(text)
        assert set(item["text"]) - set(text) <= {chr(c) for c in range(0xAC00, 0xD7A4)}  # only other syllables


def test_emoticons_are_added_outside_the_entities() -> None:
    source = example("태풍 피해 자금 있나요", ("태풍", "crisis_type", "태풍"))
    item = variant(source, "emoticon")
    assert any(face in item["text"] for face in EMOTICONS)
    assert item["text"].replace(" ", "").replace("태풍피해자금있나요", "") in EMOTICONS
    start, end = item["entities"][0]["start"], item["entities"][0]["end"]
    assert item["text"][start:end] == "태풍"


def test_segments_and_markup_round_trip() -> None:
    source = example("만 41세도 청년 창업자금 되나요", ("만 41세", "rep_age", 41),
                     ("청년 창업자금", "program", "youth-startup-fund"))
    assert assemble(segments(source))["entities"] == source["entities"]
    assert annotated(source) == ('[만 41세]{"entity": "rep_age", "value": 41}도 '
                                 '[청년 창업자금]{"entity": "program", "value": "youth-startup-fund"} 되나요')
    assert set(NOISE) == {*KINDS, ABBREVIATION}


def test_each_kind_of_noise_changes_every_message_it_applies_to(clean: list[dict]) -> None:
    """Typos need a Hangul syllable, dropped spaces a space; endings and emoticons apply to every message."""
    for item in clean:
        text = item["text"]
        has_hangul = any(0xAC00 <= ord(char) <= 0xD7A3 for char in text)
        for kind, applies in (("typo", has_hangul), ("no_spaces", " " in text), ("slang_ending", True),
                              ("emoticon", True), ("mixed", True)):
            if applies:
                assert variant(item, kind)["text"] != text, (kind, text)
