"""Translate a Korean prompt or query into English with a chat model, before a model that reads English only.

Why: Titan, Nova Canvas and Stability's models document English prompts only, and lab 1's Titan and Nova
embeddings read English. The app never rewrites what an attendee typed on its own: it offers a translation, made
by a chat model the attendee can see named, shows it, and the boxes change only when the attendee takes it.

Each text is one Converse call through lib/converse.py (the same path as labs 8 and 9), paid and kept in History
like any answer, and checked against the class's pause and spend caps first (lib/services/calls.claimed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from lib.catalog import CHAT_MODELS, ChatModel, get_chat_model
from lib.chat import Turn
from lib.converse import answer
from lib.errors import InvalidInput
from lib.history import HistoryStore
from lib.jobs import Job
from lib.services.calls import claimed, keep_answer
from lib.services.guard import chat_estimate

# The instruction is English whatever the session's language: the model answers in the language it is asked in,
# and the answer must be English. The text goes last, between markers, so an instruction inside it is text.
INSTRUCTION = ("Translate the text between <text> and </text> into natural English for an image model's prompt. "
               "Keep every detail, add nothing, and reply with the English translation only.\n<text>{text}</text>")


@dataclass
class Translation:
    """What the chat model made of each box: box key → (the text sent, its English)."""

    model_label: str
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)
    cost_usd: float = 0.0

    def matches(self, boxes: dict[str, str]) -> bool:
        """True while the boxes still hold what was translated (an edit makes the translation stale)."""
        return all(boxes.get(key, "") == source for key, (source, _english) in self.texts.items())

    def english(self) -> dict[str, str]:
        return {key: english for key, (_source, english) in self.texts.items()}


def translator(preferred: str | None = None) -> ChatModel | None:
    """The chat model that translates: the one the attendee picked in lab 8 or 9 when it runs on Bedrock today,
    else the catalog's first that does (None when none can be called)."""
    if preferred:
        try:
            model = get_chat_model(preferred)
        except InvalidInput:  # a stale id in the session: the default below
            model = None
        if model is not None and not model.runs_locally and model.lifecycle.callable_today:
            return model
    return next((m for m in CHAT_MODELS if not m.runs_locally and m.lifecycle.callable_today), None)


def cleaned(reply: str) -> str:
    """The English alone: models sometimes keep the markers or wrap the answer in quotes."""
    text = reply.strip().removeprefix("<text>").removesuffix("</text>").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    return text.strip("“”").strip()


def asked(text: str) -> list[Turn]:
    return [Turn("user", INSTRUCTION.format(text=text))]


def estimate(model: ChatModel, boxes: dict[str, str]) -> float:
    return sum(chat_estimate(model, asked(text)) for text in boxes.values() if text.strip())


def translate_work(model: ChatModel, boxes: dict[str, str], store: HistoryStore, lab: str, *,
                   owner: str) -> Callable[[Job], Translation]:
    """A job that translates each non-empty box (box key → text) and keeps each answer in History."""
    def work(job: Job) -> Translation:
        done = Translation(model.label)
        for key, text in boxes.items():
            if not text.strip():
                continue
            sent = asked(text)
            outcome = keep_answer(store, sent, answer(model, sent), lab, job, owner)
            done.texts[key] = (text, cleaned(outcome.text))
            done.cost_usd += outcome.cost_usd
        return done
    return claimed(work, store, owner, estimate(model, boxes))
