"""Tests of channels/: REST, socket.io (and the widget in a real browser) and Telegram against a fake Bot API.
The cross-channel test runs one consultation through every channel of a real Rasa server."""
