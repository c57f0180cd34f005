"""Runs Rasa's command line (`python -m scripts.rasa_quietly run …`) without third-party deprecation noise.

Sanic turns every DeprecationWarning on when it is imported (`filterwarnings("once")`), so starting Rasa
prints dozens of them from pkg_resources, TensorFlow, matplotlib, SQLAlchemy, Click and Rasa itself:
things a newcomer can do nothing about, burying the lines that matter. Sanic is imported first here, then
deprecation warnings are ignored unless they come from this project's own packages, again each time Rasa
sets its own warning filters (which would let the ones that are also UserWarnings, like pyparsing's,
through). Every other warning, and every error and log line, is shown as before.
"""

from __future__ import annotations

import warnings
from typing import Any

import sanic  # noqa: F401  (first: its import switches all deprecation warnings on)

OWN_PACKAGES = r"(actions|channels|components|review|scripts|stores)(\.|$)"


def quieten() -> None:
    """Ignores deprecation warnings from other people's code; ours still show."""
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
        warnings.filterwarnings("default", category=category, module=OWN_PACKAGES)


def main() -> None:
    """Runs Rasa's command line with the filters set, and set again after Rasa sets its own."""
    quieten()
    import rasa.utils.common
    from rasa.__main__ import main as rasa_main

    rasa_filters = rasa.utils.common._filter_warnings

    def rasa_filters_then_ours(*args: Any, **kwargs: Any) -> None:
        rasa_filters(*args, **kwargs)
        quieten()

    rasa.utils.common._filter_warnings = rasa_filters_then_ours
    rasa_main()


if __name__ == "__main__":
    main()
