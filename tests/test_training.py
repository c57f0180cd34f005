"""Staff corrections exported as training data (`python -m review export-training`), on real parts.

An SQLite tracker store gets patients' messages as Rasa's user events, the review app summarises them and
staff corrections are saved as the inbox saves them; the command runs as a subprocess. The export must
pass `rasa data validate`, be redacted, skip what the training data already has, keep red flags out of
the training data, and, the point of it all: a model trained with it understands the corrected message.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa
import yaml

from contract import NOT_COVERED_INTENT, PROJECT_ROOT
from review import corrections, queries, schema, summary, training
from scripts import seed_conversations
from tests.harness import model, servers

# A question the trained model misses (it names Botox but the classifier can't place it, so the patient
# is told the article doesn't cover it): staff say it asks which areas Botox treats.
MISSED, MISSED_INTENT = "is botox just for wrinkles or can it do other stuff", "ask_treatment_areas"
# Taken for a booking request: staff say the article doesn't cover preparing for a treatment.
GAP = "is there anything I should skip the evening ahead of my appointment"
GAP_TOPIC = "preparing for treatment"
PERSONAL = (
    "Hi, I am Sarah Okafor, my email is sarah.okafor@example.com and my phone is 07700 900123, "
    "how much would lip filler cost me"
)
PERSONAL_DETAILS = ("Sarah", "Okafor", "sarah.okafor@example.com", "07700 900123")
RED_FLAG = "since my filler yesterday the tip of my nose went a dusky purple grey colour and feels cold"
FINE = "do you know a good place to park near the clinic"
# two messages that differ only in personal details: one example, and the other listed as a repeat
SAME_ONCE_REDACTED = (
    "please email the aftercare sheet to anna.nowak@example.com",
    "please email the aftercare sheet to j.smith@example.org",
)
BAD_DATES = ("2026-02-30", "last week", "")


def held_out_question() -> str:
    """A real patient's question of the held-out set: never training data."""
    document = yaml.safe_load((PROJECT_ROOT / "tests/heldout/real_patient_questions.yml").read_text("utf-8"))
    return next(q["text"] for q in document["questions"] if q["kind"] == "faq")


def already_trained() -> Dict[str, str]:
    """An example of data/nlu.yml, written as a patient would: other case, other punctuation."""
    intent, text, _ = next(
        e for e in training.read_examples(PROJECT_ROOT / "data" / "nlu.yml") if len(e[1]) > 20
    )
    return {"intent": intent, "text": " " + text.upper().replace(" ", "  ") + " ?!"}


def add_messages(database: Path, texts: List[str]) -> None:
    """One conversation per message, with the events Rasa's SQL tracker store writes for it."""
    engine = sa.create_engine(f"sqlite:///{database}")
    schema.events.metadata.create_all(engine)
    at = time.time()
    with engine.begin() as connection:
        for text in texts:
            sender = uuid.uuid4().hex
            parse = {
                "text": text,
                "intent": {"name": "nlu_fallback", "confidence": 0.42},
                "entities": [],
                "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.42}],
            }
            for type_name, data, intent, action in (
                ("action", {"name": "action_session_start"}, None, "action_session_start"),
                ("session_started", {}, None, None),
                ("action", {"name": "action_listen"}, None, "action_listen"),
                (
                    "user",
                    {"text": text, "parse_data": parse, "input_channel": "socketio"},
                    "nlu_fallback",
                    None,
                ),
                ("action", {"name": "action_default_fallback"}, None, "action_default_fallback"),
            ):
                at += 1
                connection.execute(
                    schema.events.insert().values(
                        sender_id=sender,
                        type_name=type_name,
                        timestamp=at,
                        intent_name=intent,
                        action_name=action,
                        data=json.dumps({"event": type_name, "timestamp": at, **data}),
                    )
                )
    engine.dispose()


def correct(database: Path, labels: Dict[str, Dict[str, Any]]) -> None:
    """Summarises the events and saves staff's correction of each message, as the inbox does."""
    engine = sa.create_engine(f"sqlite:///{database}")
    schema.create_tables(engine)
    summary.sync(engine)
    with engine.begin() as connection:
        for text, form in labels.items():
            event_id = connection.execute(
                sa.select(schema.turns.c.event_id).where(schema.turns.c.text == text)
            ).scalar_one()
            assert queries.save_correction(connection, event_id, corrections.checked(form), "alice")
    engine.dispose()


def export_training(database: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "review", "export-training", *args],
        cwd=PROJECT_ROOT,
        env={**servers.ENV, "TRACKER_STORE_URL": f"sqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@dataclass
class Export:
    database: Path
    out: Path
    red_flags_out: Path
    result: subprocess.CompletedProcess
    duplicate: Dict[str, str]
    held_out: str
    day: str  # when the corrections were made (UTC)

    @property
    def nlu(self) -> str:
        return self.out.read_text(encoding="utf-8")

    @property
    def examples(self) -> Dict[str, str]:
        """Each exported example's plain text and intent."""
        return {text: intent for intent, text, _ in training.read_examples(self.out)}

    def again(self) -> subprocess.CompletedProcess:
        return export_training(
            self.database,
            "--since",
            "2000-01-01",
            "--out",
            str(self.out),
            "--red-flags-out",
            str(self.red_flags_out),
        )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Export:
    folder = tmp_path_factory.mktemp("export")
    database = folder / "tracker.db"
    seed_conversations.seed(database, 20)  # other conversations, none corrected
    duplicate, held_out = already_trained(), held_out_question()
    add_messages(
        database, [MISSED, GAP, PERSONAL, RED_FLAG, FINE, duplicate["text"], held_out, *SAME_ONCE_REDACTED]
    )
    day = time.strftime("%Y-%m-%d", time.gmtime())
    correct(
        database,
        {
            MISSED: {"outcome": "intent", "intent": MISSED_INTENT, "treatment": "botox"},
            GAP: {"outcome": "gap", "gap_topic": GAP_TOPIC},
            PERSONAL: {"outcome": "intent", "intent": "ask_cost", "treatment": "filler"},
            RED_FLAG: {"outcome": "red_flag"},
            FINE: {"outcome": "fine"},
            duplicate["text"]: {"outcome": "intent", "intent": duplicate["intent"]},
            held_out: {"outcome": "gap", "gap_topic": "aftercare"},
            **{text: {"outcome": "gap", "gap_topic": "aftercare leaflet"} for text in SAME_ONCE_REDACTED},
        },
    )
    out, red_flags_out = folder / "corrections.yml", folder / "red_flags.yml"
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86_400))  # whatever the time of day
    result = export_training(
        database, "--since", yesterday, "--out", str(out), "--red-flags-out", str(red_flags_out)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return Export(database, out, red_flags_out, result, duplicate, held_out, day)


@pytest.mark.unit
def test_the_export_is_valid_rasa_nlu_data_with_the_corrections_as_labelled(exported: Export) -> None:
    validated = subprocess.run(
        [sys.executable, "-m", "scripts.validate", str(exported.out)],
        cwd=PROJECT_ROOT,
        env=servers.ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr[-3000:]
    assert exported.examples[MISSED] == MISSED_INTENT
    assert exported.examples[GAP] == NOT_COVERED_INTENT
    assert exported.nlu.startswith("# Generated from staff corrections")
    assert "python -m review export-training --since" in exported.nlu.splitlines()[1]
    # annotated by the project's patterns, the treatment and the gap topic kept as metadata
    document = yaml.safe_load(exported.nlu)
    items = {item["text"]: item for block in document["nlu"] for item in block["examples"]}
    assert items["is [botox](treatment) just for wrinkles or can it do other stuff"] == {
        "text": "is [botox](treatment) just for wrinkles or can it do other stuff",
        "metadata": {"treatment": "botox"},
    }
    assert items[GAP]["metadata"] == {"gap_topic": GAP_TOPIC}
    assert [block["intent"] for block in document["nlu"]] == sorted(
        block["intent"] for block in document["nlu"]
    )
    assert f"  {MISSED_INTENT}: is [botox](treatment) just for wrinkles" in exported.result.stdout


@pytest.mark.unit
def test_personal_details_are_redacted(exported: Export) -> None:
    written = exported.nlu + exported.result.stdout
    assert not [detail for detail in PERSONAL_DETAILS if detail in written]
    [text] = [text for text, intent in exported.examples.items() if intent == "ask_cost"]
    assert "[name]" in text and "[email]" in text and "[phone]" in text, text
    assert "lip filler" in text


@pytest.mark.unit
def test_an_example_already_in_the_training_data_is_skipped_and_listed(exported: Export) -> None:
    duplicate = exported.duplicate
    assert training.normalised(duplicate["text"]) not in {training.normalised(t) for t in exported.examples}
    listed = " ".join(duplicate["text"].split())  # as exported: on one line, white space folded
    assert f"{listed!r}: already in data/nlu.yml ({duplicate['intent']})" in exported.result.stdout


@pytest.mark.unit
def test_what_would_taint_the_evaluation_or_repeat_an_example_is_skipped_and_listed(exported: Export) -> None:
    held_out = " ".join(exported.held_out.split())
    assert held_out not in exported.examples
    assert f"{held_out!r}: a near-copy of a held-out message (tests/heldout/real_patient_questions.yml)" in (
        exported.result.stdout
    )
    once = "please email the aftercare sheet to [email]"
    assert exported.examples[once] == NOT_COVERED_INTENT
    assert (
        f"{once!r}: repeats another correction of this export ({NOT_COVERED_INTENT})"
        in exported.result.stdout
    )


@pytest.mark.unit
def test_red_flags_go_only_to_the_triage_cases_and_fine_is_skipped(exported: Export) -> None:
    cases = yaml.safe_load(exported.red_flags_out.read_text(encoding="utf-8"))
    assert cases == {
        "emergencies": [{"text": RED_FLAG, "group": "review", "source": f"review correction {exported.day}"}],
        "near_misses": [],
    }
    assert "nose" not in exported.nlu
    assert "park" not in exported.nlu and "park" not in exported.red_flags_out.read_text(encoding="utf-8")
    assert f"{FINE!r}: {training.NOTHING_TO_LEARN}" in exported.result.stdout


@pytest.mark.unit
def test_the_export_is_audited(exported: Export) -> None:
    with sqlite3.connect(exported.database) as db:
        username, detail = db.execute(
            "SELECT username, detail FROM review_audit WHERE action = 'export_training' ORDER BY id LIMIT 1"
        ).fetchone()
    assert username.startswith("cli:")
    assert json.loads(detail) == {
        "since": json.loads(detail)["since"],
        "out": str(exported.out),
        "red_flags_out": str(exported.red_flags_out),
        "corrections": 9,
        "examples": 4,
        "red_flags": 1,
        "skipped": 4,
    }


@pytest.mark.unit
def test_running_it_again_writes_nothing_new(exported: Export) -> None:
    nlu, red_flags = exported.nlu, exported.red_flags_out.read_text(encoding="utf-8")
    result = exported.again()
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"no new examples: nothing written to {exported.out}" in result.stdout
    assert f"no new red flags: nothing written to {exported.red_flags_out}" in result.stdout
    assert f"{MISSED!r}: already in {exported.out} ({MISSED_INTENT})" in result.stdout
    assert exported.nlu == nlu and exported.red_flags_out.read_text(encoding="utf-8") == red_flags


@pytest.mark.unit
def test_corrections_made_before_since_are_left_out(exported: Export, tmp_path: Path) -> None:
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400))
    out = tmp_path / "corrections.yml"
    red_flags_out = tmp_path / "red_flags.yml"
    result = export_training(
        exported.database, "--since", tomorrow, "--out", str(out), "--red-flags-out", str(red_flags_out)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"review: 0 correction(s) since {tomorrow}" in result.stdout
    assert f"no new examples: nothing written to {out}" in result.stdout
    assert not out.exists() and not red_flags_out.exists()


@pytest.mark.unit
@pytest.mark.parametrize("since", BAD_DATES)
def test_a_bad_date_is_a_clean_error(exported: Export, since: str) -> None:
    result = export_training(
        exported.database, "--since", since, "--out", str(exported.out.with_suffix(".x"))
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "review: 'since' must be a date like 2026-01-31."
    assert "Traceback" not in result.stderr
    assert not exported.out.with_suffix(".x").exists()


@pytest.mark.unit
def test_it_rewrites_no_file_it_did_not_write(exported: Export) -> None:
    for option, path in (("--out", "data/nlu.yml"), ("--red-flags-out", "tests/heldout/triage.yml")):
        before = (PROJECT_ROOT / path).read_bytes()
        result = export_training(exported.database, "--since", "2000-01-01", option, path)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert (PROJECT_ROOT / path).read_bytes() == before


def intent_of(trained: Path, texts: List[str]) -> Dict[str, str]:
    parsed = model.parse(model.load(trained), texts)
    return {text: p["intent"]["name"] for text, p in zip(texts, parsed)}


def test_a_model_trained_with_the_export_understands_the_corrected_messages(
    exported: Export, tmp_path: Path
) -> None:
    before = intent_of(servers.MODEL, [MISSED, GAP])
    assert before[MISSED] != MISSED_INTENT, f"the trained model already gets {MISSED!r}: pick another message"
    assert before[GAP] != NOT_COVERED_INTENT, f"the trained model already gets {GAP!r}: pick another message"
    data = tmp_path / "data"
    data.mkdir()
    for path in training.nlu_files():
        shutil.copy(path, data)
    shutil.copy(exported.out, data / "exported_corrections.yml")  # beside any review_corrections.yml
    started = time.monotonic()
    trained = subprocess.run(
        [
            str(servers.BIN / "rasa"), "train", "nlu", "--config", "config.yml", "--nlu", str(data),
            "--out", str(tmp_path / "models"), "--fixed-model-name", "corrected",
        ],
        cwd=PROJECT_ROOT,
        # a cache of its own: the project's (.rasa/, for make train) is left as it was
        env={**servers.ENV, "RASA_CACHE_DIRECTORY": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    print(f"rasa train nlu with the export: {time.monotonic() - started:.0f} s")
    after = intent_of(tmp_path / "models" / "corrected.tar.gz", [MISSED, GAP])
    assert after == {MISSED: MISSED_INTENT, GAP: NOT_COVERED_INTENT}
