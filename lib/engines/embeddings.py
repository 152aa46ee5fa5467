"""Bedrock's multimodal embedding models, one engine each: build the InvokeModel body, call, read the vectors.

Titan Multimodal Embeddings G1 and Nova Multimodal Embeddings as the workshop used them; Cohere Embed v4 and
TwelveLabs Marengo Embed 3.0 from their AWS pages (model-parameters-embed-v4, model-parameters-marengo-3).
Inputs arrive already fitted (lib/engines/embedding_base.EmbeddingEngine.prepare), so Bedrock never refuses
them for size. Every failure comes back as a WorkshopError (lib.bedrock.invoke_json).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from lib.bedrock import invoke_json
from lib.catalog import EmbeddingModel, EmbeddingPurpose, call_target
from lib.engines.embedding_base import (Embedding, EmbeddingEngine, PreparedInput, estimate_tokens, no_embedding,
                                        require_dimension, same_purpose, unit_vector)
from lib.errors import BackendUnavailable
from lib.i18n import _
from lib.imaging import b64encode
from lib.settings import Settings


class BedrockEmbedEngine(EmbeddingEngine):
    """An embedding model on Bedrock: one InvokeModel body per call, one or more vectors per reply."""

    #: the first vector of a reply `result`, as Python and as jq (lib/codegen.py writes them into scripts)
    python_vector: str = ""
    jq_vector: str = ""

    def purpose_value(self, purpose: EmbeddingPurpose) -> str | None:
        """What the body says for `purpose` (None: the model embeds documents and queries alike)."""
        return None

    def body(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput]) -> dict[str, Any]:
        """The InvokeModel body of one call embedding `items` (1..batch_size inputs of one purpose)."""
        require_dimension(model, dimension)
        if not 1 <= len(items) <= self.batch_size:
            raise ValueError(f"{model.label} embeds 1 to {self.batch_size} inputs per call, not {len(items)}")
        return self._body(model, dimension, items, same_purpose(items))

    @abstractmethod
    def _body(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              purpose: EmbeddingPurpose) -> dict[str, Any]:
        """The model's own schema for `items`."""

    def vectors(self, model: EmbeddingModel, payload: dict[str, Any]) -> list[tuple[Any, int]]:
        """(raw vector, input tokens) for each input of the call, in order; a reply without them is an error."""
        try:
            return self._vectors(payload)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise no_embedding(model, payload, exc) from exc

    @abstractmethod
    def _vectors(self, payload: dict[str, Any]) -> list[tuple[Any, int]]:
        """The vectors where the model's schema puts them (any lookup error means a malformed reply)."""

    def calls(self, model: EmbeddingModel, items: Sequence[PreparedInput]) -> list[list[PreparedInput]]:
        """How `items` are split into calls (by `batch_size`; an engine with a request budget splits further)."""
        return [list(items[i:i + self.batch_size]) for i in range(0, len(items), self.batch_size)]

    def requests(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput]) -> list[dict[str, Any]]:
        """Every body that embedding `items` sends, in call order (what History keeps and the Code view shows)."""
        return [self.body(model, dimension, group) for group in self.calls(model, items)]

    def embed(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              settings: Settings) -> list[Embedding]:
        region, invoke_id, note = call_target(model, settings.region)
        found: list[Embedding] = []
        for group in self.calls(model, items):
            payload = invoke_json(model, invoke_id, region, self.body(model, dimension, group), settings).payload
            parsed = self.vectors(model, payload)
            if len(parsed) != len(group):
                raise BackendUnavailable(_("{model} sent {count} embeddings for {inputs} inputs.").format(
                    model=model.label, count=len(parsed), inputs=len(group)), _("Try again."),
                    detail=str(payload)[:200])
            for item, (raw, tokens) in zip(group, parsed):
                found.append(Embedding(unit_vector(model, dimension, raw, payload), tokens,
                                       tuple(([note] if note else []) + item.notes)))
        return found


class TitanEmbedEngine(BedrockEmbedEngine):
    """Titan Multimodal Embeddings G1: text, an image, or both in one call (the model averages them)."""

    python_vector = 'result["embedding"]'
    jq_vector = ".embedding"

    def _body(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              purpose: EmbeddingPurpose) -> dict[str, Any]:
        item = items[0]
        body: dict[str, Any] = {}
        if item.text:
            body["inputText"] = item.text
        if item.image:
            body["inputImage"] = b64encode(item.image)
        body["embeddingConfig"] = {"outputEmbeddingLength": dimension}
        return body

    def _vectors(self, payload: dict[str, Any]) -> list[tuple[Any, int]]:
        return [(payload["embedding"], int(payload.get("inputTextTokenCount") or 0))]


class NovaEmbedEngine(BedrockEmbedEngine):
    """Nova Multimodal Embeddings: one input per call, indexed and queried with different purposes.

    Text and image together are two calls whose unit vectors are averaged: what Titan does inside.
    """

    python_vector = 'result["embeddings"][0]["embedding"]'
    jq_vector = ".embeddings[0].embedding"

    def purpose_value(self, purpose: EmbeddingPurpose) -> str | None:
        return purpose.value

    @staticmethod
    def _parts(item: PreparedInput) -> list[PreparedInput]:
        if item.text and item.image:  # the notes travel with the image call, once
            return [replace(item, image=None, image_format=None, image_size=None, notes=[]), replace(item, text=None)]
        return [item]

    def requests(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput]) -> list[dict[str, Any]]:
        return [self.body(model, dimension, [part]) for item in items for part in self._parts(item)]

    def embed(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              settings: Settings) -> list[Embedding]:
        found: list[Embedding] = []
        for item in items:
            parts = super().embed(model, dimension, self._parts(item), settings)
            if len(parts) == 1:
                found.append(parts[0])
                continue
            mean = parts[0].vector + parts[1].vector
            found.append(Embedding((mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32), parts[0].input_tokens,
                                   tuple(dict.fromkeys(parts[0].notes + parts[1].notes))))
        return found

    def _body(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              purpose: EmbeddingPurpose) -> dict[str, Any]:
        item = items[0]
        params: dict[str, Any] = {"embeddingPurpose": purpose.value, "embeddingDimension": dimension}
        if item.text:
            params["text"] = {"truncationMode": "END", "value": item.text}
        else:
            params["image"] = {"format": item.image_format, "source": {"bytes": b64encode(item.image or b"")}}
        return {"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING",
                "singleEmbeddingParams": params}

    def _vectors(self, payload: dict[str, Any]) -> list[tuple[Any, int]]:
        return [(payload["embeddings"][0]["embedding"], 0)]


# Cohere Embed v4 [DOC model-parameters-embed-v4]: at most 96 texts, images or `inputs` items per call, a
# request of about 20 MB at most, 128k input tokens, an image counting (pixels ÷ 784) × 4 tokens with its
# pixels taken as 3,136 to 2,458,624 (smaller ones are upsampled, larger ones downsampled).
COHERE_MAX_INPUTS = 96
COHERE_MAX_REQUEST_BYTES = 18_000_000  # under the documented ~20 MB, leaving room for the JSON around the images
COHERE_MAX_REQUEST_TOKENS = 128_000
COHERE_MIN_PIXELS, COHERE_MAX_PIXELS = 3_136, 2_458_624
COHERE_INPUT_TYPES = {EmbeddingPurpose.INDEX: "search_document", EmbeddingPurpose.RETRIEVAL: "search_query"}


def data_uri(item: PreparedInput) -> str:
    """An image as the data URI Cohere's bodies carry."""
    return f"data:image/{item.image_format};base64,{b64encode(item.image or b'')}"


class CohereEmbedEngine(BedrockEmbedEngine):
    """Cohere Embed v4: up to 96 texts, images or text+image inputs per call; multilingual."""

    batch_size = COHERE_MAX_INPUTS
    python_vector = 'result["embeddings"]["float"][0]'
    jq_vector = ".embeddings.float[0]"

    def purpose_value(self, purpose: EmbeddingPurpose) -> str | None:
        return COHERE_INPUT_TYPES[purpose]

    @staticmethod
    def request_bytes(item: PreparedInput) -> int:
        """What an input adds to the request: its image in base64, its text in UTF-8."""
        image = 4 * math.ceil(len(item.image) / 3) if item.image else 0
        return image + len((item.text or "").encode("utf-8"))

    @staticmethod
    def tokens(item: PreparedInput) -> int:
        """The documented token count of an input (the text's estimated)."""
        count = estimate_tokens(item.text) if item.text else 0
        if item.image_size:
            pixels = min(max(item.image_size[0] * item.image_size[1], COHERE_MIN_PIXELS), COHERE_MAX_PIXELS)
            count += math.ceil(pixels / 784 * 4)
        return count

    def calls(self, model: EmbeddingModel, items: Sequence[PreparedInput]) -> list[list[PreparedInput]]:
        """At most 96 inputs per call, and no more than fit in one request's bytes and tokens."""
        groups: list[list[PreparedInput]] = []
        size = tokens = 0
        for item in items:
            more, count = self.request_bytes(item), self.tokens(item)
            if not groups or len(groups[-1]) == self.batch_size or size + more > COHERE_MAX_REQUEST_BYTES \
                    or tokens + count > COHERE_MAX_REQUEST_TOKENS:
                groups.append([])
                size = tokens = 0
            groups[-1].append(item)
            size, tokens = size + more, tokens + count
        return groups

    def _body(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              purpose: EmbeddingPurpose) -> dict[str, Any]:
        body: dict[str, Any] = {"input_type": COHERE_INPUT_TYPES[purpose]}
        if all(item.text and not item.image for item in items):
            body["texts"] = [item.text for item in items]
        elif all(item.image and not item.text for item in items):
            body["images"] = [data_uri(item) for item in items]
        else:  # text and image together: one `inputs` item each, its parts embedded as one vector
            body["inputs"] = [{"content": ([{"type": "text", "text": item.text}] if item.text else [])
                               + ([{"type": "image_url", "image_url": {"url": data_uri(item)}}] if item.image
                                  else [])} for item in items]
        body["embedding_types"] = ["float"]
        body["output_dimension"] = dimension
        if any(item.text for item in items):
            body["truncate"] = "RIGHT"  # texts are fitted already; an under-estimate is cut, not refused
        return body

    def _vectors(self, payload: dict[str, Any]) -> list[tuple[Any, int]]:
        """`embeddings` is {"float": [...]} ("embeddings_by_type") or a list ("embeddings_floats")."""
        found = payload["embeddings"]
        found = found["float"] if isinstance(found, dict) else found
        if not isinstance(found, list):
            raise TypeError("embeddings is not a list")
        return [(vector, 0) for vector in found]


class MarengoEmbedEngine(BedrockEmbedEngine):
    """TwelveLabs Marengo Embed 3.0: text, an image, or text_image in one call; 512 dimensions; multilingual."""

    python_vector = '(result["data"][0] if isinstance(result["data"], list) else result["data"])["embedding"]'
    jq_vector = '.data | if type == "array" then .[0] else . end | .embedding'

    def _body(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              purpose: EmbeddingPurpose) -> dict[str, Any]:
        item = items[0]
        source = {"mediaSource": {"base64String": b64encode(item.image)}} if item.image else {}
        if item.text and item.image:
            return {"inputType": "text_image", "text_image": {"inputText": item.text, **source}}
        if item.text:
            return {"inputType": "text", "text": {"inputText": item.text}}
        return {"inputType": "image", "image": source}

    def _vectors(self, payload: dict[str, Any]) -> list[tuple[Any, int]]:
        """The page shows `data` as one object; "a list of objects" when there are several (and so langchain-aws
        reads it): both are read."""
        data = payload["data"]
        return [(entry["embedding"], 0) for entry in (data if isinstance(data, list) else [data])]
