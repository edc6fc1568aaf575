"""Chat-Korean normalisation (knowledge_base/noisy_text.py) and the tokenizer's `normalise` option: noisy text is
featurised like its clean form, while every token still indexes the original message."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge_base.noisy_text import normalise
from nlu.tokenizer import KoNLPyTokenizer

NOISY = [
    "긴급경영안정자금한도얼마임?ㅠㅠ",
    "ㅋㅋ 스마트팩토리 구축 자금 대출",
    "청창자금 받을 수 있나여ㅠ",
    "알려주셈;; ^^",
    "ㅎㅇ 처음 왔어요ㅋㅋㅋ",
    "정말 ㄳ",
    "내수만 함",
    "어케 신청함?",
    "매출이 30% 줄었음 ㅠㅠ",
    "ㅋㅋㅋ",
]


def lemmas(text: str, **config: object) -> list[str]:
    tokenizer = KoNLPyTokenizer({**KoNLPyTokenizer.get_default_config(), "normalise": True, **config})
    return [token.lemma for token in tokenizer.tokenize(Message({TEXT: text}), TEXT)]


@pytest.mark.parametrize(("noisy", "clean"), [
    ("긴급경영안정자금한도얼마임?ㅠㅠ", "긴급경영안정자금 한도 얼마예요?"),
    ("정책자금 중에 뭐가 제일 나아요?ㅠㅠ", "정책자금 중에 뭐가 제일 나아요?"),
    ("ㅠㅠ 스마트팩토리 구축 자금 대출", "스마트팩토리 구축 자금 대출"),
    ("ㅎㅎㅎ 오늘 기분 좋네요", "ㅋㅋ 오늘 기분 좋네요"),
    ("스마트공장 도입하려는데 자금 지원 돼여?", "스마트공장 도입하려는데 자금 지원 돼요?"),
    ("창업 초기 기업인데 정책 대출 있음?", "창업 초기 기업인데 정책 대출 있어요?"),
    ("접수 일정 알려주셈", "접수 일정 알려주세요"),
    ("합니당", "합니다"),
    ("반가워용", "반가워요"),
    ("있남", "있나요"),
    ("생산라인 늘릴 시설 투자 대출임?", "생산라인 늘릴 시설 투자 대출?"),
    ("정말 ㄳ", "정말 감사합니다"),
    ("어케 해요;;", "어떻게 해요"),
    ("긴경 필요해요", "긴급경영안정 필요해요"),
    ("정자금 금리 몇프로에요", "정책자금 금리 몇프로에요"),
    ("정책자금 떨어졋는데 재신청 되나여", "정책자금 떨어졌는데 재신청 되나요"),
    ("세금 밀렷는데 대출 됫나요", "세금 밀렸는데 대출 됐나요"),
    ("햇살론 대출 받았어요", "햇살론 대출 받았어요"),
])
def test_noisy_text_is_tokenized_like_the_clean_text(noisy: str, clean: str) -> None:
    assert lemmas(noisy) == lemmas(clean)


@pytest.mark.parametrize("text", [
    "고용 유지 비용", "참여 기업 급여 대여", "3년 넘었어요", "청창사 모집 언제 해요", "책임", "처음 왔어요",
    "경기 하남",
])
def test_words_that_only_look_like_chat_endings_stay(text: str) -> None:
    assert normalise(text).text == text


def test_a_message_that_is_only_an_emoticon_keeps_it() -> None:
    assert normalise("ㅠㅠ").text == "ㅠㅠ"
    assert normalise("ㅋㅋㅋ").text == "ㅋㅋ"
    assert lemmas("ㅋㅋㅋ")


@pytest.mark.parametrize("text", NOISY)
def test_every_normalised_character_comes_from_the_original(text: str) -> None:
    normalised = normalise(text)
    assert len(normalised.origin) == len(normalised.text)
    assert all(0 <= index < len(text) for index in normalised.origin)
    assert list(normalised.origin) == sorted(normalised.origin)


@pytest.mark.parametrize("text", NOISY)
def test_token_offsets_index_the_original_text(text: str) -> None:
    tokenizer = KoNLPyTokenizer({**KoNLPyTokenizer.get_default_config(), "normalise": True})
    tokens = tokenizer.tokenize(Message({TEXT: text}), TEXT)
    assert tokens
    previous_start = 0
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)
        assert token.text == text[token.start:token.end]
        assert token.start >= previous_start
        previous_start = token.start


def test_offsets_of_the_clean_words_are_unchanged() -> None:
    text = "ㅠㅠ 긴급경영안정자금 한도 얼마임?"
    tokenizer = KoNLPyTokenizer({**KoNLPyTokenizer.get_default_config(), "normalise": True})
    tokens = tokenizer.tokenize(Message({TEXT: text}), TEXT)
    by_lemma = {token.lemma: (token.start, token.end) for token in tokens}
    assert by_lemma["한도"] == (text.index("한도"), text.index("한도") + 2)
    assert "ㅠㅠ" not in by_lemma
    assert by_lemma["예요"] == (text.index("임"), text.index("임") + 1)


def test_training_data_is_normalised_too() -> None:
    tokenizer = KoNLPyTokenizer({**KoNLPyTokenizer.get_default_config(), "normalise": True})
    message = Message({TEXT: "신청하고 싶어여ㅠㅠ", "intent": "ask_application"})
    tokenizer.process_training_data(TrainingData([message]))
    assert [token.lemma for token in message.get(TOKENS_NAMES[TEXT])] == lemmas("신청하고 싶어요")


def test_without_the_option_tokens_are_the_plain_morphemes() -> None:
    tokenizer = KoNLPyTokenizer(KoNLPyTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message({TEXT: "얼마임?ㅠㅠ"}), TEXT)
    assert [token.lemma for token in tokens] == [token.text for token in tokens]
    assert tokens[-1].text == "ㅠㅠ"
