"""Lab 1's embeddings from the offline engine (lib/local/tags.py), with the same interface as Bedrock's.

Why the same interface: the index, the build and the page take either embedder, so a
local index is built, saved and searched exactly like a Bedrock one (in its own folder).

Why two halves: MiniLM's tag space can match words to images, but compares two photos only by
their labels; the CNN's pooled features compare how they look. An indexed image stores both,
[tags | looks] / √2 (unit length), and each query fills the half it asks about, scaled by √2,
so the inner product is exactly one cosine: text → tags, image → looks, both → their mean.
"""

from __future__ import annotations

import math

import numpy as np

from lib.catalog import LOCAL_TAGS_ID, EmbeddingModel, EmbeddingPurpose, get_embedding_model
from lib.errors import BackendUnavailable
from lib.imaging import decode_image
from lib.search.embeddings import Embedding, EmbeddingInput, ImageTextEmbeddings, fit_text
from lib.settings import Settings, load_settings


def local_engine_problem() -> str | None:
    """Why the local engine can't run here (missing packages), or None when it can."""
    from lib.local.tags import missing_packages

    missing = missing_packages()
    if not missing:
        return None
    return (f"The local engine's packages are not installed ({', '.join(missing)}). Run `bash scripts/run_app.sh` "
            "without WORKSHOP_CLOUD_ONLY=1, or `.venv/bin/pip install -r requirements-local.txt`.")


def _halves(tags: np.ndarray | None, looks: np.ndarray | None, *, query: bool) -> np.ndarray:
    """One vector of the [tags | looks] layout; a missing half is zeros (see the module docstring)."""
    from lib.local.tags import TAG_DIMENSION, VISUAL_DIMENSION

    parts = [np.zeros(TAG_DIMENSION, np.float32) if tags is None else tags,
             np.zeros(VISUAL_DIMENSION, np.float32) if looks is None else looks]
    filled = sum(part is not None for part in (tags, looks))
    scale = math.sqrt(2) / filled if query else 1 / math.sqrt(2)
    return (np.concatenate(parts) * scale).astype(np.float32)


class LocalEmbeddings(ImageTextEmbeddings):
    """Text by MiniLM; images by their top ImageNet labels in MiniLM's space plus the CNN's pooled features."""

    def __init__(self, model: EmbeddingModel | str = LOCAL_TAGS_ID, dimension: int | None = None,
                 settings: Settings | None = None) -> None:
        self.model = get_embedding_model(model) if isinstance(model, str) else model
        self.dimension = self.model.default_dimension
        self.settings = settings or load_settings()

    def _engine(self):
        from lib.local.tags import tag_engine

        problem = local_engine_problem()
        if problem:
            raise BackendUnavailable("The local search engine is not installed.", problem)
        return tag_engine()

    def embed(self, item: EmbeddingInput, *, name: str = "The image") -> Embedding:
        engine = self._engine()
        notes: list[str] = []
        tags_half = looks_half = None
        if item.text and item.text.strip():
            text, notes = fit_text(self.model, item.text)
            tags_half = engine.text_vector(text)
        if item.image:
            decoded = decode_image(item.image, max_bytes=self.settings.max_upload_bytes,
                                   max_pixels=self.settings.max_upload_pixels, name=name)
            look = engine.look(decoded.image)
            tags = engine.tags_of(look)
            notes += decoded.notes + ["Seen as: " + ", ".join(f"{t.label} {t.probability:.0%}" for t in tags[:3])]
            looks_half = look.visual
            if item.purpose is EmbeddingPurpose.INDEX:  # an indexed image answers both kinds of query
                return Embedding(_halves(engine.tag_vector(tags), looks_half, query=False), 0, tuple(notes))
        return Embedding(_halves(tags_half, looks_half, query=True), 0, tuple(notes))

    def similar_query(self, stored: np.ndarray) -> np.ndarray:
        """"Find similar" compares looks: the stored image's pooled-feature half, as an image query."""
        from lib.local.tags import TAG_DIMENSION

        return _halves(None, np.asarray(stored[TAG_DIMENSION:]) * math.sqrt(2), query=True)
