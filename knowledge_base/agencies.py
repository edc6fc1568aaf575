"""The directory of agencies owners confuse with this one (agencies.yml): what each handles and how to reach it,
and which agency a question's words point to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import yaml

from knowledge_base.documents import PACKAGE_DIR
from knowledge_base.guide_documents import Source

AGENCIES_FILE = PACKAGE_DIR / "agencies.yml"
HOME_AGENCY = "중진공"
# Words that point a question at another agency's business (checked in this order, first match wins).
AGENCY_WORDS: tuple[tuple[str, str], ...] = (
    ("노란\\s*우산|노랑\\s*우산", "중기중앙회"),
    ("새도약|새출발|캠코|자산관리공사", "캠코"),
    ("기술보증|기보", "기보"),
    ("신용보증재단|지역신보|재단\\s*보증", "지역신보"),
    ("신용보증기금|신보", "신보"),
    ("소상공인|소진공|소상공인시장진흥공단|희망리턴|경영\\s*안정\\s*바우처|경영바우처", "소진공"),
    ("고용\\s*(유지\\s*)?지원금|고용유지|고용24|일자리도약|장려금|고용보험", "고용노동부"),
    ("창업\\s*패키지|k-?startup|케이스타트업|창업진흥원", "창업진흥원"),
    ("코트라|kotra", "KOTRA"),
    ("신용회복위원회|신복위|개인\\s*워크아웃", "신용회복위원회"),
    ("국세청|세무서|홈택스", "국세청"),
    ("금감원|금융감독원|보험금|보험\\s*환급", "금융감독원"),
    ("임대차|권리금|상가\\s*임대", "임대차분쟁조정위원회"),
    ("햇살론|서민금융|미소금융", "서민금융진흥원"),
    ("무역\\s*보험|k-?sure|케이슈어", "무역보험공사"),
    ("대한\\s*상의|대한\\s*상공\\s*회의소|상공\\s*회의소|work\\.?\\s*ai|워크\\s*ai", "대한상의"),
)
# Products owners name without their agency: they say whose matter a question is when no guide answers it, but do not
# steer which guide answers (that agency's guides are about other things: unpaid wages, the tax-base certificate).
PRODUCT_WORDS: tuple[tuple[str, str], ...] = (
    ("실업\\s*급여", "고용노동부"),  # paid from employment insurance (고용보험)
    # tax returns, refunds and paying later ('부가세 낼 돈이 없는데 분납이나 연장 되나요')
    ("부가세.{0,12}(신고|환급|조기|분납|납부|연장|낼)|조기\\s*환급|종합\\s*소득세|종소세|납부\\s*기한", "국세청"),
)
# Site names shown with a source link, by host (anything else shows its host).
PUBLISHERS = {
    "newsis.com": "뉴시스", "news1.kr": "뉴스1", "hankyung.com": "한국경제", "etnews.com": "전자신문",
    "sedaily.com": "서울경제", "asiae.co.kr": "아시아경제", "chosun.com": "조선비즈", "mt.co.kr": "머니투데이",
    "etoday.co.kr": "이투데이", "kmib.co.kr": "국민일보", "sbs.co.kr": "SBS", "edaily.co.kr": "이데일리",
    "fnnews.com": "파이낸셜뉴스", "kosmes.or.kr": "중소벤처기업진흥공단", "gov.kr": "정부24", "yna.co.kr": "연합뉴스",
    "ajunews.com": "아주경제", "newspim.com": "뉴스핌", "heraldcorp.com": "헤럴드경제", "segye.com": "세계일보",
    "seoul.co.kr": "서울신문", "mss.go.kr": "중소벤처기업부", "ccse.kr": "2026년 정책자금 융자계획 공고",
    "joongdo.co.kr": "중도일보", "kibo.or.kr": "기술보증기금", "semas.or.kr": "소상공인시장진흥공단",
    "wowtv.co.kr": "한국경제TV", "mbn.co.kr": "MBN", "venturesquare.net": "벤처스퀘어",
    "dodam-platform.com": "정부24 안내",
    # named as the guides name the same sites (knowledge_base/guides/*.md `publisher`)
    "kukinews.com": "쿠키뉴스", "kuk-test.kode.co.kr": "쿠키뉴스", "asiatoday.co.kr": "아시아투데이",
    "headline114.com": "헤드라인114", "jjan.kr": "전북일보", "busan.com": "부산일보", "korea.com": "코리아닷컴",
    "motie.go.kr": "산업통상자원부", "startupkorea.kr": "스타트업코리아", "traintime.co.kr": "정부 지원사업 안내",
    "jab-guyver.co.kr": "인터넷 안내 글", "github.com": "법제처 찾기쉬운 생활법령 내용 모음",
    # the sites' own names
    "hellot.net": "헬로티", "g-enews.com": "글로벌이코노믹", "hidomin.com": "경북도민일보",
}


@dataclass(frozen=True)
class Agency:
    """One agency: its key (e.g. 소진공), full name, what it handles, how to reach it, and its sources."""

    key: str
    name: str
    handles: str
    contact: str
    url: str
    note: str = ""
    sources: tuple[Source, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def load_agencies(path: Path = AGENCIES_FILE) -> dict[str, Agency]:
    """The directory keyed by short name ({} when the file is missing)."""
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): Agency(key=str(key), name=str(item.get("name") or key), handles=str(item.get("handles") or ""),
                             contact=str(item.get("contact") or ""), url=str(item.get("url") or ""),
                             note=str(item.get("note") or ""),
                             sources=tuple(Source(str(s.get("publisher") or publisher_of(str(s["url"]))),
                                                  int(s.get("year") or 0), str(s["url"]))
                                           for s in item.get("sources") or [] if s.get("url")))
            for key, item in raw.items() if isinstance(item, dict)}


def agency_named_in(text: str) -> Agency | None:
    """The other agency whose business the text's words point to, else None."""
    return _first_agency(AGENCY_WORDS, text)


def agencies_named_in(text: str) -> set[str]:
    """The keys of every other agency whose words the text holds ('신보·기보·신용보증재단' → 신보, 기보, 지역신보)."""
    return set(_matching_keys(AGENCY_WORDS, text))


def agency_of_product(text: str) -> Agency | None:
    """The other agency whose product the text names (PRODUCT_WORDS), else None."""
    return _first_agency(PRODUCT_WORDS, text)


def _first_agency(words: tuple[tuple[str, str], ...], text: str) -> Agency | None:
    """The agency of the first of `words` (pattern, agency key) the text matches, in their order."""
    agencies = load_agencies()
    return next((agencies[key] for key in _matching_keys(words, text) if key in agencies), None)


def _matching_keys(words: tuple[tuple[str, str], ...], text: str) -> Iterator[str]:
    """The agency keys of the `words` (pattern, agency key) the text matches, in their order."""
    lowered = text.lower()
    return (key for pattern, key in words if re.search(pattern, lowered))


def publisher_of(url: str) -> str:
    """A short site name for a source link (the host when it is not a known publisher)."""
    host = (urlparse(url).hostname or "").lower()
    for domain, name in PUBLISHERS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return host.removeprefix("www.").removeprefix("m.") or "출처"
