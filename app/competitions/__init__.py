"""competitions context."""
