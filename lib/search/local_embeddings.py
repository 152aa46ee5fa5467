"""Lab 1's embeddings from the offline engine (lib/local/tags.py), with the same interface as Bedrock's.

Why the same interface: the index, the build and the page take either embedder, so a
local index is built, saved and searched exactly like a Bedrock one (in its own folder).
"""

from __future__ import annotations

import numpy as np

from lib.catalog import LOCAL_TAGS_ID, EmbeddingModel, get_embedding_model
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


class LocalEmbeddings(ImageTextEmbeddings):
    """ImageNet-tag vectors: images by their top labels, text by MiniLM; both land in one 384-dim space."""

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
        vectors = []
        if item.text and item.text.strip():
            text, notes = fit_text(self.model, item.text)
            vectors.append(engine.text_vector(text))
        if item.image:
            decoded = decode_image(item.image, max_bytes=self.settings.max_upload_bytes,
                                   max_pixels=self.settings.max_upload_pixels, name=name)
            vector, tags = engine.image_vector(decoded.image)
            vectors.append(vector)
            notes += decoded.notes + ["Seen as: " + ", ".join(f"{t.label} {t.probability:.0%}" for t in tags[:3])]
        mean = np.sum(vectors, axis=0)
        return Embedding((mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32), 0, tuple(notes))
