"""Engine for every Bedrock vision chat model: Converse / ConverseStream through langchain-aws.

History (lib.chat turns, images already prepared by lib.vision) in, text chunks out, token usage filled in
as the stream runs. Every failure comes back as a WorkshopError (lib.bedrock.translate_error).
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any, Iterator

from langchain_aws import ChatBedrockConverse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from lib.bedrock import runtime_client, translate_error
from lib.catalog import ChatModel, call_target
from lib.chat import ChatAnswer, Turn
from lib.errors import WorkshopError
from lib.settings import Settings


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


class ConverseEngine:
    """A Bedrock chat model, called through Converse (whole answer) or ConverseStream (chunks)."""

    def start(self, model: ChatModel, history: list[Turn], settings: Settings) -> tuple[ChatAnswer, str | None]:
        """The empty answer record for a call in the model's region, and the region note if it moved."""
        region, _, note = call_target(model, settings.region)
        return ChatAnswer(model=model, region=region), note

    def stream(self, model: ChatModel, history: list[Turn], answer: ChatAnswer,
               settings: Settings) -> Iterator[str]:
        """The answer's text chunks; `answer` is filled (text, tokens, latency) as they arrive."""
        llm, _, _ = chat_client(model, settings)
        started = time.perf_counter()
        try:
            for chunk in llm.stream(to_langchain(history)):
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
            raise translate_error(exc, model, answer.region) from exc  # type: ignore[arg-type]
        finally:
            answer.latency_s = time.perf_counter() - started

    def complete(self, model: ChatModel, history: list[Turn], answer: ChatAnswer, settings: Settings) -> None:
        """The whole answer in one Converse call (used when nothing is shown until it is done)."""
        llm, _, _ = chat_client(model, settings)
        started = time.perf_counter()
        try:
            message = llm.invoke(to_langchain(history))
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise translate_error(exc, model, answer.region) from exc  # type: ignore[arg-type]
        answer.latency_s = time.perf_counter() - started
        answer.text = message.text if isinstance(message.text, str) else message.text()
        usage = message.usage_metadata or {}
        answer.input_tokens, answer.output_tokens = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
