#!/bin/sh
# Entry point of the image (Dockerfile): `entrypoint.sh ROLE` runs one server on every interface of its container.
#   rasa     Rasa server (endpoints.production.yml: PostgreSQL tracker store, Redis lock store), port RASA_PORT 5005
#   actions  rasa-sdk action server, port ACTION_PORT 5055
#   web      website + staff pages, port WEB_PORT 8080; RASA_URL = internal Rasa API, PUBLIC_URL = browsers' origin
#   ready [ROLE]  exit 0 when the role's server is ready; for Rasa only when a model is loaded (GET /status with the
#            API token answers a model_id; before that Rasa answers 409 "No agent loaded" or nothing at all)
# The role is the first argument, else env BOT_ROLE, else rasa. Secrets come from the environment only.
set -eu
role="${1:-${BOT_ROLE:-rasa}}"
[ $# -gt 0 ] && shift

case "$role" in
  rasa)
    # BOT_CORS_ORIGINS is a space-separated list: one `--cors` value per origin (the socket.io channel reads it too).
    # shellcheck disable=SC2086
    exec python -m bot.server.rasa_server run --enable-api --model "${MODEL_PATH:-/app/model}" \
      --credentials credentials.yml --endpoints "${RASA_ENDPOINTS:-endpoints.production.yml}" \
      --interface 0.0.0.0 --port "${RASA_PORT:-5005}" --cors ${BOT_CORS_ORIGINS:?set BOT_CORS_ORIGINS} "$@"
    ;;
  actions)
    # One BLAS thread: OpenBLAS's spare threads spin after each small product (bot/deploy/processes.py).
    OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" SANIC_HOST="${ACTION_HOST:-0.0.0.0}" \
      exec python -m rasa_sdk --actions actions --port "${ACTION_PORT:-5055}" "$@"
    ;;
  web)
    exec python -m bot.deploy.website --host 0.0.0.0 --port "${WEB_PORT:-8080}" --rasa-url "${RASA_URL:?set RASA_URL}" \
      --socket-url "${PUBLIC_URL:?set PUBLIC_URL}" "$@"
    ;;
  ready)
    exec python - "${1:-${BOT_ROLE:-rasa}}" <<'PY'
import json, os, sys, urllib.parse, urllib.request
role = sys.argv[1]
if role == "rasa":
    token = urllib.parse.quote(os.environ.get("RASA_API_TOKEN", ""))
    url = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/status?token={token}"
else:
    port, path = {"actions": (os.environ.get("ACTION_PORT", "5055"), "/health"),
                  "web": (os.environ.get("WEB_PORT", "8080"), "/healthz")}[role]
    url = f"http://127.0.0.1:{port}{path}"
try:
    with urllib.request.urlopen(url, timeout=4) as response:
        body = response.read()
except Exception as error:  # refused, 401/409, timeout: not ready
    sys.exit(f"{role} not ready: {error}")
if role == "rasa" and not json.loads(body).get("model_id"):
    sys.exit("rasa not ready: no model loaded")
PY
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
