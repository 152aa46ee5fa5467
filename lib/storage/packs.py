"""A results pack: History entries (images, requests) and chat answers in one file, to replay on another deployment.

The instructor records results where Bedrock works, exports the chosen ones, and imports the file on the
class's deployment. Imported rows belong to PACK_OWNER: every attendee can replay them (an identical request
finds them, whatever the data folder), none lists them as their own, and they are not the class's spend.

The file is a zip: `manifest.json` (format, version, entries with their request fingerprint, seed, cost and
image list; answers with their conversation fingerprint) and `images/<sha256>.<ext>`. Nothing is unpickled
or executed; names are checked against a strict pattern; every image's bytes must match its sha256 and decode
as an image; an entry missing any of its output images is refused whole (a replay is the whole set or none).

The instructor page imports and exports on its own script run: every refusal and summary is said in its language.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable

import sqlalchemy as sa

from lib.i18n import _, ngettext
from lib.imaging import sniff_format
from lib.storage.results import PACK_OWNER, HistoryStore, Viewer, _visible, chat_answers, images, results

FORMAT = "bedrock-image-workshop-pack"
VERSION = 1
MAX_PACK_BYTES = 512 * 1024 * 1024  # uncompressed, all members together
MAX_MEMBERS = 5000
_BLOB_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|jpeg|webp|gif)$")
_RESULT_FIELDS = ("created_at", "lab", "task", "model_id", "model_label", "prompt", "negative_prompt", "seed",
                  "latency_s", "cost_usd", "region", "request_key")
_ANSWER_FIELDS = ("created_at", "lab", "conversation_key", "model_id", "model_label", "region", "answer",
                  "input_tokens", "output_tokens", "cost_usd", "latency_s", "prompt")


class PackError(ValueError):
    """The file is not a results pack this app can read (said in plain words)."""


@dataclass
class ImportReport:
    results_added: int = 0
    answers_added: int = 0
    already_there: int = 0
    refused: list[str] = field(default_factory=list)  # one plain sentence per refused item

    def summary(self) -> str:
        """"1 result, 0 chat answers added, 2 already here." in the current language."""
        results_n, answers_n = self.results_added, self.answers_added
        parts = [_("{results}, {answers} added").format(
            results=ngettext("{count} result", "{count} results", results_n).format(count=results_n),
            answers=ngettext("{count} chat answer", "{count} chat answers", answers_n).format(count=answers_n))]
        if self.already_there:
            parts.append(_("{count} already here").format(count=self.already_there))
        if self.refused:
            parts.append(_("{count} refused").format(count=len(self.refused)))
        return ", ".join(parts) + "."  # a list of counts: the same punctuation in both languages


def export_pack(store: HistoryStore, result_ids: Iterable[str], answer_ids: Iterable[str] = (), *,
                viewer: Viewer | None = None, note: str = "") -> bytes:
    """The chosen entries and answers (those `viewer` may see) as one zip file."""
    result_ids, answer_ids = list(dict.fromkeys(result_ids)), list(dict.fromkeys(answer_ids))
    entries: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    blobs: dict[str, str] = {}  # member name -> blob name
    with store.engine.connect() as db:
        if result_ids:
            rows = db.execute(sa.select(results).where(results.c.id.in_(result_ids), _visible(results, viewer))
                              .order_by(results.c.created_at)).all()
            pictures = db.execute(sa.select(images).where(images.c.result_id.in_([r.id for r in rows]))
                                  .order_by(images.c.role, images.c.idx)).all()
            for row in rows:
                item = {name: getattr(row, name) for name in _RESULT_FIELDS}
                item.update(request=json.loads(row.request_json), body=json.loads(row.body_json),
                            notes=json.loads(row.notes_json), images=[])
                for pic in (p for p in pictures if p.result_id == row.id):
                    member = f"images/{pic.file}"
                    blobs[member] = pic.file
                    item["images"].append({"role": pic.role, "index": pic.idx, "file": member, "sha256": pic.sha256,
                                           "format": pic.format, "width": pic.width, "height": pic.height,
                                           "seed": pic.seed})
                entries.append(item)
        if answer_ids:
            for row in db.execute(sa.select(chat_answers).where(chat_answers.c.id.in_(answer_ids),
                                                                 _visible(chat_answers, viewer))
                                  .order_by(chat_answers.c.created_at)):
                answers.append({name: getattr(row, name) for name in _ANSWER_FIELDS})
    manifest = {"format": FORMAT, "version": VERSION, "exported_at": time.time(), "note": note,
                "entries": entries, "answers": answers}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # images are already compressed
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        for member, name in blobs.items():
            try:
                zf.writestr(member, store.blobs.get(name))
            except FileNotFoundError:
                pass  # the entry is then refused on import (incomplete), never replayed partly
    return buf.getvalue()


def read_manifest(data: bytes) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackError(_("This file is not a results pack (not a zip file).")) from None
    members = zf.infolist()
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_PACK_BYTES:
        raise PackError(_("This pack is too large to import (at most {files} files, {megabytes} MB).").format(
            files=MAX_MEMBERS, megabytes=MAX_PACK_BYTES // (1024 * 1024)))
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError):
        raise PackError(_("This zip file has no readable manifest.json: it is not a results pack.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackError(_("This zip file is not a Bedrock Image Workshop results pack."))
    if manifest.get("version") != VERSION:
        raise PackError(_("This pack has version {version}; this app reads version {readable}.").format(
            version=manifest.get("version"), readable=VERSION))
    return zf, manifest


def import_pack(store: HistoryStore, data: bytes) -> ImportReport:
    """Add a pack's entries and answers for every attendee to replay; what is already here is skipped."""
    zf, manifest = read_manifest(data)
    report = ImportReport()
    for item in manifest.get("entries") or []:
        try:
            _import_entry(store, zf, item, report)
        except (KeyError, TypeError, ValueError) as exc:
            report.refused.append(_("An entry could not be read ({error}).").format(error=type(exc).__name__))
    for item in manifest.get("answers") or []:
        try:
            _import_answer(store, item, report)
        except (KeyError, TypeError, ValueError) as exc:
            report.refused.append(_("An answer could not be read ({error}).").format(error=type(exc).__name__))
    return report


def _image_bytes(zf: zipfile.ZipFile, picture: dict[str, Any]) -> bytes | None:
    member = str(picture["file"])
    name = member.removeprefix("images/")
    if not member.startswith("images/") or not _BLOB_NAME.match(name):
        return None
    try:
        data = zf.read(member)
    except KeyError:
        return None
    if hashlib.sha256(data).hexdigest() != picture.get("sha256") or sniff_format(data) is None:
        return None
    return data


def _import_entry(store: HistoryStore, zf: zipfile.ZipFile, item: dict[str, Any], report: ImportReport) -> None:
    what = f"“{str(item.get('prompt') or item.get('task'))[:40]}” ({item.get('model_label')})"
    pictures = list(item.get("images") or [])
    outputs = [p for p in pictures if p.get("role") == "output"]
    asked = int((item.get("request") or {}).get("count") or 1)
    loaded = {id(p): _image_bytes(zf, p) for p in pictures}
    if len(outputs) < asked or not outputs or any(loaded[id(p)] is None for p in outputs):
        report.refused.append(_("{what}: not every image it made is in the pack, so it is left out (a replay shows "
                                "the whole set or nothing).").format(what=what))
        return
    key = str(item["request_key"])
    shas = sorted(str(p["sha256"]) for p in outputs)
    with store.engine.connect() as db:
        known = db.execute(sa.select(results.c.id).where(results.c.owner == PACK_OWNER,
                                                         results.c.request_key == key)).all()
        for row in known:
            there = sorted(r.sha256 for r in db.execute(sa.select(images.c.sha256).where(
                images.c.result_id == row.id, images.c.role == "output")))
            if there == shas:
                report.already_there += 1
                return
    entry_id = uuid.uuid4().hex[:12]
    rows = []
    for picture in pictures:
        data = loaded[id(picture)]
        if data is None:
            continue  # a missing input photo: the result still replays, shown without it
        digest, name, fmt = store._save_blob(data)
        rows.append(dict(id=uuid.uuid4().hex[:12], result_id=entry_id, role=str(picture["role"]),
                         idx=int(picture["index"]), sha256=digest, file=name, format=fmt,
                         width=int(picture["width"]), height=int(picture["height"]), seed=picture.get("seed")))
    seed = item.get("seed")
    with store.engine.begin() as db:
        db.execute(results.insert().values(
            id=entry_id, created_at=float(item["created_at"]), lab=str(item["lab"]), task=str(item["task"]),
            model_id=str(item["model_id"]), model_label=str(item["model_label"]), prompt=str(item.get("prompt") or ""),
            negative_prompt=str(item.get("negative_prompt") or ""), seed=int(seed) if seed is not None else None,
            latency_s=item.get("latency_s"), cost_usd=item.get("cost_usd"), region=item.get("region"),
            request_json=json.dumps(item.get("request") or {}), body_json=json.dumps(item.get("body") or {}),
            notes_json=json.dumps(list(item.get("notes") or [])), request_key=key, after_cancel=0,
            owner=PACK_OWNER))
        db.execute(images.insert(), rows)
    report.results_added += 1


def _import_answer(store: HistoryStore, item: dict[str, Any], report: ImportReport) -> None:
    key, text = str(item["conversation_key"]), str(item["answer"])
    with store.engine.connect() as db:
        if db.execute(sa.select(chat_answers.c.id).where(chat_answers.c.owner == PACK_OWNER,
                                                         chat_answers.c.conversation_key == key,
                                                         chat_answers.c.answer == text)).first():
            report.already_there += 1
            return
    store.record_answer(key, text, model_id=str(item["model_id"]), model_label=str(item["model_label"]),
                        region=item.get("region"), input_tokens=item.get("input_tokens"),
                        output_tokens=item.get("output_tokens"), cost_usd=item.get("cost_usd"),
                        latency_s=item.get("latency_s"), lab=str(item.get("lab") or "lab9"),
                        prompt=str(item.get("prompt") or ""), owner=PACK_OWNER)
    report.answers_added += 1


def pack_counts(store: HistoryStore) -> tuple[int, int]:
    """(results, answers) imported from packs on this deployment."""
    with store.engine.connect() as db:
        made = db.execute(sa.select(sa.func.count()).select_from(results)
                          .where(results.c.owner == PACK_OWNER)).scalar_one()
        said = db.execute(sa.select(sa.func.count()).select_from(chat_answers)
                          .where(chat_answers.c.owner == PACK_OWNER)).scalar_one()
    return int(made), int(said)
