"""Secrets come only from the environment: no secret is committed, the code reads each one from its variable, the
config files refer to variables, and the servers do not write the tokens into their logs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.paths import REPO_ROOT
from bot.server.database import tracker_db_url
from bot.server.rasa_api import api_token
from bot.staff.auth import load_tokens
from bot.staff.web import create_app
from channels.telegram import TelegramSettings

PLACEHOLDER_PASSWORDS = {"pass", "password", "secret", "changeme", "***"}
SECRET_PATTERNS = {
    "Telegram bot token": re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{35}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
}
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"]+)@")
SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b\w*(?:token|secret|password|passwd|api_?key)\w*['\"]?\s*[:=]\s*['\"]([^'\"\s]{16,})['\"]")
ENV_REFERENCE = re.compile(r"^\$\{\w+\}$")
CREDENTIAL_KEYS = re.compile(r"(?i)token|secret|password|passwd|username|api_?key|url")


def find_secrets(text: str, fixtures_allowed: bool = False) -> list[str]:
    """Descriptions of the literal secrets in a text (test fixtures may hold made-up tokens in assignments)."""
    found = [f"{kind}: {match.group(0)[:12]}…" for kind, pattern in SECRET_PATTERNS.items()
             for match in pattern.finditer(text)]
    for match in URL_PASSWORD.finditer(text):
        password = match.group(1)
        if password.lower() not in PLACEHOLDER_PASSWORDS and not password.startswith(("$", "<", "{")):
            found.append(f"password in URL: {match.group(0)[:24]}…")
    if not fixtures_allowed:
        for match in SECRET_ASSIGNMENT.finditer(text):
            value = match.group(1)
            if re.search(r"\d", value) and re.search(r"[A-Za-z]", value) and not value.startswith(("$", "http")):
                found.append(f"secret-looking assignment: {match.group(0)[:32]}…")
    return found


def committed_files() -> list[Path]:
    """Every file git tracks in the repository."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    return [REPO_ROOT / name for name in names.decode().split("\0") if name]


def test_the_scanner_finds_planted_secrets() -> None:
    planted = [  # split so that this file does not hold the secrets it plants
        'TELEGRAM_BOT_TOKEN = "123456789:' + 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"',
        "url: postgresql://bot:" + "Xq7!vT9wzR@db.internal:5432/tracker",
        "RASA_API_TOKEN: 'k3Jd9sLq0PzX7mWn2Rt5'",
        "-----BEGIN RSA " + "PRIVATE KEY-----",
    ]
    for line in planted:
        assert find_secrets(line), line
    placeholders = ["TRACKER_DB_URL=postgresql://user:password@host:5432/tracker",
                    "url: postgresql://${DB_USER}:${DB_PASSWORD}@db:5432/tracker", "token: ${RASA_API_TOKEN}",
                    'SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"']
    for line in placeholders:
        assert not find_secrets(line), line


def test_no_secret_is_committed() -> None:
    files = committed_files()
    assert any(path.name == "credentials.yml" for path in files)
    findings = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        relative = path.relative_to(REPO_ROOT)
        fixtures_allowed = relative.parts[0] == "tests"
        findings += [f"{relative}: {finding}" for finding in find_secrets(text, fixtures_allowed)]
    assert not findings, "\n".join(findings)


def _credential_values(node: object, key: str = "") -> list[tuple[str, str]]:
    """(key, value) of every string leaf whose key names a credential or URL."""
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in _credential_values(v, str(k))]
    if isinstance(node, list):
        return [pair for item in node for pair in _credential_values(item, key)]
    return [(key, str(node))] if node is not None and CREDENTIAL_KEYS.search(key) else []


@pytest.mark.parametrize("name", ["credentials.yml", "endpoints.yml", "endpoints.production.yml"])
def test_config_files_take_credentials_from_the_environment(name: str) -> None:
    config = yaml.safe_load((REPO_ROOT / name).read_text(encoding="utf-8")) or {}
    literal = [(key, value) for key, value in _credential_values(config) if not ENV_REFERENCE.match(value)]
    assert not literal, f"{name} must use ${{VARIABLE}} for {literal}"


def test_code_reads_the_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "111:from-env")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "hook-secret-from-env")
    settings = TelegramSettings.from_env()
    assert (settings.token, settings.secret) == ("111:from-env", "hook-secret-from-env")

    monkeypatch.setenv("RASA_API_TOKEN", "rasa-token-from-env")
    assert api_token() == "rasa-token-from-env"
    monkeypatch.delenv("RASA_API_TOKEN")
    made = api_token()
    monkeypatch.delenv("RASA_API_TOKEN")
    assert len(made) >= 24 and api_token() != made, "without the variable each process tree gets a random token"

    monkeypatch.setenv("STAFF_TOKEN", "kim:staff-token-from-env-0001")
    monkeypatch.setenv("BOT_ENV", "production")
    assert load_tokens() == ({"staff-token-from-env-0001": "kim"}, None)

    database_url = "postgresql://bot:" + "pw-from-env@127.0.0.1:5432/tracker"
    monkeypatch.setenv("TRACKER_DB_URL", database_url)
    assert tracker_db_url() == database_url


def test_production_staff_pages_do_not_print_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("STAFF_TOKEN", "staff-token-never-printed-42")
    monkeypatch.setenv("BOT_ENV", "production")
    create_app(rasa_url="http://127.0.0.1:9", db_url=f"sqlite:///{tmp_path / 'tracker.db'}")
    captured = capsys.readouterr()
    assert "staff-token-never-printed-42" not in captured.out + captured.err + caplog.text


def test_servers_do_not_log_the_api_token(rasa_server: str, server_logs: Path) -> None:
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in server_logs.glob("*.log")}
    assert "rasa_server.log" in logs and logs["rasa_server.log"].strip()
    token = api_token()
    assert not [name for name, text in logs.items() if token in text]
