"""`python -m bot.staff.retrain`: train with the reviewed examples, compare the new model with the current one on
the fixed NLU test split and the reviewed held-out examples, write the comparison to reports/, and promote the new
model into the running Rasa server (PUT /model, no restart) only if it is not worse on either. Every model gets a
registry row."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import desc, select

from bot.paths import CONFIG_FILE, DOMAIN_FILE, MODELS_DIR, REPO_ROOT, REPORTS_DIR, TRAINING_DATA_DIR, VAR_DIR
from bot.server.rasa_api import api_request, default_rasa_url, replica_urls
from bot.staff.export import HOLDOUT_FILE, REVIEWED_FILE, read_examples
from bot.staff.records import engine, log_action, registry
from bot.training import STAMP_FILE, inputs_hash, rasa_train_command

LOCK_FILE = VAR_DIR / "retrain.lock"
DECISION_LABELS = {
    "promoted": "새 모델을 승격했습니다 (서버 재시작 없이 교체).",
    "passed": "새 모델이 기준을 통과했습니다 (승격하지 않음).",
    "rejected": "새 모델이 더 나빠 현재 모델을 유지합니다.",
    "error": "승격에 실패해 현재 모델을 유지합니다.",
}
TEST_SPLIT_CANDIDATES = ("tests/nlu/data/*test*.yml", "tests/nlu/data/*.yml")


class RetrainError(RuntimeError):
    """Retraining cannot go on; the message says why (Korean)."""


@dataclass
class Scores:
    """Intent and entity scores of one model on one test set."""

    examples: int
    intent_accuracy: float
    intent_f1: float
    entity_f1: float | None


@contextmanager
def retrain_lock() -> Iterator[None]:
    """Only one retraining at a time (two shared cores); a second one fails at once with a clear message."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RetrainError("다른 재학습이 이미 진행 중입니다. 끝난 뒤 다시 시도해 주세요.") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_running() -> bool:
    """True while a retraining holds the lock."""
    if not LOCK_FILE.exists():
        return False
    with LOCK_FILE.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def find_test_split() -> Path:
    """The fixed NLU test split: env NLU_TEST_SPLIT, else the NLU helper's file under tests/nlu/data/."""
    configured = os.environ.get("NLU_TEST_SPLIT")
    if configured:
        path = Path(configured) if os.path.isabs(configured) else REPO_ROOT / configured
        if not path.exists():
            raise RetrainError(f"NLU_TEST_SPLIT 파일이 없습니다: {path}")
        return path
    for pattern in TEST_SPLIT_CANDIDATES:
        found = sorted(REPO_ROOT.glob(pattern))
        if found:
            return found[0]
    raise RetrainError("고정 NLU 테스트 분할을 찾을 수 없습니다 (tests/nlu/data/*.yml 또는 NLU_TEST_SPLIT).")


def data_hash(data_dir: Path, config: Path) -> str:
    """Content hash of a training-data tree, the config and the domain."""
    digest = hashlib.sha256()
    for path in [config, DOMAIN_FILE, *sorted(data_dir.rglob("*.yml"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare_inputs(workdir: Path, reviewed: Path, epochs: int | None) -> tuple[Path, Path]:
    """A copy of bot/data with `reviewed` as the reviewed-examples file, and the config (epochs overridden)."""
    data_dir = workdir / "data"
    shutil.copytree(TRAINING_DATA_DIR, data_dir)
    target = data_dir / REVIEWED_FILE.relative_to(TRAINING_DATA_DIR)
    if reviewed.resolve() != REVIEWED_FILE.resolve():
        if not reviewed.exists():
            raise RetrainError(f"검토 예문 파일이 없습니다: {reviewed}")
        shutil.copyfile(reviewed, target)
    if epochs is None:
        return data_dir, CONFIG_FILE
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    for section in ("pipeline", "policies"):
        for component in config.get(section) or []:
            if "epochs" in component or component.get("name") in ("DIETClassifier", "TEDPolicy"):
                component["epochs"] = epochs
    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data_dir, config_path


def train_model(data_dir: Path, config: Path, name: str) -> Path:
    """`rasa train` into models/<name>.tar.gz."""
    MODELS_DIR.mkdir(exist_ok=True)
    command = rasa_train_command(MODELS_DIR, "--fixed-model-name", name, config=config, data=data_dir)
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    model = MODELS_DIR / f"{name}.tar.gz"
    if completed.returncode != 0 or not model.exists():
        raise RetrainError(f"학습에 실패했습니다:\n{(completed.stdout + completed.stderr)[-3000:]}")
    return model


def load_test_examples(path: Path) -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    """(text, intent, entity spans) of an NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent"), [(e["start"], e["end"], e["entity"]) for e in m.get("entities") or []])
            for m in data.intent_examples]


def _f1(correct: int, predicted: int, gold: int) -> float:
    return 2 * correct / (predicted + gold) if predicted + gold else 1.0


async def _score_model(model: Path, test_sets: dict[str, list[tuple[str, str, list]]]) -> dict[str, Scores]:
    from rasa.core.agent import Agent
    from sklearn.metrics import f1_score

    agent = Agent.load(str(model))
    scores = {}
    for name, examples in test_sets.items():
        gold, predicted, entity_counts = [], [], [0, 0, 0]
        for text, intent, spans in examples:
            parsed = await agent.parse_message(text)
            gold.append(intent)
            predicted.append((parsed.get("intent") or {}).get("name"))
            found = {(e["start"], e["end"], e["entity"]) for e in parsed.get("entities") or []}
            expected = set(spans)
            entity_counts[0] += len(found & expected)
            entity_counts[1] += len(found)
            entity_counts[2] += len(expected)
        labels = sorted(set(gold))
        scores[name] = Scores(
            examples=len(examples),
            intent_accuracy=round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4),
            intent_f1=round(float(f1_score(gold, predicted, labels=labels, average="weighted", zero_division=0)), 4),
            entity_f1=round(_f1(*entity_counts), 4) if entity_counts[2] else None,
        )
    return scores


def score_model(model: Path, test_sets: dict[str, list[tuple[str, str, list]]]) -> dict[str, Scores]:
    """Scores of a model on every test set (loads the model in this process)."""
    return asyncio.run(_score_model(model, test_sets))


def gate(new: dict[str, Scores], current: dict[str, Scores], tolerance: float = 0.0) -> list[str]:
    """Why the new model is worse (empty list: it may be promoted). Intent F1 and entity F1 per test set."""
    reasons = []
    for name, old in current.items():
        candidate = new[name]
        for metric in ("intent_f1", "entity_f1"):
            before, after = getattr(old, metric), getattr(candidate, metric)
            if before is not None and after is not None and after < before - tolerance:
                reasons.append(f"{name}: {metric} {after:.4f} < 현재 {before:.4f}")
    return reasons


def running_model(rasa_url: str) -> Path | None:
    """The model file the Rasa server is running, if it answers (a bare file name is looked up in models/)."""
    try:
        status = api_request(rasa_url, "/status", timeout=5)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    model_file = status.get("model_file")
    if not model_file:
        return None
    path = Path(model_file)
    if path.is_absolute():
        return path
    found = [folder / path.name for folder in (MODELS_DIR, STAMP_FILE.parent) if (folder / path.name).exists()]
    return found[0] if found else MODELS_DIR / path.name


def current_model(rasa_url: str, url: str | None = None) -> Path:
    """The model to beat: the one the server runs, else the last promoted one, else the newest trained model."""
    running = running_model(rasa_url)
    if running is not None and running.exists():
        return running
    with engine(url).connect() as connection:
        promoted = connection.execute(select(registry.c.model).where(registry.c.promoted_at.isnot(None))
                                      .order_by(desc(registry.c.promoted_at))).scalars().all()
    for model in promoted:
        if Path(model).exists():
            return Path(model)
    if STAMP_FILE.exists():
        stamped = STAMP_FILE.parent / json.loads(STAMP_FILE.read_text())["model"]
        if stamped.exists():
            return stamped
    raise RetrainError("비교할 현재 모델이 없습니다. 먼저 `python -m bot train`으로 모델을 만들어 주세요.")


def promote(model: Path, rasa_url: str) -> None:
    """Swap the model into every running Rasa server (PUT /model) and check each /status reports it."""
    for server in replica_urls(rasa_url):
        try:
            api_request(server, "/model", method="PUT", body={"model_file": str(model.resolve())})
            status = api_request(server, "/status", timeout=10)
        except (urllib.error.URLError, OSError) as error:
            raise RetrainError(f"Rasa 서버({server})에 모델을 올리지 못했습니다: {error}") from error
        if Path(str(status.get("model_file", ""))).name != model.name:
            raise RetrainError(f"Rasa 서버({server})가 새 모델을 쓰지 않습니다: {status.get('model_file')}")


def write_report(record: dict[str, Any]) -> Path:
    """reports/retrain-<time>.json and .md with the comparison table."""
    REPORTS_DIR.mkdir(exist_ok=True)
    base = REPORTS_DIR / f"retrain-{record['started']}"
    base.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [f"# 재학습 비교 {record['started']}", "", f"- 새 모델: `{record['candidate']}`",
             f"- 현재 모델: `{record['current']}`", f"- 검토 예문: 학습 {record['reviewed_train']}개, "
             f"평가 {record['reviewed_holdout']}개", f"- 결정: **{record['decision']}**", ""]
    lines += ["| 평가 세트 | 예문 수 | 지표 | 현재 | 새 모델 | 차이 |", "|---|---|---|---|---|---|"]
    for name, new in record["scores"].items():
        old = record["current_scores"][name]
        for metric in ("intent_accuracy", "intent_f1", "entity_f1"):
            if new[metric] is None or old[metric] is None:
                continue
            lines.append(f"| {name} | {new['examples']} | {metric} | {old[metric]:.4f} | {new[metric]:.4f} | "
                         f"{new[metric] - old[metric]:+.4f} |")
    if record["reasons"]:
        lines += ["", "## 승격하지 않은 이유", *[f"- {reason}" for reason in record["reasons"]]]
    base.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return base.with_suffix(".md")


def retrain(who: str, rasa_url: str | None = None, reviewed: Path = REVIEWED_FILE,
            holdout: Path = HOLDOUT_FILE, epochs: int | None = None, tolerance: float = 0.0,
            current: Path | None = None, promote_model: bool = True, url: str | None = None) -> dict[str, Any]:
    """Train, evaluate new vs current, report, and promote if not worse. Returns the registry record."""
    rasa_url = rasa_url or default_rasa_url()
    started = datetime.now(timezone.utc)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    with retrain_lock(), tempfile.TemporaryDirectory(prefix="retrain-") as workdir:
        test_sets = {"fixed_split": load_test_examples(find_test_split())}
        if holdout.exists() and read_examples(holdout):
            test_sets["reviewed_holdout"] = load_test_examples(holdout)
        baseline = current or current_model(rasa_url, url)
        data_dir, config = prepare_inputs(Path(workdir), reviewed, epochs)
        repo_inputs = epochs is None and reviewed.resolve() == REVIEWED_FILE.resolve()
        wanted_stamp = inputs_hash() if repo_inputs else None
        hashed = data_hash(data_dir, config)
        log_action(who, "retrain:start", stamp, {"epochs": epochs, "data_hash": hashed}, url)
        print(f"학습 중… (데이터 해시 {hashed[:12]})", flush=True)
        candidate = train_model(data_dir, config, f"candidate-{stamp}")
        print(f"평가 중… 새 모델 {candidate.name} / 현재 모델 {baseline.name}", flush=True)
        new_scores, old_scores = score_model(candidate, test_sets), score_model(baseline, test_sets)
    reasons = gate(new_scores, old_scores, tolerance)
    decision = "rejected" if reasons else "promoted" if promote_model else "passed"
    record = {
        "started": stamp, "candidate": str(candidate), "current": str(baseline), "data_hash": hashed,
        "epochs": epochs, "tolerance": tolerance, "reviewed_train": len(read_examples(reviewed)),
        "reviewed_holdout": len(read_examples(holdout)),
        "scores": {k: v.__dict__ for k, v in new_scores.items()},
        "current_scores": {k: v.__dict__ for k, v in old_scores.items()},
        "decision": decision, "reasons": reasons,
    }
    if decision == "promoted":
        try:
            promote(candidate, rasa_url)
        except RetrainError as error:
            record["decision"], record["reasons"] = "error", [str(error)]
    report = write_report(record)
    record["report"] = str(report)
    now = datetime.now(timezone.utc)
    row = {"model": str(candidate), "created_at": started, "data_hash": hashed,
           "reviewed_examples": record["reviewed_train"], "scores": record["scores"],
           "baseline_model": str(baseline), "baseline_scores": record["current_scores"],
           "decision": record["decision"], "reasons": "\n".join(record["reasons"]), "report": str(report),
           "started_by": who}
    if record["decision"] == "promoted":
        row.update(promoted_at=now, promoted_by=who)
        if wanted_stamp is not None and wanted_stamp == inputs_hash():
            STAMP_FILE.write_text(json.dumps({"inputs_hash": wanted_stamp, "model": candidate.name}))
    with engine(url).begin() as connection:
        record["registry_id"] = int(connection.execute(registry.insert().values(**row)).inserted_primary_key[0])
    log_action(who, f"retrain:{record['decision']}", candidate.name, {"reasons": record["reasons"]}, url)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff.retrain", description=__doc__)
    parser.add_argument("--by", default=os.environ.get("STAFF_NAME") or os.environ.get("USER") or "cli",
                        help="who starts (and promotes) the retraining, for the registry and the audit log")
    parser.add_argument("--rasa-url", default=default_rasa_url(), help="running Rasa server (HTTP API enabled)")
    parser.add_argument("--reviewed", type=Path, default=REVIEWED_FILE, help="reviewed training examples (YAML)")
    parser.add_argument("--holdout", type=Path, default=HOLDOUT_FILE, help="reviewed held-out examples (YAML)")
    parser.add_argument("--current", type=Path, help="model to compare against (default: the one the server runs)")
    parser.add_argument("--epochs", type=int, help="override DIET/TED epochs (small models for quick checks)")
    parser.add_argument("--tolerance", type=float, default=0.0, help="allowed score drop (default 0: not worse)")
    parser.add_argument("--no-promote", action="store_true", help="evaluate and report only")
    parser.add_argument("--db", help="tracker database URL (default TRACKER_DB_URL or var/tracker.db)")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.tolerance < 0:
        parser.error("--tolerance must not be negative")
    try:
        record = retrain(args.by, args.rasa_url, args.reviewed, args.holdout, args.epochs, args.tolerance,
                         args.current, not args.no_promote, args.db)
    except RetrainError as error:
        print(f"오류: {error}", file=sys.stderr)
        return 2
    print(Path(record["report"]).read_text(encoding="utf-8"))
    print(DECISION_LABELS[record["decision"]])
    return 0 if record["decision"] in ("promoted", "passed") else 1


if __name__ == "__main__":
    sys.exit(main())
