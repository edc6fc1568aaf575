# syntax=docker/dockerfile:1
# One image for the three servers of bot/deploy/kubernetes (Rasa, action server, website + staff pages); the
# Deployment picks the server with the entry point's first argument (bot/deploy/entrypoint.sh).
#
# The model and the program index are BAKED IN: the build stage runs `python -m knowledge_base build` and
# `python -m bot train` and the runtime stage copies their output. An image tag is then one tested unit of code,
# model and index: every replica serves the same model, a model update is an ordinary rolling update of a new tag
# (readiness holds traffic until it is loaded), a rollback is `kubectl rollout undo`, and no ReadWriteMany volume
# or model server is needed. The cost is a rebuild per model (a few minutes of `rasa train` in CI).
#
# Requirements: the exact pins of requirements.lock (pip freeze; the lock has no hashes, so `--require-hashes` is not
# possible until it is regenerated with them). Base image pinned by version; pin its digest in your registry mirror.

FROM python:3.10.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    RASA_TELEMETRY_ENABLED=false PYTHONPATH=/app
WORKDIR /app
# The venv sits at /app/.venv in both stages: `python -m bot train` runs .venv/bin/rasa, and venvs are not relocatable.
COPY requirements.lock ./
RUN python -m venv /app/.venv \
    && /app/.venv/bin/pip install --no-cache-dir pip==24.0 wheel==0.45.1 \
    && /app/.venv/bin/pip install --no-cache-dir -r requirements.lock
COPY . .
ENV PATH=/app/.venv/bin:$PATH
# Index → var/index, model → models/<name>.tar.gz (the one named in models/training-stamp.json).
RUN python -m knowledge_base build \
    && python -m bot train --force \
    && mkdir -p /app/model \
    && python -c "import json, shutil; shutil.copy('models/' + json.load(open('models/training-stamp.json'))['model'], '/app/model/')" \
    && python -m compileall -q actions bot channels knowledge_base nlu

FROM python:3.10.13-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="kosmebot" \
      org.opencontainers.image.description="Korean SME policy consultation bot (Rasa 3.6): Rasa, action server, website"
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app PATH=/app/.venv/bin:$PATH \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    RASA_TELEMETRY_ENABLED=false HOME=/tmp MPLCONFIGDIR=/tmp/matplotlib RASA_CACHE_DIRECTORY=/tmp/rasa-cache \
    MODEL_PATH=/app/model KB_INDEX_DIR=/app/index KB_STAFF_GUIDES_DIR=/app/var/staff_guides
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /tmp --no-create-home --shell /usr/sbin/nologin bot
WORKDIR /app
# Code, venv, model and index belong to root and are read-only for the server user; /tmp and /app/var are volumes.
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/model /app/model
COPY --from=build /app/var/index /app/index
COPY --from=build /app/actions /app/actions
COPY --from=build /app/bot /app/bot
COPY --from=build /app/channels /app/channels
COPY --from=build /app/knowledge_base /app/knowledge_base
COPY --from=build /app/nlu /app/nlu
COPY --from=build /app/config.yml /app/domain.yml /app/credentials.yml /app/endpoints.yml /app/endpoints.production.yml /app/
RUN mkdir -p /app/var/staff_guides && chown -R bot:bot /app/var
USER 10001:10001
EXPOSE 5005 5055 8080
# Kubernetes ignores HEALTHCHECK and uses the probes of each Deployment; this one is for `docker run` of the Rasa role.
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s CMD ["/app/bot/deploy/entrypoint.sh", "ready"]
ENTRYPOINT ["/app/bot/deploy/entrypoint.sh"]
CMD ["rasa"]
