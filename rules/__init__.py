"""The rule files: YAML data read by engine.rulebook. No code lives here."""
