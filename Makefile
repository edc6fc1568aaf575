# The verbs people use. `make run` and `make test` set everything up first.
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: setup setup-sentence-transformers index train run serve test lint eval-nlu eval-answers transcripts eval-retrieval bench-retrieval bench-load bench-promotion telegram-polling review retrain lock audit clean

setup:
	@bash bot/setup.sh

# Optional embedder backend (KB_EMBEDDER=minilm or st:<model>): sentence-transformers and PyTorch (~4.6 GB with CUDA).
setup-sentence-transformers: setup
	.venv/bin/pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements-sentence-transformers.lock

index: setup
	$(PY) -m knowledge_base build

train: setup
	$(PY) -m bot train

run: index train
	$(PY) -m bot run

# Production shape (README "Production"): needs TRACKER_DB_URL and REDIS_URL, or ARGS=--local-services for a trial.
serve: index train
	$(PY) -m bot serve $(ARGS)

test: index train
	$(PY) -m pytest

lint: setup
	.venv/bin/ruff check .

eval-nlu: setup
	$(PY) -m bot.eval_nlu

# Real owner questions (held-out third) through the bot over REST → reports/answers.json and answers.md.
eval-answers: index train
	$(PY) -m bot.eval_answers $(ARGS)

# Scripted consultations (crisis, follow-ups, form, corrections, questions) over REST → reports/transcripts.{md,json}
# with the median first-reply length (target ≤ 600 characters).
transcripts: index train
	$(PY) -m bot.transcripts $(ARGS)

eval-retrieval: index
	$(PY) -m knowledge_base evaluate

bench-retrieval: index
	$(PY) -m knowledge_base bench

# Shapes vs the `rasa init` reference bot, saturation and a 200-turn conversation → reports/load.json;
# e.g. ARGS="--users 50 --rounds 3 --shape embedded --transport rest" (rounds: the shape and the reference take turns).
bench-load: index train
	$(PY) -m bot.load_test $(ARGS)

# Rasa server memory fresh and after three model promotions (PUT /model) → reports/promotion.json.
bench-promotion: train
	$(PY) -m bot.load_promotion

telegram-polling: index train
	$(PY) -m channels.telegram --polling

review: setup
	$(PY) -m bot.staff

retrain: setup
	$(PY) -m bot.staff.retrain

# Re-resolve the pinned lock after editing requirements.in (needs network access to the package index).
lock: setup
	.venv/bin/pip install -q -r requirements.in
	(echo "# Full pinned resolution of requirements.in on Python 3.10.13 (pip freeze). Regenerate: make lock"; \
	 .venv/bin/pip freeze --exclude-editable) > requirements.lock

# Dependency vulnerability report reports/pip-audit.{json,md}; pip-audit runs from its own venv (var/audit-venv).
audit: setup
	$(PY) -m bot.audit

clean:
	rm -rf models var reports .pytest_cache
