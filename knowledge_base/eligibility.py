"""Eligibility: check a company profile (the dialogue's slots) against a program's machine-readable conditions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAPITAL_REGION = {
    "서울특별시", "서울", "경기도", "경기", "인천광역시", "인천",
    "수원시", "성남시", "고양시", "용인시", "부천시", "안산시", "안양시", "남양주시", "화성시", "평택시", "의정부시",
    "시흥시", "파주시", "김포시", "광명시", "광주시", "군포시", "하남시", "오산시", "이천시", "안성시", "의왕시",
    "양주시", "구리시", "포천시", "여주시", "동두천시", "과천시", "가평군", "양평군", "연천군", "강화군", "옹진군",
}
PROFILE_KEYS = ("business_age", "industry", "region", "employee_count", "revenue_change", "export_status",
                "fund_purpose", "rep_age", "crisis_type")


@dataclass
class Decision:
    """Outcome for one program: eligible True/False/None (unknown), Korean reasons, profile keys that would decide."""

    eligible: bool | None = None
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    matched: int = 0


def _num(value: float) -> str:
    return f"{value:g}"


def _verdict(ok: bool) -> str:
    return "조건 충족" if ok else "조건 미충족"


def region_group(region: str) -> str | None:
    """'수도권' or '비수도권' for a 시·도 or 시·군 name; None when it cannot be told (e.g. a bare '중구')."""
    region = region.strip()
    if region in CAPITAL_REGION or region.startswith(("서울", "경기", "인천")):
        return "수도권"
    if region.endswith("구") and not region.endswith("시"):
        return None
    return "비수도권" if region else None


def _in_range(value: float, rule: dict[str, Any]) -> bool:
    low, high = rule.get("min"), rule.get("max")
    if low is not None and value < low:
        return False
    if high is None:
        return True
    return value < high if rule.get("max_exclusive") else value <= high


def check(rules: dict[str, Any], profile: dict[str, Any] | None) -> Decision:
    """Evaluate every condition for which the profile has a value; unknown values never exclude a program."""
    profile = {k: v for k, v in (profile or {}).items() if v not in (None, "")}
    outcomes: list[bool] = []
    decision = Decision()

    def record(ok: bool, reason: str) -> None:
        outcomes.append(ok)
        decision.reasons.append(reason)

    crisis = rules.get("crisis")
    crisis_type = str(profile.get("crisis_type", ""))
    if crisis:
        if crisis_type:
            ok = crisis_type in crisis["types"]
            record(ok, f"위기 유형 {crisis_type} → {crisis['label']} {_verdict(ok)}")
        else:
            decision.missing.append("crisis_type")
    for key, unit, subject in (("business_age", "년", "업력"), ("rep_age", "세", "대표자 나이"),
                               ("employee_count", "명", "상시근로자")):
        rule = rules.get(key)
        if not rule:
            continue
        if key in profile:
            value = float(profile[key])
            ok = _in_range(value, rule)
            record(ok, f"{subject} {_num(value)}{unit} → {rule['label']} {_verdict(ok)}")
        else:
            decision.missing.append(key)
    drop = rules.get("revenue_drop")
    if drop:
        exempt = drop.get("exempt_crisis") or []
        if crisis_type and crisis_type in exempt:
            record(True, f"위기 유형 {crisis_type} → 매출 감소 요건 없이 신청 가능한 유형")
        elif "revenue_change" in profile:
            change = float(profile["revenue_change"])
            ok = -change >= float(drop["min_percent"])
            said = "매출 변동 없음"
            if change:
                said = f"매출 감소 {_num(-change)}%" if change < 0 else f"매출 증가 {_num(change)}%"
            record(ok, f"{said} → {drop['label']} {_verdict(ok)}")
        else:
            decision.missing.append("revenue_change")
    industries = rules.get("industries")
    if industries:
        if "industry" in profile:
            value = str(profile["industry"])
            ok = any(value == allowed or allowed in value for allowed in industries)
            record(ok, f"업종 {value} → 대상 업종({', '.join(industries)}) {_verdict(ok)}")
        else:
            decision.missing.append("industry")
    region_rule = rules.get("region")
    if region_rule:
        if "region" in profile:
            value = str(profile["region"])
            group = region_group(value)
            if group is not None:
                ok = group == region_rule
                record(ok, f"소재지 {value}({group}) → {region_rule} 소재 {_verdict(ok)}")
            else:
                decision.missing.append("region")
        else:
            decision.missing.append("region")
    for key, subject in (("export_status", "수출 상태"), ("fund_purpose", "자금 용도")):
        allowed = rules.get(key)
        if not allowed:
            continue
        if key in profile:
            value = str(profile[key])
            ok = value in allowed
            record(ok, f"{subject} {value} → 대상({'·'.join(allowed)}) {_verdict(ok)}")
        else:
            decision.missing.append(key)
    decision.matched = sum(outcomes)  # satisfied conditions (a waived revenue test counts too)
    if outcomes:
        decision.eligible = all(outcomes)
    return decision


def profile_query(profile: dict[str, Any]) -> str:
    """A search text describing the company, used when recommend() gets no question."""
    words = []
    if profile.get("crisis_type"):
        words.append(f"{profile['crisis_type']} 피해 긴급 자금")
    change = profile.get("revenue_change")
    if change is not None and float(change) < 0:
        words.append("매출 감소 경영 애로")
    status = profile.get("export_status")
    if status == "수출예정":
        words.append("수출 시작 해외 진출")
    elif status == "수출중":
        words.append("수출 기업 해외 시장 확대")
    age = profile.get("business_age")
    if age is not None:
        words.append("창업 초기 기업" if float(age) < 7 else "업력 7년 이상 성장 기업")
    if profile.get("rep_age") is not None and int(profile["rep_age"]) <= 39:
        words.append("청년 대표 창업")
    if profile.get("fund_purpose"):
        words.append(f"{profile['fund_purpose']}자금")
    if profile.get("industry"):
        words.append(str(profile["industry"]))
    return " ".join(words)
