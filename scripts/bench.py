"""`make bench`: speed and size of the assistant against Rasa's starter bot, on this machine, in one run.

Both bots run with the same SQLite tracker store and are measured through the REST channel with the
realistic questions of tests/patient_questions.yml: sequential latency, throughput and p95 at several
concurrencies, the 1st against the 200th message of one long conversation, memory, time from launch to
first answer, training time and model size. Writes results/bench.json, results/BENCH.md (with the
committed history in benchmarks/history.md) and results/bench.png. `--smoke` trains the starter bot
too and sends each bot a few messages, to prove the comparison works end to end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import yaml

from contract import PROJECT_ROOT
from tests.harness import servers

RESULTS = PROJECT_ROOT / "results"
HISTORY = PROJECT_ROOT / "benchmarks" / "history.md"
QUESTIONS = [
    turn["text"]
    for conversation in yaml.safe_load((PROJECT_ROOT / "tests" / "patient_questions.yml").read_text())[
        "conversations"
    ]
    for turn in conversation
]


@dataclass(frozen=True)
class Plan:
    """How much to send."""

    sequential: int
    per_level: int
    concurrency: tuple
    long_conversation: int
    conversation_length: int = 10


FULL = Plan(sequential=500, per_level=400, concurrency=(1, 5, 20, 50), long_conversation=200)
SMOKE = Plan(sequential=10, per_level=10, concurrency=(1, 5), long_conversation=5)


def progress(message: str) -> None:
    """One line of progress, so a long run is not minutes of silence."""
    print(f"bench {time.strftime('%H:%M:%S')}: {message}", flush=True)


def percentile(samples: List[float], share: float) -> float:
    """The `share` percentile (0 to 1) of the samples, in milliseconds."""
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def send(session: requests.Session, url: str, sender: str, text: str) -> float:
    """Sends one message and returns how long the reply took, in seconds."""
    started = time.perf_counter()
    reply = session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
    )
    elapsed = time.perf_counter() - started
    reply.raise_for_status()
    return elapsed


def conversations(url: str, count: int, length: int) -> List[float]:
    """Sends `count` messages as conversations of `length` messages, one after the other."""
    questions = itertools.cycle(QUESTIONS)
    latencies: List[float] = []
    with requests.Session() as session:
        while len(latencies) < count:
            sender = f"bench-{uuid.uuid4()}"
            for _ in range(min(length, count - len(latencies))):
                latencies.append(send(session, url, sender, next(questions)))
    return latencies


def at_concurrency(url: str, concurrent: int, total: int, length: int) -> Dict[str, float]:
    """Runs `concurrent` conversations at once until `total` messages are answered."""
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrent) as pool:
        shares = [total // concurrent + (i < total % concurrent) for i in range(concurrent)]
        latencies = [x for part in pool.map(lambda n: conversations(url, n, length), shares) for x in part]
    wall = time.perf_counter() - started
    return {
        "concurrency": concurrent,
        "messages": len(latencies),
        "throughput_per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
    }


def long_conversation(url: str, length: int) -> Dict[str, float]:
    """Latency of the first and the last message of one long conversation."""
    latencies = conversations(url, length, length)
    window = max(1, min(10, length // 10))
    return {
        "messages": length,
        "first_ms": 1000 * latencies[0],
        "last_ms": 1000 * latencies[-1],
        "first_window_median_ms": 1000 * statistics.median(latencies[:window]),
        "last_window_median_ms": 1000 * statistics.median(latencies[-window:]),
    }


def train(project: Path, out: Path) -> Dict[str, float]:
    """Trains the project's model from scratch; returns the time taken and the model's size."""
    progress(f"training {project.name} from scratch (rasa train --force)")
    started = time.perf_counter()
    subprocess.run(
        [str(servers.BIN / "rasa"), "train", "--force", "--fixed-model-name", "bench", "--out", str(out)],
        cwd=project,
        env=servers.ENV,
        check=True,
        capture_output=True,
    )
    return {
        "training_s": time.perf_counter() - started,
        "model_mb": (out / "bench.tar.gz").stat().st_size / 1e6,
    }


def measure(
    name: str, project: Path, model: Path, workdir: Path, plan: Plan, with_actions: bool
) -> Dict[str, Any]:
    """Launches a bot and measures it."""
    progress(f"{name}: starting")
    with ExitStack() as stack:
        launched = time.perf_counter()
        actions = stack.enter_context(servers.action_server(workdir)) if with_actions else None
        rasa = stack.enter_context(
            servers.rasa_server(
                workdir,
                workdir / f"{project.name}.db",
                actions.url if actions else None,
                model=model,
                project=project,
                credentials=project / "credentials.yml",  # each bot its own channels
            )
        )
        conversations(rasa.url, 1, 1)
        first_answer_s = time.perf_counter() - launched
        progress(f"{name}: first answer {first_answer_s:.1f} s after launch; warming up")
        conversations(rasa.url, 20, 10)
        progress(f"{name}: {plan.sequential} messages one after the other")
        sequential = conversations(rasa.url, plan.sequential, plan.conversation_length)
        levels = []
        for c in plan.concurrency:
            progress(f"{name}: {max(plan.per_level, c * 2)} messages, {c} conversations at once")
            levels.append(at_concurrency(rasa.url, c, max(plan.per_level, c * 2), plan.conversation_length))
        progress(f"{name}: one conversation of {plan.long_conversation} messages")
        result = {
            "first_answer_s": first_answer_s,
            "sequential": {
                "messages": len(sequential),
                "p50_ms": percentile(sequential, 0.5),
                "p95_ms": percentile(sequential, 0.95),
                "p99_ms": percentile(sequential, 0.99),
            },
            "concurrency": levels,
            "long_conversation": long_conversation(rasa.url, plan.long_conversation),
            "rasa_rss_mb": rss_mb(rasa.process.pid),
            "actions_rss_mb": rss_mb(actions.process.pid) if actions else None,
        }
    return result


def starter_project(workdir: Path) -> Path:
    """Copies the project `rasa init` creates (Rasa's starter bot) into a temporary folder."""
    import rasa.cli

    project = workdir / "starter"
    shutil.copytree(Path(rasa.cli.__file__).parent / "initial_project", project)
    return project


def ratios(ours: Dict[str, Any], starter: Dict[str, Any]) -> Dict[str, float]:
    """Ours divided by the starter's, for the headline figures."""

    def by_concurrency(result: Dict[str, Any], level: int, key: str) -> float:
        return next(x[key] for x in result["concurrency"] if x["concurrency"] == level)

    return {
        "sequential_p50": ours["sequential"]["p50_ms"] / starter["sequential"]["p50_ms"],
        "sequential_p95": ours["sequential"]["p95_ms"] / starter["sequential"]["p95_ms"],
        "throughput_at_20": by_concurrency(ours, 20, "throughput_per_s")
        / by_concurrency(starter, 20, "throughput_per_s"),
        "rasa_rss": ours["rasa_rss_mb"] / starter["rasa_rss_mb"],
        "first_answer": ours["first_answer_s"] / starter["first_answer_s"],
        "training": ours["training_s"] / starter["training_s"],
    }


def markdown(report: Dict[str, Any]) -> str:
    """results/BENCH.md: the figures as a table, then the history."""
    bots = [name for name in ("ours", "starter") if report.get(name)]

    def row(label: str, get) -> str:
        cells = []
        for name in bots:
            try:
                cells.append(get(report[name]))
            except (KeyError, TypeError, StopIteration):
                cells.append("–")
        return f"| {label} | " + " | ".join(cells) + " |"

    def level(result, c, key):
        return next(x[key] for x in result["concurrency"] if x["concurrency"] == c)

    lines = [
        f"# Benchmark ({report['mode']}, {report['date']})",
        "",
        "| measure | " + " | ".join(bots) + " |",
        "| --- |" + " --- |" * len(bots),
        row(
            "sequential p50 / p95 / p99 (ms)",
            lambda r: "{p50_ms:.1f} / {p95_ms:.1f} / {p99_ms:.1f}".format(**r["sequential"]),
        ),
    ]
    for c in report["plan"]["concurrency"]:
        lines.append(
            row(
                f"{c} concurrent: messages/s, p95 (ms)",
                lambda r, c=c: f"{level(r, c, 'throughput_per_s'):.1f}, {level(r, c, 'p95_ms'):.1f}",
            )
        )
    lines += [
        row(
            "long conversation: 1st / last message (ms), medians of first / last window",
            lambda r: "{first_ms:.1f} / {last_ms:.1f}, {first_window_median_ms:.1f} / "
            "{last_window_median_ms:.1f}".format(**r["long_conversation"]),
        ),
        row("Rasa server RSS (MB)", lambda r: f"{r['rasa_rss_mb']:.0f}"),
        row("action server RSS (MB)", lambda r: f"{r['actions_rss_mb']:.0f}"),
        row("launch to first answer (s)", lambda r: f"{r['first_answer_s']:.1f}"),
        row("training (s)", lambda r: f"{r['training_s']:.1f}"),
        row("model size (MB)", lambda r: f"{r['model_mb']:.1f}"),
        "",
    ]
    if report.get("ratios"):
        lines += ["Ours / starter:", ""]
        lines += [f"- {k}: {v:.2f}" for k, v in report["ratios"].items()]
        lines.append("")
    if HISTORY.exists():
        lines += [HISTORY.read_text()]
    return "\n".join(lines)


def plot(report: Dict[str, Any], path: Path) -> None:
    """p95 latency and throughput against concurrency, for each bot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(10, 4))
    for name in ("ours", "starter"):
        if not report.get(name):
            continue
        levels = report[name]["concurrency"]
        x = [level["concurrency"] for level in levels]
        latency.plot(x, [level["p95_ms"] for level in levels], marker="o", label=name)
        throughput.plot(x, [level["throughput_per_s"] for level in levels], marker="o", label=name)
    latency.set(xlabel="concurrent conversations", ylabel="p95 latency (ms)", title="p95 latency")
    throughput.set(xlabel="concurrent conversations", ylabel="messages / s", title="throughput")
    for axes in (latency, throughput):
        axes.set_xscale("log")
        axes.set_xticks(report["plan"]["concurrency"], [str(c) for c in report["plan"]["concurrency"]])
        axes.legend()
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: Optional[List[str]] = None) -> None:
    """Runs the benchmark and writes its reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few messages, no starter bot")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    RESULTS.mkdir(exist_ok=True)
    report: Dict[str, Any] = {
        "mode": "smoke" if args.smoke else "full",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "plan": plan.__dict__,
    }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        report["ours"] = measure("ours", PROJECT_ROOT, servers.MODEL, workdir, plan, with_actions=True)
        if not args.smoke:
            report["ours"].update(train(PROJECT_ROOT, workdir / "ours-model"))
        starter = starter_project(workdir)
        report["starter"] = train(starter, workdir / "starter-model")
        model = workdir / "starter-model" / "bench.tar.gz"
        report["starter"].update(measure("starter", starter, model, workdir, plan, with_actions=False))
        if not args.smoke:
            report["ratios"] = ratios(report["ours"], report["starter"])
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "BENCH.md").write_text(markdown(report))
    plot(report, RESULTS / "bench.png")
    for name in ("bench.json", "BENCH.md", "bench.png"):
        if not (RESULTS / name).stat().st_size:
            raise SystemExit(f"bench: results/{name} is empty")
    print((RESULTS / "BENCH.md").read_text())


if __name__ == "__main__":
    main()
