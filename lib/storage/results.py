"""Every result, kept and owned: rows in SQL (SQLite or PostgreSQL), image bytes in a blob store.

Images are content-addressed (sha256), so an image reused as an input is stored once. Each result carries
a fingerprint of its request (`request_key`) and each chat answer one of its conversation, so a lab that
can't call Bedrock can replay an identical earlier result. Every row has an owner: reads take a `Viewer`
and an attendee only ever gets their own rows; an instructor gets everyone's.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable

import sqlalchemy as sa

from lib.generation.requests import GenerationResult, ImageRequest, request_fingerprint
from lib.imaging import DISPLAY_EDGE, EXTENSIONS, image_size, sniff_format, thumbnail, thumbnails
from lib.storage.blobs import BlobStore, blob_store
from lib.storage.db import database_url, engine_for

LOCAL_OWNER = "local"
PREVIEW_EDGES = (256, DISPLAY_EDGE)  # History's thumbnail, and a result as the labs show it
EXPIRY_CHECK_S = 30.0  # how often claiming also expires other servers' dead claims (they count against caps)
CLAIM_EXPIRES_S = 900.0  # longer than any model call with its retries (read timeout 120 s × attempts)
# Results and answers imported from an instructor's results pack (lib/storage/packs.py): every attendee may
# replay them, none lists them as their own, and they are not spend of this class.
PACK_OWNER = "pack"
# (database URL, owner) -> writes this process made to that owner's results and answers (see totals_version);
# _EVERYONE counts them all
_owner_writes: dict[tuple[str, str], int] = {}
_EVERYONE = "\x00everyone"
_owner_writes_lock = threading.Lock()

meta = sa.MetaData()
results = sa.Table(
    "results", meta,
    sa.Column("id", sa.Text, primary_key=True), sa.Column("created_at", sa.Float), sa.Column("lab", sa.Text),
    sa.Column("task", sa.Text), sa.Column("model_id", sa.Text), sa.Column("model_label", sa.Text),
    sa.Column("prompt", sa.Text), sa.Column("negative_prompt", sa.Text), sa.Column("seed", sa.BigInteger),
    sa.Column("latency_s", sa.Float), sa.Column("cost_usd", sa.Float), sa.Column("region", sa.Text),
    sa.Column("request_json", sa.Text), sa.Column("body_json", sa.Text), sa.Column("notes_json", sa.Text),
    sa.Column("request_key", sa.Text), sa.Column("after_cancel", sa.Integer), sa.Column("owner", sa.Text),
)
images = sa.Table(
    "images", meta,
    sa.Column("id", sa.Text, primary_key=True), sa.Column("result_id", sa.Text), sa.Column("role", sa.Text),
    sa.Column("idx", sa.Integer), sa.Column("sha256", sa.Text), sa.Column("file", sa.Text),
    sa.Column("format", sa.Text), sa.Column("width", sa.Integer), sa.Column("height", sa.Integer),
    sa.Column("seed", sa.BigInteger),
)
chat_answers = sa.Table(
    "chat_answers", meta,
    sa.Column("id", sa.Text, primary_key=True), sa.Column("created_at", sa.Float), sa.Column("lab", sa.Text),
    sa.Column("conversation_key", sa.Text), sa.Column("model_id", sa.Text), sa.Column("model_label", sa.Text),
    sa.Column("region", sa.Text), sa.Column("answer", sa.Text), sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer), sa.Column("cost_usd", sa.Float), sa.Column("latency_s", sa.Float),
    sa.Column("prompt", sa.Text), sa.Column("after_cancel", sa.Integer), sa.Column("owner", sa.Text),
)
jobs = sa.Table(
    "jobs", meta,
    sa.Column("id", sa.Text, primary_key=True), sa.Column("owner", sa.Text), sa.Column("lab", sa.Text),
    sa.Column("request_key", sa.Text), sa.Column("what", sa.Text), sa.Column("model_label", sa.Text),
    sa.Column("state", sa.Text), sa.Column("started_at", sa.Float), sa.Column("finished_at", sa.Float),
    sa.Column("error", sa.Text), sa.Column("est_cost_usd", sa.Float), sa.Column("error_kind", sa.Text),
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an attendee sees their own rows, an instructor everyone's."""

    owner: str
    instructor: bool = False

    def may_see(self, owner: str) -> bool:
        return self.instructor or owner == self.owner


LOCAL = Viewer(LOCAL_OWNER, instructor=True)  # a laptop install: one user, who is also the instructor


def thumbnail_name(name: str, edge: int = 256) -> str:
    return f"thumbs/{name.rsplit('.', 1)[0]}-{edge}.jpg"


@dataclass
class StoredImage:
    id: str
    result_id: str
    role: str
    index: int
    name: str  # the blob's name: "<sha256>.<ext>"
    format: str
    width: int
    height: int
    seed: int | None
    blobs: BlobStore = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def read_bytes(self) -> bytes:
        return self.blobs.get(self.name)

    def exists(self) -> bool:
        return self.blobs.exists(self.name)

    def thumbnail_bytes(self, edge: int = 256) -> bytes:
        """A small JPEG preview, made once and kept beside the image (History lists thumbnails, not images)."""
        name = thumbnail_name(self.name, edge)
        try:
            return self.blobs.get(name)
        except FileNotFoundError:
            data = thumbnail(self.read_bytes(), edge, "jpeg")
            self.blobs.put(name, data)
            return data

    def make_previews(self, data: bytes, edges: tuple[int, ...]) -> None:
        """Every preview a new result is shown with, from its bytes at hand (one decode for all sizes)."""
        missing = tuple(edge for edge in edges if not self.blobs.exists(thumbnail_name(self.name, edge)))
        if missing:
            for edge, preview in thumbnails(data, missing).items():
                self.blobs.put(thumbnail_name(self.name, edge), preview)

    @property
    def file_name(self) -> str:
        return f"{self.result_id}-{self.role}-{self.index + 1}.{EXTENSIONS.get(self.format, self.format)}"


@dataclass
class HistoryEntry:
    id: str
    created_at: float
    lab: str
    task: str
    model_id: str
    model_label: str
    prompt: str
    negative_prompt: str
    seed: int | None
    latency_s: float | None
    cost_usd: float | None
    region: str | None
    request: dict[str, Any]
    body: dict[str, Any]
    notes: list[str]
    outputs: list[StoredImage] = field(default_factory=list)
    inputs: list[StoredImage] = field(default_factory=list)
    after_cancel: bool = False  # it arrived after the attendee had cancelled waiting (kept: it was paid)
    owner: str = LOCAL_OWNER

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))


@dataclass
class StoredAnswer:
    """A chat answer Bedrock gave, kept so the same conversation can be replayed without a call."""

    id: str
    created_at: float
    lab: str
    conversation_key: str
    model_id: str
    model_label: str
    region: str | None
    text: str
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    latency_s: float | None
    prompt: str = ""
    after_cancel: bool = False
    owner: str = LOCAL_OWNER

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))


@dataclass(frozen=True)
class OwnerTotals:
    owner: str
    results: int
    answers: int
    cost_usd: float


def _visible(table: sa.Table, viewer: Viewer | None) -> Any:
    """The owner filter of a read; None (the app's own bookkeeping, never a page) sees everything."""
    if viewer is None or viewer.instructor:
        return sa.true()
    return table.c.owner == viewer.owner


def _replayable(table: sa.Table, viewer: Viewer | None) -> Any:
    """What a viewer may replay and open: their own rows, and a results pack's (shared with everyone)."""
    return sa.or_(_visible(table, viewer), table.c.owner == PACK_OWNER)


def _spent(table: sa.Table) -> Any:
    """Rows that count as this class's spend: everything but an imported pack."""
    return table.c.owner != PACK_OWNER


class HistoryStore:
    """History for one deployment: `data_dir` for the embedded default, or the configured database and blobs."""

    def __init__(self, data_dir: Path, *, database: str | None = None, blobs: str | BlobStore | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.engine = engine_for(database_url(self.data_dir, database))
        self.blobs: BlobStore = blobs if blobs is not None and not isinstance(blobs, str) \
            else blob_store(self.data_dir, blobs)
        self._expired_at = float("-inf")  # when claiming last expired dead claims (claim_job)

    @property
    def db_path(self) -> Path:
        """The SQLite file of the embedded default (for people and tests; a server database has none)."""
        return Path(self.engine.url.database or "")

    @property
    def images_dir(self) -> Path:
        """The folder of the embedded default's image files."""
        return getattr(self.blobs, "root", self.data_dir / "images")

    # -- writing ----------------------------------------------------------
    def _save_blob(self, data: bytes) -> tuple[str, str, str]:
        digest = hashlib.sha256(data).hexdigest()
        fmt = sniff_format(data) or "png"
        name = f"{digest}.{EXTENSIONS.get(fmt, fmt)}"
        self.blobs.put(name, data)
        return digest, name, fmt

    def record(self, result: GenerationResult, lab: str, inputs: list[bytes] | None = None, *,
               asked: ImageRequest | None = None, after_cancel: bool = False,
               owner: str = LOCAL_OWNER) -> HistoryEntry:
        """Store a result with its request, outputs and (optionally) the input images, owned by `owner`.

        `asked` is the request as the lab built it, when the service changed it on the way (Stability's
        background replacement fills in the mask): the replay lookup must find it by what the lab asks.
        """
        entry_id = uuid.uuid4().hex[:12]
        req = result.request
        rows: list[dict[str, Any]] = []
        outputs = [(o.data, o.seed) for o in result.images]
        for role, items in (("output", outputs), ("input", [(b, None) for b in (inputs or [])])):
            for i, (data, seed) in enumerate(items):
                digest, name, fmt = self._save_blob(data)
                w, h = image_size(data)
                rows.append(dict(id=uuid.uuid4().hex[:12], result_id=entry_id, role=role, idx=i, sha256=digest,
                                 file=name, format=fmt, width=w, height=h, seed=seed))
        row = dict(id=entry_id, created_at=time.time(), lab=lab, task=req.task.value, model_id=result.model.id,
                   model_label=result.model.label, prompt=req.prompt, negative_prompt=req.negative_prompt, seed=req.seed,
                   latency_s=result.latency_s, cost_usd=result.cost_usd, region=result.region,
                   request_json=json.dumps(req.describe()), body_json=json.dumps(result.request_body),
                   notes_json=json.dumps(result.notes + result.problems), request_key=request_fingerprint(asked or req),
                   after_cancel=int(after_cancel), owner=owner)
        with self.engine.begin() as db:
            db.execute(results.insert().values(**row))
            if rows:
                db.execute(images.insert(), rows)
        self._wrote(owner)
        # The entry as written, without reading it back (two queries less for every result of a class).
        entry = self._entry(SimpleNamespace(**row), [self._image(SimpleNamespace(**r)) for r in rows])
        for img, (data, _seed) in zip(entry.outputs, outputs):  # History's thumbnail and the lab's display copy:
            img.make_previews(data, PREVIEW_EDGES)  # made now, from the bytes at hand, in one decode
        return entry

    def delete(self, entry_id: str, viewer: Viewer | None = None) -> bool:
        """Forget a result the viewer may see; image blobs still used by another result stay."""
        with self.engine.begin() as db:
            row = db.execute(sa.select(results.c.id, results.c.owner).where(results.c.id == entry_id,
                                                                            _visible(results, viewer))).first()
            if row is None:
                return False
            files = [r.file for r in db.execute(sa.select(images.c.file).where(images.c.result_id == entry_id))]
            db.execute(images.delete().where(images.c.result_id == entry_id))
            db.execute(results.delete().where(results.c.id == entry_id))
            unused = [name for name in set(files)
                      if db.execute(sa.select(images.c.id).where(images.c.file == name).limit(1)).first() is None]
        self._wrote(row.owner)
        for name in unused:
            self.blobs.delete(name)
            self.blobs.delete(thumbnail_name(name))
        return True

    # -- reading ----------------------------------------------------------
    def _image(self, row: Any) -> StoredImage:
        return StoredImage(id=row.id, result_id=row.result_id, role=row.role, index=row.idx, name=row.file,
                           format=row.format, width=row.width, height=row.height, seed=row.seed, blobs=self.blobs)

    def _entries(self, db: sa.Connection, rows: Iterable[Any]) -> list[HistoryEntry]:
        rows = list(rows)
        by_result: dict[str, list[StoredImage]] = {r.id: [] for r in rows}
        if rows:
            found = db.execute(sa.select(images).where(images.c.result_id.in_(list(by_result)))
                               .order_by(images.c.role, images.c.idx))
            for img in found:
                by_result[img.result_id].append(self._image(img))
        return [self._entry(r, by_result[r.id]) for r in rows]

    @staticmethod
    def _entry(r: Any, stored: list[StoredImage]) -> HistoryEntry:
        """An entry from its results row and its images (read back, or just written)."""
        by_index = sorted(stored, key=lambda i: i.index)
        return HistoryEntry(
            id=r.id, created_at=r.created_at, lab=r.lab, task=r.task, model_id=r.model_id,
            model_label=r.model_label, prompt=r.prompt, negative_prompt=r.negative_prompt, seed=r.seed,
            latency_s=r.latency_s, cost_usd=r.cost_usd, region=r.region, request=json.loads(r.request_json),
            body=json.loads(r.body_json), notes=json.loads(r.notes_json),
            outputs=[i for i in by_index if i.role == "output"], inputs=[i for i in by_index if i.role == "input"],
            after_cancel=bool(r.after_cancel), owner=r.owner)

    def get(self, entry_id: str, viewer: Viewer | None = None) -> HistoryEntry | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(results).where(results.c.id == entry_id, _replayable(results, viewer))).first()
            return self._entries(db, [row])[0] if row else None

    def _filtered(self, viewer: Viewer | None, lab: str | None, search: str, owner: str | None) -> Any:
        where = [_visible(results, viewer)]
        if lab:
            where.append(results.c.lab == lab)
        if owner:
            where.append(results.c.owner == owner)
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(sa.or_(results.c.prompt.like(pattern, escape="\\"),
                                results.c.model_label.like(pattern, escape="\\")))
        return sa.and_(*where)

    def recent(self, limit: int = 50, *, lab: str | None = None, search: str = "", viewer: Viewer | None = None,
               offset: int = 0, owner: str | None = None) -> list[HistoryEntry]:
        """Newest first, a page at a time, optionally one lab's or one owner's, or matching a prompt substring."""
        query = (sa.select(results).where(self._filtered(viewer, lab, search, owner))
                 .order_by(results.c.created_at.desc(), results.c.id).limit(limit).offset(offset))
        with self.engine.connect() as db:
            return self._entries(db, db.execute(query))

    def count(self, *, lab: str | None = None, search: str = "", viewer: Viewer | None = None,
              owner: str | None = None) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(results)
                                  .where(self._filtered(viewer, lab, search, owner))).scalar_one())

    def image(self, image_id: str, viewer: Viewer | None = None) -> StoredImage | None:
        """One stored image, if the viewer may see the result it belongs to."""
        query = (sa.select(images).join(results, results.c.id == images.c.result_id)
                 .where(images.c.id == image_id, _replayable(results, viewer)))
        with self.engine.connect() as db:
            row = db.execute(query).first()
            return self._image(row) if row else None

    def find_identical(self, request: ImageRequest, viewer: Viewer | None = None) -> HistoryEntry | None:
        """The newest Bedrock result of an identical request, of the viewer's or from a results pack, with every
        image it asked for still stored.

        Identical: same model and every field equal, images by their bytes. A random seed (None) matches
        any earlier seed; a chosen seed must be the one used. Results of local engines are left out:
        those engines run anyway, so there is nothing to replay. A result with fewer images than the request
        asked for (one filtered, one lost) is never offered: a replay is the whole set or nothing.
        """
        where = [results.c.request_key == request_fingerprint(request),
                 sa.func.coalesce(results.c.region, "") != "local", _replayable(results, viewer)]
        if request.seed is not None:
            where.append(results.c.seed == request.seed)
        query = sa.select(results).where(*where).order_by(results.c.created_at.desc()).limit(20)
        with self.engine.connect() as db:
            for entry in self._entries(db, db.execute(query)):
                if complete_set(entry, request.count):
                    return entry
        return None

    # -- chat answers -----------------------------------------------------
    def record_answer(self, conversation_key: str, text: str, *, model_id: str, model_label: str,
                      region: str | None, input_tokens: int | None = None, output_tokens: int | None = None,
                      cost_usd: float | None = None, latency_s: float | None = None, lab: str = "lab9",
                      prompt: str = "", after_cancel: bool = False, owner: str = LOCAL_OWNER) -> StoredAnswer:
        """Keep a chat answer under the fingerprint of the conversation that produced it.

        `prompt` is the question it answers (the last user turn), shown in History.
        """
        row = dict(id=uuid.uuid4().hex[:12], created_at=time.time(), lab=lab, conversation_key=conversation_key,
                   model_id=model_id, model_label=model_label, region=region, answer=text, input_tokens=input_tokens,
                   output_tokens=output_tokens, cost_usd=cost_usd, latency_s=latency_s, prompt=prompt,
                   after_cancel=int(after_cancel), owner=owner)
        with self.engine.begin() as db:
            db.execute(chat_answers.insert().values(**row))
        self._wrote(owner)
        return self._answer(SimpleNamespace(**row))  # as written, not read back (one query less per answer)

    def find_answer(self, conversation_key: str, viewer: Viewer | None = None) -> StoredAnswer | None:
        """The newest Bedrock answer to exactly this conversation (see lib.chat.conversation_fingerprint)."""
        found = self._answers(chat_answers.c.conversation_key == conversation_key,
                              sa.func.coalesce(chat_answers.c.region, "") != "local", viewer=viewer, replay=True)
        return found[0] if found else None

    def recent_answers(self, limit: int = 30, *, lab: str | None = None, viewer: Viewer | None = None,
                       offset: int = 0) -> list[StoredAnswer]:
        """Answers of labs 8 and 9, newest first (one lab's only, if given)."""
        return self._answers(chat_answers.c.lab == lab if lab else sa.true(), viewer=viewer, limit=limit,
                             offset=offset)

    def get_answer(self, answer_id: str, viewer: Viewer | None = None) -> StoredAnswer | None:
        found = self._answers(chat_answers.c.id == answer_id, viewer=viewer)
        return found[0] if found else None

    def delete_answer(self, answer_id: str, viewer: Viewer | None = None) -> bool:
        with self.engine.begin() as db:
            owner = db.execute(sa.select(chat_answers.c.owner).where(chat_answers.c.id == answer_id,
                                                                     _visible(chat_answers, viewer))).scalar()
            if owner is None:
                return False
            db.execute(chat_answers.delete().where(chat_answers.c.id == answer_id))
        self._wrote(owner)
        return True

    def _answers(self, *where: Any, viewer: Viewer | None, limit: int = 1, offset: int = 0,
                 replay: bool = False) -> list[StoredAnswer]:
        owners = _replayable(chat_answers, viewer) if replay else _visible(chat_answers, viewer)
        query = (sa.select(chat_answers).where(*where, owners)
                 .order_by(chat_answers.c.created_at.desc(), chat_answers.c.id).limit(limit).offset(offset))
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [self._answer(r) for r in rows]

    @staticmethod
    def _answer(r: Any) -> StoredAnswer:
        """An answer from its chat_answers row (read back, or just written)."""
        return StoredAnswer(id=r.id, created_at=r.created_at, lab=r.lab, conversation_key=r.conversation_key,
                            model_id=r.model_id, model_label=r.model_label, region=r.region, text=r.answer,
                            input_tokens=r.input_tokens, output_tokens=r.output_tokens, cost_usd=r.cost_usd,
                            latency_s=r.latency_s, prompt=r.prompt, after_cancel=bool(r.after_cancel), owner=r.owner)

    # -- totals -----------------------------------------------------------
    def _wrote(self, owner: str) -> None:
        url = str(self.engine.url)
        with _owner_writes_lock:
            for key in ((url, owner), (url, _EVERYONE)):
                _owner_writes[key] = _owner_writes.get(key, 0) + 1

    def totals_version(self, viewer: Viewer | None = None) -> int:
        """A number that changes whenever this process writes something `totals(viewer)` counts.

        Why: the sidebar shows the totals on every script run. Keyed by every commit, a class's constant
        writes (job claims, other attendees' results) made every attendee's cached totals stale at once; an
        attendee's totals change only with their own results and answers, the class view (an instructor, a
        laptop's single user) with anybody's. Other servers' writes are not seen here: a reader keeps a value
        for a few seconds only.
        """
        who = _EVERYONE if viewer is None or viewer.instructor else viewer.owner
        return _owner_writes.get((str(self.engine.url), who), 0)

    def totals(self, viewer: Viewer | None = None) -> tuple[int, float]:
        """(number of results, total estimated cost in USD of results and answers) the viewer may see."""
        with self.engine.connect() as db:
            count, cost = db.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(results.c.cost_usd), 0))
                                     .where(_visible(results, viewer), _spent(results))).one()
            answers = db.execute(sa.select(sa.func.coalesce(sa.func.sum(chat_answers.c.cost_usd), 0))
                                 .where(_visible(chat_answers, viewer), _spent(chat_answers))).scalar_one()
        return int(count), float(cost) + float(answers)

    def per_owner(self) -> list[OwnerTotals]:
        """Per attendee: results, answers and estimated spend (the instructor's class view), biggest first."""
        with self.engine.connect() as db:
            made = {r.owner: (r.n, r.cost) for r in db.execute(
                sa.select(results.c.owner, sa.func.count().label("n"),
                          sa.func.coalesce(sa.func.sum(results.c.cost_usd), 0).label("cost"))
                .where(_spent(results)).group_by(results.c.owner))}
            said = {r.owner: (r.n, r.cost) for r in db.execute(
                sa.select(chat_answers.c.owner, sa.func.count().label("n"),
                          sa.func.coalesce(sa.func.sum(chat_answers.c.cost_usd), 0).label("cost"))
                .where(_spent(chat_answers)).group_by(chat_answers.c.owner))}
        totals = [OwnerTotals(owner, made.get(owner, (0, 0.0))[0], said.get(owner, (0, 0.0))[0],
                              float(made.get(owner, (0, 0.0))[1]) + float(said.get(owner, (0, 0.0))[1]))
                  for owner in set(made) | set(said)]
        return sorted(totals, key=lambda t: (-t.cost_usd, t.owner))

    # -- job claims (one running job per owner, lab and request, across servers) --------------------------
    def claim_job(self, job_id: str, owner: str, lab: str, request_key: str, what: str, model_label: str,
                  est_cost_usd: float | None = None) -> bool:
        """Claim a request for running; False when an identical one is already running on any server.

        `est_cost_usd` is what the call is expected to cost: spend caps count it while the call runs.
        A claim older than CLAIM_EXPIRES_S (its server died mid-call) no longer blocks.
        """
        if time.monotonic() - self._expired_at >= EXPIRY_CHECK_S:  # now and then, not with every claim: each
            self._expired_at = time.monotonic()  # check is a write transaction, and a class claims 30 at once
            self.expire_jobs(CLAIM_EXPIRES_S)
        for attempt in range(2):
            try:
                with self.engine.begin() as db:
                    db.execute(jobs.insert().values(id=job_id, owner=owner, lab=lab, request_key=request_key,
                                                    what=what, model_label=model_label, state="running",
                                                    started_at=time.time(), est_cost_usd=est_cost_usd))
                return True
            except sa.exc.IntegrityError:
                # An identical claim is running, or is a dead server's: only an expired one gives way.
                if attempt or not self.expire_jobs(CLAIM_EXPIRES_S):
                    return False
        return False

    def finish_job(self, job_id: str, state: str, error: str | None = None, error_kind: str | None = None) -> None:
        with self.engine.begin() as db:
            db.execute(jobs.update().where(jobs.c.id == job_id).values(state=state, finished_at=time.time(),
                                                                         error=error, error_kind=error_kind))

    def expire_jobs(self, older_than_s: float = 900.0) -> int:
        """Claims of a server that died mid-call never finish: after `older_than_s` they no longer block."""
        with self.engine.begin() as db:
            done = db.execute(jobs.update().where(jobs.c.state == "running",
                                                  jobs.c.started_at < time.time() - older_than_s)
                              .values(state="failed", finished_at=time.time(), error="expired"))
            return done.rowcount


def complete_set(entry: HistoryEntry, asked: int | None = None) -> bool:
    """Every image the request asked for is there and stored: the only kind of result a replay may show."""
    wanted = max(1, int(asked if asked is not None else entry.request.get("count") or 1))
    return len(entry.outputs) >= wanted and all(img.exists() for img in entry.outputs)


def entry_zip(entry: HistoryEntry) -> bytes:
    """All images of a result plus a result.json (request, body sent, seed, cost): a take-home bundle."""
    import io
    import zipfile

    meta_json = {
        "id": entry.id, "created": entry.when, "lab": entry.lab, "task": entry.task, "model_id": entry.model_id,
        "model": entry.model_label, "region": entry.region, "seed": entry.seed, "latency_s": entry.latency_s,
        "estimated_cost_usd": entry.cost_usd, "request": entry.request, "body_sent": entry.body,
        "notes": entry.notes,
        "files": [img.file_name for img in entry.outputs + entry.inputs],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # images are already compressed
        for img in entry.outputs + entry.inputs:
            if img.exists():
                zf.writestr(img.file_name, img.read_bytes())
        zf.writestr("result.json", json.dumps(meta_json, indent=2))
    return buf.getvalue()
