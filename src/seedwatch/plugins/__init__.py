"""Plugin manager, registry of capabilities, and the built-in plugins."""
