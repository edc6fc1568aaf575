"""Train the Rasa model only when its inputs changed (a stamp on their content hash)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from bot.paths import CONFIG_FILE, DOMAIN_FILE, MODELS_DIR, REPO_ROOT, TRAINING_DATA_DIR, VENV_BIN
from knowledge_base.guide_documents import guides_dir, load_guides

GUIDE_QUESTIONS_FILE = TRAINING_DATA_DIR / "nlu" / "guide_questions.yml"
# Phrasings per guide that become ask_question examples: enough to teach 'a question about policy funds', few enough
# that ask_question does not swamp the program intents (guide matching itself reads every phrasing from the index).
NLU_PHRASINGS_PER_GUIDE = 4

STAMP_FILE = MODELS_DIR / "training-stamp.json"


def rasa_train_command(out: Path, *options: str, config: Path = CONFIG_FILE, data: Path = TRAINING_DATA_DIR,
                       ) -> list[str]:
    """The `rasa train` command line on the project's domain, writing into `out`."""
    return [str(VENV_BIN / "rasa"), "train", "--config", str(config), "--domain", str(DOMAIN_FILE), "--data",
            str(data), "--out", str(out), *options]


def guide_questions_yaml() -> str:
    """NLU examples of the intent ask_question: the first NLU_PHRASINGS_PER_GUIDE owner phrasings of each shipped
    guide (not staff answers, which retrieval finds without retraining)."""
    lines = ["# Generated from knowledge_base/guides by `python -m bot guide-questions`; do not edit by hand.",
             'version: "3.1"', "nlu:", "- intent: ask_question", "  examples: |"]
    questions = dict.fromkeys(q for guide in load_guides(guides_dir())
                              for q in guide.questions[:NLU_PHRASINGS_PER_GUIDE])
    lines += [f"    - {question}" for question in questions]
    return "\n".join(lines) + "\n"


def write_guide_questions(path: Path = GUIDE_QUESTIONS_FILE) -> Path:
    """Write the ask_question examples generated from the guides."""
    path.write_text(guide_questions_yaml(), encoding="utf-8")
    return path


def training_inputs() -> list[Path]:
    """Every file whose change requires a new model: config, domain, training data and pipeline code."""
    files = [CONFIG_FILE, DOMAIN_FILE, *sorted(TRAINING_DATA_DIR.rglob("*.yml"))]
    files += sorted((REPO_ROOT / "nlu").rglob("*.py"))
    return files


def inputs_hash() -> str:
    """Content hash of the training inputs (paths included, so renames count)."""
    digest = hashlib.sha256()
    for path in training_inputs():
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def current_model() -> Path | None:
    """The model trained from the current inputs, if it exists."""
    if not STAMP_FILE.exists():
        return None
    stamp = json.loads(STAMP_FILE.read_text())
    model = MODELS_DIR / stamp["model"]
    return model if stamp["inputs_hash"] == inputs_hash() and model.exists() else None


def train(force: bool = False) -> Path:
    """Return an up-to-date model, training one with `rasa train` if the inputs changed."""
    model = None if force else current_model()
    if model is not None:
        print(f"Model is up to date: {model.relative_to(REPO_ROOT)}")
        return model
    wanted_hash = inputs_hash()
    MODELS_DIR.mkdir(exist_ok=True)
    before = set(MODELS_DIR.glob("*.tar.gz"))
    subprocess.run(rasa_train_command(MODELS_DIR, "--force"), cwd=REPO_ROOT, check=True)
    new_models = set(MODELS_DIR.glob("*.tar.gz")) - before
    if not new_models:
        raise RuntimeError("rasa train finished without writing a model")
    model = max(new_models, key=lambda path: path.stat().st_mtime)
    STAMP_FILE.write_text(json.dumps({"inputs_hash": wanted_hash, "model": model.name}))
    return model
