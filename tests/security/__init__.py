"""Security checks: Rasa HTTP API token, secrets only from the environment, staff login limit, rate limits."""
