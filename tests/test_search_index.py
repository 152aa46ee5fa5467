"""The lab 1 index: add, search, dedupe, save/load, mixed-model refusal, removal, HNSW above the exact limit."""

from __future__ import annotations

import pickle
import re
import threading

import faiss
import numpy as np
import pytest

import lib.search.index as index_module
from lib.search.index import ImageIndex, Source, SpaceMismatch, VectorSpace

TITAN = VectorSpace("amazon.titan-embed-image-v1", 64)
NOVA = VectorSpace("amazon.nova-2-multimodal-embeddings-v1:0", 64)


def vectors(n: int, dimension: int = 64, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dimension)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def fill(index: ImageIndex, x: np.ndarray, root: str = "folder") -> None:
    for i, vector in enumerate(x):
        index.add(index.space, f"sha{i}", vector, Source(f"/{root}/img{i}.png", root, f"img{i}.png"), (10, 8), 100)


def test_search_ranks_by_cosine_and_reports_scores(tmp_path):
    index = ImageIndex(tmp_path / "i", TITAN)
    x = vectors(50)
    fill(index, x)
    query = x[7] + 0.1 * x[3]
    hits = index.search(TITAN, query / np.linalg.norm(query), k=3)
    assert [h.image.sha for h in hits][0] == "sha7" and [h.rank for h in hits] == [1, 2, 3]
    expected = x @ (query / np.linalg.norm(query))
    assert hits[0].score == pytest.approx(float(expected[7]), abs=1e-5)
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert hits[0].image.title == "img7.png" and hits[0].image.sources[0].ref == "/folder/img7.png"
    assert all(h.score >= 0.5 for h in index.search(TITAN, x[7], k=50, min_score=0.5))
    assert [h.image.sha for h in index.search(TITAN, x[7], k=1, exclude=frozenset({"sha7"}))] != ["sha7"]


def test_the_same_bytes_are_one_image_with_several_sources(tmp_path):
    index = ImageIndex(tmp_path / "i", TITAN)
    x = vectors(2)
    index.add(TITAN, "same", x[0], Source("/a/cat.png", "/a", "cat.png"), (10, 10), 5)
    index.add(TITAN, "same", x[1], Source("/b/copy.png", "/b", "copy.png"), (10, 10), 5)
    assert len(index) == 1
    (hit,) = index.search(TITAN, x[0], k=5)
    assert [s.ref for s in hit.image.sources] == ["/a/cat.png", "/b/copy.png"] and hit.score == pytest.approx(1.0)


def test_save_and_load_round_trip_without_unpickling(tmp_path, monkeypatch):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(30)
    fill(index, x)
    index.save()
    before = [(h.image.sha, round(h.score, 5)) for h in index.search(TITAN, x[4], k=5)]

    def refuse(*_, **__):
        raise AssertionError("loading must not unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    reopened = ImageIndex(folder, TITAN)
    assert len(reopened) == 30
    assert [(h.image.sha, round(h.score, 5)) for h in reopened.search(TITAN, x[4], k=5)] == before
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "index.sqlite" and len(names) == 2 and re.fullmatch(r"vectors-\w+\.faiss", names[1])


def test_vectors_of_another_model_are_refused_everywhere(tmp_path):
    index = ImageIndex(tmp_path / "i", TITAN)
    fill(index, vectors(3))
    index.save()
    with pytest.raises(SpaceMismatch, match="can't be compared"):
        index.add(NOVA, "x", vectors(1)[0], Source("/x.png", "/", "x"), (1, 1), 1)
    with pytest.raises(SpaceMismatch):
        index.search(NOVA, vectors(1)[0])
    with pytest.raises(SpaceMismatch):
        index.search(TITAN, vectors(1, dimension=32)[0])
    with pytest.raises(SpaceMismatch):
        ImageIndex(tmp_path / "i", NOVA)  # the folder says Titan
    assert len(ImageIndex(tmp_path / "i", TITAN)) == 3


def test_removed_files_leave_the_results_and_rows_stay_consistent(tmp_path):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(10)
    fill(index, x)
    index.add(TITAN, "sha3", x[3], Source("/other/again.png", "/other", "again.png"), (10, 8), 100)
    removed = index.remove_sources(["/folder/img2.png", "/folder/img3.png", "/folder/img5.png"])
    assert removed == 2  # sha3 is still in /other
    assert len(index) == 8 and set(index.sources_under("folder")) == {f"/folder/img{i}.png"
                                                                     for i in (0, 1, 4, 6, 7, 8, 9)}
    for probe in (0, 6, 9, 3):
        assert index.search(TITAN, x[probe], k=1)[0].image.sha == f"sha{probe}"
    assert all(h.image.sha not in ("sha2", "sha5") for h in index.search(TITAN, x[2], k=10))
    reopened = ImageIndex(folder, TITAN)
    assert len(reopened) == 8 and reopened.search(TITAN, x[9], k=1)[0].image.sha == "sha9"


def test_above_the_exact_limit_the_index_switches_to_hnsw_and_still_finds_neighbours(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "EXACT_SEARCH_LIMIT", 40)
    index = ImageIndex(tmp_path / "i", TITAN)
    x = vectors(100)
    fill(index, x)
    assert isinstance(index._faiss, faiss.IndexHNSWFlat) and "HNSW" in index.status().search_kind
    assert sum(index.search(TITAN, x[i], k=1)[0].image.sha == f"sha{i}" for i in range(100)) >= 98
    index.save()
    assert isinstance(ImageIndex(tmp_path / "i", TITAN)._faiss, faiss.IndexHNSWFlat)


def test_a_crash_mid_save_leaves_the_previous_consistent_index(tmp_path):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(6)
    fill(index, x)
    index.save()
    (saved,) = folder.glob("vectors-*.faiss")
    # As if the app died after writing a new vectors file (a removal renumbers rows) but before its rows:
    shrunk = faiss.read_index(str(saved))
    shrunk.remove_ids(np.array([2], dtype=np.int64))
    faiss.write_index(shrunk, str(folder / "vectors-crashed.faiss"))
    reopened = ImageIndex(folder, TITAN)
    assert len(reopened) == 6 and [p.name for p in folder.glob("vectors-*.faiss")] == [saved.name]
    for i in range(6):
        assert reopened.search(TITAN, x[i], k=1)[0].image.sha == f"sha{i}"


def test_removing_from_a_saved_index_keeps_rows_and_vectors_paired(tmp_path):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(300)
    fill(index, x)
    index.save()
    index.remove_sources(["/folder/img5.png"])
    reopened = ImageIndex(folder, TITAN)
    assert len(reopened) == 299 and len(list(folder.glob("vectors-*.faiss"))) == 1
    for i in (0, 4, 6, 299 - 1):
        assert reopened.search(TITAN, x[i], k=1)[0].image.sha == f"sha{i}"


def test_status_reports_count_sources_size_and_kind(tmp_path):
    index = ImageIndex(tmp_path / "i", TITAN)
    fill(index, vectors(4))
    index.mark_built()
    status = index.status()
    assert (status.count, status.sources) == (4, 4) and status.size_on_disk > 4 * 64 * 4
    assert status.last_build is not None and status.search_kind.startswith("exact")


def test_status_counts_pending_sources_once(tmp_path):
    index = ImageIndex(tmp_path / "i", TITAN)
    x = vectors(3)
    fill(index, x)
    assert index.status().sources == 3  # nothing saved yet
    index.save()
    index.add(TITAN, "sha0", x[0], Source("/folder/img0.png", "folder", "renamed"), (10, 8), 100)  # same ref
    index.add(TITAN, "sha1", x[1], Source("/elsewhere/b.png", "/elsewhere", "b"), (10, 8), 100)
    assert index.status().sources == 4


def test_searches_keep_answering_while_a_removal_rebuilds(tmp_path, monkeypatch):
    index = ImageIndex(tmp_path / "i", TITAN)
    x = vectors(50)
    fill(index, x)
    index.save()
    answered_during_rebuild = []
    original = index_module._index_of

    def slow_rebuild(*args, **kwargs):
        # Another session searches while the rebuild runs; it would wait out the timeout if the lock were held.
        other = threading.Thread(target=lambda: answered_during_rebuild.append(
            index.search(TITAN, x[9], k=1)[0].image.sha))
        other.start()
        other.join(timeout=5)
        return original(*args, **kwargs)

    monkeypatch.setattr(index_module, "_index_of", slow_rebuild)
    assert index.remove_sources(["/folder/img1.png"]) == 1
    assert answered_during_rebuild == ["sha9"] and len(index) == 49
