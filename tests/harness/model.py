"""A trained model loaded in this process, to parse messages without a server (Rasa's own Agent)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List

from rasa.core.agent import Agent


def in_own_thread(work: Callable[[], Any]) -> Any:
    """Runs `work` on a thread of its own: the browser tests' Playwright keeps an event loop on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def load(model: Path) -> Agent:
    """The model at `model`, ready to parse."""
    return in_own_thread(lambda: Agent.load(str(model)))


def parse(agent: Agent, texts: List[str]) -> List[Dict[str, Any]]:
    """What the model's NLU pipeline makes of each text: intent, entities and the rest."""

    async def parse_all() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return in_own_thread(lambda: asyncio.run(parse_all()))
