"""Lab 1's offline search engine as the service offers it: the embedder for the local row, and whether it can run.

The engine itself (MiniLM tags and EfficientNet-Lite0 looks) is lib/engines/local_embeddings.py, found through the
registry like every other embedding model.
"""

from __future__ import annotations

from lib.catalog import LOCAL_TAGS_ID, EmbeddingModel
from lib.engines.local_embeddings import local_engine_problem
from lib.search.embeddings import MultimodalEmbeddings
from lib.settings import Settings

__all__ = ["LocalEmbeddings", "local_engine_problem"]


class LocalEmbeddings(MultimodalEmbeddings):
    """The embedder of the offline engine's catalog row (its one dimension)."""

    def __init__(self, model: EmbeddingModel | str = LOCAL_TAGS_ID, dimension: int | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(model, dimension, settings)
