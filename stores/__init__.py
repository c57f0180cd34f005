"""Rasa stores configured from the environment (endpoints.yml names them)."""
