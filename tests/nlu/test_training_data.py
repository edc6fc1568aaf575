"""The NLU training data and the fixed test split: coverage, separation and the chit-chat sampling rule."""

from __future__ import annotations

import re
from collections import Counter

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.eval_nlu import CHITCHAT_SAMPLE_FILE, NLU_DATA_DIR, TEST_SPLIT, chatbot_rows, held_back, trainable
from bot.paths import DOMAIN_FILE, TRAINING_DATA_DIR

PAYLOAD_ONLY = {"rate_answer", "ask_program_detail"}  # mostly reached by button payloads


def _normalise(text: str) -> str:
    return re.sub(r"[\s?!.~]", "", text)


def test_every_domain_intent_has_enough_examples() -> None:
    counts = Counter(example.get("intent") for example in load_data(str(NLU_DATA_DIR)).intent_examples)
    intents = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["intents"]
    for intent in intents:
        assert counts[intent] >= (30 if intent in PAYLOAD_ONLY else 40), (intent, counts[intent])


def test_test_split_is_outside_the_training_path_and_disjoint() -> None:
    assert TRAINING_DATA_DIR not in TEST_SPLIT.parents
    train = {_normalise(e.get("text")) for e in load_data(str(TRAINING_DATA_DIR / "nlu")).intent_examples}
    test = [e.get("text") for e in load_data(str(TEST_SPLIT)).intent_examples]
    assert [text for text in test if _normalise(text) in train] == []


def test_test_split_covers_every_intent() -> None:
    counts = Counter(e.get("intent") for e in load_data(str(TEST_SPLIT)).intent_examples)
    intents = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["intents"]
    assert all(counts[intent] >= 10 for intent in intents), counts


def test_chitchat_sample_never_uses_held_back_rows() -> None:
    rows = chatbot_rows()
    assert len(held_back(rows)) >= 500
    used = [int(index) for index in re.findall(r"chatbot_data_row: (\d+)", CHITCHAT_SAMPLE_FILE.read_text("utf-8"))]
    assert used and all(index % 5 != 0 for index in used)
    by_index = dict(rows)
    sample = yaml.safe_load(CHITCHAT_SAMPLE_FILE.read_text("utf-8"))["nlu"][0]["examples"]
    assert all(item["text"].strip() == by_index[item["metadata"]["chatbot_data_row"]] for item in sample)
    assert {index for index, _ in trainable(rows)} & {index for index, _ in held_back(rows)} == set()


def test_held_back_rows_do_not_appear_in_training_text() -> None:
    held = {_normalise(text) for _, text in held_back(chatbot_rows())}
    trainable_texts = {_normalise(text) for _, text in trainable(chatbot_rows())}
    train = [e.get("text") for e in load_data(str(NLU_DATA_DIR)).intent_examples]
    leaked = [text for text in train if _normalise(text) in held and _normalise(text) not in trainable_texts]
    assert leaked == []
