"""Export confirmed review decisions as Rasa NLU YAML: training examples to bot/data/nlu/reviewed_examples.yml,
a stable fifth held out for testing to bot/staff/reviewed_holdout.yml (deduplicated, personal data masked)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.paths import REPO_ROOT, TRAINING_DATA_DIR
from bot.staff.records import log_action
from bot.staff.store import annotate, reviewed_examples
from channels.privacy import mask_pii

REVIEWED_FILE = TRAINING_DATA_DIR / "nlu" / "reviewed_examples.yml"
HOLDOUT_FILE = REPO_ROOT / "bot" / "staff" / "reviewed_holdout.yml"
HOLDOUT_SHARE = 5  # one example in five (by a hash of its text) is held out for testing
_MARKUP = re.compile(r"\[(?P<text>[^\[\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass
class ExportResult:
    """What an export wrote and what it left out."""

    train: int = 0
    holdout: int = 0
    added: int = 0
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One Korean line for the CLI and the staff pages."""
        text = f"학습용 {self.train}개, 평가용 {self.holdout}개 (이번에 새로 {self.added}개)"
        if self.duplicates:
            text += f"; 기존 학습 데이터와 중복 {len(self.duplicates)}개 제외"
        if self.conflicts:
            text += f"; 다른 의도로 이미 학습된 문장 {len(self.conflicts)}개 제외: " + ", ".join(self.conflicts[:5])
        return text


def normalise(text: str) -> str:
    """Plain text of an example (entity markup removed, whitespace collapsed)."""
    return " ".join(_MARKUP.sub(lambda m: m["text"], text).split())


def is_holdout(text: str) -> bool:
    """Stable assignment of an example to the held-out test part."""
    return int(hashlib.sha1(normalise(text).encode()).hexdigest(), 16) % HOLDOUT_SHARE == 0


def read_examples(path: Path) -> dict[str, tuple[str, str]]:
    """plain text → (intent, annotated example) of a Rasa NLU YAML file (missing file: nothing)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    result = {}
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        examples = block.get("examples") or ""
        if isinstance(examples, str):
            items = [line.strip()[2:].strip() for line in examples.splitlines() if line.strip().startswith("- ")]
        else:
            items = [str(item.get("text", "")).strip() for item in examples]
        for item in items:
            result[normalise(item)] = (block["intent"], item)
    return result


def base_training_texts(exclude: Path) -> dict[str, set[str]]:
    """plain text → intents of the other NLU training files."""
    texts: dict[str, set[str]] = {}
    for path in sorted((TRAINING_DATA_DIR / "nlu").glob("*.yml")):
        if path.resolve() == exclude.resolve():
            continue
        for text, (intent, _) in read_examples(path).items():
            texts.setdefault(text, set()).add(intent)
    return texts


def write_examples(path: Path, examples: dict[str, tuple[str, str]], purpose: str) -> None:
    """Write examples grouped by intent, sorted, as Rasa NLU YAML."""
    by_intent: dict[str, list[str]] = {}
    for intent, annotated in examples.values():
        by_intent.setdefault(intent, []).append(annotated)
    lines = [f"# {purpose}", "# Written by `python -m bot.staff export` from staff-reviewed conversations "
             "(personal data masked, deduplicated). Do not edit by hand.", 'version: "3.1"']
    if not by_intent:
        lines.append("nlu: []")
    else:
        lines.append("nlu:")
        for intent in sorted(by_intent):
            lines += [f"- intent: {intent}", "  examples: |"]
            lines += [f"    - {example}" for example in sorted(set(by_intent[intent]))]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def export(who: str, target: Path | None = None, holdout: Path | None = None, url: str | None = None
           ) -> ExportResult:
    """Merge the reviewed examples of the database into the training and held-out files (default: REVIEWED_FILE,
    HOLDOUT_FILE)."""
    target, holdout = target or REVIEWED_FILE, holdout or HOLDOUT_FILE
    result = ExportResult()
    train_examples, test_examples = read_examples(target), read_examples(holdout)
    base = base_training_texts(target)
    for row in reviewed_examples(url):
        text = " ".join(mask_pii(row["text"]).split())
        if not text or text.startswith("/"):
            continue
        plain = normalise(text)
        known = base.get(plain, set())
        if row["intent"] in known:
            result.duplicates.append(plain)
            continue
        if known:
            result.conflicts.append(f"{plain} ({'/'.join(sorted(known))})")
            continue
        annotated = annotate(text, row["entities"] or [])
        bucket = test_examples if is_holdout(plain) else train_examples
        if bucket.get(plain) != (row["intent"], annotated):
            result.added += 1
        bucket[plain] = (row["intent"], annotated)
    write_examples(target, train_examples, "Staff-reviewed NLU training examples.")
    write_examples(holdout, test_examples, "Staff-reviewed examples held out for testing (never trained on).")
    result.train, result.holdout = len(train_examples), len(test_examples)
    log_action(who, "export", str(target.name), result.__dict__, url)
    return result
