"""Input channels: Rasa's REST channel with its input checked."""
