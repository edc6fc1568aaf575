"""What runs inside the Rasa server: its entry point with the bot's patches, the masking SQL tracker store, the
atomic Redis lock store, the tracker database and the client of Rasa's HTTP API. Imports nothing else from bot."""
