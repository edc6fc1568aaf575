"""End-to-end tests: conversation test stories and data validation against the trained model."""
