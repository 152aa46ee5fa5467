"""Lab 1's offline engine (lib/local/tags.py) behind the same interface as Bedrock's embedding models.

Why the same interface: the index, the build and the page take either, so a local index is built, saved and
searched exactly like a Bedrock one (in its own folder).

Why two halves: MiniLM's tag space can match words to images, but compares two photos only by
their labels; the CNN's pooled features compare how they look. An indexed image stores both,
[tags | looks] / √2 (unit length), and each query fills the half it asks about, scaled by √2,
so the inner product is exactly one cosine: text → tags, image → looks, both → their mean.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from lib.catalog import LOCAL_TAGS_ID, EmbeddingModel, EmbeddingPurpose
from lib.engines.embedding_base import Embedding, EmbeddingEngine, EmbeddingInput, PreparedInput, fitted_text
from lib.errors import BackendUnavailable
from lib.i18n import _
from lib.imaging import decode_image
from lib.local.availability import INSTALL_HINT, missing_for
from lib.settings import Settings


def local_engine_problem() -> str | None:
    """Why the local engine can't run here (missing packages), or None when it can."""
    missing = missing_for(LOCAL_TAGS_ID)
    if not missing:
        return None
    return _("The local engine's packages are not installed ({packages}). {how}").format(
        packages=", ".join(missing), how=_(INSTALL_HINT))


def _halves(tags: np.ndarray | None, looks: np.ndarray | None, *, query: bool) -> np.ndarray:
    """One vector of the [tags | looks] layout; a missing half is zeros (see the module docstring)."""
    from lib.local.tags import TAG_DIMENSION, VISUAL_DIMENSION

    parts = [np.zeros(TAG_DIMENSION, np.float32) if tags is None else tags,
             np.zeros(VISUAL_DIMENSION, np.float32) if looks is None else looks]
    filled = sum(part is not None for part in (tags, looks))
    scale = math.sqrt(2) / filled if query else 1 / math.sqrt(2)
    return (np.concatenate(parts) * scale).astype(np.float32)


class LocalEmbedEngine(EmbeddingEngine):
    """Text by MiniLM; images by their top ImageNet labels in MiniLM's space plus the CNN's pooled features."""

    parallel_calls = 2  # the CNN runs one image at a time; two keep reading and embedding overlapped

    def prepare(self, model: EmbeddingModel, item: EmbeddingInput, *, name: str = "The image",
                max_upload_bytes: int = 50 * 1024 * 1024) -> PreparedInput:
        """The text fitted to MiniLM; the image as given (decoded, within the upload limits, when embedded)."""
        text, notes = fitted_text(model, item)
        return PreparedInput(text, item.image or None, None, notes, item.purpose, name=name)

    @staticmethod
    def _engine():
        problem = local_engine_problem()
        if problem:
            raise BackendUnavailable(_("The local search engine is not installed."), problem)
        from lib.local.tags import tag_engine

        return tag_engine()

    def embed(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              settings: Settings) -> list[Embedding]:
        return [self._embed_one(item, settings) for item in items]

    def _embed_one(self, item: PreparedInput, settings: Settings) -> Embedding:
        engine = self._engine()
        notes = list(item.notes)
        tags_half = looks_half = None
        if item.text:
            tags_half = engine.text_vector(item.text)
        if item.image:
            decoded = decode_image(item.image, max_bytes=settings.max_upload_bytes,
                                   max_pixels=settings.max_upload_pixels, name=item.name)
            look = engine.look(decoded.image)
            tags = engine.tags_of(look)
            seen = ", ".join(f"{t.label} {t.probability:.0%}" for t in tags[:3])  # ImageNet's class names
            notes += decoded.notes + [_("Seen as: {tags}").format(tags=seen)]
            looks_half = look.visual
            if item.purpose is EmbeddingPurpose.INDEX:  # an indexed image answers both kinds of query
                return Embedding(_halves(engine.tag_vector(tags), looks_half, query=False), 0, tuple(notes))
        return Embedding(_halves(tags_half, looks_half, query=True), 0, tuple(notes))

    def similar_query(self, stored: np.ndarray) -> np.ndarray:
        """"Find similar" compares looks: the stored image's pooled-feature half, as an image query."""
        from lib.local.tags import TAG_DIMENSION

        return _halves(None, np.asarray(stored[TAG_DIMENSION:]) * math.sqrt(2), query=True)
