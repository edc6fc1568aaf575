"""The NLU test sets and how a model is scored on them (used by `make eval-nlu`, bot/eval_nlu.py).

The clean test split (tests/nlu/data/nlu_test.yml) is written by hand; the noisy set (noisy_test.yml next to it)
is generated from it by bot/noisy_nlu.py. Both live outside bot/data, so no training run ever sees them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bot.paths import REPO_ROOT

TEST_DATA_DIR = REPO_ROOT / "tests" / "nlu" / "data"
TEST_SPLIT = TEST_DATA_DIR / "nlu_test.yml"
NOISY_SPLIT = TEST_DATA_DIR / "noisy_test.yml"
BLIND_ENTITIES = TEST_DATA_DIR / "entities_blind.yml"
FALLBACK_INTENT = "nlu_fallback"


def top_intent(parse: dict[str, Any], *, with_fallback: bool) -> tuple[str, float]:
    """The predicted intent and its confidence; without fallback, the best real intent of the ranking."""
    if with_fallback or parse["intent"]["name"] != FALLBACK_INTENT:
        return parse["intent"]["name"], parse["intent"]["confidence"]
    best = next(item for item in parse["intent_ranking"] if item["name"] != FALLBACK_INTENT)
    return best["name"], best["confidence"]


def intent_scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Macro-F1, accuracy and per-intent F1 over the gold labels."""
    from sklearn.metrics import classification_report

    labels = sorted(set(gold))
    report = classification_report(gold, predicted, labels=labels, output_dict=True, zero_division=0)
    return {
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4),
        "per_intent_f1": {label: round(report[label]["f1-score"], 3) for label in labels},
    }


def _same_value(gold: Any, predicted: Any) -> bool:
    if isinstance(gold, int | float) and isinstance(predicted, int | float):
        return abs(float(gold) - float(predicted)) < 0.01
    return str(gold) == str(predicted)


def entity_scores(examples: list[dict[str, Any]]) -> dict[str, Any]:
    """Rule-extractor entities vs the gold annotations of the test split.

    A prediction counts when entity type and normalised value equal a gold entity and the spans overlap
    (`strict` also requires the exact span).
    """
    from nlu.entities import extract_entities

    counts: dict[str, Counter[str]] = {}
    strict_tp = 0
    errors: list[dict[str, Any]] = []
    for example in examples:
        gold = list(example["entities"])
        predicted = [e.as_rasa("KoreanEntityExtractor") for e in extract_entities(example["text"])]
        unmatched = list(gold)
        for entity in predicted:
            counts.setdefault(entity["entity"], Counter())["predicted"] += 1
            match = next((g for g in unmatched if g["entity"] == entity["entity"] and g["start"] < entity["end"]
                          and entity["start"] < g["end"] and _same_value(g["value"], entity["value"])), None)
            if match is None:
                errors.append({"text": example["text"], "extra": entity})
                continue
            unmatched.remove(match)
            counts[entity["entity"]]["tp"] += 1
            strict_tp += (match["start"], match["end"]) == (entity["start"], entity["end"])
        for entity in gold:
            counts.setdefault(entity["entity"], Counter())["gold"] += 1
        errors += [{"text": example["text"], "missed": entity} for entity in unmatched]

    def f1(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(score, 4)}

    total = sum((c for c in counts.values()), Counter())
    return {
        "micro": f1(total["tp"], total["predicted"], total["gold"]),
        "strict_span_micro": f1(strict_tp, total["predicted"], total["gold"]),
        "gold_entities": total["gold"],
        "per_entity": {name: f1(c["tp"], c["predicted"], c["gold"]) | {"gold": c["gold"]}
                       for name, c in sorted(counts.items())},
        "errors": errors,
    }


def load_examples(path: Path) -> list[dict[str, Any]]:
    """Text, intent and gold entities (and any per-example metadata) of every example in a Rasa NLU file or folder."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [{"text": m.get("text"), "intent": m.get("intent"), "entities": m.get("entities") or [],
             **({"metadata": m.get("metadata")["example"]} if (m.get("metadata") or {}).get("example") else {})}
            for m in load_data(str(path)).intent_examples]


def write_examples(examples: list[dict[str, Any]], path: Path) -> None:
    """Write examples (text + intent only) as a Rasa NLU YAML file."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example["intent"], []).append(example["text"])
    nlu = [{"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
           for intent, texts in by_intent.items()]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def confusion_png(gold: list[str], predicted: list[str], path: Path) -> None:
    """Confusion matrix of the test split (rows gold, columns predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    matrix = confusion_matrix(gold, predicted, labels=labels)
    figure, axes = plt.subplots(figsize=(14, 12))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            axes.text(column, row, str(count), ha="center", va="center", fontsize=6,
                      color="white" if count > matrix.max() / 2 else "black")
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title("NLU test split, KoNLPy (Mecab) pipeline")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)




def noisy_scores(clean: list[dict[str, Any]], clean_predicted: list[str], noisy: list[dict[str, Any]],
                 noisy_predicted: list[str]) -> dict[str, Any]:
    """Intent macro-F1 on the clean split vs the noisy set, the gap in points, and the noisy set by kind of noise."""
    clean_scores = intent_scores([e["intent"] for e in clean], clean_predicted)
    noisy_scores_ = intent_scores([e["intent"] for e in noisy], noisy_predicted)
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for example, predicted in zip(noisy, noisy_predicted, strict=True):
        kind = example.get("metadata", {}).get("noise", "unknown")
        by_kind.setdefault(kind, []).append((example["intent"], predicted))
    return {
        "clean_examples": len(clean),
        "noisy_examples": len(noisy),
        "intent_macro_f1_clean": clean_scores["macro_f1"],
        "intent_macro_f1_noisy": noisy_scores_["macro_f1"],
        "gap_points": round((clean_scores["macro_f1"] - noisy_scores_["macro_f1"]) * 100, 2),
        "accuracy_clean": clean_scores["accuracy"],
        "accuracy_noisy": noisy_scores_["accuracy"],
        "by_noise": {kind: {"examples": len(pairs), "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4)}
                     for kind, pairs in sorted(by_kind.items())},
        "per_intent_f1_noisy": noisy_scores_["per_intent_f1"],
        "noisy_errors": [{"text": e["text"], "source": e.get("metadata", {}).get("source"),
                          "noise": e.get("metadata", {}).get("noise"), "gold": e["intent"], "predicted": p}
                         for e, p in zip(noisy, noisy_predicted, strict=True) if e["intent"] != p],
    }
