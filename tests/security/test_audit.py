"""The dependency audit merges pip-audit's answer with the committed review: explained findings pass, anything else
fails, and an audit that reached no vulnerability service fails too (without running pip-audit)."""

from __future__ import annotations

from pathlib import Path

from bot.audit import NOT_AUDITED, UNEXPLAINED, ServiceRun, build_report, load_explanations, locked_pins, markdown

PINS = {"aiohttp": "3.9.5", "requests": "2.34.2"}
REVIEWS = {"aiohttp": {"version": "3.9.5", "advisories": [
    {"ids": ["GHSA-aaaa-bbbb-cccc", "CVE-2099-0001"], "status": "explained", "reason": "client-only code path"},
    {"ids": ["GHSA-dddd-eeee-ffff"], "status": "fixed", "reason": "upgraded"},
]}}


def _run(*vulns: dict) -> ServiceRun:
    return ServiceRun("pypi", list(PINS), [{"name": "aiohttp", "version": "3.9.5", "vulns": list(vulns)},
                               {"name": "requests", "version": "2.34.2", "vulns": []}])


def _vuln(vuln_id: str, *aliases: str) -> dict:
    return {"id": vuln_id, "aliases": list(aliases), "fix_versions": ["3.13.4"], "description": "x"}


def test_explained_findings_pass_and_are_matched_by_alias() -> None:
    report = build_report([_run(_vuln("PYSEC-2099-1", "CVE-2099-0001"))], PINS, REVIEWS)
    assert report["exit_status"] == 0 and report["audited"] == 2
    assert [(f["status"], f["reason"]) for f in report["findings"]] == [("explained", "client-only code path")]
    assert [r["ids"] for r in report["reviewed_but_not_reported"]] == [["GHSA-dddd-eeee-ffff"]]


def test_unlisted_findings_and_wrong_fixed_claims_fail() -> None:
    report = build_report([_run(_vuln("GHSA-new0-new0-new0"), _vuln("GHSA-dddd-eeee-ffff"))], PINS, REVIEWS)
    assert report["exit_status"] == UNEXPLAINED
    assert [f["status"] for f in report["findings"]] == ["unexplained", "unexplained"]
    assert "still affected" in report["findings"][1]["reason"]
    assert "unexplained" in markdown(report)


def test_an_explanation_for_another_version_does_not_count() -> None:
    reviews = {"aiohttp": {**REVIEWS["aiohttp"], "version": "3.8.6"}}
    report = build_report([_run(_vuln("GHSA-aaaa-bbbb-cccc"))], PINS, reviews)
    assert report["exit_status"] == UNEXPLAINED


def test_unreachable_services_fail_and_say_why() -> None:
    skipped = ServiceRun("pypi", list(PINS), [{"name": n, "skip_reason": f"not found on PyPI: {n}"} for n in PINS])
    unreachable = ServiceRun("osv", list(PINS), error="ConnectionError: api.osv.dev unreachable")
    report = build_report([skipped, unreachable], PINS, REVIEWS)
    assert report["exit_status"] == NOT_AUDITED and report["audited"] == 0
    assert [p["reason"] for p in report["not_audited"]] == [f"pypi: not found on PyPI: {n}; osv: unreachable"
                                                            for n in sorted(PINS)]
    assert "nothing could be audited" in markdown(report)
    assert len(report["reviewed_but_not_reported"]) == 2


def test_the_committed_review_covers_locked_pins_only() -> None:
    pins = locked_pins(Path(__file__).parents[2] / "requirements.lock")
    assert pins["rasa"] == "3.6.21"
    for package, review in load_explanations().items():
        assert pins.get(package) == review["version"], f"{package}: review is for {review['version']}"
        for advisory in review["advisories"]:
            assert advisory["status"] in ("explained", "fixed") and advisory["ids"] and advisory["reason"].strip()
