"""What runs inside the Rasa server: its entry point with the bot's patches, the masking SQL tracker store (a long
session read as a window), the atomic Redis lock store, the tracker database and the client of Rasa's HTTP API."""
