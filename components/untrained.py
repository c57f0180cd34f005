"""The base of the NLU components that learn nothing: each is built from its config alone."""

from __future__ import annotations

from typing import Any, Dict

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class UntrainedComponent(GraphComponent):
    """A graph component with nothing to train or persist; `config` is its defaults and config.yml's."""

    def __init__(self, config: Dict[str, Any]) -> None:
        """Keeps the component's config."""
        self.config = config

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Creates the component from its defaults and the config in config.yml."""
        return cls({**cls.get_default_config(), **config})
