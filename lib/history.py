"""Every result, kept: SQLite rows for the request and metadata, image files on disk.

Files are content-addressed (sha256), so an image reused as an input is stored once.
Each result also carries a fingerprint of its request (`request_key`), and each chat answer one of
its conversation, so a lab that can't call Bedrock can replay an identical earlier result.
A new connection per operation keeps the store safe to share across Streamlit's
threads without locks of our own.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.generation.requests import GenerationResult, ImageRequest, request_fingerprint
from lib.imaging import EXTENSIONS, image_size, sniff_format

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    lab TEXT NOT NULL,
    task TEXT NOT NULL,
    model_id TEXT NOT NULL,
    model_label TEXT NOT NULL,
    prompt TEXT NOT NULL DEFAULT '',
    negative_prompt TEXT NOT NULL DEFAULT '',
    seed INTEGER,
    latency_s REAL,
    cost_usd REAL,
    region TEXT,
    request_json TEXT NOT NULL,
    body_json TEXT NOT NULL,
    notes_json TEXT NOT NULL DEFAULT '[]',
    request_key TEXT,              -- request_fingerprint(); NULL in rows made before it existed
    after_cancel INTEGER NOT NULL DEFAULT 0  -- the attendee had stopped waiting when it arrived (lib/jobs)
);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    result_id TEXT NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    role TEXT NOT NULL,            -- 'output' or 'input'
    idx INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    file TEXT NOT NULL,            -- relative to the images folder
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    seed INTEGER
);
CREATE INDEX IF NOT EXISTS results_created ON results(created_at DESC);
CREATE INDEX IF NOT EXISTS images_result ON images(result_id);
CREATE TABLE IF NOT EXISTS chat_answers (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    lab TEXT NOT NULL,
    conversation_key TEXT NOT NULL, -- lib.chat.conversation_fingerprint(model id, turns sent)
    model_id TEXT NOT NULL,
    model_label TEXT NOT NULL,
    region TEXT,
    answer TEXT NOT NULL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    latency_s REAL,
    prompt TEXT NOT NULL DEFAULT '',       -- the question asked (the last user turn), for History
    after_cancel INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chat_answers_key ON chat_answers(conversation_key, created_at DESC);
"""

# Run after SCHEMA and the column migration (an old database gains request_key first).
INDEXES = "CREATE INDEX IF NOT EXISTS results_request_key ON results(request_key, created_at DESC);"

RESULT_COLUMNS = ("id", "created_at", "lab", "task", "model_id", "model_label", "prompt", "negative_prompt", "seed",
                  "latency_s", "cost_usd", "region", "request_json", "body_json", "notes_json", "request_key",
                  "after_cancel")


@dataclass
class StoredImage:
    id: str
    result_id: str
    role: str
    index: int
    path: Path
    format: str
    width: int
    height: int
    seed: int | None

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

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

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))


class HistoryStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.images_dir = self.data_dir / "images"
        self.db_path = self.data_dir / "history.sqlite3"
        self.images_dir.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.executescript(SCHEMA)
            self._migrate(db)
            db.executescript(INDEXES)

    ADDED_COLUMNS = (("results", "request_key", "TEXT"),
                     ("results", "after_cancel", "INTEGER NOT NULL DEFAULT 0"),
                     ("chat_answers", "prompt", "TEXT NOT NULL DEFAULT ''"),
                     ("chat_answers", "after_cancel", "INTEGER NOT NULL DEFAULT 0"))

    @classmethod
    def _migrate(cls, db: sqlite3.Connection) -> None:
        """Bring a database made by an earlier version up to date, in place; old rows keep working."""
        for table, column, kind in cls.ADDED_COLUMNS:
            if column in {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}:
                continue
            try:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                db.commit()
            except sqlite3.OperationalError as exc:  # another process migrated it a moment ago
                if "duplicate column" not in str(exc).lower():
                    raise

    # -- plumbing ---------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=10)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        return db


    def _save_file(self, data: bytes) -> tuple[str, str, str]:
        digest = hashlib.sha256(data).hexdigest()
        fmt = sniff_format(data) or "png"
        name = f"{digest}.{EXTENSIONS.get(fmt, fmt)}"
        path = self.images_dir / name
        if not path.exists():
            # A name of its own per writer: two threads saving the same new image must not share
            # (and truncate, or rename away) one temporary file. os.replace is atomic, so a reader
            # sees either no file or the whole one.
            tmp = self.images_dir / f"{digest}.{uuid.uuid4().hex}.tmp"
            try:
                tmp.write_bytes(data)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        return digest, name, fmt

    # -- writing ----------------------------------------------------------
    def record(self, result: GenerationResult, lab: str, inputs: list[bytes] | None = None, *,
               asked: ImageRequest | None = None, after_cancel: bool = False) -> HistoryEntry:
        """Store a result with its request, outputs and (optionally) the input images.

        `asked` is the request as the lab built it, when the service changed it on the way (Stability's
        background replacement fills in the mask): the replay lookup must find it by what the lab asks.
        """
        entry_id = uuid.uuid4().hex[:12]
        req = result.request
        request = req.describe()
        request_key = request_fingerprint(asked or req)
        rows: list[tuple[Any, ...]] = []
        for role, items in (("output", [(o.data, o.seed) for o in result.images]),
                            ("input", [(b, None) for b in (inputs or [])])):
            for i, (data, seed) in enumerate(items):
                digest, name, fmt = self._save_file(data)
                w, h = image_size(data)
                rows.append((uuid.uuid4().hex[:12], entry_id, role, i, digest, name, fmt, w, h, seed))
        with closing(self._connect()) as db, db:
            db.execute(
                f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({', '.join('?' * len(RESULT_COLUMNS))})",
                (entry_id, time.time(), lab, req.task.value, result.model.id, result.model.label, req.prompt,
                 req.negative_prompt, req.seed, result.latency_s, result.cost_usd, result.region,
                 json.dumps(request), json.dumps(result.request_body), json.dumps(result.notes + result.problems),
                 request_key, int(after_cancel)),
            )
            db.executemany("INSERT INTO images VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        entry = self.get(entry_id)
        assert entry is not None
        return entry

    def delete(self, entry_id: str) -> None:
        """Forget a result; image files still used by another result stay."""
        with closing(self._connect()) as db, db:
            files = [r["file"] for r in db.execute("SELECT file FROM images WHERE result_id=?", (entry_id,))]
            db.execute("DELETE FROM images WHERE result_id=?", (entry_id,))
            db.execute("DELETE FROM results WHERE id=?", (entry_id,))
            for name in files:
                if not db.execute("SELECT 1 FROM images WHERE file=? LIMIT 1", (name,)).fetchone():
                    (self.images_dir / name).unlink(missing_ok=True)

    # -- reading ----------------------------------------------------------
    def _image(self, row: sqlite3.Row) -> StoredImage:
        return StoredImage(id=row["id"], result_id=row["result_id"], role=row["role"], index=row["idx"],
                           path=self.images_dir / row["file"], format=row["format"], width=row["width"],
                           height=row["height"], seed=row["seed"])

    def _entry(self, db: sqlite3.Connection, row: sqlite3.Row) -> HistoryEntry:
        images = [self._image(r) for r in
                  db.execute("SELECT * FROM images WHERE result_id=? ORDER BY role, idx", (row["id"],))]
        return HistoryEntry(
            id=row["id"], created_at=row["created_at"], lab=row["lab"], task=row["task"], model_id=row["model_id"],
            model_label=row["model_label"], prompt=row["prompt"], negative_prompt=row["negative_prompt"],
            seed=row["seed"], latency_s=row["latency_s"], cost_usd=row["cost_usd"], region=row["region"],
            request=json.loads(row["request_json"]), body=json.loads(row["body_json"]),
            notes=json.loads(row["notes_json"]),
            outputs=[i for i in images if i.role == "output"], inputs=[i for i in images if i.role == "input"],
            after_cancel=bool(row["after_cancel"]),
        )

    def get(self, entry_id: str) -> HistoryEntry | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM results WHERE id=?", (entry_id,)).fetchone()
            return self._entry(db, row) if row else None

    def recent(self, limit: int = 50, *, lab: str | None = None, search: str = "") -> list[HistoryEntry]:
        """Newest first, optionally one lab's only or matching a prompt substring."""
        sql, args = "SELECT * FROM results WHERE 1=1", []
        if lab:
            sql += " AND lab=?"
            args.append(lab)
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            sql += " AND (prompt LIKE ? ESCAPE '\\' OR model_label LIKE ? ESCAPE '\\')"
            args += [pattern, pattern]
        sql += " ORDER BY created_at DESC LIMIT ?"
        args.append(limit)
        with closing(self._connect()) as db:
            return [self._entry(db, r) for r in db.execute(sql, args).fetchall()]

    def image(self, image_id: str) -> StoredImage | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM images WHERE id=?", (image_id,)).fetchone()
            return self._image(row) if row else None

    def find_identical(self, request: ImageRequest) -> HistoryEntry | None:
        """The newest Bedrock result of an identical request whose images are still on disk, if any.

        Identical: same model and every field equal, images by their bytes. A random seed (None) matches
        any earlier seed; a chosen seed must be the one used. Results of local engines are left out:
        those engines run anyway, so there is nothing to replay.
        """
        sql = ("SELECT * FROM results WHERE request_key=? AND COALESCE(region, '') != 'local'"
               + (" AND seed=?" if request.seed is not None else "")
               + " ORDER BY created_at DESC, rowid DESC LIMIT 20")
        args: list[Any] = [request_fingerprint(request)]
        if request.seed is not None:
            args.append(request.seed)
        with closing(self._connect()) as db:
            for row in db.execute(sql, args).fetchall():
                entry = self._entry(db, row)
                if entry.outputs and all(img.path.exists() for img in entry.outputs):
                    return entry
        return None

    # -- chat answers -----------------------------------------------------
    def record_answer(self, conversation_key: str, text: str, *, model_id: str, model_label: str,
                      region: str | None, input_tokens: int | None = None, output_tokens: int | None = None,
                      cost_usd: float | None = None, latency_s: float | None = None,
                      lab: str = "lab9", prompt: str = "", after_cancel: bool = False) -> StoredAnswer:
        """Keep a chat answer under the fingerprint of the conversation that produced it.

        `prompt` is the question it answers (the last user turn), shown in History.
        """
        answer_id = uuid.uuid4().hex[:12]
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO chat_answers (id, created_at, lab, conversation_key, model_id, model_label, region, "
                "answer, input_tokens, output_tokens, cost_usd, latency_s, prompt, after_cancel) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (answer_id, time.time(), lab, conversation_key, model_id, model_label, region, text, input_tokens,
                 output_tokens, cost_usd, latency_s, prompt, int(after_cancel)),
            )
        found = self.get_answer(answer_id)
        assert found is not None
        return found

    def find_answer(self, conversation_key: str) -> StoredAnswer | None:
        """The newest Bedrock answer to exactly this conversation (see lib.chat.conversation_fingerprint)."""
        found = self._answers("conversation_key=? AND COALESCE(region, '') != 'local'", (conversation_key,))
        return found[0] if found else None

    def recent_answers(self, limit: int = 30, *, lab: str | None = None) -> list[StoredAnswer]:
        """Answers of labs 8 and 9, newest first (one lab's only, if given)."""
        return self._answers("lab=?" if lab else "1=1", (lab,) if lab else (), limit=limit)

    def get_answer(self, answer_id: str) -> StoredAnswer | None:
        found = self._answers("id=?", (answer_id,))
        return found[0] if found else None

    def delete_answer(self, answer_id: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM chat_answers WHERE id=?", (answer_id,))

    def _answers(self, where: str, args: tuple[Any, ...], *, limit: int = 1) -> list[StoredAnswer]:
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT * FROM chat_answers WHERE {where} ORDER BY created_at DESC, rowid DESC "
                              "LIMIT ?", (*args, limit)).fetchall()
        return [StoredAnswer(id=r["id"], created_at=r["created_at"], lab=r["lab"],
                             conversation_key=r["conversation_key"], model_id=r["model_id"],
                             model_label=r["model_label"], region=r["region"], text=r["answer"],
                             input_tokens=r["input_tokens"], output_tokens=r["output_tokens"],
                             cost_usd=r["cost_usd"], latency_s=r["latency_s"], prompt=r["prompt"],
                             after_cancel=bool(r["after_cancel"])) for r in rows]

    def totals(self) -> tuple[int, float]:
        """(number of results, total estimated cost in USD)."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT COUNT(*), COALESCE(SUM(cost_usd), 0) FROM results").fetchone()
            return int(row[0]), float(row[1])


def entry_zip(entry: HistoryEntry) -> bytes:
    """All images of a result plus a result.json (request, body sent, seed, cost): a take-home bundle."""
    import io
    import zipfile

    meta = {
        "id": entry.id, "created": entry.when, "lab": entry.lab, "task": entry.task, "model_id": entry.model_id,
        "model": entry.model_label, "region": entry.region, "seed": entry.seed, "latency_s": entry.latency_s,
        "estimated_cost_usd": entry.cost_usd, "request": entry.request, "body_sent": entry.body,
        "notes": entry.notes,
        "files": [img.file_name for img in entry.outputs + entry.inputs],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # images are already compressed
        for img in entry.outputs + entry.inputs:
            if img.path.exists():
                zf.writestr(img.file_name, img.read_bytes())
        zf.writestr("result.json", json.dumps(meta, indent=2))
    return buf.getvalue()
