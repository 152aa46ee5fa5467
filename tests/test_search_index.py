"""The lab 1 index: add, search, dedupe, save/load, mixed-model refusal, removal, HNSW above the exact limit."""

from __future__ import annotations

import pickle
import re
import sqlite3
import threading
from contextlib import closing

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


# --- removal is atomic; an image with no source is never a hit ---------------------------------

def sources_of_saved(folder) -> dict[str, int]:
    """sha -> number of saved sources, for every saved image row."""
    with closing(sqlite3.connect(folder / "index.sqlite")) as db:
        return dict(db.execute("SELECT images.sha, COUNT(sources.ref) FROM images "
                               "LEFT JOIN sources ON sources.sha = images.sha GROUP BY images.sha"))


def test_a_crash_during_a_removal_leaves_the_index_as_it_was(tmp_path, monkeypatch):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(10)
    fill(index, x)
    index.save()

    def crash(*_, **__):
        raise RuntimeError("the app died while the smaller index was being built")

    monkeypatch.setattr(index_module, "_index_of", crash)  # between finding what goes and saving it
    with pytest.raises(RuntimeError):
        index.remove_sources(["/folder/img2.png", "/folder/img5.png"])
    monkeypatch.undo()
    reopened = ImageIndex(folder, TITAN)
    assert len(reopened) == 10 and all(n == 1 for n in sources_of_saved(folder).values())
    hits = reopened.search(TITAN, x[2], k=10)
    assert len(hits) == 10 and all(h.image.sources for h in hits)
    assert index.search(TITAN, x[5], k=1)[0].image.sources[0].ref == "/folder/img5.png"  # nothing stays hidden
    assert reopened.remove_sources(["/folder/img2.png"]) == 1 and len(ImageIndex(folder, TITAN)) == 9


def test_images_left_without_a_source_are_skipped_by_search_and_cleaned_up_on_load(tmp_path):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(10)
    fill(index, x)
    index.save()
    # The state an older version left after dying between its two saves: sources gone, rows and vectors kept.
    with closing(sqlite3.connect(folder / "index.sqlite")) as db, db:
        db.execute("DELETE FROM sources WHERE ref IN ('/folder/img2.png', '/folder/img5.png')")
    hits = index.search(TITAN, x[2], k=10)
    assert {h.image.sha for h in hits} == {f"sha{i}" for i in range(10)} - {"sha2", "sha5"}
    assert all(h.image.sources for h in hits) and [h.rank for h in hits] == list(range(1, 9))
    assert index.search(TITAN, x[5], k=1)[0].image.sha != "sha5"  # k=1 still finds one with a source
    reopened = ImageIndex(folder, TITAN)
    assert len(reopened) == 8 and set(sources_of_saved(folder)) == {h.image.sha for h in hits}
    assert all(n >= 1 for n in sources_of_saved(folder).values())
    for i in (0, 3, 9):
        assert reopened.search(TITAN, x[i], k=1)[0].image.sha == f"sha{i}"


def test_a_search_during_a_removal_never_returns_an_image_without_a_source(tmp_path, monkeypatch):
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(20)
    fill(index, x)
    index.save()
    during: list[list] = []
    original = index_module._index_of

    def rebuild_while_searching(*args, **kwargs):
        other = threading.Thread(target=lambda: during.append(index.search(TITAN, x[1], k=3)))
        other.start()
        other.join(timeout=5)
        # Nothing is written before the single final save.
        assert all(n == 1 for n in sources_of_saved(folder).values()) and len(sources_of_saved(folder)) == 20
        return original(*args, **kwargs)

    monkeypatch.setattr(index_module, "_index_of", rebuild_while_searching)
    assert index.remove_sources(["/folder/img1.png"]) == 1
    (hits,) = during
    assert len(hits) == 3 and "sha1" not in {h.image.sha for h in hits} and all(h.image.sources for h in hits)
    assert len(sources_of_saved(folder)) == 19


# --- one way to connect: WAL, one busy timeout -------------------------------------------------

def test_the_index_database_is_in_wal_mode_and_every_connection_has_the_same_busy_timeout(tmp_path, monkeypatch):
    seen: list[tuple[int, str]] = []
    opened: list[object] = []
    real_connect = sqlite3.connect

    class Recording(sqlite3.Connection):
        def close(self) -> None:
            seen.append((self.execute("PRAGMA busy_timeout").fetchone()[0],
                         self.execute("PRAGMA journal_mode").fetchone()[0]))
            super().close()

    def connect(*args, **kwargs):
        db = real_connect(*args, factory=Recording, **kwargs)
        opened.append(db)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    folder = tmp_path / "i"
    index = ImageIndex(folder, TITAN)
    x = vectors(12)
    fill(index, x)
    index.save()
    index.search(TITAN, x[0], k=3)
    index.sources_under("folder")
    index.status()
    index.remove_sources(["/folder/img3.png"])
    index.mark_built()
    ImageIndex(folder, TITAN).search(TITAN, x[4], k=1)
    index.clear()
    monkeypatch.undo()
    assert len(seen) == len(opened) >= 8
    assert set(seen) == {(int(index_module.BUSY_TIMEOUT_S * 1000), "wal")}
    with closing(sqlite3.connect(folder / "index.sqlite")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file, for every process
