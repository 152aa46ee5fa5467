"""The offline search engine (EfficientNet-Lite0 tags and pooled features + MiniLM) on the packaged sample photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from lib.catalog import LOCAL_SEARCH_DIMENSION, LOCAL_TAGS_ID
from lib.search.build import build_index
from lib.search.embeddings import embedder_for
from lib.search.index import ImageIndex, VectorSpace
from lib.search.local_embeddings import LocalEmbeddings, local_engine_problem
from lib.search.sources import SampleSource
from lib.samples import all_samples, sample_bytes
from lib.local.tags import TAG_DIMENSION

pytestmark = pytest.mark.skipif(local_engine_problem() is not None,
                                reason="local engines not installed (WORKSHOP_CLOUD_ONLY=1)")
SPACE = VectorSpace(LOCAL_TAGS_ID, LOCAL_SEARCH_DIMENSION)


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-index")
    index = ImageIndex(folder / "index", SPACE)
    report = build_index(index, LocalEmbeddings(), [SampleSource()], thumbs=folder / "thumbs", workers=2)
    assert report.progress.failed == 0 and report.error is None
    return index


@pytest.mark.slow  # a quality measurement of the offline engine
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
    assert len(result(sample_bytes("chelsea"))) == LOCAL_SEARCH_DIMENSION
    notes = LocalEmbeddings().embed_text_and_image("a cat", sample_bytes("chelsea")).notes
    assert notes and notes[-1].startswith("Seen as: ") and "cat" in notes[-1]


def altered(sample_id: str) -> bytes:
    """The photo cropped to its middle 70 %, mirrored and darkened: another shot of the same thing."""
    with Image.open(io.BytesIO(sample_bytes(sample_id))) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    rgb = ImageOps.mirror(rgb.crop((int(w * .15), int(h * .15), int(w * .85), int(h * .85))))
    buf = io.BytesIO()
    ImageEnhance.Brightness(rgb).enhance(0.7).save(buf, "JPEG", quality=80)
    return buf.getvalue()


# Two street scenes from the same data set (a parking notice, a road sign among trees) look alike: measured
# margin 0.16, still ranked first.
LOOKALIKE_MARGINS = {"parking_notice": 0.1}


@pytest.mark.slow  # a quality measurement of the offline engine
@pytest.mark.parametrize("sample_id", [s.id for s in all_samples()])
def test_an_altered_photo_finds_its_original_by_looks(sample_index, sample_id):
    vector = np.asarray(LocalEmbeddings().embed_image(altered(sample_id), query=True), dtype=np.float32)
    hits = sample_index.search(SPACE, vector, k=2)
    assert hits[0].image.sources[0].ref == f"sample:{sample_id}", [(h.image.title, round(h.score, 3)) for h in hits]
    margin = LOOKALIKE_MARGINS.get(sample_id, 0.25)
    assert hits[0].score > 0.7 and hits[0].score - hits[1].score > margin  # measured ≥ 0.74, margins ≥ 0.33


@pytest.mark.parametrize(("sample_id", "runner_up"), [("astronaut", "grace_hopper"), ("page", "text")])
def test_looks_rank_the_alike_photo_next(sample_index, sample_id, runner_up):
    """A portrait's nearest other photo is the other portrait; a text page's, the other text."""
    vector = np.asarray(LocalEmbeddings().embed_image(altered(sample_id), query=True), dtype=np.float32)
    assert sample_index.search(SPACE, vector, k=2)[1].image.sources[0].ref == f"sample:{runner_up}"


def test_each_query_kind_scores_with_its_own_half():
    """Text → the tag half, image → the looks half, both → the mean of the two cosines."""
    embedder = LocalEmbeddings()
    coffee = np.asarray(embedder.embed_image(sample_bytes("coffee")), dtype=np.float32)  # as indexed
    assert np.linalg.norm(coffee) == pytest.approx(1.0, abs=1e-5)
    tags, looks = coffee[:TAG_DIMENSION] * np.sqrt(2), coffee[TAG_DIMENSION:] * np.sqrt(2)
    text = np.asarray(embedder.embed_query("a cup of coffee"), dtype=np.float32)
    image = np.asarray(embedder.embed_image(altered("coffee"), query=True), dtype=np.float32)
    both = embedder.embed_text_and_image("a cup of coffee", altered("coffee")).vector
    text_cos = float(text[:TAG_DIMENSION] @ tags) / np.sqrt(2)
    looks_cos = float(image[TAG_DIMENSION:] @ looks) / np.sqrt(2)
    assert float(text @ coffee) == pytest.approx(text_cos, abs=1e-5) and not text[TAG_DIMENSION:].any()
    assert float(image @ coffee) == pytest.approx(looks_cos, abs=1e-5) and not image[:TAG_DIMENSION].any()
    assert float(both @ coffee) == pytest.approx((text_cos + looks_cos) / 2, abs=1e-4)


def test_find_similar_ranks_by_looks_without_calling_anything(sample_index):
    embedder = LocalEmbeddings()
    cat = np.asarray(embedder.embed_image(sample_bytes("chelsea")), dtype=np.float32)
    query = embedder.similar_query(cat)
    assert not query[:TAG_DIMENSION].any()
    hits = sample_index.search(SPACE, query, k=3)
    assert hits[0].image.sources[0].ref == "sample:chelsea" and hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert all(h.score < 0.99 for h in hits[1:])
