"""Every result, kept: SQLite rows for the request and metadata, image files on disk.

Files are content-addressed (sha256), so an image reused as an input is stored once.
A new connection per operation keeps the store safe to share across Streamlit's
threads without locks of our own.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.generation.requests import GenerationResult
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
    notes_json TEXT NOT NULL DEFAULT '[]'
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
"""


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
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return digest, name, fmt

    # -- writing ----------------------------------------------------------
    def record(self, result: GenerationResult, lab: str, inputs: list[bytes] | None = None) -> HistoryEntry:
        """Store a result with its request, outputs and (optionally) the input images."""
        entry_id = uuid.uuid4().hex[:12]
        req = result.request
        request = req.describe()
        rows: list[tuple[Any, ...]] = []
        for role, items in (("output", [(o.data, o.seed) for o in result.images]),
                            ("input", [(b, None) for b in (inputs or [])])):
            for i, (data, seed) in enumerate(items):
                digest, name, fmt = self._save_file(data)
                w, h = image_size(data)
                rows.append((uuid.uuid4().hex[:12], entry_id, role, i, digest, name, fmt, w, h, seed))
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (entry_id, time.time(), lab, req.task.value, result.model.id, result.model.label, req.prompt,
                 req.negative_prompt, req.seed, result.latency_s, result.cost_usd, result.region,
                 json.dumps(request), json.dumps(result.request_body), json.dumps(result.notes + result.problems)),
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
