"""Which sentences of a passage answer the owner's question, and which of them leads the reply: the sentence
holding the question's words (its aspects stated by figures count too), never one telling of a past case, an example
or another guide."""

from __future__ import annotations

import re

from knowledge_base.api import KnowledgeBase
from knowledge_base.guide_documents import Guide
from knowledge_base.lexical import NAME_TERMS, coverage, tokenize

LIST_MARKER = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)])\s+")
HEADER_LINE = re.compile(r"\[[^\]]+\]")  # '[title · section]' heading of a program answer
ANSWER_SENTENCES = 3
ANSWER_CHARS = 320
FOCUS_MIN_COVERAGE = 0.5  # a detail sentence leads a guide's answer when it holds this share of the question's words
FOCUS_GAIN = 0.25  # ... and this much more than the best sentence of the answer itself
LATER_MIN_COVERAGE = 0.4  # a later sentence of the answer itself, all on the guide's topic, leads holding less
YEAR_FIRST = re.compile(r"\d{4}년(?!\s*(기준|현재))")  # ... and does not open with a year (past case)
EXAMPLE_FIRST = re.compile(r"예를 들(어|면)|참고로|예전|과거에는")  # ... nor with an example, an aside or a past rule
POINTER = re.compile(r"안내를 (보세요|참고)")  # ... nor send the owner to another guide
# ... nor lean on the sentence before it ('그래서 남의 사업을 물려받아 …', '이는 …', '그 밖의 …')
LEANS_BACK = re.compile(r"(그래서|따라서|그러므로|그러나|하지만|그런데|또한|그리고|다만|이때|이 경우|이런|이러한"
                        r"|이와|이는|이를|이에|위와|그 밖의|그 밖에|이 밖에|반면|그러면|대신|한편)\b")
DIRECT_ANSWER = re.compile(r"(네|예|아니요|아니오)[,.\s]")  # a first sentence that answers yes or no stays first
FOCUS_MIN_CHARS, FOCUS_MAX_CHARS = 30, 200
WHOSE_FIRST = re.compile(r"중진공(\s*정책자금)?(이|은)?\s*아니라")  # an answer opening with whose matter it is ...
ASKS_WHOSE = re.compile(r"어디|누가|누구|기관|중진공|담당|운영")  # ... answers a question asking that
SENTENCE_END = re.compile(r"[.?!)]$")
PHRASE_END = re.compile(r"[.?!]$")  # a list item ending so is a sentence, not a phrase
FOCUSED_ANSWER_SENTENCES = 2  # the answer's sentences kept after a leading detail, so the reply stays short
ASKED_FIGURES = frozenset({"한도", "금리", "이자", "이율", "보증료", "수수료", "기간", "나이", "연령", "비율", "점수"})
STATED_ASPECTS = [  # what a sentence answers by its figures without naming it: '만 39세 이하' answers '나이 제한'
    (re.compile(r"만\s*\d+\s*세|\d+\s*세\s*(이하|이상|미만|까지)"), {"나이", "연령", "살"}),
    (re.compile(r"\d+(\.\d+)?\s*%"), {"금리", "이자", "프로", "이율"}),
]


def sentences(text: str) -> list[str]:
    """The sentences of a passage, list markers, headings and links dropped; a list of phrases ('- 거래처 도산',
    '- 기술유출 피해') becomes one sentence listing them."""
    plain = re.sub(r"\[([^\]]+)\]\(https?://\S+\)", r"\1", text)
    parts: list[str] = []
    items: list[str] = []
    for line in (line.strip() for line in plain.splitlines()):
        if LIST_MARKER.match(line):
            items.append(LIST_MARKER.sub("", line).strip())
            continue
        if items:
            parts.append(listed(items))
            items = []
        if line and not HEADER_LINE.fullmatch(line):
            parts.append(line)
    if items:
        parts.append(listed(items))
    return [sentence for sentence in re.split(r"(?<=[.?!])\s+", " ".join(parts)) if sentence.strip()]


def listed(items: list[str]) -> str:
    """List items as running text: sentences one after another, phrases joined by commas into one sentence."""
    if len(items) == 1 or any(PHRASE_END.search(item) for item in items):
        return " ".join(items)
    return ", ".join(items) + "."


def first_sentences(text: str, count: int = ANSWER_SENTENCES, limit: int = ANSWER_CHARS) -> str:
    """The first `count` sentences of a passage (list markers and links dropped), at most `limit` characters."""
    short = " ".join(sentences(text)[:count]).strip()
    return short if len(short) <= limit else short[:limit].rstrip() + "…"


def led_by(lead: str, own: list[str], count: int) -> str:
    """`count` sentences of an answer, `lead` first and the others in their order."""
    return " ".join([lead, *(sentence for sentence in own if sentence != lead)][:count])


def later_answer_sentence(kb: KnowledgeBase, own: list[str], question: str,
                          subject: frozenset[str] = frozenset()) -> str | None:
    """The later sentence of a guide's answer that holds clearly more of the question's words than its first one
    (any more, when the first only says whose matter it is and the question does not ask that), unless the first
    answers yes or no ('네, 개인사업자도 …'); a sentence opening with a year or an example tells of one past case,
    not the answer."""
    if len(own) < 2 or DIRECT_ANSWER.match(own[0]):
        return None
    first, _ = best_sentence(kb, question, own[:1], subject)
    gained, best = best_sentence(kb, question, can_lead(own[1:]), subject)
    needed = 0.0 if WHOSE_FIRST.search(own[0]) and not ASKS_WHOSE.search(question) else FOCUS_GAIN
    return best if gained >= LATER_MIN_COVERAGE and gained > first and gained >= first + needed else None


def best_sentence(kb: KnowledgeBase, question: str, candidates: list[str],
                  subject: frozenset[str] = frozenset()) -> tuple[float, str | None]:
    """The candidate holding the largest share of the question's term weight, with that share (the first of equally
    good ones). Words of the `subject` every candidate is about (the names in a guide's title) choose nothing, unless
    the question has no others."""
    weights = kb.query_terms(question).weights
    weights = {term: weight for term, weight in weights.items() if term not in subject} or weights
    return max(((coverage(weights, sentence_terms(sentence)), sentence) for sentence in candidates),
               key=lambda scored: scored[0], default=(0.0, None))


def names_in(title: str) -> frozenset[str]:
    """The names a guide's title is about (청창사, 소진공 …): every sentence of the guide is about them, so they
    choose none ('청년창업사관학교 나이 제한' is chosen by 나이 and 제한)."""
    return frozenset(tokenize(title)) & NAME_TERMS


def sentence_terms(sentence: str) -> set[str]:
    """A sentence's words, and the aspects its figures state (an age limit, a rate)."""
    return set(tokenize(sentence)).union(*(aspect for figure, aspect in STATED_ASPECTS if figure.search(sentence)))


def can_lead(candidates: list[str]) -> list[str]:
    """The sentences that may open a reply: not one opening with a year or an example (it tells of one past case,
    not the answer), nor one sending the owner to another guide, nor one leaning on the sentence before it."""
    return [sentence for sentence in candidates
            if not YEAR_FIRST.match(sentence) and not EXAMPLE_FIRST.match(sentence) and not POINTER.search(sentence)
            and not LEANS_BACK.match(sentence)]


def focus_sentence(kb: KnowledgeBase, guide: Guide, question: str, subject: frozenset[str]) -> str | None:
    """The detail sentence that holds clearly more of the question's words than every sentence of the guide's
    answer, if one does (`subject`: the names the guide is about). What is not known never leads (it names the
    topic's words without answering, and sits behind the details button)."""
    answered, _ = best_sentence(kb, question, sentences(guide.answer), subject)
    gained, best = best_sentence(kb, question, can_lead(whole_sentences(guide.detail)), subject)
    return best if gained >= FOCUS_MIN_COVERAGE and gained >= answered + FOCUS_GAIN else None


def whole_sentences(text: str) -> list[str]:
    """Sentences that stand alone: each line's own, ending a sentence, of a readable length (not a table row, a
    heading or a 'see above')."""
    found = []
    for line in text.splitlines():
        found.extend(sentence for sentence in sentences(line)
                     if FOCUS_MIN_CHARS <= len(sentence) <= FOCUS_MAX_CHARS and SENTENCE_END.search(sentence))
    return found


def unknown_sentence(kb: KnowledgeBase, guide: Guide, question: str) -> str | None:
    """The sentence of what the guide could not confirm that names the figure asked for ('기보 보증 한도가 어떻게
    되나요?' → the limit is not confirmed), when nothing else the guide says names or states it: that it is not
    known is then the answer, before the background."""
    asked = set(kb.query_terms(question).weights) & ASKED_FIGURES
    if not asked or not guide.unknown:
        return None
    told = set().union(*(sentence_terms(sentence) for sentence in sentences(f"{guide.answer}\n{guide.detail}")))
    if asked & told:
        return None
    return next((sentence for sentence in sentences(guide.unknown) if asked & sentence_terms(sentence)), None)
