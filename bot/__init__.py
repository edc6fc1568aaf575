"""Training data (bot/data), end-to-end conversation tests (bot/tests) and the command-line verbs.

Also the runtime wiring that starts the action server, the Rasa server and the demo web server together.
"""
