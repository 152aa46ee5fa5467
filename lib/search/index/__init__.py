"""The image index for lab 1: FAISS vectors plus a SQLite side table, one folder per (model, dimension).

Why this shape:
- Vectors are unit length, so an inner-product FAISS index ranks by cosine similarity.
- Up to `EXACT_SEARCH_LIMIT` vectors the search is exact (IndexFlatIP); above it an HNSW
  graph keeps a query well under 20 ms (bench/search_bench.py measures both and the recall).
- Every image is keyed by the SHA-256 of its bytes, so the same file is never embedded twice,
  whatever its name or wherever it comes from.
- Files on disk are FAISS's own binary format and SQLite: loading never unpickles anything.
  The rows name the vectors file they belong to, so a crash mid-save never pairs them wrongly.
- An index folder records its model and dimension; opening it for another one is refused,
  so vectors from different models can never be compared.
- Every connection to the database goes through `_open_db`: WAL journal (a search reading rows
  never waits for a build writing them) and one busy timeout, `BUSY_TIMEOUT_S`.
- Removing files is one transaction (sources, renumbered rows and the new vectors file's name
  together); an image with no source left is never returned by a search.
- Every source has an owner (one app serves a class): the samples and what an instructor adds are
  SHARED; an attendee's uploads and folders are theirs. A source is keyed by (owner, ref), so two
  attendees indexing the same file each own their row; searches, images and status take a viewer and
  return only images with a source it may see. Databases written before owners existed are migrated in
  place (their sources become shared).
- `VectorIndex` is what lab 1 and the build use; `shared_index` picks this FAISS index (embedded
  default) or lib/search/index/postgres.PgVectorIndex (PostgreSQL + pgvector, shared by every server).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import faiss
import numpy as np

from lib.errors import InvalidInput
from lib.i18n import _

if TYPE_CHECKING:
    from lib.storage.results import Viewer

EXACT_SEARCH_LIMIT = 20_000
HNSW_NEIGHBOURS = 32
HNSW_BUILD_DEPTH = 100  # efConstruction: with efSearch 128, recall@10 = 1.00 at 100 000 (bench/results.md)
HNSW_SEARCH_DEPTH = 128  # efSearch
BUSY_TIMEOUT_S = 30.0  # every connection waits this long for another one's write lock
_IN_CHUNK = 500  # SQLite variables per `IN (...)` query
_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    row INTEGER PRIMARY KEY, sha TEXT NOT NULL UNIQUE, width INTEGER NOT NULL, height INTEGER NOT NULL,
    bytes INTEGER NOT NULL, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    ref TEXT NOT NULL, sha TEXT NOT NULL, root TEXT NOT NULL, title TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ref, owner));
CREATE INDEX IF NOT EXISTS sources_by_sha ON sources (sha);
CREATE INDEX IF NOT EXISTS sources_by_root ON sources (root);
"""
SHARED = ""  # the owner of sources everyone sees: the samples and whatever an instructor adds


def sources_owner(viewer: "Viewer") -> str:
    """Who owns the sources a viewer adds: SHARED for an instructor (the class's index), else the attendee."""
    return SHARED if viewer.instructor else viewer.owner


def visible(owner: str, viewer: "Viewer | None") -> bool:
    """Whether a source of `owner` may be shown to `viewer` (None: no filter, for the app's own work)."""
    return viewer is None or owner == SHARED or viewer.may_see(owner)


@dataclass(frozen=True)
class VectorSpace:
    """The model and dimension a vector came from; only vectors of one space may be compared."""

    model_id: str
    dimension: int

    @property
    def slug(self) -> str:
        return f"{re.sub(r'[^A-Za-z0-9]+', '-', self.model_id).strip('-')}-{self.dimension}"


@dataclass(frozen=True)
class Source:
    """Where an indexed image came from: `ref` is unique (a path, s3:// URI, sample:… or upload:…)."""

    ref: str
    root: str  # the folder, S3 prefix or collection it was listed from
    title: str
    owner: str = SHARED  # who added it; SHARED sources are seen by everyone


@dataclass(frozen=True)
class IndexedImage:
    sha: str
    width: int
    height: int
    bytes: int
    sources: tuple[Source, ...]

    @property
    def title(self) -> str:
        return self.sources[0].title if self.sources else self.sha[:12]


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float  # cosine similarity, -1..1
    image: IndexedImage


@dataclass(frozen=True)
class IndexStatus:
    space: VectorSpace
    count: int
    sources: int
    size_on_disk: int
    last_build: float | None
    search_kind: str


class VectorIndex(Protocol):
    """What lab 1's page and its build use of an index, whichever holds the vectors.

    ImageIndex: FAISS + SQLite files in the data folder (the embedded default, one server).
    lib/search/index/postgres.PgVectorIndex: PostgreSQL + pgvector (WORKSHOP_DATABASE_URL), shared by every server.
    Sources carry an owner; `viewer` (lib/storage/results.Viewer, None = no filter) limits what is returned.
    """

    space: VectorSpace

    @property
    def key(self) -> tuple[str, ...]: ...  # names the index among the process's indexes (builds are tracked by it)
    def __len__(self) -> int: ...  # every image, whoever's
    def has(self, sha: str) -> bool: ...
    def add(self, space: VectorSpace, sha: str, vector: np.ndarray, source: Source, size: tuple[int, int],
            nbytes: int) -> None: ...
    def add_source(self, sha: str, source: Source) -> None: ...  # KeyError when `sha` isn't indexed
    def sources_under(self, root: str, owner: str = SHARED) -> dict[str, str]: ...
    def remove_sources(self, refs: list[str], owner: str = SHARED) -> int: ...
    def clear(self) -> None: ...
    def save(self) -> None: ...
    def mark_built(self) -> None: ...
    def vector(self, sha: str) -> np.ndarray: ...  # KeyError when `sha` isn't indexed
    def search(self, space: VectorSpace, query: np.ndarray, k: int = 8, *, min_score: float = -1.0,
               exclude: frozenset[str] = frozenset(), viewer: "Viewer | None" = None) -> list[Hit]: ...
    def images(self, shas: list[str], viewer: "Viewer | None" = None) -> dict[str, IndexedImage]: ...
    def status(self, viewer: "Viewer | None" = None) -> IndexStatus: ...


class SpaceMismatch(InvalidInput):
    """Vectors of one model/dimension offered to an index of another."""


def _mismatch(expected: VectorSpace, got: VectorSpace) -> SpaceMismatch:
    return SpaceMismatch(
        _("Vectors from {model} ({dimension} dims) can't be compared with an index of {index_model} ({index_dimension} "
          "dims).").format(model=got.model_id, dimension=got.dimension, index_model=expected.model_id,
                           index_dimension=expected.dimension),
        _("Search with the model the index was built with, or build an index for this model."))


def _open_db(path: Path) -> sqlite3.Connection:
    """A connection to an index database; the only way this module opens one.

    WAL lets searches read while a build writes; one busy timeout means no connection gives up sooner
    than another when a save holds the write lock.
    """
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    db.execute("PRAGMA journal_mode=WAL")
    return db


def _add_owners(db: sqlite3.Connection) -> None:
    """In-place migration of an index written before sources had owners: every source becomes SHARED.

    SQLite can't change a primary key, so the table is rebuilt in one transaction (a crash leaves the old
    one); BEGIN IMMEDIATE makes a second process opening the same old index wait, then find it done.
    """
    def has_owner() -> bool:
        return any(row[1] == "owner" for row in db.execute("PRAGMA table_info(sources)"))

    if has_owner():
        return
    db.commit()
    db.execute("BEGIN IMMEDIATE")
    try:
        if not has_owner():
            db.execute("ALTER TABLE sources RENAME TO sources_before_owners")
            db.execute("DROP INDEX IF EXISTS sources_by_sha")
            db.execute("DROP INDEX IF EXISTS sources_by_root")
            for statement in _SCHEMA.split(";"):
                if "sources" in statement:
                    db.execute(statement)
            db.execute("INSERT INTO sources (ref, sha, root, title, owner) "
                       "SELECT ref, sha, root, title, ? FROM sources_before_owners", (SHARED,))
            db.execute("DROP TABLE sources_before_owners")
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start:start + _IN_CHUNK] for start in range(0, len(items), _IN_CHUNK)]


def _new_faiss(dimension: int, count: int) -> faiss.Index:
    if count > EXACT_SEARCH_LIMIT:
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_BUILD_DEPTH
        index.hnsw.efSearch = HNSW_SEARCH_DEPTH
        return index
    return faiss.IndexFlatIP(dimension)


class ImageIndex:
    """Vectors and their images for one vector space, saved under `folder`. Thread-safe."""

    def __init__(self, folder: Path, space: VectorSpace) -> None:
        self.folder = folder
        self.space = space
        self._lock = threading.RLock()
        # While a save writes the vectors file, the lock is free: searches go on, and whatever would change
        # the vectors (add, remove, clear) waits for `_thawed` (a 100 000-vector file takes ~2 s to write).
        self._frozen = False
        self._thawed = threading.Condition(self._lock)
        self._shas: list[str] = []  # row -> sha
        self._rows: dict[str, int] = {}
        self._pending: dict[str, tuple[int, int, int, float]] = {}  # sha -> (w, h, bytes, added) since the last save
        # Sources are keyed by (owner, ref): two owners may index the same file.
        self._pending_sources: dict[tuple[str, str], Source | None] = {}  # key -> source, None = removed
        self._pending_sha: dict[tuple[str, str], str] = {}
        self._removing: set[tuple[str, str]] = set()  # keys a running removal has hidden; deleted by its final save
        self._faiss: faiss.Index = faiss.IndexFlatIP(space.dimension)
        self._saved_rows = 0
        self._dirty_vectors = False
        self._generation: str | None = None  # names the vectors file the saved rows belong to
        self.folder.mkdir(parents=True, exist_ok=True)
        self._load()

    # -- storage -----------------------------------------------------------------------------

    @property
    def key(self) -> tuple[str, str]:
        """Names this index among every index of the process (builds are tracked by it)."""
        return ("faiss", str(self.folder))

    @property
    def _db_path(self) -> Path:
        return self.folder / "index.sqlite"

    def _vectors_path(self, generation: str) -> Path:
        return self.folder / f"vectors-{generation}.faiss"

    def _connect(self) -> sqlite3.Connection:
        return _open_db(self._db_path)

    def _load(self) -> None:
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)
            _add_owners(db)
            info = dict(db.execute("SELECT key, value FROM info"))
            if not info:
                db.executemany("INSERT INTO info VALUES (?, ?)",
                               [("model_id", self.space.model_id), ("dimension", str(self.space.dimension))])
                return
            stored = VectorSpace(info["model_id"], int(info["dimension"]))
            if stored != self.space:
                raise _mismatch(stored, self.space)
            self._generation = info.get("vectors")
            shas = [sha for (sha,) in db.execute("SELECT sha FROM images ORDER BY row")]
            path = self._vectors_path(self._generation) if self._generation else None
            if path is None or not path.exists():
                shas = []
            else:
                index = faiss.read_index(str(path))
                if index.d != self.space.dimension:
                    raise _mismatch(self.space, VectorSpace(self.space.model_id, index.d))
                shas = shas[: index.ntotal]  # never more rows than vectors (a damaged folder)
                self._faiss = index
            db.execute("DELETE FROM images WHERE row >= ?", (len(shas),))
            db.execute("DELETE FROM sources WHERE sha NOT IN (SELECT sha FROM images)")
            sourced = {sha for (sha,) in db.execute("SELECT DISTINCT sha FROM sources")}
        self._remove_stray_vector_files()
        self._shas = shas
        self._rows = {sha: row for row, sha in enumerate(shas)}
        self._saved_rows = len(shas)
        keep_rows = [row for row, sha in enumerate(shas) if sha in sourced]
        if len(keep_rows) < len(shas):  # images whose every source is gone (a crash of an older version)
            self._keep_only(keep_rows)
            self.save()

    def _keep_only(self, keep_rows: list[int], smaller: faiss.Index | None = None) -> None:
        """Keep these rows (in order), renumbered; `smaller` is their vectors when already built."""
        self._faiss = smaller if smaller is not None else _rebuilt(self._faiss, keep_rows, self.space.dimension)
        self._shas = [self._shas[row] for row in keep_rows]
        self._rows = {sha: row for row, sha in enumerate(self._shas)}
        self._dirty_vectors = True

    def _remove_stray_vector_files(self) -> None:
        """Vector files of other generations: left by a crash mid-save, never referenced by the rows."""
        keep = self._vectors_path(self._generation).name if self._generation else None
        for path in self.folder.glob("vectors*.faiss*"):
            if path.name != keep:
                path.unlink(missing_ok=True)

    def save(self) -> None:
        """Write what changed so that the rows and the vectors on disk always agree.

        Why generations: vectors go to a new file first, and one SQLite transaction then
        commits the rows together with that file's name. A crash before the commit leaves
        the previous, consistent pair; after it, the new one. Nothing is ever half-written.
        """
        inline = self._lock._is_owned()  # called by a change that holds the lock (a removal): write in it
        with self._lock:
            self._wait_writable()  # another save is writing its vectors file
            vectors_changed = self._dirty_vectors or self._faiss.ntotal != self._saved_rows
            if not (vectors_changed or self._pending or self._pending_sources):
                return
            generation = self._generation
            if vectors_changed:
                generation = uuid.uuid4().hex[:12]
                tmp = self.folder / f"vectors-{generation}.faiss.tmp"
            if not vectors_changed or inline:
                if vectors_changed:
                    faiss.write_index(self._faiss, str(tmp))
                    os.replace(tmp, self._vectors_path(generation))
                self._commit_saved(generation)
                return
            self._frozen = True  # the vectors can't change until their rows are committed below
        try:  # without the lock: searches answer meanwhile (write_index only reads the index)
            faiss.write_index(self._faiss, str(tmp))
            os.replace(tmp, self._vectors_path(generation))
            with self._lock:
                self._commit_saved(generation)
        finally:
            with self._lock:
                self._frozen = False
                self._thawed.notify_all()

    def _wait_writable(self) -> None:
        """Under the lock: until no save is writing the vectors file (the lock is released meanwhile)."""
        while self._frozen:
            self._thawed.wait()

    def _commit_saved(self, generation: str | None) -> None:
        """Under the lock: the rows, sources and the vectors file's name in one transaction."""
        renumbered = self._all_image_rows() if self._dirty_vectors else None  # read before writing
        with closing(self._connect()) as db, db:
            if renumbered is not None:  # rows were renumbered by a removal
                db.execute("DELETE FROM images")
                db.executemany("INSERT INTO images VALUES (?, ?, ?, ?, ?, ?)", renumbered)
            else:
                db.executemany("INSERT INTO images VALUES (?, ?, ?, ?, ?, ?)",
                               [(self._rows[sha], sha, *meta) for sha, meta in self._pending.items()])
            for (owner, ref), source in self._pending_sources.items():
                if source is None:
                    db.execute("DELETE FROM sources WHERE ref = ? AND owner = ?", (ref, owner))
                else:
                    db.execute("INSERT OR REPLACE INTO sources (ref, sha, root, title, owner) VALUES (?, ?, ?, ?, ?)",
                               (ref, self._pending_sha[(owner, ref)], source.root, source.title, owner))
            if generation:
                db.execute("INSERT OR REPLACE INTO info VALUES ('vectors', ?)", (generation,))
        if generation != self._generation:
            if self._generation:
                self._vectors_path(self._generation).unlink(missing_ok=True)
            self._generation = generation
        self._pending.clear()
        self._pending_sources.clear()
        self._pending_sha.clear()
        self._saved_rows = self._faiss.ntotal
        self._dirty_vectors = False

    def _all_image_rows(self) -> list[tuple[int, str, int, int, int, float]]:
        meta = dict(self._pending)
        with closing(self._connect()) as db:
            for sha, w, h, n, t in db.execute("SELECT sha, width, height, bytes, added_at FROM images"):
                meta.setdefault(sha, (w, h, n, t))
        return [(row, sha, *meta[sha]) for row, sha in enumerate(self._shas)]

    # -- changes -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._shas)

    def has(self, sha: str) -> bool:
        return sha in self._rows

    def _checked(self, space: VectorSpace, vector: np.ndarray) -> np.ndarray:
        """The vector as one float32 row, refused unless it comes from this index's model and dimension."""
        if space != self.space:
            raise _mismatch(self.space, space)
        row = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if row.shape[1] != self.space.dimension:
            raise _mismatch(self.space, VectorSpace(space.model_id, row.shape[1]))
        return row

    def add(self, space: VectorSpace, sha: str, vector: np.ndarray, source: Source, size: tuple[int, int],
            nbytes: int) -> None:
        """Add one embedded image (a known sha only gains the source)."""
        vector = self._checked(space, vector)
        with self._lock:
            while sha not in self._rows and self._frozen:  # a new vector waits for a save's file to be written
                self._thawed.wait()
            if sha not in self._rows:
                if self._faiss.ntotal == EXACT_SEARCH_LIMIT:  # switch to the HNSW graph once, on the way up
                    self._faiss = _rebuilt(self._faiss, list(range(self._faiss.ntotal)), self.space.dimension,
                                           count=self._faiss.ntotal + 1)
                self._faiss.add(vector)
                self._rows[sha] = len(self._shas)
                self._shas.append(sha)
                self._pending[sha] = (size[0], size[1], nbytes, time.time())
            self.add_source(sha, source)

    def add_source(self, sha: str, source: Source) -> None:
        """Record another place an already indexed image was found (no embedding needed)."""
        with self._lock:
            if sha not in self._rows:
                raise KeyError(sha)
            key = (source.owner, source.ref)
            self._removing.discard(key)  # found again: a running removal must not delete it
            self._pending_sources[key] = source
            self._pending_sha[key] = sha

    def sources_under(self, root: str, owner: str = SHARED) -> dict[str, str]:
        """ref -> sha for every source of `owner` listed from `root` (saved and pending)."""
        with self._lock, closing(self._connect()) as db:
            found = dict(db.execute("SELECT ref, sha FROM sources WHERE root = ? AND owner = ?", (root, owner)))
            for who, ref in self._removing:
                if who == owner:
                    found.pop(ref, None)
            for (who, ref), source in self._pending_sources.items():
                if who != owner:
                    continue
                if source is None:
                    found.pop(ref, None)
                elif source.root == root:
                    found[ref] = self._pending_sha[(who, ref)]
            return found

    def _live_sources(self, viewer: "Viewer | None" = None) -> dict[tuple[str, str], str]:
        """(owner, ref) -> sha of every source (saved or pending) `viewer` may see, less those a removal hides."""
        with closing(self._connect()) as db:
            if viewer is None or viewer.instructor:
                rows = db.execute("SELECT owner, ref, sha FROM sources")
            else:
                rows = db.execute("SELECT owner, ref, sha FROM sources WHERE owner IN (?, ?)", (SHARED, viewer.owner))
            live = {(owner, ref): sha for owner, ref, sha in rows}
        for key in self._removing:
            live.pop(key, None)
        for key, source in self._pending_sources.items():
            if source is None:
                live.pop(key, None)
            elif visible(key[0], viewer):
                live[key] = self._pending_sha[key]
        return live

    def _live_shas(self) -> set[str]:
        """Images with at least one source (saved or pending), not counting those a removal has hidden."""
        return set(self._live_sources().values())

    def remove_sources(self, refs: list[str], owner: str = SHARED) -> int:
        """Forget sources (files that are gone); images left with no source leave the index. Returns images removed.

        Nothing is written until the end, then one save commits the deleted sources, the renumbered
        rows and the smaller vectors file together: a crash on the way leaves the index as it was.
        Meanwhile the refs are hidden, so a search never returns an image whose files are gone.
        The smaller index is built outside the lock (at 100 000 vectors an HNSW graph takes
        tens of seconds), so searches keep answering from the current one meanwhile.
        """
        refs = [(owner, ref) for ref in dict.fromkeys(refs)]  # keys: (owner, ref)
        with self._lock:
            for ref in refs:
                self._pending_sources.pop(ref, None)  # added since the last save: never written now
                self._pending_sha.pop(ref, None)
            self._removing.update(refs)
        try:
            with self._lock:
                kept = self._live_shas()
                current, shas = self._faiss, list(self._shas)
                keep_rows = [row for row, sha in enumerate(shas) if sha in kept]
                kept_vectors = (current.reconstruct_n(0, current.ntotal)[keep_rows]  # a copy: adds can't disturb it
                                if len(keep_rows) < len(shas) else None)
            smaller = _index_of(kept_vectors, self.space.dimension) if kept_vectors is not None else None
            with self._lock:
                self._wait_writable()
                live = self._live_shas()
                if self._faiss is not current or self._shas != shas or live != kept:  # changed meanwhile: redo
                    shas = list(self._shas)
                    keep_rows = [row for row, sha in enumerate(shas) if sha in live]
                    smaller = None
                if len(keep_rows) < len(shas):
                    self._keep_only(keep_rows, smaller)
                for ref in refs:
                    if ref in self._removing:  # not found again meanwhile
                        self._pending_sources[ref] = None
                self._removing.difference_update(refs)
                self.save()  # one transaction: sources, rows and the vectors file's name
                return len(shas) - len(keep_rows)
        finally:
            with self._lock:
                self._removing.difference_update(refs)

    def clear(self) -> None:
        """Forget every vector and source (a rebuild from scratch); the thumbnails stay for reuse."""
        with self._lock:
            self._wait_writable()
            self._faiss = faiss.IndexFlatIP(self.space.dimension)
            self._shas, self._rows = [], {}
            self._pending.clear()
            self._pending_sources.clear()
            self._pending_sha.clear()
            self._removing.clear()
            with closing(self._connect()) as db, db:
                db.execute("DELETE FROM images")
                db.execute("DELETE FROM sources")
                db.execute("DELETE FROM info WHERE key = 'vectors'")
            self._generation = None
            self._remove_stray_vector_files()
            self._saved_rows = 0
            self._dirty_vectors = False

    # -- queries -----------------------------------------------------------------------------

    def vector(self, sha: str) -> np.ndarray:
        with self._lock:
            return self._faiss.reconstruct(self._rows[sha])

    def search(self, space: VectorSpace, query: np.ndarray, k: int = 8, *, min_score: float = -1.0,
               exclude: frozenset[str] = frozenset(), viewer: "Viewer | None" = None) -> list[Hit]:
        """The k most similar images `viewer` may see, best first, with cosine scores of at least `min_score`."""
        query = self._checked(space, query)
        want = k + len(exclude)
        while True:
            with self._lock:
                total = len(self._shas)
                if not total:
                    return []
                want = min(want, total)
                scores, rows = self._faiss.search(query, want)
                found = [(float(score), self._shas[row]) for score, row in zip(scores[0], rows[0]) if row >= 0]
            candidates = [(score, sha) for score, sha in found if sha not in exclude and score >= min_score]
            images = self.images([sha for _, sha in candidates], viewer)
            # An image with no source (its files are being removed, or only others' sources) is skipped.
            usable = [(score, sha) for score, sha in candidates if sha in images and images[sha].sources][:k]
            below_min = any(score < min_score for score, _ in found)  # looking further finds only lower scores
            if len(usable) == k or want >= total or below_min:
                return [Hit(rank, score, images[sha]) for rank, (score, sha) in enumerate(usable, 1)]
            want *= 2

    def images(self, shas: list[str], viewer: "Viewer | None" = None) -> dict[str, IndexedImage]:
        """Metadata and the sources `viewer` may see of the given images, including those added since the last save."""
        if not shas:
            return {}
        meta: dict[str, tuple[int, int, int]] = {}
        found: dict[tuple[str, str], Source] = {}
        sha_of: dict[tuple[str, str], str] = {}
        with self._lock:
            with closing(self._connect()) as db:
                for chunk in _chunks(shas):
                    marks = ",".join("?" * len(chunk))
                    meta.update({sha: (w, h, n) for sha, w, h, n in db.execute(
                        f"SELECT sha, width, height, bytes FROM images WHERE sha IN ({marks})", chunk)})
                    for ref, sha, root, title, owner in db.execute(
                            f"SELECT ref, sha, root, title, owner FROM sources WHERE sha IN ({marks})", chunk):
                        found[(owner, ref)], sha_of[(owner, ref)] = Source(ref, root, title, owner), sha
            for key in self._removing:
                found.pop(key, None)
            for sha in shas:
                if sha in self._pending:
                    meta[sha] = self._pending[sha][:3]
            for key, source in self._pending_sources.items():
                if source is None:
                    found.pop(key, None)
                elif self._pending_sha[key] in meta:
                    found[key], sha_of[key] = source, self._pending_sha[key]
        sources: dict[str, list[Source]] = {}
        for key in sorted(found, key=lambda key: (key[1], key[0])):  # by ref, then owner
            if visible(key[0], viewer):
                sources.setdefault(sha_of[key], []).append(found[key])
        return {sha: IndexedImage(sha, *meta[sha], tuple(sources.get(sha, ()))) for sha in shas if sha in meta}

    def mark_built(self) -> None:
        """Record that a build finished now (shown in the status panel)."""
        self.save()
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO info VALUES ('last_build', ?)", (str(time.time()),))

    def status(self, viewer: "Viewer | None" = None) -> IndexStatus:
        """Counts, size and kind; for an attendee (a viewer who isn't an instructor) the counts are of what they see."""
        with self._lock, closing(self._connect()) as db:
            if viewer is not None and not viewer.instructor:
                live = self._live_sources(viewer)
                count, n_sources = len(set(live.values()) & set(self._rows)), len(live)
            else:
                count, n_sources = len(self._shas), self._source_count(db)
            last = db.execute("SELECT value FROM info WHERE key = 'last_build'").fetchone()
            size = sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())
            kind = _("exact (flat inner product)") if isinstance(self._faiss, faiss.IndexFlat) else (
                _("approximate (HNSW, M={neighbours}, efSearch={depth})").format(neighbours=HNSW_NEIGHBOURS,
                                                                                depth=HNSW_SEARCH_DEPTH))
            return IndexStatus(self.space, count, n_sources, size, float(last[0]) if last else None, kind)

    def _source_count(self, db: sqlite3.Connection) -> int:
        """Every source, saved and pending, without reading them all: pending keys change the saved count by ±1."""
        n_sources = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
        pending = list(self._pending_sources)
        for start in range(0, len(pending), 250):
            chunk = pending[start:start + 250]
            where = " OR ".join("(owner = ? AND ref = ?)" for _ in chunk)
            saved = set(db.execute(f"SELECT owner, ref FROM sources WHERE {where}", [v for key in chunk for v in key]))
            n_sources += sum((self._pending_sources[key] is not None) - (key in saved) for key in chunk)
        removing = sorted(self._removing)
        for start in range(0, len(removing), 250):  # hidden by a running removal
            chunk = removing[start:start + 250]
            where = " OR ".join("(owner = ? AND ref = ?)" for _ in chunk)
            n_sources -= db.execute(f"SELECT COUNT(*) FROM sources WHERE {where}",
                                    [v for key in chunk for v in key]).fetchone()[0]
        return n_sources


def _rebuilt(index: faiss.Index, keep_rows: list[int], dimension: int, *, count: int | None = None) -> faiss.Index:
    """A fresh index (flat or HNSW by size) holding the kept rows of `index`, in order."""
    vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, dimension), np.float32)
    return _index_of(vectors[keep_rows], dimension, count=count)


def _index_of(vectors: np.ndarray, dimension: int, *, count: int | None = None) -> faiss.Index:
    """A fresh index (flat or HNSW for `count`, default the number of vectors) holding `vectors`."""
    fresh = _new_faiss(dimension, count if count is not None else len(vectors))
    if len(vectors):
        fresh.add(vectors)
    return fresh


_shared: dict[tuple[object, VectorSpace], VectorIndex] = {}
_shared_lock = threading.Lock()


def uses_pgvector(database_url: str | None) -> bool:
    """True when WORKSHOP_DATABASE_URL names PostgreSQL: lab 1's vectors then live in pgvector."""
    return bool(database_url) and database_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def shared_index(data_dir: Path, space: VectorSpace, *, database_url: str | None = None) -> VectorIndex:
    """The one index per process for this space: every browser session searches the same loaded index.

    With a PostgreSQL `database_url` (settings.database_url) it is a PgVectorIndex, which every server of a
    class shares; otherwise the FAISS ImageIndex in the data folder.
    """
    if uses_pgvector(database_url):
        from lib.search.index.postgres import PgVectorIndex
        from lib.storage.db import database_url as sqlalchemy_url, engine_for

        key: tuple[object, VectorSpace] = (database_url, space)
        with _shared_lock:
            if key not in _shared:
                _shared[key] = PgVectorIndex(engine_for(sqlalchemy_url(data_dir, database_url)), space)
            return _shared[key]
    key = (data_dir.resolve(), space)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = ImageIndex(data_dir / "search" / space.slug, space)
        return _shared[key]


def forget_shared_indexes() -> None:
    """Drop loaded indexes (tests, or after the data folder was deleted)."""
    with _shared_lock:
        _shared.clear()
