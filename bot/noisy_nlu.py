"""The noisy NLU test set: the clean test split as owners actually type it (issue 13, "Noisy Korean").

`python -m bot.noisy_nlu` regenerates tests/nlu/data/noisy_test.yml from tests/nlu/data/nlu_test.yml; a test
checks the committed file is what this module generates. `make eval-nlu` scores the model on both sets.

Every clean example gets one noisy variant of a kind drawn from its own seeded generator (the draw depends only
on the example's text, so editing one example never reshuffles the others), and every example that holds a word
with a common abbreviation (중진공, 청창자금, 긴경, ㄳ, 어케 ...) also gets an abbreviation variant:

- no_spaces: all spaces dropped (`청년창업자금받을수있나`);
- typo: one or two keyboard slips in Hangul syllables — a neighbouring vowel key (ㅐ/ㅔ, ㅓ/ㅗ, ㅏ/ㅓ, ㅏ/ㅣ),
  a swapped or dropped final consonant (안정→안전, 있어→잇어), a dropped or transposed syllable;
- slang_ending: the polite ending turned into chat endings ~임, ~여, ~함, ~셈, ~음 (`뭐예요`→`뭐임`);
- emoticon: ㅠㅠ, ㅋㅋ, ㅎㅎ, ;; ... before or after the message;
- mixed: two or three of the above together (`긴경자금받고싶음ㅠㅠ`).

Entity annotations stay valid: the text is rebuilt from segments (the text between entities and each entity's
own text), so every entity keeps its type and normalised value and its span is recomputed after the edit;
an entity's text is changed only as a user would change it (its spaces dropped, a typo, its abbreviation).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from bot.nlu_scoring import NOISY_SPLIT, TEST_SPLIT, load_examples

SEED = "issue-13-noisy-korean"
KINDS = ("no_spaces", "typo", "slang_ending", "emoticon", "mixed")
ABBREVIATION = "abbreviation"
ENTITY_KEYS = ("entity", "value", "role", "group")

Segment = tuple[str, dict[str, Any] | None]  # (text, entity without its span) — None for the text between entities

# Long form → what owners type. Longest first: each replacement runs on the result of the ones before it.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("중소벤처기업진흥공단", "중진공"), ("중소기업진흥공단", "중진공"), ("소상공인시장진흥공단", "소진공"),
    ("중소벤처기업부", "중기부"), ("신용보증기금", "신보"), ("기술보증기금", "기보"),
    ("긴급경영안정자금", "긴경자금"), ("긴급 경영안정자금", "긴경자금"), ("긴급 자금", "긴경"), ("긴급자금", "긴경"),
    ("청년전용창업자금", "청창자금"), ("청년전용 창업자금", "청창자금"), ("청년창업 자금", "청창자금"),
    ("청년 창업자금", "청창자금"), ("청년창업자금", "청창자금"), ("청년 창업", "청창"),
    ("내일채움공제", "내채공"), ("신성장기반자금", "신성장자금"), ("신시장진출지원자금", "신시장자금"),
    ("신시장 진출 자금", "신시장자금"), ("재직자 우대 저축공제", "우대저축공제"), ("규제자유특구", "규제특구"),
    ("사업자등록증", "사업자증"), ("중소기업", "중기"),
    ("수고하셨어요", "ㅅㄱ"), ("수고하세요", "ㅅㄱ"), ("감사합니다", "ㄳ"), ("고맙습니다", "ㄳ"), ("감사해요", "ㄱㅅ"),
    ("알겠습니다", "ㅇㅋ"), ("알겠어요", "ㅇㅋ"), ("오케이", "ㅇㅋ"), ("괜찮아요", "ㄱㅊ"), ("안녕하세요", "ㅎㅇ"),
    ("바이바이", "ㅂㅂ"), ("어떻게", "어케"), ("그런데", "근데"), ("그러면", "그럼"), ("진짜", "ㄹㅇ"),
    ("너무", "넘"), ("선생님", "쌤"), ("잠깐만", "잠만"), ("모르겠어요", "몰겠어요"), ("무엇", "뭐"), ("빨리", "빨랑"),
)
# Short words abbreviated only when they stand alone (not `네이버`, `응답`).
WORD_ABBREVIATIONS: tuple[tuple[str, str], ...] = (("아니요", "ㄴㄴ"), ("아니", "ㄴㄴ"), ("네", "ㅇㅇ"), ("응", "ㅇㅇ"))

# Sentence ending → chat endings; the first suffix that matches wins (longer before shorter).
ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("뭐예요", ("뭐임", "머임")), ("뭐에요", ("뭐임", "머임")), ("뭔가요", ("뭐임", "뭐임?")),
    ("뭐야", ("뭐임", "머임")), ("있나요", ("있음?", "있나여", "있남")), ("없나요", ("없음?", "없나여")),
    ("있어요", ("있음?", "있어여")), ("되나요", ("됨?", "되나여")), ("돼요", ("됨?", "돼여")),
    ("되요", ("됨?", "되여")),
    ("해주세요", ("해주셈", "해주세여")), ("주세요", ("주셈", "주세여")), ("하세요", ("하셈", "하세여")),
    ("세요", ("셈", "세여")), ("해줘요", ("해주셈", "해줘여")), ("해줘", ("해주셈", "해줘여")),
    ("려줘", ("려주셈", "려줘여")), ("줘요", ("줘여", "주셈")), ("합니다", ("함", "합니당")),
    ("습니다", ("음", "습니당")), ("니다", ("니당",)), ("이에요", ("임", "이에여")), ("예요", ("임", "예여")),
    ("에요", ("임", "에여")), ("해요", ("함", "해여")), ("나요", ("나여", "남")), ("어요", ("음", "어여")),
    ("아요", ("음", "아여")), ("있어", ("있음",)), ("겠어", ("겠음",)), ("했어", ("했음",)),
    ("있나", ("있남", "있음?")), ("줘", ("주셈", "줘여")), ("요", ("여",)),
)
NOUN_ENDINGS = ("임", "임?")
EMOTICONS = ("ㅠㅠ", "ㅜㅜ", "ㅠㅠㅠ", "ㅠ", "ㅋㅋ", "ㅋㅋㅋ", "ㅎㅎ", "ㅎㅎㅎ", ";;", "^^", "ㅡㅡ", "..")
TRAILING_PUNCTUATION = re.compile(r"[?!.~]+$")

# Hangul syllable = 0xAC00 + (initial * 21 + medial) * 28 + final. Neighbouring keys on the 2-set keyboard.
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
VOWEL_SLIPS = {  # ㅏ0 ㅐ1 ㅑ2 ㅒ3 ㅓ4 ㅔ5 ㅕ6 ㅖ7 ㅗ8 ㅘ9 ㅙ10 ㅚ11 ㅛ12 ㅜ13 ㅝ14 ㅞ15 ㅟ16 ㅠ17 ㅡ18 ㅢ19 ㅣ20
    0: (4, 20), 1: (5, 2), 2: (6, 1), 3: (7,), 4: (8, 0), 5: (1,), 6: (12, 2), 7: (3,), 8: (4,), 9: (0,), 10: (11,),
    11: (10,), 12: (6,), 13: (17, 18), 14: (4,), 15: (10,), 16: (13,), 17: (13,), 18: (13,), 19: (18, 20), 20: (0,),
}
FINAL_SLIPS = {21: (4,), 4: (21, 16), 16: (4,), 20: (19,), 19: (20,), 8: (4,)}


def segments(example: dict[str, Any]) -> list[Segment]:
    """The example's text cut into the text between entities and each entity's own text."""
    text, parts, position = example["text"], [], 0
    for entity in sorted(example.get("entities") or [], key=lambda e: e["start"]):
        parts.append((text[position:entity["start"]], None))
        parts.append((text[entity["start"]:entity["end"]], {k: entity[k] for k in ENTITY_KEYS if k in entity}))
        position = entity["end"]
    parts.append((text[position:], None))
    return [part for part in parts if part[0] or part[1] is not None]


def assemble(parts: list[Segment]) -> dict[str, Any]:
    """Text and entities (with spans) of a list of segments; outer whitespace trimmed."""
    parts = [part for part in parts if part[0] or part[1] is not None]
    if parts and parts[0][1] is None:
        parts[0] = (parts[0][0].lstrip(), None)
    if parts and parts[-1][1] is None:
        parts[-1] = (parts[-1][0].rstrip(), None)
    text, entities = "", []
    for piece, entity in parts:
        if entity is not None:
            entities.append({"start": len(text), "end": len(text) + len(piece), **entity})
        text += piece
    return {"text": text, "entities": entities}


def no_spaces(parts: list[Segment], rng: random.Random) -> list[Segment]:
    return [(re.sub(r"\s+", "", piece), entity) for piece, entity in parts]


def _slip(syllable: str, rng: random.Random) -> str:
    """One keyboard slip in a Hangul syllable: a neighbouring vowel, a neighbouring or dropped final consonant."""
    code = ord(syllable) - HANGUL_FIRST
    initial, medial, final = code // 588, code // 28 % 21, code % 28
    options = [(initial, slip, final) for slip in VOWEL_SLIPS.get(medial, ())]
    options += [(initial, medial, slip) for slip in FINAL_SLIPS.get(final, ())]
    options += [(initial, medial, 0)] if final else []
    initial, medial, final = rng.choice(options)
    return chr(HANGUL_FIRST + (initial * 21 + medial) * 28 + final)


def _is_hangul(chars: list[str], index: int) -> bool:
    return 0 <= index < len(chars) and HANGUL_FIRST <= ord(chars[index]) <= HANGUL_LAST


def typo(parts: list[Segment], rng: random.Random) -> list[Segment]:
    """One typo, two in a longer message: a slipped key, a dropped syllable or two syllables swapped."""
    pieces = [list(piece) for piece, _ in parts]
    syllables = [(i, j) for i, piece in enumerate(pieces) for j, char in enumerate(piece)
                 if HANGUL_FIRST <= ord(char) <= HANGUL_LAST]
    chosen = rng.sample(syllables, min(len(syllables), 1 + (len(syllables) >= 14)))
    for i, j in sorted(chosen, reverse=True):  # from the end, so a dropped syllable moves none still to edit
        piece, how = pieces[i], rng.random()
        neighbour = _is_hangul(piece, j + 1)
        if how < 0.15 and neighbour and piece[j] != piece[j + 1]:
            piece[j], piece[j + 1] = piece[j + 1], piece[j]
        elif how < 0.3 and _is_hangul(piece, j - 1) and _is_hangul(piece, j - 2):
            del piece[j]  # only from a word of three syllables or more, never its first (안녕 stays 안녕)
        else:
            piece[j] = _slip(piece[j], rng)
    return [("".join(piece), entity) for piece, (_, entity) in zip(pieces, parts, strict=True)]


def slang_ending(parts: list[Segment], rng: random.Random) -> list[Segment]:
    """The sentence ending as typed in chat: ~임, ~여, ~함, ~셈, ~음 (after a noun or an entity: ~임)."""
    parts = list(parts)
    if not parts or parts[-1][1] is not None:
        return [*parts, (rng.choice(NOUN_ENDINGS), None)]
    last = parts[-1][0]
    punctuation = TRAILING_PUNCTUATION.search(last)
    tail = punctuation.group() if punctuation else ""
    stem = last[: len(last) - len(tail)]
    for suffix, endings in ENDINGS:
        if stem.endswith(suffix):
            ending = rng.choice(endings)
            stem = stem[: -len(suffix)] + ending
            break
    else:
        ending = rng.choice(NOUN_ENDINGS)
        stem += ending
    if ending.endswith("?"):
        tail = tail.replace("?", "", 1)
    parts[-1] = (stem + tail, None)
    return parts


def emoticon(parts: list[Segment], rng: random.Random) -> list[Segment]:
    """An emoticon after the message (or, now and then, before it), with or without a space."""
    face = rng.choice(EMOTICONS)
    spaced = rng.random() < 0.4
    if rng.random() < 0.85:
        return [*parts, ((" " if spaced else "") + face, None)]
    return [(face + " ", None), *parts]


def abbreviate(parts: list[Segment], rng: random.Random) -> list[Segment]:
    """Every long form with a common abbreviation replaced by it, inside entities too (the value stays)."""
    result = []
    for piece, entity in parts:
        for long, short in ABBREVIATIONS:
            piece = piece.replace(long, short)
        for long, short in WORD_ABBREVIATIONS:
            piece = re.sub(rf"(?<![가-힣A-Za-z]){long}(?![가-힣])", short, piece)
        result.append((piece, entity))
    return result


def mixed(parts: list[Segment], rng: random.Random) -> list[Segment]:
    """Two or three kinds of noise at once, in the order a user makes them."""
    chosen, before = set(rng.sample(range(5), rng.choice((2, 3)))), assemble(parts)["text"]
    for index, noise in enumerate((abbreviate, slang_ending, typo, no_spaces, emoticon)):
        if index in chosen:
            parts = noise(parts, rng)
    return parts if assemble(parts)["text"] != before else emoticon(parts, rng)  # the chosen ones did not apply


NOISE = {"no_spaces": no_spaces, "typo": typo, "slang_ending": slang_ending, "emoticon": emoticon, "mixed": mixed,
         ABBREVIATION: abbreviate}


def variant(example: dict[str, Any], kind: str) -> dict[str, Any]:
    """The `kind` variant of one clean example (deterministic: seeded by the kind and the clean text)."""
    rng = random.Random(f"{SEED}:{kind}:{example['text']}")
    noisy = assemble(NOISE[kind](segments(example), rng))
    return {**noisy, "intent": example["intent"], "metadata": {"noise": kind, "source": example["text"]}}


def noisy_variants(clean: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One noisy variant per clean example, plus an abbreviation variant where a word has an abbreviation."""
    result: list[dict[str, Any]] = []
    for example in clean:
        start = KINDS.index(random.Random(f"{SEED}:{example['text']}").choice(KINDS))
        texts = {example["text"]}
        for kind in KINDS[start:] + KINDS[:start]:  # the drawn kind, or the next one that changes this text
            noisy = variant(example, kind)
            if noisy["text"] not in texts:
                result.append(noisy)
                texts.add(noisy["text"])
                break
        abbreviated = variant(example, ABBREVIATION)
        if abbreviated["text"] not in texts:
            result.append(abbreviated)
    return result


def annotated(example: dict[str, Any]) -> str:
    """The example's text in Rasa's entity markup: [text]{"entity": ..., "value": ...}."""
    text, position, out = example["text"], 0, []
    for entity in sorted(example["entities"], key=lambda e: e["start"]):
        fields = {key: entity[key] for key in ENTITY_KEYS if key in entity}
        out += [text[position:entity["start"]], f"[{text[entity['start']:entity['end']]}]",
                json.dumps(fields, ensure_ascii=False)]
        position = entity["end"]
    return "".join(out) + text[position:]


def noisy_yaml(clean_path: Path = TEST_SPLIT) -> str:
    """The noisy test set as a Rasa NLU YAML file (each example with its noise kind and clean source)."""
    variants = noisy_variants(load_examples(clean_path))
    lines = [
        "# Generated by `python -m bot.noisy_nlu` from tests/nlu/data/nlu_test.yml — do not edit by hand.",
        "# Noisy variants of the clean test split (no spaces, typos, chat endings, emoticons, abbreviations);",
        "# metadata.noise names the kind, metadata.source the clean example. Never trained on.",
        'version: "3.1"',
        "nlu:",
    ]
    for intent in dict.fromkeys(v["intent"] for v in variants):
        lines += [f"- intent: {intent}", "  examples:"]
        for item in (v for v in variants if v["intent"] == intent):
            lines += ["  - text: |", f"      {annotated(item)}", "    metadata:",
                      f"      noise: {item['metadata']['noise']}",
                      f"      source: {json.dumps(item['metadata']['source'], ensure_ascii=False)}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv:
        print("usage: python -m bot.noisy_nlu   (regenerates tests/nlu/data/noisy_test.yml)", file=sys.stderr)
        return 2
    NOISY_SPLIT.write_text(noisy_yaml(), encoding="utf-8")
    print(NOISY_SPLIT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
