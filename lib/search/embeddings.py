"""Lab 1's embedding service: any catalog row's engine as a LangChain `Embeddings`, with image methods.

Why our own class: langchain-aws's BedrockEmbeddings is text-only. The row's engine (lib/engines/registry.py:
Titan, Nova, Cohere Embed v4, Marengo, or the offline engine) fits each input to its model (text cut to its token
limit, images downscaled / re-encoded to its pixel and byte limits, every change reported in `Embedding.notes`),
builds the body, calls and parses; this layer checks the vector size, holds the instructor's pause switch, and
sends as many inputs per call as the engine takes. Nothing here knows a model family.
"""

from __future__ import annotations

import unicodedata
from typing import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from lib.catalog import (EmbeddingModel, EmbeddingPurpose, QueryLanguages, get_embedding_model,
                         multilingual_alternative)
from lib.engines.embedding_base import (Embedding, EmbeddingEngine, EmbeddingInput, PreparedInput, estimate_tokens,
                                        fit_text, require_dimension)
from lib.engines.registry import engine_for
from lib.i18n import _
from lib.settings import Settings, load_settings
from lib.storage.control import refuse_if_paused

__all__ = ["Embedding", "EmbeddingInput", "MultimodalEmbeddings", "PreparedInput", "embed", "embedder_for",
           "estimate_tokens", "fit_text", "language_hint", "prepare_input"]


def _row(model: EmbeddingModel | str) -> EmbeddingModel:
    return get_embedding_model(model) if isinstance(model, str) else model


def prepare_input(model: EmbeddingModel | str, item: EmbeddingInput, *, max_upload_bytes: int = 50 * 1024 * 1024,
                  name: str = "The image") -> PreparedInput:
    """The input fitted to the model by its engine; what can't be fitted (a corrupt image) is refused."""
    model = _row(model)
    return engine_for(model).prepare(model, item, name=name, max_upload_bytes=max_upload_bytes)


class MultimodalEmbeddings(Embeddings):
    """LangChain embeddings for text, images, or both, with one catalog model at one dimension.

    Documents are embedded for indexing and queries for retrieval (Nova and Cohere embed them differently;
    Titan and Marengo the same). Vectors are unit length, so cosine similarity is a dot product.
    """

    def __init__(self, model: EmbeddingModel | str, dimension: int | None = None,
                 settings: Settings | None = None) -> None:
        self.model = _row(model)
        self.dimension = dimension or self.model.default_dimension
        self.settings = settings or load_settings()
        require_dimension(self.model, self.dimension)
        self.engine: EmbeddingEngine = engine_for(self.model)

    @property
    def batch_size(self) -> int:
        """Inputs one call embeds (the index build sends this many new photos at a time)."""
        return self.engine.batch_size

    @property
    def parallel_calls(self) -> int:
        """Calls that may run at once for this model."""
        return self.engine.parallel_calls or self.settings.embed_workers

    def prepare(self, item: EmbeddingInput, *, name: str = "The image") -> PreparedInput:
        return self.engine.prepare(self.model, item, name=name, max_upload_bytes=self.settings.max_upload_bytes)

    def embed_prepared(self, items: Sequence[PreparedInput]) -> list[Embedding]:
        """One vector per prepared input, in at most len(items) / batch_size calls (more where a request's size
        limit says so)."""
        if not items:
            return []
        refuse_if_paused(self.settings)  # the instructor's pause switch holds for lab 1's calls too
        return self.engine.embed(self.model, self.dimension, list(items), self.settings)

    def embed(self, item: EmbeddingInput, *, name: str = "The image") -> Embedding:
        """One input (text, image or both) as one vector."""
        return self.embed_prepared([self.prepare(item, name=name)])[0]

    def embed_many(self, items: Sequence[EmbeddingInput]) -> list[Embedding]:
        """Several inputs of one purpose, `batch_size` per call."""
        prepared = [self.prepare(item) for item in items]
        return [found for start in range(0, len(prepared), self.batch_size)
                for found in self.embed_prepared(prepared[start:start + self.batch_size])]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [e.vector.tolist() for e in self.embed_many([EmbeddingInput(text=t) for t in texts])]

    def embed_query(self, text: str) -> list[float]:
        return self.embed(EmbeddingInput(text=text, purpose=EmbeddingPurpose.RETRIEVAL)).vector.tolist()

    def embed_image(self, data: bytes, *, query: bool = False) -> list[float]:
        purpose = EmbeddingPurpose.RETRIEVAL if query else EmbeddingPurpose.INDEX
        return self.embed(EmbeddingInput(image=data, purpose=purpose)).vector.tolist()

    def embed_images(self, images: list[bytes]) -> list[list[float]]:
        return [e.vector.tolist() for e in self.embed_many([EmbeddingInput(image=data) for data in images])]

    def embed_text_and_image(self, text: str, data: bytes) -> Embedding:
        """One query vector for text and image together (how, is the engine's: one call, or two averaged)."""
        return self.embed(EmbeddingInput(text=text, image=data, purpose=EmbeddingPurpose.RETRIEVAL))

    def similar_query(self, stored: np.ndarray) -> np.ndarray:
        """The query vector for "find images like this indexed one" (no call)."""
        return self.engine.similar_query(stored)


def embedder_for(model: EmbeddingModel | str, dimension: int | None = None,
                 settings: Settings | None = None) -> MultimodalEmbeddings:
    """The embedder for a catalog row: its engine comes from the registry (Bedrock's models or the offline one)."""
    return MultimodalEmbeddings(model, dimension, settings)


def embed(model: EmbeddingModel | str, dimension: int, item: EmbeddingInput, settings: Settings | None = None,
          *, name: str = "The image") -> Embedding:
    """One embedding: fit, send, check the vector."""
    return MultimodalEmbeddings(model, dimension, settings).embed(item, name=name)


def _non_latin_letters(text: str) -> bool:
    """Whether `text` has letters of a script other than Latin (Hangul, kana, Cyrillic, …)."""
    return any(ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def language_hint(model: EmbeddingModel, text: str) -> str | None:
    """What to say before a query in another script than Latin goes to a model that may not read it; else None.

    Said in the current language: two whole sentences, each translated as a whole."""
    if not text or model.query_languages is QueryLanguages.MULTILINGUAL or not _non_latin_letters(text):
        return None
    other = multilingual_alternative(model)
    if model.query_languages is QueryLanguages.ENGLISH:
        problem = _("{model} reads English only, so it won't understand this query.").format(model=model.label)
    else:
        problem = _("{model}'s documentation doesn't say it reads languages other than English.").format(
            model=model.label)
    switch = (_("Switch to {model}, which reads many languages, and build its index (one index per model).").format(
        model=other.label) if other else _("Search in English instead."))
    return f"{problem} {switch}"
