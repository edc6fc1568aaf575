"""Retrain pieces that need no training: the gate, inputs preparation, the test split, the lock, the CLI errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.staff import retrain
from bot.staff.retrain import RetrainError, Scores, find_test_split, gate, prepare_inputs, retrain_lock


def _scores(intent_f1: float, entity_f1: float | None = 0.9) -> Scores:
    return Scores(examples=10, intent_accuracy=intent_f1, intent_f1=intent_f1, entity_f1=entity_f1)


def test_gate_promotes_only_if_not_worse_on_either_set() -> None:
    current = {"fixed_split": _scores(0.80), "reviewed_holdout": _scores(0.50, None)}
    assert gate({"fixed_split": _scores(0.80), "reviewed_holdout": _scores(0.60, None)}, current) == []
    worse_fixed = gate({"fixed_split": _scores(0.79), "reviewed_holdout": _scores(0.90, None)}, current)
    assert worse_fixed == ["fixed_split: intent_f1 0.7900 < 현재 0.8000"]
    worse_reviewed = gate({"fixed_split": _scores(0.95), "reviewed_holdout": _scores(0.40, None)}, current)
    assert len(worse_reviewed) == 1 and worse_reviewed[0].startswith("reviewed_holdout")
    assert gate({"fixed_split": _scores(0.80, 0.8), "reviewed_holdout": _scores(0.5, None)}, current)
    assert gate({"fixed_split": _scores(0.79), "reviewed_holdout": _scores(0.5, None)}, current, tolerance=0.02) == []


def test_prepare_inputs_swaps_the_reviewed_file_and_epochs(tmp_path: Path) -> None:
    reviewed = tmp_path / "mine.yml"
    reviewed.write_text('version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n    - 연락처는 <전화번호>\n',
                        encoding="utf-8")
    data_dir, config = prepare_inputs(tmp_path / "work", reviewed, epochs=3)
    assert (data_dir / "nlu" / "reviewed_examples.yml").read_text(encoding="utf-8") == reviewed.read_text("utf-8")
    assert (data_dir / "rules").is_dir() and (data_dir / "stories").is_dir()
    loaded = yaml.safe_load(config.read_text(encoding="utf-8"))
    epochs = [c["epochs"] for c in loaded["pipeline"] + loaded["policies"] if "epochs" in c]
    assert epochs and set(epochs) == {3}
    with pytest.raises(RetrainError, match="검토 예문 파일이 없습니다"):
        prepare_inputs(tmp_path / "other", tmp_path / "missing.yml", None)


def test_fixed_test_split_is_found_or_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NLU_TEST_SPLIT", raising=False)
    assert find_test_split().parent.name == "data"
    monkeypatch.setenv("NLU_TEST_SPLIT", str(tmp_path / "nope.yml"))
    with pytest.raises(RetrainError, match="NLU_TEST_SPLIT"):
        find_test_split()


def test_a_second_retraining_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(retrain, "LOCK_FILE", tmp_path / "retrain.lock")
    assert not retrain.is_running()
    with retrain_lock():
        assert retrain.is_running()
        with pytest.raises(RetrainError, match="이미 진행 중"), retrain_lock():
            pass
    assert not retrain.is_running()


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--epochs", "0"], ["--tolerance", "-1"], ["--epochs", "many"]):
        with pytest.raises(SystemExit) as exit_info:
            retrain.main(argv)
        assert exit_info.value.code == 2
    assert "--epochs" in capsys.readouterr().err


def test_cli_explains_a_missing_current_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(retrain, "LOCK_FILE", tmp_path / "retrain.lock")
    monkeypatch.setattr(retrain, "STAMP_FILE", tmp_path / "stamp.json")
    code = retrain.main(["--rasa-url", "http://127.0.0.1:9", "--db", f"sqlite:///{tmp_path / 't.db'}",
                         "--holdout", str(tmp_path / "none.yml")])
    assert code == 2 and "비교할 현재 모델이 없습니다" in capsys.readouterr().err
