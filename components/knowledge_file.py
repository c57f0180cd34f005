"""Base for NLU components whose rules come from a YAML file under knowledge/."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, Optional

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData


class KnowledgeFileComponent(GraphComponent):
    """Copies its rules file into the trained model, so `rasa run` needs only the model archive.

    The file's content is part of the component's fingerprint: editing it retrains the component.
    Subclasses set up their matchers in `_build` from the file's parsed content.
    """

    _STORED_FILE = "rules.json"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Returns the default config: `path` to the rules file, relative to the project root."""
        return {"path": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Makes a change to the rules file invalidate the cached, trained component."""
        # Rasa also calls this for a cached node, with that node's config, which has no path.
        if "path" not in config:
            return None
        return hashlib.sha256(Path(config["path"]).read_bytes()).hexdigest()

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        rules: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Creates the component, ready to process messages when `rules` are given."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._rules = rules or {}
        self._build(self._rules)

    def _build(self, rules: Dict[str, Any]) -> None:
        """Prepares the matchers for `rules` (the parsed rules file)."""
        raise NotImplementedError

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeFileComponent:
        """Creates an untrained component."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Reads the rules file and stores its content in the model."""
        path = Path(self._config["path"])
        self._rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._build(self._rules)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self._STORED_FILE).write_text(json.dumps(self._rules), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KnowledgeFileComponent:
        """Loads the rules stored in the model."""
        with model_storage.read_from(resource) as directory:
            rules = json.loads((directory / cls._STORED_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, rules)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves the training data as it is: these rules are not features."""
        return training_data
