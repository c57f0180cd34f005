"""Custom Rasa NLU components: spaCy tokenisation and entity rules, and the red-flag safety net."""
