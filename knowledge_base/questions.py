"""What kind of message this is, from its words alone (no model): does it ask something, does it carry the
words of this bot's domain, does it ask for a recommendation. Shared by the NLU pipeline and the answers."""

from __future__ import annotations

import re

from knowledge_base.agencies import agency_named_in

QUESTION_ENDINGS = re.compile(
    r"(\?|？|나요|까요|가요|인가요|던가요|ㄴ가요|나여|까여|가여|는지|은지|ㄴ지|을지|할지|죠|되요|돼요|되나|되남|"
    r"어때요|맞아요|뭔가요|뭐예요|뭐에요|뭐죠|인데요|는데요|건가요|인지|"
    r"[되하있없]나\s*$|[될할갈볼줄쓸받낼을일걸]까\s*$|냐|니\s*$|임\s*$)"
    r"\s*[?!.~ㅠㅜ]*\s*$")
SENTENCE_BREAK = re.compile(r"(?<=[?？!.~])\s+|\n")
QUESTION_WORDS = re.compile(
    r"(뭐|무엇|무슨|언제|어디|어떻게|어떡|왜|얼마|몇|누가|누구|어떤|어느|가능|되나|될까|방법|차이)")
DOMAIN_WORDS = re.compile(
    r"(자금|대출|융자|보증|금리|이자|한도|신청|서류|심사|평가|실사|약정|상환|거치|연장|공제|적금|보조금|지원금|지원사업|"
    r"창업|수출|매출|세금|체납|신용|등급|폐업|휴업|부채|자본|담보|중진공|진흥공단|소진공|신보|기보|재단|캠코|정책|"
    r"사업자|법인|기업|회사|공장|설비|운전|시설|컨설팅|브로커|바우처|교육|연수|스마트|채용|고용|직원|노란|콜센터|"
    r"상담|접수|예산|부결|탈락|떨어|승인|결과|보완|실행|입금|대표|발표|사업계획|현장|사업장|"
    r"장사|가게|매장|점포)")
# An owner's trouble, told rather than asked ('월세 낼 돈이 없어요', '이제 접어야 하나 싶네요'): also this bot's domain.
TROUBLE_WORDS = re.compile(
    r"문\s*(을\s*)?닫|접어야|접을까|접을지|그만둬야|그만둘까|적자|빚|월세|임대료|급전|빌리|빌릴|빌려|"
    r"돈이?\s*(없|급|부족|모자)|안\s*돼서|안\s*되서|답답")
# A request for programs that fit the company (the intake form's job), even when phrased as a question.
RECOMMENDATION_WORDS = re.compile(
    r"(추천|맞는|적합|받을\s*수\s*있는|만한|골라|찾아\s*주|찾고|뭐\s*가?\s*있|뭐있|뭐\s*(받|신청)|어떤\s*(사업|자금|지원|정책)|"
    r"제일\s*나|혜택|좋을까|뭐가\s*좋|좋은\s*(지원|사업|자금)|가능한\s*(사업|자금|지원)|리스트|목록|소개)")
# A wish to get a fund or a program, with nothing more specific asked ('정책자금 받고싶은데요').
WISH_WORDS = re.compile(r"(받고\s*싶|신청하고\s*싶|알아보(고|려고?)\s*(있|하)|필요한데요?\s*$)")
# Words of a specific question (credit, screening, documents, terms …): such a message asks that, not for programs.
SPECIFIC_WORDS = re.compile(
    r"(신용|등급|점수|연체|체납|서류|심사|평가|실사|금리|이자|한도|기간|거치|상환|조건|자격|제한|부결|탈락|떨어|"
    r"언제|얼마나|며칠|왜|차이|중복|동시|보증|이란|란\s*무엇|인가요|뭔가요|다른\s*(걸까|건가|가요)|"
    r"회생|파산|신용\s*불량|신불|자본\s*잠식|압류)")

# Asking whether the owner may get or apply for something ('받을 수 있나요', '안 되나요', '대상인가요'), not whether
# such a thing exists ('관세 피해 기업용 긴급자금이 따로 나왔나요?') nor what it is.
ASKS_IF_ELIGIBLE = re.compile(
    r"수\s*(있|없)|가능|되나|될까|되요|돼요|되죠|돼\s*\?|되\s*\?|안\s*되|안\s*돼|대상|자격|해당|받을까|받나요|"
    r"신청해도|받아도|못\s*받|어때|어떨까")

# Asking what something is ('긴경이 뭐예요?', '신성장기반자금이란', '청년창업자금에 대해 알려주세요').
ASKS_WHAT_IT_IS = re.compile(
    r"뭐(예요|에요|야|임|죠|지|인가요|냐)|뭔가요|뭔지|무엇|무슨\s*(자금|제도|사업|돈)|어떤\s*(자금|제도|사업)|이란|(?<![가-힣])란\b|"
    r"\S란\s*[?？]?\s*$|대해(서)?\s*(알려|설명|궁금)|알려\s*주")

# A message that leans on what was just said: it opens by pointing back ('그럼 …', '그건 …') or is cut short
# ('세금은요?', '40살이면요?', '예외도 있나요?', '개인사업자도 똑같아요?').
FOLLOW_UP_OPENERS = re.compile(r"^\s*(그럼|그러면|그렇다면|그건|그거|그게|그것도|이건|이거|이게|거기|그래서|아\s*그럼)")
ELLIPTIC_ENDINGS = re.compile(
    r"(은요|는요|면요|이요|도요|때요|도\s*(있|되|돼|가능|받|똑같|같아|마찬가지|해당|적용)\S*)\s*[?？!.~]*\s*$")

# Words of asking to reach a person ('상담원 연결', '담당자랑 통화', '사람이랑 얘기'), not a question that merely
# mentions the staff ('담당자한테 선물 드려도 되나요?').
PERSON_WORDS = re.compile(
    r"상담원|상담사|상담\s*직원|사람|직원분|담당자\s*(?:분|님)?\s*(?:랑|과|와|하고)|연결|통화|바꿔|전화|직접\s*상담|"
    r"실제\s*상담|대면|채팅\s*상담|상담\s*(?:받|하)고\s*싶|상담\s*가능")
# A complaint that nobody could be reached by phone ('하루종일 전화했는데 아무도 안 받네요'): a counsellor in the
# chat is the answer, not a guide about booking a consultation.
NOBODY_REACHED = re.compile(
    r"(전화|통화|연결|콜센터|상담).{0,25}(안\s*받|안\s*돼|안\s*되|불통|먹통|연결이\s*안|아무도\s*안|안\s*이어)")


def is_question(text: str) -> bool:
    """True for a message that asks something (question ending, question mark or question word), also when the
    question is not its last sentence ('상가 사는 것도 시설자금인가요? 운전자금이랑 헷갈려서')."""
    parts = [part.strip() for part in SENTENCE_BREAK.split(text)]
    return any(QUESTION_ENDINGS.search(part) for part in parts if part) or bool(QUESTION_WORDS.search(text))


def asks_if_eligible(text: str) -> bool:
    """True when the message asks whether the owner may get or apply for something ('창업 5년차인데 청년전용창업자금
    되나요?'), not whether it exists or what it is ('관세 피해 기업용 긴급자금이 따로 나왔나요?')."""
    return bool(ASKS_IF_ELIGIBLE.search(text))


def asks_what_it_is(text: str) -> bool:
    """True when the message asks what something is ('신성장기반자금이 뭐예요?'), not one aspect of it."""
    return bool(ASKS_WHAT_IT_IS.search(text))


def is_follow_up(text: str) -> bool:
    """True for a message that continues the one before it ('그럼 세금은요?', '예외도 있나요?')."""
    return bool(FOLLOW_UP_OPENERS.search(text) or ELLIPTIC_ENDINGS.search(text))


def reached_nobody(text: str) -> bool:
    """True when the owner complains that nobody answered the phone or the line never connected."""
    return bool(NOBODY_REACHED.search(text))


def asks_for_person(text: str) -> bool:
    """True when the message asks to reach a person (counsellor, staff, a call)."""
    return bool(PERSON_WORDS.search(text))


def mentions_domain(text: str) -> bool:
    """True when the text carries words of this bot's domain (funds, loans, applications, credit, agencies …) or
    tells of an owner's trouble."""
    return bool(DOMAIN_WORDS.search(text)) or tells_trouble(text)


def tells_trouble(text: str) -> bool:
    """True when the message tells of running short or of closing down ('돈이 없어요', '접어야 하나 싶네요')."""
    return bool(TROUBLE_WORDS.search(text))


def wants_programs(text: str) -> bool:
    """True when the message asks which programs fit, or wishes for a fund, and asks nothing more specific (the
    intake's job: '정책자금 받고싶은데요', '받을 수 있는 지원사업 있나요', not '추천받으려면 신용점수 몇 점이에요?'
    nor '노란우산공제 혜택이 뭐예요?', another agency's product)."""
    wish = RECOMMENDATION_WORDS.search(text) or WISH_WORDS.search(text)
    return bool(wish and not SPECIFIC_WORDS.search(text) and agency_named_in(text) is None)
