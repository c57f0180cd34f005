"""Typing marks that differ only in look: phones write "what’s", the training data "what's"."""

# each is one character, so every offset into the text stays the same
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})


def straight_apostrophes(text: str) -> str:
    """The text with curly, acute and back-tick apostrophes written as the plain one."""
    return text.translate(APOSTROPHES)
