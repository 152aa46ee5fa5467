"""Lab 1's index behind one interface, on both backends: FAISS + SQLite files (embedded default) and
PostgreSQL + pgvector (a real server the test command starts; tests/real_engines.py).

Owners: the samples and what an instructor adds are shared; an attendee's sources are theirs, and searches,
image lookups and status counts show an attendee only shared images and their own. With pgvector, "two
servers" are two index objects on two independent engines: what one builds or removes, the other sees.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing

import numpy as np
import pytest
import sqlalchemy as sa

from lib.search.build import build_index, last_build, start_build
from lib.search.index import (SHARED, ImageIndex, Source, SpaceMismatch, VectorIndex, VectorSpace, shared_index,
                              sources_owner, uses_pgvector)
from lib.search.sources import SourceItem
from lib.storage.results import Viewer

ANA, BEN = Viewer("browser:ana"), Viewer("browser:ben")
TEACHER = Viewer("teacher@example.com", instructor=True)
DIM = 32


def vectors(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def unique_space() -> VectorSpace:
    """A space of its own per test: the session's PostgreSQL is shared by every test."""
    return VectorSpace(f"test-embed-{uuid.uuid4().hex[:8]}", DIM)


def pg_sqlalchemy_url(postgres_url: str) -> str:
    return "postgresql+psycopg://" + postgres_url.removeprefix("postgresql://")


@pytest.fixture(params=["faiss", "pgvector"])
def servers(request, tmp_path):
    """Two index objects for one space over one backend, as two app processes would hold them."""
    space = unique_space()
    if request.param == "faiss":
        yield ImageIndex(tmp_path / "index", space), lambda: ImageIndex(tmp_path / "index", space)
        return
    from lib.search.index.postgres import PgVectorIndex
    from lib.storage.db import database_url, engine_for

    url = request.getfixturevalue("postgres_url")
    one = PgVectorIndex(engine_for(database_url(tmp_path, url)), space)  # migrated by Alembic on first use
    engines = []

    def another_server() -> PgVectorIndex:
        engine = sa.create_engine(pg_sqlalchemy_url(url))  # its own pool: nothing shared in the process
        engines.append(engine)
        return PgVectorIndex(engine, space)

    yield one, another_server
    for engine in engines:
        engine.dispose()


def class_index(index: VectorIndex, x: np.ndarray) -> None:
    """Samples 0-3 (shared), Ana's uploads 4-5, Ben's upload 6, an instructor's folder 7; image 3 also Ana's."""
    for i in range(4):
        index.add(index.space, f"s{i}", x[i], Source(f"sample:p{i}", "samples", f"Sample {i}"), (10, 8), 100)
    for i in (4, 5):
        index.add(index.space, f"s{i}", x[i], Source(f"upload:ana/{i}.png", "uploads", f"ana{i}.png", ANA.owner),
                  (10, 8), 100)
    index.add(index.space, "s6", x[6], Source("upload:ben/6.png", "uploads", "ben6.png", BEN.owner), (10, 8), 100)
    index.add(index.space, "s7", x[7], Source("/srv/class/7.png", "/srv/class", "class7.png", SHARED), (10, 8), 100)
    index.add_source("s3", Source("/ana/copy-of-3.png", "/ana", "copy3.png", ANA.owner))  # no embedding
    index.save()


def found(index: VectorIndex, query: np.ndarray, viewer, k: int = 10) -> set[str]:
    return {hit.image.sha for hit in index.search(index.space, query, k, viewer=viewer)}


def test_the_faiss_index_and_the_pgvector_index_are_the_same_interface():
    from lib.search.index.postgres import PgVectorIndex

    for name in ("key", "has", "add", "add_source", "sources_under", "remove_sources", "clear", "save",
                 "mark_built", "vector", "search", "images", "status", "__len__"):
        assert hasattr(ImageIndex, name) and hasattr(PgVectorIndex, name), name
    assert uses_pgvector("postgresql://u:p@h/db") and uses_pgvector("postgresql+psycopg://h/db")
    assert not uses_pgvector(None) and not uses_pgvector("sqlite:///x.db")


def test_attendees_see_shared_images_and_their_own_only(servers):
    index, _ = servers
    x = vectors(8)
    class_index(index, x)
    everyone = {f"s{i}" for i in range(8)}
    assert found(index, x[6], ANA) == everyone - {"s6"}  # not Ben's upload, however close the query is to it
    assert found(index, x[4], BEN) == everyone - {"s4", "s5"}
    assert found(index, x[0], TEACHER) == everyone == found(index, x[0], None)
    top = index.search(index.space, x[6], 1, viewer=ANA)[0]
    assert top.image.sha != "s6" and top.score < 0.99
    assert index.search(index.space, x[6], 1, viewer=BEN)[0].image.sha == "s6"
    # Sources of an image are filtered too: Ben sees sample 3 without Ana's copy of it.
    assert [s.ref for s in index.images(["s3"], BEN)["s3"].sources] == ["sample:p3"]
    assert {s.ref for s in index.images(["s3"], ANA)["s3"].sources} == {"sample:p3", "/ana/copy-of-3.png"}
    assert index.images(["s6"], ANA)["s6"].sources == ()
    # Find similar (the stored vector, no call) filters the same way.
    assert "s6" not in found(index, index.vector("s5"), ANA)


def test_status_counts_what_each_viewer_sees(servers):
    index, _ = servers
    class_index(index, vectors(8))
    assert (index.status(ANA).count, index.status(ANA).sources) == (7, 8)  # 5 shared images + 2 uploads; +1 copy
    assert (index.status(BEN).count, index.status(BEN).sources) == (6, 6)
    assert (index.status(TEACHER).count, index.status(TEACHER).sources) == (8, 9) == (
        index.status().count, index.status().sources)
    assert len(index) == 8


def test_the_same_file_in_two_owners_folders_is_two_sources_and_removal_is_per_owner(servers):
    index, _ = servers
    x = vectors(2)
    index.add(index.space, "a", x[0], Source("/photos/cat.png", "/photos", "cat.png", ANA.owner), (4, 4), 9)
    index.add(index.space, "a", x[0], Source("/photos/cat.png", "/photos", "cat.png", BEN.owner), (4, 4), 9)
    index.save()
    assert index.sources_under("/photos", ANA.owner) == {"/photos/cat.png": "a"} == index.sources_under(
        "/photos", BEN.owner)
    assert index.sources_under("/photos") == {}  # nothing shared there
    assert index.remove_sources(["/photos/cat.png"], ANA.owner) == 0  # Ben's source keeps the image
    assert found(index, x[0], ANA) == set() and found(index, x[0], BEN) == {"a"}
    assert index.remove_sources(["/photos/cat.png"], BEN.owner) == 1 and len(index) == 0


def test_two_servers_search_the_same_index_and_see_removals(servers):
    one, another_server = servers
    x = vectors(40, seed=3)
    for i, v in enumerate(x):
        one.add(one.space, f"sha{i}", v, Source(f"/class/img{i}.png", "/class", f"img{i}.png"), (10, 8), 100)
    one.mark_built()  # saves (FAISS); PostgreSQL committed each add already
    two = another_server()
    query = x[7] + 0.2 * x[9]
    query /= np.linalg.norm(query)
    hits_one = one.search(one.space, query, 5)
    hits_two = two.search(two.space, query, 5)
    assert [h.image.sha for h in hits_one] == [h.image.sha for h in hits_two] and hits_one[0].image.sha == "sha7"
    assert [h.score for h in hits_two] == pytest.approx([h.score for h in hits_one], abs=1e-5)
    assert hits_two[0].score == pytest.approx(float(x[7] @ query), abs=1e-5)  # a cosine, as FAISS gives
    assert two.status().count == 40 and two.status().last_build is not None
    np.testing.assert_allclose(two.vector("sha9"), x[9], atol=1e-6)
    assert one.remove_sources(["/class/img7.png"]) == 1
    if isinstance(one, ImageIndex):
        two = another_server()  # a FAISS index is one process's: another one sees the change when it loads
    assert "sha7" not in {h.image.sha for h in two.search(two.space, query, 5)} and len(two) == 39
    with pytest.raises(KeyError):
        two.vector("sha7")


def test_vectors_of_another_model_or_size_are_refused(servers):
    index, _ = servers
    index.add(index.space, "a", vectors(1)[0], Source("/x.png", "/", "x.png"), (1, 1), 1)
    with pytest.raises(SpaceMismatch):
        index.search(VectorSpace("another-model", DIM), vectors(1)[0])
    with pytest.raises(SpaceMismatch):
        index.add(index.space, "b", np.ones(DIM + 1, np.float32), Source("/y.png", "/", "y.png"), (1, 1), 1)


def test_clear_forgets_every_vector_and_source(servers):
    index, another_server = servers
    class_index(index, vectors(8))
    index.clear()
    assert len(index) == 0 and index.search(index.space, vectors(1)[0]) == [] and index.status(ANA).count == 0
    assert len(another_server()) == 0


def test_many_hidden_images_still_leave_k_visible_hits(servers):
    """An attendee's k hits are found even when far more similar images belong to others."""
    index, _ = servers
    x = vectors(60, seed=5)
    for i, v in enumerate(x):
        owner = ANA.owner if i % 10 == 0 else BEN.owner
        index.add(index.space, f"sha{i}", v, Source(f"upload:{i}.png", "uploads", f"{i}.png", owner), (4, 4), 9)
    index.save()
    hits = index.search(index.space, x[1], 6, viewer=ANA)
    assert {h.image.sha for h in hits} == {f"sha{i}" for i in range(0, 60, 10)}


# --- builds: owners -------------------------------------------------------------------------------

class ListedSource:
    """A source listing in-memory images (a stand-in for samples or a folder)."""

    def __init__(self, root: str, images: dict[str, bytes], *, shared: bool = False) -> None:
        self.root, self.label, self.complete, self.shared = root, root, True, shared
        self.images = images

    def list_items(self) -> list[SourceItem]:
        return [SourceItem(ref, ref.rsplit("/", 1)[-1], self.root, lambda d=data: d, shared=self.shared)
                for ref, data in self.images.items()]


def photos(n: int, start: int = 0) -> dict[str, bytes]:
    from conftest import png_bytes

    return {f"/p/{i}.png": png_bytes((16, 12), (i * 20 % 256, 40, 200 - i)) for i in range(start, start + n)}


def test_an_attendees_build_owns_its_sources_and_never_removes_shared_ones(aws_env, tmp_path):
    from lib.search.embeddings import MultimodalEmbeddings
    from lib.settings import load_settings

    embedder = MultimodalEmbeddings("amazon.titan-embed-image-v1", 256, load_settings())
    index = ImageIndex(tmp_path / "index", VectorSpace(embedder.model.id, 256))
    samples = photos(4)
    build_index(index, embedder, [ListedSource("samples", samples, shared=True)], thumbs=tmp_path / "t",
                owner=sources_owner(TEACHER))
    # Ana's server lists fewer samples (say, a package missing): her build must not remove the shared ones.
    mine = photos(2, start=10)
    report = build_index(index, embedder, [ListedSource("samples", dict(list(samples.items())[:1]), shared=True),
                                          ListedSource("/mine", mine)], thumbs=tmp_path / "t",
                         owner=sources_owner(ANA))
    assert report.progress.removed == 0 and report.progress.reused == 1 and report.progress.embedded == 2
    assert index.status(BEN).count == 4 and index.status(ANA).count == 6
    assert set(index.sources_under("/mine", ANA.owner)) == set(mine) and index.sources_under("/mine") == {}
    # Her next build without one of her files removes only that file of hers.
    again = build_index(index, embedder, [ListedSource("/mine", dict(list(mine.items())[:1]))],
                        thumbs=tmp_path / "t", owner=ANA.owner)
    assert again.progress.removed == 1 and index.status(ANA).count == 5 and index.status(TEACHER).count == 5


def test_each_owner_has_their_own_build(aws_env, tmp_path):
    from lib.search.embeddings import MultimodalEmbeddings
    from lib.settings import load_settings

    embedder = MultimodalEmbeddings("amazon.titan-embed-image-v1", 256, load_settings())
    index = ImageIndex(tmp_path / "index", VectorSpace(embedder.model.id, 256))
    ana = start_build(index, embedder, [ListedSource("/a", photos(3))], thumbs=tmp_path / "t", owner=ANA.owner)
    ben = start_build(index, embedder, [ListedSource("/b", photos(3, 5))], thumbs=tmp_path / "t", owner=BEN.owner)
    assert ana is not ben and last_build(index, ANA.owner) is ana and last_build(index, BEN.owner) is ben
    assert last_build(index) is None  # nobody built the shared sources
    for job in (ana, ben):
        job.thread.join(timeout=30)
    assert index.status(ANA).count == 3 and index.status(BEN).count == 3 and len(index) == 6


def test_thumbnails_go_to_a_blob_store_when_given(aws_env, tmp_path):
    from lib.search.embeddings import MultimodalEmbeddings
    from lib.settings import load_settings
    from lib.storage.blobs import FileBlobs

    embedder = MultimodalEmbeddings("amazon.titan-embed-image-v1", 256, load_settings())
    index = ImageIndex(tmp_path / "index", VectorSpace(embedder.model.id, 256))
    store = FileBlobs(tmp_path / "blobs")
    build_index(index, embedder, [ListedSource("/a", photos(2))], thumbs=store)
    shas = set(index.sources_under("/a").values())
    assert len(shas) == 2 and all(store.get(f"{sha}.jpg")[:2] == b"\xff\xd8" for sha in shas)  # JPEG previews


# --- the FAISS index's own database: migrated in place --------------------------------------------

def test_an_index_written_before_owners_is_migrated_in_place_and_its_sources_become_shared(tmp_path):
    folder = tmp_path / "old"
    space = unique_space()
    index = ImageIndex(folder, space)
    x = vectors(3)
    for i in range(3):
        index.add(space, f"s{i}", x[i], Source(f"/old/{i}.png", "/old", f"{i}.png"), (4, 4), 9)
    index.save()
    with closing(sqlite3.connect(folder / "index.sqlite")) as db, db:  # rewrite the table as older versions did
        db.executescript("""
            DROP INDEX sources_by_sha; DROP INDEX sources_by_root; ALTER TABLE sources RENAME TO s_new;
            CREATE TABLE sources (ref TEXT PRIMARY KEY, sha TEXT NOT NULL, root TEXT NOT NULL, title TEXT NOT NULL);
            INSERT INTO sources SELECT ref, sha, root, title FROM s_new; DROP TABLE s_new;
            CREATE INDEX sources_by_sha ON sources (sha); CREATE INDEX sources_by_root ON sources (root);""")
    reopened = ImageIndex(folder, space)
    assert len(reopened) == 3 and found(reopened, x[1], ANA) == {"s0", "s1", "s2"}  # shared: everyone sees them
    assert reopened.sources_under("/old") == {f"/old/{i}.png": f"s{i}" for i in range(3)}
    with closing(sqlite3.connect(folder / "index.sqlite")) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(sources)")]
        indexes = {row[1] for row in db.execute("PRAGMA index_list(sources)")}
    assert columns == ["ref", "sha", "root", "title", "owner"] and {"sources_by_sha", "sources_by_root"} <= indexes
    reopened.add_source("s1", Source("/old/1.png", "/old", "1.png", ANA.owner))  # now a second owner may add it
    reopened.save()
    assert ImageIndex(folder, space).status().sources == 4


# --- choosing the backend -------------------------------------------------------------------------

def test_shared_index_is_faiss_by_default_and_pgvector_with_postgres(tmp_path, postgres_url):
    from lib.search.index import forget_shared_indexes
    from lib.search.index.postgres import PgVectorIndex

    space = unique_space()
    try:
        assert isinstance(shared_index(tmp_path, space), ImageIndex)
        assert isinstance(shared_index(tmp_path, space, database_url=f"sqlite:///{tmp_path}/h.db"), ImageIndex)
        pg = shared_index(tmp_path, space, database_url=postgres_url)
        assert isinstance(pg, PgVectorIndex) and shared_index(tmp_path, space, database_url=postgres_url) is pg
        with pg.engine.connect() as c:
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() >= "0003_search_vectors"
            assert {"search_spaces", "search_sources"} <= set(sa.inspect(c).get_table_names())
            indexes = c.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"),
                                {"t": pg.table_name}).scalars().all()
        assert any("hnsw" in d and "vector_ip_ops" in d for d in indexes)
        assert "HNSW" in pg.status().search_kind
    finally:
        forget_shared_indexes()
