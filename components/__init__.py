"""Custom Rasa NLU components: spaCy tokenisation and entity rules, the classifier, the red-flag net."""

from components import rasa_patches

rasa_patches.apply()
