"""Vision chat through Converse / ConverseStream with langchain-aws's ChatBedrockConverse.

One path for labs 8 and 9: history (lib.chat turns, images already prepared by lib.vision)
in, answer text out — streamed token by token — with token usage and estimated cost.
Every failure comes back as a WorkshopError (lib.bedrock.translate_error).
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from langchain_aws import ChatBedrockConverse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from lib.bedrock import runtime_client, translate_error
from lib.catalog import ChatModel, call_target, get_chat_model
from lib.chat import Turn, trim_to_limits
from lib.errors import BackendUnavailable, InvalidInput, WorkshopError
from lib.settings import Settings, load_settings


@dataclass
class ChatAnswer:
    """The answer so far; complete once the stream is exhausted."""

    model: ChatModel
    region: str
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def cost_usd(self) -> float:
        return self.model.price.cost(self.input_tokens, self.output_tokens)


def to_langchain(history: list[Turn]) -> list[BaseMessage]:
    """lib.chat turns as LangChain messages (standard image blocks; Converse gets the real format)."""
    messages: list[BaseMessage] = []
    for turn in history:
        if turn.role == "assistant":
            messages.append(AIMessage(content=turn.text))
            continue
        content: list[dict[str, Any]] = [
            {"type": "image", "base64": base64.b64encode(img.data).decode("ascii"), "mime_type": f"image/{img.format}"}
            for img in turn.images]
        if turn.text.strip() or not content:
            content.append({"type": "text", "text": turn.text})
        messages.append(HumanMessage(content=content))
    return messages


def llm_options(model: ChatModel) -> dict[str, Any]:
    """ChatBedrockConverse's settings for `model` besides its id and region (lib/codegen.py shows the same)."""
    return {"max_tokens": model.max_output_tokens, "temperature": 0}


_llms: dict[tuple[str, str, int, int], ChatBedrockConverse] = {}
_llms_lock = threading.Lock()


def chat_client(model: ChatModel, settings: Settings) -> tuple[ChatBedrockConverse, str, str | None]:
    """(LangChain chat model, region, region note), built once per model and shared boto3 client."""
    region, invoke_id, note = call_target(model, settings.region)
    client = runtime_client(region, settings)
    key = (invoke_id, region, model.max_output_tokens, id(client))
    with _llms_lock:
        if key not in _llms:  # the llm holds the client, so id(client) stays unique while cached
            _llms[key] = ChatBedrockConverse(client=client, model=invoke_id, region_name=region,
                                             **llm_options(model))
        return _llms[key], region, note


def prepare_history(model: ChatModel, history: list[Turn]) -> tuple[list[Turn], list[str]]:
    """Trim whole exchanges to the model's image and context limits, saying how many were dropped."""
    trimmed, dropped = trim_to_limits(history, max_images=model.max_images, max_chars=model.context_chars)
    notes = [f"Left out the {dropped} oldest exchange{'s' if dropped > 1 else ''} to stay within "
             f"{model.label}'s limits ({model.max_images} images)."] if dropped else []
    return trimmed, notes


def _resolve(model: ChatModel | str) -> ChatModel:
    return get_chat_model(model) if isinstance(model, str) else model


def _answer_locally(model: ChatModel, history: list[Turn]) -> tuple[ChatAnswer, Iterator[str]]:
    """The offline stand-in (lab 8 presets only): same record and chunks as a Bedrock answer."""
    result = ChatAnswer(model=model, region="local")

    def chunks() -> Iterator[str]:
        from lib.imaging import decode_image
        from lib.local.understanding import answer as local_answer, missing_packages, preset_for

        missing = missing_packages()
        if missing:
            raise BackendUnavailable("The local engine is not installed.", "Install requirements-local.txt (run "
                                     "`bash scripts/run_app.sh` without WORKSHOP_CLOUD_ONLY=1): missing "
                                     + ", ".join(missing) + ".")
        turn = history[-1]
        if not turn.images:
            raise InvalidInput("The local engine needs an image to look at.", "Choose an image.")
        started = time.perf_counter()
        image = decode_image(turn.images[0].data, name="The image").image
        result.text = local_answer(preset_for(turn.text) or "", image)
        result.latency_s = time.perf_counter() - started
        yield result.text

    return result, chunks()


def stream_answer(model: ChatModel | str, history: list[Turn], settings: Settings | None = None
                  ) -> tuple[ChatAnswer, Iterator[str]]:
    """Start a streamed answer: returns the answer record (filled as the stream runs) and the text chunks."""
    settings = settings or load_settings()
    model = _resolve(model)
    if model.runs_locally:
        return _answer_locally(model, history)
    llm, region, note = chat_client(model, settings)
    sent, notes = prepare_history(model, history)
    answer = ChatAnswer(model=model, region=region, notes=([note] if note else []) + notes)

    def chunks() -> Iterator[str]:
        started = time.perf_counter()
        try:
            for chunk in llm.stream(to_langchain(sent)):
                text = chunk.text if isinstance(chunk.text, str) else chunk.text()
                if text:
                    answer.text += text
                    yield text
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    answer.input_tokens = usage.get("input_tokens", answer.input_tokens)
                    answer.output_tokens = usage.get("output_tokens", answer.output_tokens)
        except WorkshopError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise translate_error(exc, model, region) from exc  # type: ignore[arg-type]
        finally:
            answer.latency_s = time.perf_counter() - started

    return answer, chunks()


def answer(model: ChatModel | str, history: list[Turn], settings: Settings | None = None) -> ChatAnswer:
    """The whole answer in one Converse call (used when nothing is shown until it is done)."""
    settings = settings or load_settings()
    model = _resolve(model)
    if model.runs_locally:
        result, chunks = _answer_locally(model, history)
        "".join(chunks)
        return result
    llm, region, note = chat_client(model, settings)
    sent, notes = prepare_history(model, history)
    result = ChatAnswer(model=model, region=region, notes=([note] if note else []) + notes)
    started = time.perf_counter()
    try:
        message = llm.invoke(to_langchain(sent))
    except Exception as exc:  # noqa: BLE001 - translated, never swallowed
        raise translate_error(exc, model, region) from exc  # type: ignore[arg-type]
    result.latency_s = time.perf_counter() - started
    result.text = message.text if isinstance(message.text, str) else message.text()
    usage = message.usage_metadata or {}
    result.input_tokens, result.output_tokens = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
    return result
