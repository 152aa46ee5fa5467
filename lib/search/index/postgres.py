"""Lab 1's index in PostgreSQL + pgvector: one index that every server of a class searches and builds.

A module of the index package: it builds on its types (Hit, Source, VectorSpace …); the package loads it only
when WORKSHOP_DATABASE_URL names PostgreSQL.

Why this shape:
- The same `VectorIndex` surface as the FAISS ImageIndex (lib/search/index/__init__.py), so the page and the build
  never branch on the backend; `shared_index` picks this one when WORKSHOP_DATABASE_URL is PostgreSQL.
- One vectors table per (model, dimension) space: pgvector needs a fixed `vector(N)` column for an HNSW
  index. The table is created at the space's first use (CREATE … IF NOT EXISTS under an advisory lock, so
  two servers starting at once agree); the spaces and the owned sources are tables of the Alembic migration
  lib/storage/migrations/versions/0003_search_vectors.py.
- Vectors are unit length, so the HNSW index uses inner product (`vector_ip_ops`, the `<#>` operator),
  as the FAISS path does: scores are cosines. `hnsw.ef_search` is raised to the number of candidates a
  search asks for, so the approximate search keeps its recall; past pgvector's 2 000 dimensions for HNSW,
  the space is searched exactly.
- Every write is its own transaction and nothing is cached in the process: what one server adds or removes
  is what the next query of any server sees.
- Sources are keyed by (space, owner, ref) like the FAISS index's (owner, ref); a viewer sees images with a
  shared source or one of their own.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lib.errors import BackendUnavailable
from lib.i18n import _
from lib.search.index import (SHARED, Hit, IndexedImage, IndexStatus, Source, VectorSpace, _mismatch, visible)

if TYPE_CHECKING:
    from lib.storage.results import Viewer

HNSW_MAX_DIMENSIONS = 2000  # pgvector's limit for an HNSW index on `vector`
HNSW_NEIGHBOURS = 16  # m (pgvector's default)
HNSW_BUILD_DEPTH = 64  # ef_construction (pgvector's default)
HNSW_MIN_SEARCH_DEPTH = 40  # hnsw.ef_search: at least this, and at least the candidates asked for
HNSW_MAX_SEARCH_DEPTH = 1000  # pgvector's ceiling; past it a search runs exactly
SPACES_LOCK = 20261203  # advisory lock id: creating a space's table
_IN_CHUNK = 5000

_meta = sa.MetaData()
spaces = sa.Table(
    "search_spaces", _meta,
    sa.Column("slug", sa.Text, primary_key=True), sa.Column("model_id", sa.Text), sa.Column("dimension", sa.Integer),
    sa.Column("vectors_table", sa.Text), sa.Column("last_build", sa.Float),
)
sources = sa.Table(
    "search_sources", _meta,
    sa.Column("space", sa.Text, primary_key=True), sa.Column("owner", sa.Text, primary_key=True),
    sa.Column("ref", sa.Text, primary_key=True), sa.Column("sha", sa.Text), sa.Column("root", sa.Text),
    sa.Column("title", sa.Text),
)


def vectors_table_name(space: VectorSpace) -> str:
    """A PostgreSQL identifier for the space's table: readable, unique, under 63 characters with its index's suffix."""
    readable = re.sub(r"[^a-z0-9]+", "_", space.slug.lower()).strip("_")[:30]
    digest = hashlib.sha256(f"{space.model_id}\n{space.dimension}".encode()).hexdigest()[:8]
    return f"search_vectors_{readable}_{digest}"


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start:start + _IN_CHUNK] for start in range(0, len(items), _IN_CHUNK)]


class PgVectorIndex:
    """Vectors and their owned sources for one space, in PostgreSQL; safe to share across threads and servers."""

    def __init__(self, engine: sa.Engine, space: VectorSpace) -> None:
        self.engine = engine
        self.space = space
        self.slug = space.slug
        self.table_name = self._ensure_space()
        self.table = sa.Table(
            self.table_name, sa.MetaData(),
            sa.Column("sha", sa.Text, primary_key=True), sa.Column("embedding", Vector(space.dimension)),
            sa.Column("width", sa.Integer), sa.Column("height", sa.Integer), sa.Column("bytes", sa.BigInteger),
            sa.Column("added_at", sa.Float),
        )

    @property
    def key(self) -> tuple[str, ...]:
        return ("pgvector", self.engine.url.render_as_string(hide_password=True), self.slug)

    @property
    def hnsw(self) -> bool:
        return self.space.dimension <= HNSW_MAX_DIMENSIONS

    def _ensure_space(self) -> str:
        """Register the space and create its vectors table and HNSW index once, whichever server comes first."""
        name = vectors_table_name(self.space)
        with self.engine.begin() as c:
            c.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": SPACES_LOCK})
            row = c.execute(sa.select(spaces.c.model_id, spaces.c.dimension, spaces.c.vectors_table)
                            .where(spaces.c.slug == self.slug)).first()
            if row is not None:
                stored = VectorSpace(row.model_id, row.dimension)
                if stored != self.space:
                    raise _mismatch(stored, self.space)
                name = row.vectors_table
            else:
                c.execute(spaces.insert().values(slug=self.slug, model_id=self.space.model_id,
                                                 dimension=self.space.dimension, vectors_table=name))
            if c.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first() is None:
                try:
                    with c.begin_nested():
                        c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
                except sa.exc.DBAPIError as exc:
                    raise BackendUnavailable(
                        _("Lab 1 keeps its vectors in PostgreSQL (WORKSHOP_DATABASE_URL), which has no pgvector "
                          "extension, and this app may not add it."),
                        _("Run CREATE EXTENSION vector; once as an administrator of that database (Amazon RDS and "
                          "Aurora PostgreSQL include pgvector), then reload the page."),
                        detail=str(exc.orig)) from None
            c.execute(sa.text(
                f'CREATE TABLE IF NOT EXISTS "{name}" (sha TEXT PRIMARY KEY, '
                f"embedding vector({self.space.dimension}) NOT NULL, width INTEGER NOT NULL, "
                "height INTEGER NOT NULL, bytes BIGINT NOT NULL, added_at DOUBLE PRECISION NOT NULL)"))
            if self.space.dimension <= HNSW_MAX_DIMENSIONS:
                c.execute(sa.text(
                    f'CREATE INDEX IF NOT EXISTS "{name}_hnsw" ON "{name}" USING hnsw (embedding vector_ip_ops) '
                    f"WITH (m = {HNSW_NEIGHBOURS}, ef_construction = {HNSW_BUILD_DEPTH})"))
        return name

    # -- changes -----------------------------------------------------------------------------

    def __len__(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(self.table)).scalar_one())

    def has(self, sha: str) -> bool:
        with self.engine.connect() as c:
            return c.execute(sa.select(self.table.c.sha).where(self.table.c.sha == sha)).first() is not None

    def _checked(self, space: VectorSpace, vector: np.ndarray) -> np.ndarray:
        if space != self.space:
            raise _mismatch(self.space, space)
        row = np.asarray(vector, dtype=np.float32).reshape(-1)
        if row.shape[0] != self.space.dimension:
            raise _mismatch(self.space, VectorSpace(space.model_id, row.shape[0]))
        return row

    def _upsert_source(self, c: sa.Connection, sha: str, source: Source) -> None:
        c.execute(pg_insert(sources).values(space=self.slug, owner=source.owner, ref=source.ref, sha=sha,
                                            root=source.root, title=source.title)
                  .on_conflict_do_update(index_elements=["space", "owner", "ref"],
                                         set_={"sha": sha, "root": source.root, "title": source.title}))

    def add(self, space: VectorSpace, sha: str, vector: np.ndarray, source: Source, size: tuple[int, int],
            nbytes: int) -> None:
        """Add one embedded image (a known sha only gains the source); committed at once, for every server."""
        vector = self._checked(space, vector)
        with self.engine.begin() as c:
            c.execute(pg_insert(self.table).values(sha=sha, embedding=vector, width=size[0], height=size[1],
                                                   bytes=nbytes, added_at=time.time())
                      .on_conflict_do_nothing(index_elements=["sha"]))
            self._upsert_source(c, sha, source)

    def add_source(self, sha: str, source: Source) -> None:
        """Record another place an indexed image was found; KeyError when it isn't (or was just removed) there."""
        with self.engine.begin() as c:
            # FOR SHARE: a removal on another server can't delete the vector between this check and the insert.
            if c.execute(sa.select(self.table.c.sha).where(self.table.c.sha == sha).with_for_update(read=True)
                         ).first() is None:
                raise KeyError(sha)
            self._upsert_source(c, sha, source)

    def sources_under(self, root: str, owner: str = SHARED) -> dict[str, str]:
        with self.engine.connect() as c:
            return dict(c.execute(sa.select(sources.c.ref, sources.c.sha).where(
                sources.c.space == self.slug, sources.c.owner == owner, sources.c.root == root)).all())

    def remove_sources(self, refs: list[str], owner: str = SHARED) -> int:
        """Forget `owner`'s sources; images left with no source leave the index. One transaction. Returns images removed."""
        refs = list(dict.fromkeys(refs))
        removed = 0
        with self.engine.begin() as c:
            shas: set[str] = set()
            for chunk in _chunks(refs):
                shas |= set(c.execute(sources.delete().where(
                    sources.c.space == self.slug, sources.c.owner == owner, sources.c.ref.in_(chunk))
                    .returning(sources.c.sha)).scalars())
            for chunk in _chunks(sorted(shas)):
                still_used = sa.select(sources.c.sha).where(sources.c.space == self.slug,
                                                            sources.c.sha == self.table.c.sha).exists()
                removed += len(c.execute(self.table.delete().where(self.table.c.sha.in_(chunk), ~still_used)
                                         .returning(self.table.c.sha)).all())
        return removed

    def clear(self) -> None:
        """Forget every vector and source of this space (a rebuild from scratch); the thumbnails stay for reuse."""
        with self.engine.begin() as c:
            c.execute(sources.delete().where(sources.c.space == self.slug))
            c.execute(self.table.delete())

    def save(self) -> None:
        """Nothing to do: every change is committed when it is made."""

    def mark_built(self) -> None:
        with self.engine.begin() as c:
            c.execute(spaces.update().where(spaces.c.slug == self.slug).values(last_build=time.time()))

    # -- queries -----------------------------------------------------------------------------

    def vector(self, sha: str) -> np.ndarray:
        with self.engine.connect() as c:
            found = c.execute(sa.select(self.table.c.embedding).where(self.table.c.sha == sha)).first()
        if found is None:
            raise KeyError(sha)
        return np.asarray(found[0], dtype=np.float32)

    def _nearest(self, query: np.ndarray, want: int) -> list[tuple[float, str]]:
        """The `want` best (score, sha) by inner product, best first."""
        distance = self.table.c.embedding.max_inner_product(query).label("distance")  # `<#>`: -inner product
        with self.engine.begin() as c:
            if want <= HNSW_MAX_SEARCH_DEPTH:
                c.execute(sa.text("SELECT set_config('hnsw.ef_search', :ef, true)"),
                          {"ef": str(max(HNSW_MIN_SEARCH_DEPTH, want))})
            else:  # more candidates than an HNSW scan can return: an exact scan
                c.execute(sa.text("SET LOCAL enable_indexscan = off"))
            rows = c.execute(sa.select(self.table.c.sha, distance).order_by(distance).limit(want)).all()
        return [(-float(d), sha) for sha, d in rows]

    def search(self, space: VectorSpace, query: np.ndarray, k: int = 8, *, min_score: float = -1.0,
               exclude: frozenset[str] = frozenset(), viewer: "Viewer | None" = None) -> list[Hit]:
        """The k most similar images `viewer` may see, best first, with cosine scores of at least `min_score`."""
        query = self._checked(space, query)
        want = k + len(exclude)
        while True:
            found = self._nearest(query, want)
            candidates = [(score, sha) for score, sha in found if sha not in exclude and score >= min_score]
            images = self.images([sha for _, sha in candidates], viewer)
            usable = [(score, sha) for score, sha in candidates if sha in images and images[sha].sources][:k]
            below_min = any(score < min_score for score, _ in found)
            if len(usable) == k or len(found) < want or below_min:
                return [Hit(rank, score, images[sha]) for rank, (score, sha) in enumerate(usable, 1)]
            want *= 2

    def images(self, shas: list[str], viewer: "Viewer | None" = None) -> dict[str, IndexedImage]:
        if not shas:
            return {}
        meta: dict[str, tuple[int, int, int]] = {}
        found: list[tuple[str, Source]] = []
        with self.engine.connect() as c:
            for chunk in _chunks(list(dict.fromkeys(shas))):
                meta.update({sha: (w, h, n) for sha, w, h, n in c.execute(
                    sa.select(self.table.c.sha, self.table.c.width, self.table.c.height, self.table.c.bytes)
                    .where(self.table.c.sha.in_(chunk)))})
                query = sa.select(sources.c.owner, sources.c.ref, sources.c.sha, sources.c.root, sources.c.title
                                  ).where(sources.c.space == self.slug, sources.c.sha.in_(chunk))
                if viewer is not None and not viewer.instructor:
                    query = query.where(sources.c.owner.in_([SHARED, viewer.owner]))
                found += [(sha, Source(ref, root, title, owner)) for owner, ref, sha, root, title in c.execute(query)]
        by_sha: dict[str, list[Source]] = {}
        for sha, source in sorted(found, key=lambda row: (row[1].ref, row[1].owner)):
            if visible(source.owner, viewer):
                by_sha.setdefault(sha, []).append(source)
        return {sha: IndexedImage(sha, *meta[sha], tuple(by_sha.get(sha, ()))) for sha in shas if sha in meta}

    def status(self, viewer: "Viewer | None" = None) -> IndexStatus:
        """Counts (for an attendee: of what they see), size in the database, last build and search kind."""
        counted = (sa.select(sa.func.count(sa.distinct(sources.c.sha)), sa.func.count())
                   .select_from(sources.join(self.table, self.table.c.sha == sources.c.sha))
                   .where(sources.c.space == self.slug))
        if viewer is not None and not viewer.instructor:
            counted = counted.where(sources.c.owner.in_([SHARED, viewer.owner]))
        with self.engine.connect() as c:
            images, n_sources = c.execute(counted).one()
            last = c.execute(sa.select(spaces.c.last_build).where(spaces.c.slug == self.slug)).scalar()
            size = c.execute(sa.text("SELECT pg_total_relation_size(CAST(:t AS regclass))"),
                             {"t": f'"{self.table_name}"'}).scalar_one()
        kind = (_("approximate (pgvector HNSW, inner product, m={neighbours}, ef_search ≥ {depth}) in PostgreSQL, "
                  "shared by every server").format(neighbours=HNSW_NEIGHBOURS, depth=HNSW_MIN_SEARCH_DEPTH)
                if self.hnsw else
                _("exact (pgvector, inner product; over {dimensions} dimensions) in PostgreSQL, shared by every "
                  "server").format(dimensions=HNSW_MAX_DIMENSIONS))
        return IndexStatus(self.space, int(images), int(n_sources), int(size), last, kind)
