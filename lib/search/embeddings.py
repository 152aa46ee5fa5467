"""Multimodal embeddings (Titan Multimodal Embeddings G1, Nova Multimodal Embeddings) as a LangChain `Embeddings`.

Why our own class: langchain-aws's BedrockEmbeddings is text-only. Inputs are
fitted to the model before the call (text cut to its token limit, images
downscaled / re-encoded to its pixel and byte limits), so Bedrock never refuses
them for size, and every change is reported in `Embedding.notes`.
"""

from __future__ import annotations

from abc import abstractmethod

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from lib.bedrock import invoke_json
from lib.catalog import EmbeddingModel, EmbeddingPurpose, call_target, get_embedding_model
from lib.errors import BackendUnavailable, InvalidInput
from lib.imaging import b64encode
from lib.settings import Settings, load_settings
from lib.storage.control import refuse_if_paused
from lib.vision import VisionLimits, prepare_for_vision

_TOKEN = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """A cautious token count: words and punctuation, or a quarter of the characters if that is more."""
    return max(len(_TOKEN.findall(text)), math.ceil(len(text) / 4))


@dataclass(frozen=True)
class EmbeddingInput:
    """What one embedding call embeds: text, an image, or (Titan only) both together."""

    text: str | None = None
    image: bytes | None = None
    purpose: EmbeddingPurpose = EmbeddingPurpose.INDEX

    def __post_init__(self) -> None:
        if not (self.text and self.text.strip()) and not self.image:
            raise InvalidInput("There is nothing to embed.", "Type a query or choose an image.")


@dataclass
class PreparedInput:
    """The input as it will be sent, with a note for each change made to fit the model."""

    text: str | None
    image: bytes | None
    image_format: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Embedding:
    vector: np.ndarray  # float32, unit length
    input_tokens: int
    notes: tuple[str, ...] = ()


def fit_text(model: EmbeddingModel, text: str) -> tuple[str, list[str]]:
    """The text cut to what the model reads (whole words kept), with a note when it was cut."""
    text = " ".join(text.split())
    if estimate_tokens(text) <= model.max_text_tokens:
        return text, []
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # the longest prefix of whole words within the limit
        mid = (low + high + 1) // 2
        if estimate_tokens(" ".join(words[:mid])) <= model.max_text_tokens:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        raise InvalidInput(f"The text is too long for {model.label} and has no short first word to keep.",
                           f"Use at most about {model.max_text_tokens} tokens.")
    return " ".join(words[:low]), [f"Text shortened to its first {low} of {len(words)} words: {model.label} reads "
                                  f"at most {model.max_text_tokens} tokens."]


def prepare_input(model: EmbeddingModel, item: EmbeddingInput, *, max_upload_bytes: int = 50 * 1024 * 1024,
                  name: str = "The image") -> PreparedInput:
    """Fit text and image to the model; refuse what can't be fitted (corrupt image, text+image on Nova)."""
    text = item.text if item.text and item.text.strip() else None
    if text and item.image and not model.joint_text_image:
        raise InvalidInput(f"{model.label} embeds text and an image in separate calls.",
                           "Embed them one at a time (search_by_text_and_image combines them).")
    notes: list[str] = []
    if text:
        text, notes = fit_text(model, text)
    image = image_format = None
    if item.image:
        limits = VisionLimits(max_long_edge=model.max_image_edge, max_bytes=model.max_image_bytes,
                              formats=model.image_formats)
        prepared = prepare_for_vision(item.image, limits, name=name, max_upload_bytes=max_upload_bytes)
        image, image_format = prepared.data, prepared.format
        notes += prepared.notes
    return PreparedInput(text, image, image_format, notes)


def request_body(model: EmbeddingModel, dimension: int, prepared: PreparedInput,
                 purpose: EmbeddingPurpose) -> dict[str, Any]:
    """The InvokeModel body for one embedding (the model's own schema)."""
    if dimension not in model.dimensions:
        raise InvalidInput(f"{model.label} makes vectors of {', '.join(map(str, model.dimensions))} dimensions, "
                           f"not {dimension}.", "Pick one of those sizes.")
    if model.joint_text_image:  # Titan Multimodal Embeddings G1
        body: dict[str, Any] = {}
        if prepared.text:
            body["inputText"] = prepared.text
        if prepared.image:
            body["inputImage"] = b64encode(prepared.image)
        body["embeddingConfig"] = {"outputEmbeddingLength": dimension}
        return body
    params: dict[str, Any] = {"embeddingPurpose": purpose.value, "embeddingDimension": dimension}
    if prepared.text:
        params["text"] = {"truncationMode": "END", "value": prepared.text}
    else:
        params["image"] = {"format": prepared.image_format, "source": {"bytes": b64encode(prepared.image or b"")}}
    return {"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": params}


def parse_vector(model: EmbeddingModel, dimension: int, payload: dict[str, Any]) -> tuple[np.ndarray, int]:
    """(unit vector, input text tokens) from the model's reply; a malformed reply is an error, not a zero vector."""
    try:
        if model.joint_text_image:
            raw, tokens = payload["embedding"], int(payload.get("inputTextTokenCount") or 0)
        else:
            raw, tokens = payload["embeddings"][0]["embedding"], 0
        vector = np.asarray(raw, dtype=np.float32)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise BackendUnavailable(f"{model.label} sent a reply without an embedding.", "Try again.",
                                 detail=str(payload)[:200]) from exc
    norm = float(np.linalg.norm(vector))
    if vector.shape != (dimension,) or not math.isfinite(norm) or norm == 0:
        raise BackendUnavailable(f"{model.label} sent a vector of {vector.size} values; expected {dimension}.",
                                 "Try again.", detail=str(payload)[:200])
    return vector / norm, tokens


def embed(model: EmbeddingModel, dimension: int, item: EmbeddingInput, settings: Settings | None = None,
          *, name: str = "The image") -> Embedding:
    """One embedding call: fit, send, check the vector."""
    settings = settings or load_settings()
    prepared = prepare_input(model, item, max_upload_bytes=settings.max_upload_bytes, name=name)
    region, invoke_id, note = call_target(model, settings.region)
    body = request_body(model, dimension, prepared, item.purpose)
    refuse_if_paused(settings)  # the instructor's pause switch holds for lab 1's calls too
    result = invoke_json(model, invoke_id, region, body, settings)
    vector, tokens = parse_vector(model, dimension, result.payload)
    notes = tuple(([note] if note else []) + prepared.notes)
    return Embedding(vector, tokens, notes)


class ImageTextEmbeddings(Embeddings):
    """LangChain's text methods plus image methods, all through one `embed` (Bedrock's or the local engine's)."""

    @abstractmethod
    def embed(self, item: EmbeddingInput, *, name: str = "The image") -> Embedding:
        """One input (text, image or both) as a vector: each engine's own call."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed(EmbeddingInput(text=t)).vector.tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed(EmbeddingInput(text=text, purpose=EmbeddingPurpose.RETRIEVAL)).vector.tolist()

    def embed_image(self, data: bytes, *, query: bool = False) -> list[float]:
        purpose = EmbeddingPurpose.RETRIEVAL if query else EmbeddingPurpose.INDEX
        return self.embed(EmbeddingInput(image=data, purpose=purpose)).vector.tolist()

    def embed_images(self, images: list[bytes]) -> list[list[float]]:
        return [self.embed_image(data) for data in images]

    def embed_text_and_image(self, text: str, data: bytes) -> Embedding:
        return self.embed(EmbeddingInput(text=text, image=data, purpose=EmbeddingPurpose.RETRIEVAL))

    def similar_query(self, stored: np.ndarray) -> np.ndarray:
        """The query vector for "find images like this indexed one" (its stored vector, for Bedrock's models)."""
        return stored


class MultimodalEmbeddings(ImageTextEmbeddings):
    """LangChain embeddings for text, images, or both, with one model at one dimension.

    Documents are embedded for indexing and queries for retrieval (Nova embeds
    them differently; Titan the same). Vectors are unit length, so cosine
    similarity is a dot product.
    """

    def __init__(self, model: EmbeddingModel | str, dimension: int | None = None,
                 settings: Settings | None = None) -> None:
        self.model = get_embedding_model(model) if isinstance(model, str) else model
        self.dimension = dimension or self.model.default_dimension
        self.settings = settings or load_settings()
        if self.dimension not in self.model.dimensions:
            raise InvalidInput(f"{self.model.label} has no {self.dimension}-dimension vectors.",
                               f"Pick one of {', '.join(map(str, self.model.dimensions))}.")

    def embed(self, item: EmbeddingInput, *, name: str = "The image") -> Embedding:
        return embed(self.model, self.dimension, item, self.settings, name=name)

    def embed_text_and_image(self, text: str, data: bytes) -> Embedding:
        """One query vector for text and image together.

        Titan embeds both in one call (the model averages them); Nova takes one
        input per call, so the two unit vectors are averaged here, which is what
        Titan does inside.
        """
        if self.model.joint_text_image:
            return super().embed_text_and_image(text, data)
        by_text = self.embed(EmbeddingInput(text=text, purpose=EmbeddingPurpose.RETRIEVAL))
        by_image = self.embed(EmbeddingInput(image=data, purpose=EmbeddingPurpose.RETRIEVAL))
        mean = by_text.vector + by_image.vector
        return Embedding(mean / (np.linalg.norm(mean) or 1.0), by_text.input_tokens, by_text.notes + by_image.notes)


def embedder_for(model: EmbeddingModel | str, dimension: int | None = None,
                 settings: Settings | None = None) -> ImageTextEmbeddings:
    """The embedder for a catalog row: Bedrock's models, or the offline engine for a local row."""
    model = get_embedding_model(model) if isinstance(model, str) else model
    if model.runs_locally:
        from lib.search.local_embeddings import LocalEmbeddings  # imports torch only when asked for

        return LocalEmbeddings(model, dimension, settings)
    return MultimodalEmbeddings(model, dimension, settings)
