"""`make evaluate`: how well the assistant understands patients, written to results/.

1. `rasa test nlu --cross-validation --folds 5`, a fallback counted as an error (scripts/rasa_strict.py):
   intent and entity reports, confusion matrix, histogram.
2. `rasa test core` on tests/test_stories.yml: the story report.
3. The answer check over REST on held-out patient questions (scripts/answer_check.py), and the frozen
   held-out sets: real patients' questions (200 of them labelled a second time, to see how far two
   labellers agree), the triage sets (scripts/heldout_check.py).
4. results/SUMMARY.md. Exits non-zero if intent macro F1 < 0.95, any test story fails, fewer than 95 %
   of the real questions are answered right, an emergency misses urgent care, or fewer than 90 % of
   the near-misses get their own answer first.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from contract import PROJECT_ROOT
from scripts import answer_check, heldout_check
from tests.harness import servers

RESULTS = PROJECT_ROOT / "results"
MIN_MACRO_F1 = 0.95
MIN_REAL_QUESTIONS = 0.95
MIN_NEAR_MISSES = 0.90
# the real patients' questions: the first four sets' misses were read (tuning); each later set was
# measured once as held out before its misses were read
REAL_SETS = (
    "real_patient_questions.yml", "real_patient_questions_second.yml", "real_patient_questions_third.yml",
    "real_patient_questions_fourth.yml", "real_patient_questions_fifth.yml",
    "real_patient_questions_sixth.yml", "real_patient_questions_seventh.yml",
    "real_patient_questions_eighth.yml", "real_patient_questions_ninth.yml",
    "real_patient_questions_tenth.yml", "real_patient_questions_eleventh.yml",
    "real_patient_questions_twelfth.yml", "real_patient_questions_thirteenth.yml",
    "real_patient_questions_fourteenth.yml", "real_patient_questions_fifteenth.yml",
    "real_patient_questions_sixteenth.yml", "real_patient_questions_seventeenth.yml",
    "real_patient_questions_eighteenth.yml", "real_patient_questions_nineteenth.yml",
    "real_patient_questions_twentieth.yml", "real_patient_questions_twentyfirst.yml",
    "real_patient_questions_twentysecond.yml", "real_patient_questions_twentythird.yml",
    "real_patient_questions_twentyfourth.yml", "real_patient_questions_twentyfifth.yml",
    "real_patient_questions_twentysixth.yml", "real_patient_questions_twentyseventh.yml",
    "real_patient_questions_twentyeighth.yml", "real_patient_questions_twentyninth.yml",
)  # fmt: skip


def rasa(*args: str) -> int:
    """Runs a rasa command in the project, its output into results/, and returns its exit code."""
    with (RESULTS / "rasa.log").open("a") as log:
        command = [str(servers.BIN / "python"), "-m", "scripts.rasa_strict", *args]
        return subprocess.run(command, cwd=PROJECT_ROOT, env=servers.ENV, stdout=log, stderr=log).returncode


def most_confused(errors_file: Path, count: int = 5) -> list[tuple[str, str, int]]:
    """The intent pairs most often mistaken for one another in the cross-validation."""
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    pairs = collections.Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
    return [(truth, predicted, n) for (truth, predicted), n in pairs.most_common(count)]


def main() -> int:
    """Runs the evaluation and writes results/SUMMARY.md."""
    shutil.rmtree(RESULTS, ignore_errors=True)  # nothing from an earlier run may pass for this one's
    RESULTS.mkdir()
    nlu, stories = RESULTS / "nlu", RESULTS / "stories"
    rasa("test", "nlu", "--cross-validation", "--folds", "5", "--out", str(nlu))
    stories_exit = rasa(
        "test", "core", "--model", str(servers.MODEL), "--stories", "tests/test_stories.yml",
        "--out", str(stories),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as workdir:
        workdir = Path(workdir)
        with servers.assistant(workdir, workdir / "tracker.db") as rasa_:
            answers = answer_check.run(rasa_.url)
            real = {name: heldout_check.real_questions(rasa_.url, name) for name in REAL_SETS}
            second = heldout_check.second_opinion(rasa_.url)
            triage = {name: heldout_check.triage(rasa_.url, name) for name in heldout_check.TRIAGE_SETS}
    (RESULTS / "answers.json").write_text(json.dumps(answers, indent=2))
    (RESULTS / "heldout.json").write_text(
        json.dumps({"real_questions": real, "second_labels": second, "triage": triage}, indent=2)
    )

    intents = json.loads((nlu / "intent_report.json").read_text())
    entities = json.loads((nlu / "SpacyEntityRuler_report.json").read_text())
    story_report = json.loads((stories / "story_report.json").read_text())
    macro_f1 = intents["macro avg"]["f1-score"]
    story_accuracy = story_report["conversation_accuracy"]["accuracy"]
    confused = most_confused(nlu / "intent_errors.json")
    summary = [
        "# Evaluation summary",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| intent macro F1 (5-fold cross-validation) | {macro_f1:.3f} |",
        f"| intent accuracy (5-fold cross-validation) | {intents['accuracy']:.3f} |",
        f"| entity F1, `treatment` | {entities['treatment']['f1-score']:.3f} |",
        f"| test story accuracy (tests/test_stories.yml) | {story_accuracy:.3f} |",
        f"| held-out questions answered with the right topic and treatment | {answers['understood']:.3f} |",
        "| informational answers recommending a qualified medical professional | "
        f"{answers['recommendation_in_informational_answers']:.3f} |",
        f"| replies with no number the article lacks | {answers['free_of_foreign_numbers']:.3f} |",
        f"| red flags sent to urgent care first | {answers['red_flags_caught']:.3f} |",
        *[
            f"| real patients' questions answered right ({name}) | {r['right']}/{r['of']} |"
            for name, r in real.items()
        ],
        "| two labellers of the same 200 real questions: same labels / the second's meet the first's | "
        f"{second['same_labels']}/{second['of']} / {second['second_meets_first']}/{second['of']} |",
        "| those 200 answered right by the first labels / by the second / by either | "
        f"{second['right_by_first']} / {second['right_by_second']} / {second['right_by_either']} |",
        *[
            f"| {name}: emergencies with urgent care first / near-misses with their own answer first / "
            f"near-misses not sent to urgent care | {t['emergencies']['right']}/{t['emergencies']['of']} / "
            f"{t['near_misses']['right']}/{t['near_misses']['of']} / "
            f"{t['near_misses_not_sent_to_urgent_care']}/{t['near_misses']['of']} |"
            for name, t in triage.items()
        ],
        "",
        "## Real patients' questions by kind",
        "",
        *[
            f"- {name}, {kind}: {share['right']}/{share['of']}"
            for name, r in real.items()
            for kind, share in r["by_kind"].items()
        ],
        "",
        "## Real patients' questions not answered right",
        "",
        *[
            f"- {name}: “{m['texts'][-1][:160]}” (expected {m['expect']}): {m['reply'][:160]!r}"
            for name, r in real.items()
            for m in r["misses"]
        ],
        "",
        "## Triage misses",
        "",
        *[
            f"- {name}, {m['kind']}: “{m['texts'][-1][:160]}” (expected {m['expect']}): {m['reply'][:120]!r}"
            for name, t in triage.items()
            for m in t["misses"]
        ],
        "",
        "## Most confused intent pairs (true → predicted: count)",
        "",
        *[f"- {truth} → {predicted}: {n}" for truth, predicted, n in confused],
        "",
        "## Held-out questions not answered as expected",
        "",
        *[
            f"- “{t['text']}” (expected {t['expect']}): {t['reply'][:160]!r}"
            for t in answers["details"]
            if not t["understood"]
        ],
        "",
        "Reports: results/nlu/ (intent and entity reports, confusion matrix, histogram), results/stories/,",
        "results/answers.json, results/heldout.json.",
    ]
    (RESULTS / "SUMMARY.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))
    failed = []
    if macro_f1 < MIN_MACRO_F1:
        failed.append(f"intent macro F1 {macro_f1:.3f} < {MIN_MACRO_F1}")
    if stories_exit != 0 or story_accuracy < 1.0:
        failed.append("a test story failed")
    for name, r in real.items():
        if r["right"] < MIN_REAL_QUESTIONS * r["of"]:
            failed.append(f"{name}: real questions {r['right']}/{r['of']} < {MIN_REAL_QUESTIONS:.0%}")
    for name, t in triage.items():
        if t["emergencies"]["right"] < t["emergencies"]["of"]:
            failed.append(f"{name}: an emergency did not get urgent care first")
        if t["near_misses"]["right"] < MIN_NEAR_MISSES * t["near_misses"]["of"]:
            failed.append(f"{name}: near-misses with their own answer first < {MIN_NEAR_MISSES:.0%}")
    for reason in failed:
        print(f"evaluate: FAILED: {reason}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
