"""Dependency vulnerability audit (`make audit`): pip-audit over requirements.lock, merged with the committed review.

pip-audit lives in its own tool environment (var/audit-venv): its dependencies (packaging, CacheControl) would
upgrade past rasa's pins in .venv. Every pinned package is looked up in the PyPI vulnerability service, and the ones
it cannot audit in OSV. Each finding must be listed in bot/audit_explanations.yml as `fixed` (the pin was upgraded:
a finding still reported is a wrong claim) or `explained` (still pinned, with why we are or are not exposed).

Writes reports/pip-audit.json and reports/pip-audit.md. Exit status: 0 when every finding is fixed or explained,
1 when a finding is not, 2 when no package could be audited at all (vulnerability services unreachable).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from bot.paths import REPO_ROOT, REPORTS_DIR, VAR_DIR

PIP_AUDIT = "pip-audit==2.10.1"
TOOL_VENV = VAR_DIR / "audit-venv"
LOCK_FILE = REPO_ROOT / "requirements.lock"
EXPLANATIONS_FILE = REPO_ROOT / "bot" / "audit_explanations.yml"
SERVICES = ("pypi", "osv")
UNEXPLAINED, NOT_AUDITED = 1, 2


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of `-_.` as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_pins(lock: Path) -> dict[str, str]:
    """{normalised name: version} of the `name==version` lines of a lock file."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        name, separator, version = line.split("#", 1)[0].strip().partition("==")
        if separator:
            pins[normalise(name)] = version.strip()
    return pins


def ensure_tool(venv: Path = TOOL_VENV) -> Path:
    """The pip-audit executable of the tool environment, created (or upgraded to PIP_AUDIT) when needed."""
    executable = venv / "bin" / "pip-audit"
    version = PIP_AUDIT.split("==")[1]
    if not executable.exists() or not list(venv.glob(f"lib/python*/site-packages/pip_audit-{version}.dist-info")):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", PIP_AUDIT], check=True)
    return executable


@dataclass
class ServiceRun:
    """What one pip-audit run against one vulnerability service returned."""

    service: str
    asked: list[str]
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def audited(self) -> dict[str, dict[str, Any]]:
        """{normalised name: dependency} of the packages this service could audit."""
        return {normalise(d["name"]): d for d in self.dependencies if "skip_reason" not in d}


def run_pip_audit(tool: Path, pins: dict[str, str], service: str) -> ServiceRun:
    """Audit exact pins (no resolution) against one service; a crash becomes the run's error."""
    with tempfile.TemporaryDirectory() as folder:
        requirements, output = Path(folder) / "requirements.txt", Path(folder) / "audit.json"
        requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
        command = [str(tool), "-r", str(requirements), "--no-deps", "--disable-pip", "-s", service, "-f", "json",
                   "--progress-spinner", "off", "--timeout", "20", "-o", str(output)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if not output.exists():  # pip-audit writes the file unless it crashed (e.g. service unreachable)
            lines = (result.stderr or result.stdout).strip().splitlines()
            error = lines[-1] if lines else f"pip-audit exited {result.returncode}"
            return ServiceRun(service, list(pins), error=error)
        return ServiceRun(service, list(pins), json.loads(output.read_text())["dependencies"])


def audit(tool: Path, pins: dict[str, str], services: tuple[str, ...] = SERVICES) -> list[ServiceRun]:
    """Run the services in order, each on the packages the ones before could not audit."""
    runs, remaining = [], dict(pins)
    for service in services:
        if not remaining:
            break
        runs.append(run_pip_audit(tool, remaining, service))
        remaining = {name: version for name, version in remaining.items() if name not in runs[-1].audited()}
    return runs


def probe_pypi(name: str, version: str) -> str:
    """What PyPI's per-release JSON API (the one pip-audit's PyPI service reads) answers for one pin."""
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return f"{url} answers {response.status}"
    except urllib.error.HTTPError as error:
        return f"{url} answers {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{url} is unreachable ({error})"


def load_explanations(path: Path = EXPLANATIONS_FILE) -> dict[str, dict[str, Any]]:
    """{normalised package: review} from the explanations file."""
    reviews = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {normalise(name): review for name, review in reviews.items()}


def _review_of(finding: dict[str, Any], reviews: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    review = reviews.get(finding["package"])
    ids = {finding["id"], *finding["aliases"]}
    for advisory in (review or {}).get("advisories", []):
        if ids & set(advisory["ids"]):
            return {**advisory, "reviewed_version": review.get("version")}
    return None


def judge(finding: dict[str, Any], reviews: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(status, reason) of one finding: `explained`, or `unexplained` with why."""
    advisory = _review_of(finding, reviews)
    if advisory is None:
        return "unexplained", "not in bot/audit_explanations.yml"
    if advisory["status"] == "fixed":
        return "unexplained", f"marked fixed, but the pinned {finding['version']} is still affected"
    if advisory["reviewed_version"] != finding["version"]:
        return "unexplained", f"explained for {advisory['reviewed_version']}, the lock pins {finding['version']}"
    return "explained", advisory["reason"].strip()


def build_report(runs: list[ServiceRun], pins: dict[str, str], reviews: dict[str, dict[str, Any]],
                 lock_name: str = LOCK_FILE.name) -> dict[str, Any]:
    """The merged report: coverage per service, findings with their status, reviews this run did not confirm."""
    audited: dict[str, tuple[str, dict[str, Any]]] = {}
    for run in runs:
        for name, dependency in run.audited().items():
            audited.setdefault(name, (run.service, dependency))
    findings = []
    for name, (service, dependency) in sorted(audited.items()):
        for vuln in dependency.get("vulns", []):
            finding = {"package": name, "version": dependency["version"], "id": vuln["id"],
                       "aliases": vuln.get("aliases", []), "fix_versions": vuln.get("fix_versions", []),
                       "description": (vuln.get("description") or "").strip()[:300], "service": service}
            finding["status"], finding["reason"] = judge(finding, reviews)
            findings.append(finding)
    reported = {(f["package"], i) for f in findings for i in (f["id"], *f["aliases"])}
    unconfirmed = [{"package": name, "version": review.get("version"), **advisory}
                   for name, review in sorted(reviews.items()) for advisory in review.get("advisories", [])
                   if not any((name, i) in reported for i in advisory["ids"])]
    reasons: dict[str, list[str]] = {}
    for run in runs:
        skipped = {normalise(d["name"]): d["skip_reason"] for d in run.dependencies if "skip_reason" in d}
        for name in run.asked:
            if run.error or name in skipped:
                reasons.setdefault(name, []).append(f"{run.service}: {'unreachable' if run.error else skipped[name]}")
    not_audited = [{"package": name, "version": version, "reason": "; ".join(reasons.get(name, ["not asked"]))}
                   for name, version in sorted(pins.items()) if name not in audited]
    if not audited:
        exit_status = NOT_AUDITED
    else:
        exit_status = UNEXPLAINED if any(f["status"] == "unexplained" for f in findings) else 0
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "tool": PIP_AUDIT,
        "lock_file": lock_name, "packages": len(pins), "audited": len(audited),
        "services": [{"service": r.service, "audited": len(r.audited()), "asked": len(r.asked), "error": r.error}
                     for r in runs],
        "findings": findings, "not_audited": not_audited, "reviewed_but_not_reported": unconfirmed,
        "exit_status": exit_status,
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a page people read."""
    verdict = {0: "every finding is fixed or explained", UNEXPLAINED: "**unexplained findings — see below**",
               NOT_AUDITED: "**nothing could be audited: the vulnerability services were unreachable**"}
    lines = [f"# Dependency audit ({report['tool']}, {report['lock_file']})", "",
             f"{report['generated_at']} · {report['audited']} of {report['packages']} pinned packages audited · "
             f"{len(report['findings'])} findings · {verdict[report['exit_status']]}", "", "## Services", ""]
    lines += [f"- {s['service']}: audited {s['audited']} of {s['asked']}" + (f" — error: {s['error']}" if s["error"]
                                                                           else "") for s in report["services"]]
    lines += ["", "## Findings", "", "| package | version | advisory | fixed in | status | why |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {f['package']} | {f['version']} | {f['id']} {' '.join(f['aliases'])} | {', '.join(f['fix_versions'])}"
              f" | {f['status']} | {' '.join(f['reason'].split())} |" for f in report["findings"]]
    lines += ["", "## Reviewed advisories this run did not report", "",
              "Committed reviews (bot/audit_explanations.yml) that no service confirmed in this run — because the "
              "package could not be audited, or the advisory no longer applies.", "",
              "| package | version | advisories | status | why |", "|---|---|---|---|---|"]
    lines += [f"| {r['package']} | {r['version']} | {' '.join(r['ids'])} | {r['status']} | "
              f"{' '.join(r['reason'].split())} |" for r in report["reviewed_but_not_reported"]]
    lines += ["", f"## Not audited ({len(report['not_audited'])})", ""]
    lines += [f"- {p['package']} {p['version']}: {p['reason']}" for p in report["not_audited"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.audit", description=__doc__.split("\n")[0])
    parser.add_argument("--lock", type=Path, default=LOCK_FILE)
    parser.add_argument("--reports", type=Path, default=REPORTS_DIR)
    args = parser.parse_args(argv)
    pins = locked_pins(args.lock)
    runs = audit(ensure_tool(), pins)
    report = build_report(runs, pins, load_explanations(), args.lock.name)
    if runs and runs[0].service == "pypi" and not runs[0].audited():
        report["services"][0]["error"] = "no package audited: " + probe_pypi(*next(iter(pins.items())))
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "pip-audit.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    (args.reports / "pip-audit.md").write_text(markdown(report))
    print(f"{report['audited']}/{report['packages']} packages audited, {len(report['findings'])} findings "
          f"({sum(f['status'] == 'unexplained' for f in report['findings'])} unexplained); "
          f"reports/pip-audit.md", file=sys.stderr)
    return report["exit_status"]


if __name__ == "__main__":
    sys.exit(main())
