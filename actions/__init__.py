"""Custom actions for the Botox-and-fillers consultation assistant (a rasa-sdk package)."""
