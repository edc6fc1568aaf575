"""Input/output channels of the Rasa server: the website widget (socket.io), REST and Telegram.
Channels only move messages in and out; every incoming text passes through channels.incoming."""
