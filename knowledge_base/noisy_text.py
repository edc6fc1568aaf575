"""Chat-Korean normalisation, for the NLU's features and for searching the index with an owner's question.

`normalise(text)` returns the text as a careful writer would have typed it — emoticons (ㅠㅠ, ^^, ;;) dropped, laughter
as one `ㅋㅋ`, chat endings (~임, ~여, ~함, ~셈, ~음, ~남) turned into polite ones, jamo abbreviations (ㄳ, ㅇㅋ, ㅇㅇ)
and common short forms (긴경, 청창, 어케) spelled out, the past tense typed with ㅅ for ㅆ (떨어졋는데, 밀렷어요,
됫나요) mended — together with, for every character of the result, the index of
the original character it came from, so tokens found in the normalised text still index the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
END = r"(?=[\s?!.,~;^]|$)"  # end of a word: whitespace, punctuation or the end of the message
START = r"(?<![가-힣ㄱ-ㅣA-Za-z0-9])"  # start of a word

# Runs of emoticon jamo and symbols; a jamo run touching other jamo (ㅎㅇ, ㅋㄷ) is an abbreviation, not a face.
# Laughter (ㅋㅋ, ㅎㅎㅎ) becomes one `ㅋㅋ`, a small-talk cue (`ㅎㅎ 오늘 기분 좋네요`); tears etc. are dropped.
LAUGHTER = re.compile(r"(?<![ㄱ-ㅣ])[ㅋㅎ]+(?![ㄱ-ㅣ])")
EMOTICON = re.compile(r"(?<![ㄱ-ㅣ])[ㅠㅜㅡ]+(?![ㄱ-ㅣ])|\^[_.]?\^|;{2,}|\.{2,}|~+|ㅠ\.ㅠ|T[_.]T")

# Whole-word jamo abbreviations → the words they stand for.
JAMO_WORDS: dict[str, str] = {
    "ㄳ": "감사합니다", "ㄳㄳ": "감사합니다", "ㄱㅅ": "감사합니다", "ㄱㅅㄱㅅ": "감사합니다", "ㅅㄱ": "수고하세요",
    "ㅇㅋ": "알겠습니다", "ㅇㅋㅇㅋ": "알겠습니다", "ㅎㅇ": "안녕하세요", "ㅎㅇㅎㅇ": "안녕하세요",
    "ㅂㅂ": "안녕히 계세요", "ㅃㅃ": "안녕히 계세요", "ㅇㅇ": "네", "ㅇㅇㅇ": "네", "ㄴㄴ": "아니요",
    "ㄱㅊ": "괜찮아요", "ㄹㅇ": "진짜", "ㅈㅅ": "죄송합니다", "ㅊㅋ": "축하해요", "ㄷㄷ": "", "ㅇㅈ": "인정",
}

# Short forms → the spelling the training data mostly uses (a pattern and its replacement, applied in this order).
SHORT_FORMS: tuple[tuple[str, str], ...] = (
    (r"중소벤처기업진흥공단|중소기업진흥공단", "중진공"), (r"신용보증기금", "신보"), (r"기술보증기금", "기보"),
    (r"소상공인시장진흥공단", "소진공"), (r"긴경", "긴급경영안정"), (r"청창(?!사)", "청년창업"),
    (r"신시장자금", "신시장진출지원자금"), (r"신성장자금", "신성장기반자금"), (r"규제특구", "규제자유특구"),
    (r"내채공", "내일채움공제"), (r"중기부", "중소벤처기업부"), (START + r"중기(?![부청])", "중소기업"),
    (r"사업자증", "사업자등록증"), (START + r"어케", "어떻게"), (START + r"근데", "그런데"),
    (START + r"넘" + END, "너무"), (r"쌤", "선생님"), (START + r"잠만" + END, "잠깐만"), (r"몰겠", "모르겠"),
    (START + r"빨랑", "빨리"), (START + r"정자금", "정책자금"), (START + r"(?:넹|넵|넴)" + END, "네"),
    (START + r"웅(?:웅)?" + END, "응"),
)

# Syllables after which a word-final 여/용/욤 is the polite ending 요 (나여, 세여, 해용) — not 참여, 급여, 대여.
YO_BEFORE = "나세해어아게줘돼되데네지죠까가라래워와봐셔져려니고서써요든"
YONG_BEFORE = "나세해어아게줘돼되데네죠까워와봐셔요"  # not 고용, 비용, 사용
NOUN_ENDING_EXCEPTIONS = frozenset({"책임", "모임", "주임", "담임", "처음", "다음", "마음", "얼음", "웃음", "믿음",
                                    "울음", "걸음", "발음", "녹음", "포함", "우편함", "사서함", "하남"})
# After these, ~임 is the copula of a question (뭐임 → 뭐예요); after any other noun it is dropped (대출임? → 대출?).
QUESTION_WORDS = ("뭐", "머", "무엇", "얼마", "언제", "어디", "누구", "몇", "왜", "어떤거", "뭔데")


@dataclass(frozen=True)
class Normalised:
    """Normalised `text`; `origin[i]` is the index in the original text of the character `text[i]` came from."""

    text: str
    origin: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` (non-empty) came from."""
        sources = self.origin[start:end]
        return min(sources), max(sources) + 1


def _sub(norm: Normalised, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str | None]) -> Normalised:
    """Replace every match of `pattern` by `replace(match)` (None keeps the match) and carry the origins along.

    A replacement's i-th character comes from the match's i-th character (its last one past the match's length).
    """
    text, origin, position = [], [], 0
    for match in pattern.finditer(norm.text):
        new = replace(match)
        if new is None or match.start() == match.end():
            continue
        text.append(norm.text[position:match.start()])
        origin.extend(norm.origin[position:match.start()])
        sources = norm.origin[match.start():match.end()]
        text.append(new)
        origin.extend(sources[min(i, len(sources) - 1)] for i in range(len(new)))
        position = match.end()
    if not position:
        return norm
    text.append(norm.text[position:])
    origin.extend(norm.origin[position:])
    return Normalised("".join(text), tuple(origin))


def _final(syllable: str) -> int:
    """The final-consonant index of a Hangul syllable (0 = none, 16 = ㅁ), -1 for anything else."""
    code = ord(syllable) - HANGUL_FIRST
    return code % 28 if 0 <= code <= HANGUL_LAST - HANGUL_FIRST else -1


def _vowel(syllable: str) -> int:
    return (ord(syllable) - HANGUL_FIRST) // 28 % 21


def _ending(match: re.Match[str]) -> str | None:
    """The polite form of a chat ending (`match` is the word's last two syllables)."""
    before, last = match.group(1), match.group(2)
    word = re.split(r"\s", match.string[:match.end()])[-1]
    if any(word.endswith(noun) for noun in NOUN_ENDING_EXCEPTIONS):
        return None
    if (last == "여" and before in YO_BEFORE) or (last in "용욤" and before in YONG_BEFORE):
        return before + "요"
    if last == "당" and before == "니":
        return "니다"
    if last == "남" and before in "있없되겠었았했됐":
        return before + "나요"
    if last == "셈":
        return before + "세요"
    if last == "함":
        return before + "해요"
    if last == "됨":
        return before + "돼요"
    if last == "임":
        if not any(word[:-1].endswith(wh) for wh in QUESTION_WORDS):
            return before
        return before + ("이에요" if _final(before) > 0 else "예요")
    if last == "음" and _final(before) > 0:
        return before + ("아요" if _vowel(before) in (0, 8) else "어요")  # 좋음 → 좋아요, 있음 → 있어요
    return None


ENDING = re.compile(r"([가-힣])([여용욤당남셈함됨임음])" + END)
LONE_ENDING = re.compile(START + r"(함|됨)" + END)  # `내수만 함`, `안 됨`
JAMO_WORD = re.compile(r"(?<![ㄱ-ㅣ])[ㄱ-ㅎ]{1,4}(?![ㄱ-ㅣ])")
# A past tense typed with ㅅ for ㅆ: a syllable in ㅕ, ㅐ, ㅘ, ㅙ or ㅝ with final ㅅ before an ending (떨어졋는데,
# 밀렷어요, 햇다), where no word ends so (햇살 is left alone); 됫 and 됬 are 됐.
PAST_TYPO = re.compile(r"[가-힣](?=(?:는데|다|어|습|나|지|던|고|으))")
PAST_TYPO_VOWELS = {1, 6, 9, 10, 14}  # ㅐ ㅕ ㅘ ㅙ ㅝ
FINAL_S, FINAL_SS = 19, 20
DOEL = re.compile(r"[됫됬](?=[가-힣])")


def _past_typo(match: re.Match[str]) -> str | None:
    """The syllable with ㅆ for a typed ㅅ (졋 → 졌), else None."""
    syllable = match.group()
    if _final(syllable) != FINAL_S or _vowel(syllable) not in PAST_TYPO_VOWELS:
        return None
    return chr(ord(syllable) + FINAL_SS - FINAL_S)


def _jamo_word(match: re.Match[str]) -> str | None:
    """The word a jamo abbreviation stands for, after a space when it follows a word (`좋아요ㅇㅇ`)."""
    word = JAMO_WORDS.get(match.group())
    if word is None:
        return None
    glued = match.start() > 0 and not match.string[match.start() - 1].isspace()
    return (" " + word) if glued and word else word
SPACES = re.compile(r"\s{2,}")
_SHORT_FORMS = tuple((re.compile(pattern), replacement) for pattern, replacement in SHORT_FORMS)


def normalise(text: str) -> Normalised:
    """`text` with emoticons dropped, jamo abbreviations and short forms spelled out, chat endings made polite.

    A message that is nothing but an emoticon (`ㅋㅋㅋ`) keeps it: it is all there is to classify.
    """
    norm = Normalised(text, tuple(range(len(text))))
    norm = _sub(norm, LAUGHTER, lambda match: "ㅋㅋ" if match.group() != "ㅋㅋ" else None)
    without_faces = _sub(norm, EMOTICON, lambda match: "")
    if without_faces.text.strip():
        norm = without_faces
    norm = _sub(norm, JAMO_WORD, _jamo_word)
    norm = _sub(norm, PAST_TYPO, _past_typo)
    norm = _sub(norm, DOEL, lambda match: "됐")
    norm = _sub(norm, ENDING, _ending)
    norm = _sub(norm, LONE_ENDING, lambda match: {"함": "해요", "됨": "돼요"}[match.group()])
    for pattern, replacement in _SHORT_FORMS:
        norm = _sub(norm, pattern, lambda match, new=replacement: new)  # type: ignore[misc]
    return _sub(norm, SPACES, lambda match: " ")
