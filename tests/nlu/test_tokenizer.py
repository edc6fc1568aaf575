"""KoNLPyTokenizer: morpheme tokens with exact character offsets into the original text."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.morphology import align, analyze
from nlu.tokenizer import KoNLPyTokenizer

SENTENCES = [
    "서울에서 제조업을 하는데 3년차인데요",
    "긴경자금신청하고싶어요",
    "5억원을 빌리고 싶습니다!!",
    "정책자금입니다. 했어요 ㅋㅋ",
    "  중진공   청창사\t스마트공장 AI교육  ",
    "매출이 30% 줄었어요😢",
    "ｆｕｌｌ　width 한글",
]


def tokenizer(backend: str = "mecab", **config: object) -> KoNLPyTokenizer:
    return KoNLPyTokenizer({**KoNLPyTokenizer.get_default_config(), "backend": backend, **config})


def tokens_of(text: str, backend: str = "mecab") -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in tokenizer(backend).tokenize(Message({TEXT: text}), TEXT)]


def test_particles_are_separate_tokens() -> None:
    assert tokens_of("서울에서 제조업을 하는데 3년차인데요") == [
        ("서울", 0, 2), ("에서", 2, 4), ("제조업", 5, 8), ("을", 8, 9), ("하", 10, 11), ("는", 11, 12),
        ("데", 12, 13), ("3", 14, 15), ("년", 15, 16), ("차", 16, 17), ("인데요", 17, 20),
    ]


def test_compound_morpheme_keeps_its_surface_span() -> None:
    text = "정책자금입니다"
    tokens = tokenizer().tokenize(Message({TEXT: text}), TEXT)
    last = tokens[-1]
    assert (last.text, last.start, last.end) == ("입니다", 4, 7)
    assert "+" in last.get("pos")


def test_missing_spaces_still_split() -> None:
    assert [text for text, _, _ in tokens_of("5억원을빌리고싶어요")][:4] == ["5", "억", "원", "을"]


@pytest.mark.parametrize("backend", ["mecab", "okt"])
@pytest.mark.parametrize("text", SENTENCES)
def test_offsets_index_the_original_text(text: str, backend: str) -> None:
    tokens = tokens_of(text, backend)
    assert tokens
    previous_end = 0
    for token_text, start, end in tokens:
        assert text[start:end] == token_text
        assert start >= previous_end and end > start
        assert not token_text.isspace() and token_text == token_text.strip()
        previous_end = end
    non_space = "".join(text.split())
    assert "".join(t for t, _, _ in tokens) == non_space


def test_empty_and_blank_text() -> None:
    assert tokens_of("") == []
    assert tokens_of("   ") == []


def test_align_falls_back_when_the_analyser_changes_a_surface() -> None:
    assert align("가나 다라", ["가나", "X", "라"]) == [(0, 2), (3, 4), (4, 5)]


def test_training_data_is_tokenized_and_intent_kept_whole() -> None:
    message = Message({TEXT: "청창사 신청 기간이 언제예요?", "intent": "ask_application"})
    tokenizer().process_training_data(TrainingData([message]))
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])][-2:] == ["예요", "?"]
    assert [t.text for t in message.get(TOKENS_NAMES["intent"])] == ["ask_application"]


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(ValueError):
        tokenizer("kkma")


def test_analyze_reports_pos_tags() -> None:
    tags = {m.text: m.tag for m in analyze("서울에서")}
    assert tags == {"서울": "NNP", "에서": "JKB"}
