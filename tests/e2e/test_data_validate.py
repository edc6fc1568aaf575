"""`rasa data validate` on the domain, training data and config: no errors and no fixable warnings."""

from __future__ import annotations

import re
import subprocess

import yaml

from bot.paths import CONFIG_FILE, DOMAIN_FILE, REPO_ROOT, TRAINING_DATA_DIR, VENV_BIN
from bot.training import GUIDE_QUESTIONS_FILE, guide_questions_yaml

UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
RASA_WARNING = re.compile(r"(UserWarning|WARNING|ERROR).*")


def used_by_code(response: str) -> bool:
    """Responses sent by custom actions or asked by the intake form are used even if no story names them."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    form_slots = {slot for form in domain.get("forms", {}).values() for slot in form["required_slots"]}
    if response.removeprefix("utter_ask_") in form_slots:
        return True
    return any(f'"{response}"' in path.read_text(encoding="utf-8") for path in (REPO_ROOT / "actions").rglob("*.py"))


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--domain", str(DOMAIN_FILE), "--data", str(TRAINING_DATA_DIR),
         "--config", str(CONFIG_FILE)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output[-4000:]
    problems = []
    for line in output.splitlines():
        if "DeprecationWarning" in line or "MovedIn20Warning" in line or not RASA_WARNING.search(line):
            continue
        unused = UNUSED.search(line)
        if unused and used_by_code(unused.group(1)):
            continue
        problems.append(line.strip())
    assert not problems, "\n".join(problems)


def test_the_ask_question_examples_match_the_guides():
    """bot/data/nlu/guide_questions.yml is generated from the guides (`python -m bot guide-questions`)."""
    assert GUIDE_QUESTIONS_FILE.read_text(encoding="utf-8") == guide_questions_yaml()


def test_no_fixed_reply_shows_a_raw_link() -> None:
    """Fixed replies name their sources ('출처: 뉴시스'); links travel as buttons, never as addresses in the text."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    texts = {name: variant.get("text", "") for name, variants in domain["responses"].items() for variant in variants}
    assert not {name: text for name, text in texts.items() if "http" in text}
