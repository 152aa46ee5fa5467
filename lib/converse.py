"""Vision chat for labs 8 and 9: fit the history to the model, then let the row's engine answer.

One path for every chat model, Bedrock's (lib/engines/converse.py) or the offline stand-in
(lib/engines/local_vision.py): history in, answer text out — streamed chunk by chunk — with token usage
and estimated cost. Every failure comes back as a WorkshopError.
"""

from __future__ import annotations

from typing import Iterator

from lib.catalog import ChatModel, get_chat_model
from lib.chat import ChatAnswer, Turn, trim_to_limits
from lib.engines.registry import engine_for
from lib.settings import Settings, load_settings

__all__ = ["ChatAnswer", "answer", "prepare_history", "stream_answer"]


def prepare_history(model: ChatModel, history: list[Turn]) -> tuple[list[Turn], list[str]]:
    """Trim whole exchanges to the model's image and context limits, saying how many were dropped."""
    trimmed, dropped = trim_to_limits(history, max_images=model.max_images, max_chars=model.context_chars)
    notes = [f"Left out the {dropped} oldest exchange{'s' if dropped > 1 else ''} to stay within "
             f"{model.label}'s limits ({model.max_images} images)."] if dropped else []
    return trimmed, notes


def _resolve(model: ChatModel | str) -> ChatModel:
    return get_chat_model(model) if isinstance(model, str) else model


def _begin(model: ChatModel | str, history: list[Turn], settings: Settings | None):
    settings = settings or load_settings()
    model = _resolve(model)
    engine = engine_for(model)
    sent, notes = prepare_history(model, history)
    result, region_note = engine.start(model, sent, settings)
    result.notes = ([region_note] if region_note else []) + notes
    return engine, model, sent, result, settings


def stream_answer(model: ChatModel | str, history: list[Turn], settings: Settings | None = None
                  ) -> tuple[ChatAnswer, Iterator[str]]:
    """Start a streamed answer: returns the answer record (filled as the stream runs) and the text chunks."""
    engine, model, sent, result, settings = _begin(model, history, settings)
    return result, engine.stream(model, sent, result, settings)


def answer(model: ChatModel | str, history: list[Turn], settings: Settings | None = None) -> ChatAnswer:
    """The whole answer in one call (used when nothing is shown until it is done)."""
    engine, model, sent, result, settings = _begin(model, history, settings)
    engine.complete(model, sent, result, settings)
    return result
