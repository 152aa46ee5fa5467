"""The offline search engine (EfficientNet-Lite0 tags + MiniLM) on the sample photos that ship in packages."""

from __future__ import annotations

import numpy as np
import pytest

from lib.catalog import LOCAL_TAGS_ID
from lib.search.build import build_index
from lib.search.embeddings import embedder_for
from lib.search.index import ImageIndex, VectorSpace
from lib.search.local_embeddings import LocalEmbeddings, local_engine_problem
from lib.search.sources import SampleSource
from lib.samples import sample_bytes

pytestmark = pytest.mark.skipif(local_engine_problem() is not None,
                                reason="local engines not installed (WORKSHOP_CLOUD_ONLY=1)")
SPACE = VectorSpace(LOCAL_TAGS_ID, 384)


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-index")
    index = ImageIndex(folder / "index", SPACE)
    report = build_index(index, LocalEmbeddings(), [SampleSource()], thumbs=folder / "thumbs", workers=2)
    assert report.progress.failed == 0 and report.error is None
    return index


@pytest.mark.parametrize(("query", "expected"), [("a cat", "sample:chelsea"), ("a cup of coffee", "sample:coffee"),
                                                 ("a rocket launch", "sample:rocket"), ("a daisy", "sample:flower")])
def test_text_queries_rank_the_right_photo_first(sample_index, query, expected):
    vector = np.asarray(LocalEmbeddings().embed_query(query), dtype=np.float32)
    hits = sample_index.search(SPACE, vector, k=3)
    assert hits[0].image.sources[0].ref == expected, [(h.image.title, round(h.score, 3)) for h in hits]
    assert hits[0].score > hits[1].score


def test_an_image_query_finds_the_same_photo_with_score_one(sample_index):
    vector = np.asarray(LocalEmbeddings().embed_image(sample_bytes("coffee")), dtype=np.float32)
    top = sample_index.search(SPACE, vector, k=1)[0]
    assert top.image.sources[0].ref == "sample:coffee" and top.score == pytest.approx(1.0, abs=1e-4)


def test_the_engine_says_what_it_saw_and_needs_no_aws(isolated_env):
    result = embedder_for(LOCAL_TAGS_ID).embed_image  # no credentials in this environment
    assert len(result(sample_bytes("chelsea"))) == 384
    notes = LocalEmbeddings().embed_text_and_image("a cat", sample_bytes("chelsea")).notes
    assert notes and notes[-1].startswith("Seen as: ") and "cat" in notes[-1]
