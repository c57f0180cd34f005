"""Staff corrections as training data: Rasa NLU examples, and triage cases for the red flags missed.

`python -m review export-training --since 2026-01-01` (review/__main__.py) turns the corrections made in
the inbox since that day into:

- NLU examples (data/review_corrections.yml): an `intent` correction is an example of that intent, a
  `gap` one an example of ask_not_covered; the treatment or the gap topic is kept as the example's
  metadata;
- triage cases (tests/review_red_flags.yml, the shape of tests/heldout/triage*.yml): a red flag the
  assistant missed becomes a test that `make test` runs (tests/test_triage.py), never a pattern: a
  developer widens knowledge/red_flags.yml, by kind, until it passes;
- nothing for `fine` (off-topic, or answered as it should have been).

Every text is redacted (review/redact.py), then annotated with the entity patterns as the training data
is (components/spacy_ruler.py). A correction is skipped, with the reason, when its text is already in the
training data or in this export (case, punctuation, white space and annotations aside), or when the
checks of tests/test_nlu_data.py would refuse it as a training example: a near-copy of a held-out
message (training on it would flatter `make evaluate`), words copied from the article, or a message the
red-flag check sends to urgent care whatever the classifier says. An output file keeps what an earlier
export wrote there: running the command again adds only the new corrections.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import yaml

from contract import NOT_COVERED_INTENT, PROJECT_ROOT
from review import summary
from review.redact import PLACEHOLDERS, redact

DATA = PROJECT_ROOT / "data"
HELD_OUT = PROJECT_ROOT / "tests" / "heldout"
PATIENT_QUESTIONS = PROJECT_ROOT / "tests" / "patient_questions.yml"
DEFAULT_OUT = DATA / "review_corrections.yml"
DEFAULT_RED_FLAGS_OUT = PROJECT_ROOT / "tests" / "review_red_flags.yml"
# the first line of every file the export writes: it rewrites no other file
GENERATED = "# Generated from staff corrections"
# a training example this similar to a held-out message (rapidfuzz's ratio) would flatter the evaluation;
# tests/test_nlu_data.py fails on it
NEAR_COPY = 90
# the group and source of an exported triage case (the held-out sets name the kind and the page)
RED_FLAG_GROUP = "review"
NOTHING_TO_LEARN = "off-topic or fine as answered: nothing to learn"


class ExportError(ValueError):
    """An output file the export must not or cannot rewrite; the text says which and why."""


def normalised(text: str) -> str:
    """A message's words: annotations stripped, case, punctuation and white space ignored.

    As the inbox groups them: "How long does [Botox](treatment) last?" is "how long does botox last".
    """
    from rasa.shared.nlu.training_data.entities_parser import replace_entities

    return summary.words(replace_entities(text))


@dataclass(frozen=True)
class Example:
    """An NLU training example: its intent, its annotated text and its metadata."""

    intent: str
    text: str
    metadata: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A correction left out of the export: its (redacted) text and why."""

    text: str
    reason: str


@dataclass
class TrainingExport:
    """What an export writes: every example and triage case of its files, the new ones, the skipped."""

    examples: List[Example] = field(default_factory=list)
    new_examples: List[Example] = field(default_factory=list)
    red_flags: List[Dict[str, str]] = field(default_factory=list)
    new_red_flags: List[Dict[str, str]] = field(default_factory=list)
    skipped: List[Skipped] = field(default_factory=list)


def shown(path: Path) -> str:
    """A path as messages and reasons name it: relative to the project when inside it."""
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def nlu_files(folder: Path = DATA) -> List[Path]:
    """The NLU files of a folder (data/: nlu.yml and the exported corrections, not rules or stories)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    return [path for path in sorted(folder.glob("*.yml")) if RasaYAMLReader.is_yaml_nlu_file(path)]


def read_examples(path: Path) -> List[Tuple[str, str, Dict[str, Any]]]:
    """The intent examples of an NLU file: (intent, plain text, example metadata).

    Read as Rasa's reader reads them, less its check of every entity annotation against a JSON schema
    (seconds for data/nlu.yml; `make validate` runs it) and its merging of an example written twice.
    """
    from rasa.shared.nlu.training_data.entities_parser import replace_entities
    from rasa.shared.nlu.training_data.formats.rasa_yaml import STRIP_SYMBOLS

    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
    found: List[Tuple[str, str, Dict[str, Any]]] = []
    for block in document.get("nlu") or []:
        examples = block.get("examples") if "intent" in block else None
        if isinstance(examples, str):  # "- text" lines
            items = [
                (line[1:].strip(STRIP_SYMBOLS), None)
                for line in examples.splitlines()
                if line.startswith("-")
            ]
        else:  # {text, metadata} items
            items = [
                (item.get("text", "").strip(STRIP_SYMBOLS), item.get("metadata"))
                for item in examples or []
                if item
            ]
        found += [(block["intent"], replace_entities(text), metadata or {}) for text, metadata in items]
    return found


def earlier_examples(path: Path) -> List[Example]:
    """The examples an earlier export wrote, annotated afresh (the patterns may have changed since)."""
    return [
        Example(
            intent, annotated(text), tuple(sorted((str(key), str(value)) for key, value in metadata.items()))
        )
        for intent, text, metadata in read_examples(path)
    ]


def held_out_texts() -> Iterator[Tuple[str, str]]:
    """Every patient message of the held-out sets (tests/heldout/) and of tests/patient_questions.yml.

    None may come into the training data, nor any near-copy of one: tests/test_nlu_data.py checks.
    """
    for path in sorted(HELD_OUT.glob("*.yml")):
        # libyaml's loader: the sets hold thousands of messages (PyYAML's own takes seconds on them)
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for items in document.values():
            for item in items:
                for turn in item.get("turns") or [item]:
                    yield shown(path), turn if isinstance(turn, str) else turn["text"]
    if PATIENT_QUESTIONS.exists():
        document = yaml.safe_load(PATIENT_QUESTIONS.read_text(encoding="utf-8"))
        for conversation in document["conversations"]:
            for turn in conversation:
                yield shown(PATIENT_QUESTIONS), turn["text"]


@lru_cache(maxsize=None)
def _ruler() -> Any:
    """The entity ruler on knowledge/entity_patterns.yml, as `make annotate` builds it."""
    from components.spacy_ruler import SpacyEntityRuler

    patterns = (PROJECT_ROOT / "knowledge" / "entity_patterns.yml").read_text(encoding="utf-8")
    return SpacyEntityRuler({}, None, None, yaml.safe_load(patterns))  # type: ignore[arg-type]


@lru_cache(maxsize=None)
def _red_flag_detector() -> Any:
    """The red-flag check on knowledge/red_flags.yml, as the pipeline runs it (medspaCy: a few seconds)."""
    from components.red_flags import RedFlagDetector

    rules = (PROJECT_ROOT / "knowledge" / "red_flags.yml").read_text(encoding="utf-8")
    return RedFlagDetector({}, None, None, yaml.safe_load(rules))  # type: ignore[arg-type]


def annotated(text: str) -> str:
    """A plain text with the entity annotations the patterns give it."""
    from components.spacy_ruler import annotate

    return annotate(text, _ruler())


def _plain(text: str) -> str:
    """A patient's message as one line of text that Rasa won't read as an annotation.

    Rasa reads "[words](entity)", "[words]{…}" and "[words][…]" as entities: a space after a closing
    bracket ("[name] (my sister)") keeps a patient's own brackets, and a placeholder, text.
    """
    return re.sub(r"\](?=[({\[])", "] ", " ".join(text.split()))


def _nothing_but_placeholders(text: str) -> bool:
    left = text
    for placeholder in {*PLACEHOLDERS.values(), "[id]"}:
        left = left.replace(placeholder, " ")
    return not re.search(r"\w", left)


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


class _Seen:
    """Normalised texts already written somewhere: where, and as which intent (None for a triage case)."""

    def __init__(self) -> None:
        self.where: Dict[str, Tuple[str, Optional[str]]] = {}

    def add(self, text: str, where: str, intent: Optional[str] = None) -> None:
        self.where.setdefault(normalised(text), (where, intent))

    def reason(self, text: str, intent: Optional[str] = None) -> Optional[str]:
        """Why `text` is not written again (as an example of `intent`), or None if it is new."""
        found = self.where.get(normalised(text))
        if found is None:
            return None
        where, written_as = found
        if written_as is None or intent is None:
            return where
        if written_as != intent:
            return f"{where} as {written_as}, not {intent}: if that label is wrong, correct it there"
        return f"{where} ({written_as})"


class _HeldOut:
    """What tests/test_nlu_data.py refuses in the training data, beyond annotations that differ."""

    def __init__(self) -> None:
        self.texts = list(held_out_texts())
        self._normalised = [normalised(text) for _, text in self.texts]
        self._article = (PROJECT_ROOT / "knowledge" / "article.txt").read_text(encoding="utf-8").lower()

    def refuses(self, text: str) -> Optional[str]:
        """Why `text` can't be a training example, or None."""
        from rapidfuzz import fuzz, process

        near = process.extractOne(
            normalised(text), self._normalised, scorer=fuzz.ratio, score_cutoff=NEAR_COPY
        )
        if near:
            name = self.texts[near[2]][0]
            return f"a near-copy of a held-out message ({name}): it would flatter make evaluate"
        if len(text.split()) >= 8 and text.lower() in self._article:
            return "copied from the article word for word"
        flags = _red_flag_detector().detect(text)
        if flags:
            return (
                f"the red-flag check sends it to urgent care ({flags[0]['label']}), whatever the intent: "
                "a training example can't change that (knowledge/red_flags.yml decides)"
            )
        return None


def _earlier_export(path: Path, what: str) -> Optional[str]:
    """The text of an earlier export at `path`, if any; raises ExportError for a file it didn't write."""
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    if not text.startswith(GENERATED):
        raise ExportError(f"{shown(path)} was not written by export-training: choose another {what}.")
    return text


def build(
    corrections: Sequence[Mapping[str, Any]],
    out: Path = DEFAULT_OUT,
    red_flags_out: Path = DEFAULT_RED_FLAGS_OUT,
) -> TrainingExport:
    """The export of `corrections` (queries.corrections_since), with what earlier exports wrote.

    `out` and `red_flags_out` keep what they hold (re-annotated, in case the patterns changed). Raises
    ExportError for an output file the export must not rewrite.
    """
    for path in (out, red_flags_out):
        if path.resolve().is_relative_to(HELD_OUT.resolve()):
            raise ExportError("the held-out sets (tests/heldout/) never receive exported examples.")
    export = TrainingExport()
    seen_examples, seen_cases = _Seen(), _Seen()
    if _earlier_export(out, "--out") is not None:
        export.examples = earlier_examples(out)
        for example in export.examples:
            seen_examples.add(example.text, f"already in {shown(out)}", example.intent)
    for path in nlu_files():
        if path.resolve() != out.resolve():
            for intent, text, _ in read_examples(path):
                seen_examples.add(text, f"already in {shown(path)}", intent)
    earlier_cases = _earlier_export(red_flags_out, "--red-flags-out")
    for case in (yaml.safe_load(earlier_cases or "") or {}).get("emergencies") or []:
        export.red_flags.append({key: str(case.get(key) or "") for key in ("text", "group", "source")})
        seen_cases.add(case["text"], f"already in {shown(red_flags_out)}")
    held_out = _HeldOut()
    for name, text in held_out.texts:
        if Path(name).name.startswith("triage"):
            seen_cases.add(text, f"already a triage case in {name}")

    for correction in corrections:
        outcome = correction["outcome"]
        text = _plain(redact(correction["text"] or ""))
        if outcome == "fine":
            export.skipped.append(Skipped(text, NOTHING_TO_LEARN))
        elif _nothing_but_placeholders(text):
            export.skipped.append(Skipped(text, "nothing left once personal details are redacted"))
        elif outcome == "red_flag":
            reason = seen_cases.reason(text)
            if reason:
                export.skipped.append(Skipped(text, reason))
                continue
            source = f"review correction {_day(correction['corrected_at'])}"
            export.new_red_flags.append({"text": text, "group": RED_FLAG_GROUP, "source": source})
            seen_cases.add(text, "repeats another red flag of this export")
        else:
            if outcome == "intent":
                intent = correction["intent"]
                metadata = {"treatment": correction["treatment"]} if correction["treatment"] else {}
            elif outcome == "gap":
                intent = NOT_COVERED_INTENT
                metadata = {"gap_topic": " ".join(redact(correction["gap_topic"] or "").split())}
            else:
                raise ValueError(f"unknown outcome {outcome!r}")
            reason = seen_examples.reason(text, intent) or held_out.refuses(text)
            if reason:
                export.skipped.append(Skipped(text, reason))
                continue
            export.new_examples.append(Example(intent, annotated(text), tuple(sorted(metadata.items()))))
            seen_examples.add(text, "repeats another correction of this export", intent)

    export.examples = sorted(export.examples + export.new_examples, key=_example_order)
    export.new_examples.sort(key=_example_order)
    export.red_flags = sorted(export.red_flags + export.new_red_flags, key=_case_order)
    export.new_red_flags.sort(key=_case_order)
    return export


def _example_order(example: Example) -> Tuple[str, str, str]:
    return example.intent, normalised(example.text), example.text


def _case_order(case: Mapping[str, str]) -> Tuple[str, str]:
    return normalised(case["text"]), case["text"]


def _dump(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000)


def render_examples(examples: Sequence[Example], command: str) -> str:
    """The examples as Rasa 3.6 NLU YAML: intents in order, each example with its metadata, if any."""
    header = (
        f"{GENERATED} (the review app's inbox) by\n"
        f"#   {command}\n"
        "# Personal details redacted; entities annotated by knowledge/entity_patterns.yml (make annotate\n"
        "# redoes them). Running the command again keeps these and adds newer corrections. Never copy\n"
        "# them into tests/heldout/.\n"
    )
    return header + _nlu_body(examples)


def _nlu_body(examples: Sequence[Example]) -> str:
    by_intent: Dict[str, List[Dict[str, Any]]] = {}
    for example in examples:
        item: Dict[str, Any] = {"text": example.text}
        if example.metadata:
            item["metadata"] = dict(example.metadata)
        by_intent.setdefault(example.intent, []).append(item)
    nlu = [{"intent": intent, "examples": items} for intent, items in sorted(by_intent.items())]
    return _dump({"version": "3.1", "nlu": nlu})


def reannotate(path: Path) -> None:
    """Re-annotates an exported NLU file with the entity patterns as they are now (`make annotate`)."""
    earlier = _earlier_export(path, "file") or ""
    header = "".join(itertools.takewhile(lambda line: line.startswith("#"), earlier.splitlines(True)))
    write(path, header + _nlu_body(sorted(earlier_examples(path), key=_example_order)))


def render_red_flags(cases: Sequence[Mapping[str, str]], command: str) -> str:
    """The triage cases in the shape of tests/heldout/triage*.yml (no near-misses)."""
    header = (
        f"{GENERATED}: red flags the assistant missed, by\n"
        f"#   {command}\n"
        "# tests/test_triage.py sends each to the assistant: each must get urgent-care direction first.\n"
        "# Widen knowledge/red_flags.yml by kind (not by copying the sentence) until it does.\n"
    )
    document = {"emergencies": [dict(case) for case in cases], "near_misses": []}
    return header + _dump(document)


def write(path: Path, text: str) -> None:
    """Writes a file whole, or not at all (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
