"""People, API keys, roles and browser sessions."""
