"""lib.history: the SQLite store of results with content-addressed image files."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest
from PIL import Image

import lib.services.images as service
from fake_bedrock import FakeBedrock
from lib.catalog import get_model
from lib.generation.requests import GenerationRequest, GenerationResult, ImageOutput, VariationRequest
from lib.history import HistoryStore, entry_zip

SD35 = "stability.sd3-5-large-v1:0"
TITAN_V2 = "amazon.titan-image-generator-v2:0"


def encoded(color: tuple[int, int, int], size: tuple[int, int] = (32, 24), fmt: str = "PNG") -> bytes:
    """A one-colour image encoded as `fmt`."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


RED, GREEN, BLUE = encoded((255, 0, 0)), encoded((0, 255, 0)), encoded((0, 0, 255))
PHOTO = encoded((10, 20, 30), (40, 30), "JPEG")


def result(prompt: str = "a red fox", outputs: tuple[bytes, ...] = (RED,), *, model_id: str = SD35, seed: int = 7,
           cost: float = 0.08, variation_inputs: tuple[bytes, ...] = ()) -> GenerationResult:
    """A GenerationResult as the service would return it (no call made)."""
    model = get_model(model_id)
    if variation_inputs:
        req = VariationRequest(model_id=model_id, images=variation_inputs, prompt=prompt, seed=seed)
    else:
        req = GenerationRequest(model_id=model_id, prompt=prompt, negative_prompt="blurry", seed=seed)
    images = [ImageOutput(data=d, format="png", seed=seed + i, width=32, height=24, index=i)
              for i, d in enumerate(outputs)]
    return GenerationResult(model=model, request=req, images=images, latency_s=1.25, cost_usd=cost,
                            region="us-west-2", request_body={"prompt": prompt, "seed": seed},
                            notes=["a note"], problems=["Image 3 of 3: blocked"])


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    """An empty store in a temporary folder."""
    return HistoryStore(tmp_path / "data")


def files_in(store: HistoryStore) -> list[str]:
    """Names of the image files on disk."""
    return sorted(p.name for p in store.images_dir.iterdir() if p.is_file())


def set_created(store: HistoryStore, entry_id: str, when: float) -> None:
    """Pin an entry's timestamp so ordering tests do not depend on the clock."""
    with sqlite3.connect(store.db_path) as db:
        db.execute("UPDATE results SET created_at=? WHERE id=?", (when, entry_id))
    db.close()


# --- record ------------------------------------------------------------------------------------------

def test_record_stores_request_metadata_outputs_and_inputs(store: HistoryStore) -> None:
    entry = store.record(result(outputs=(RED, GREEN)), "lab2", inputs=[PHOTO])
    assert entry.lab == "lab2" and entry.task == "text-to-image"
    assert (entry.model_id, entry.model_label) == (SD35, "Stable Diffusion 3.5 Large")
    assert (entry.prompt, entry.negative_prompt, entry.seed) == ("a red fox", "blurry", 7)
    assert (entry.latency_s, entry.cost_usd, entry.region) == (1.25, 0.08, "us-west-2")
    assert entry.request["prompt"] == "a red fox" and entry.request["seed"] == 7
    assert entry.body == {"prompt": "a red fox", "seed": 7}
    assert entry.notes == ["a note", "Image 3 of 3: blocked"]
    assert [(o.role, o.index, o.seed, o.format) for o in entry.outputs] == [("output", 0, 7, "png"),
                                                                            ("output", 1, 8, "png")]
    assert [o.read_bytes() for o in entry.outputs] == [RED, GREEN]
    assert [(i.role, i.index, i.seed, i.format, i.width, i.height) for i in entry.inputs] == [
        ("input", 0, None, "jpeg", 40, 30)]
    assert entry.inputs[0].read_bytes() == PHOTO
    assert (entry.outputs[0].width, entry.outputs[0].height) == (32, 24)
    assert entry.when[:2] == "20"


def test_files_are_content_addressed(store: HistoryStore) -> None:
    entry = store.record(result(outputs=(RED,)), "lab2", inputs=[PHOTO])
    assert entry.outputs[0].name == hashlib.sha256(RED).hexdigest() + ".png"
    assert entry.inputs[0].name == hashlib.sha256(PHOTO).hexdigest() + ".jpg"
    assert (store.images_dir / entry.outputs[0].name).is_file()
    assert not list(store.images_dir.glob("*.tmp"))


def test_same_bytes_are_stored_once(store: HistoryStore) -> None:
    first = store.record(result(outputs=(RED, RED)), "lab2", inputs=[RED])
    second = store.record(result(outputs=(RED,)), "lab3")
    assert files_in(store) == [hashlib.sha256(RED).hexdigest() + ".png"]
    paths = {img.name for img in first.outputs + first.inputs + second.outputs}
    assert len(paths) == 1


def test_concurrent_saves_of_the_same_new_image_all_succeed(store: HistoryStore) -> None:
    """20 threads recording the same new bytes at once: none fails, one whole file, no temporary left.

    Each round uses a fresh image so every round races on a file that does not exist yet.
    """
    threads_n = 20
    for round_ in range(5):
        data = encoded((round_, 100, 200), (48, 36))
        barrier = threading.Barrier(threads_n)
        errors: list[BaseException] = []

        def save() -> None:
            barrier.wait()
            try:
                store.record(result(outputs=(data,)), "lab2")
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        workers = [threading.Thread(target=save) for _ in range(threads_n)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert errors == []
        path = store.images_dir / (hashlib.sha256(data).hexdigest() + ".png")
        assert path.read_bytes() == data
    assert not list(store.images_dir.glob("*.tmp"))
    assert len(files_in(store)) == 5
    assert store.totals()[0] == 5 * threads_n


def test_variation_request_is_stored_without_image_bytes(store: HistoryStore) -> None:
    entry = store.record(result(variation_inputs=(PHOTO,)), "lab3", inputs=[PHOTO])
    assert entry.task == "variation"
    assert entry.request["images"] == [f"<image, {len(PHOTO)} bytes>"]


def test_get_unknown_and_image_lookup(store: HistoryStore) -> None:
    assert store.get("nope") is None
    entry = store.record(result(), "lab2")
    stored = store.image(entry.outputs[0].id)
    assert stored is not None and stored.read_bytes() == RED and stored.result_id == entry.id
    assert store.image("nope") is None
    assert store.get(entry.id) == entry


# --- recent --------------------------------------------------------------------------------------------

def test_recent_is_newest_first_with_lab_filter_search_and_limit(store: HistoryStore) -> None:
    fox = store.record(result("a red fox"), "lab2")
    car = store.record(result("a toy car on bricks", model_id=TITAN_V2, cost=0.01), "lab3")
    owl = store.record(result("an owl at night"), "lab2")
    for when, entry in enumerate((fox, car, owl), start=1):
        set_created(store, entry.id, 1_700_000_000 + when)

    assert [e.id for e in store.recent()] == [owl.id, car.id, fox.id]
    assert [e.id for e in store.recent(limit=2)] == [owl.id, car.id]
    assert [e.id for e in store.recent(lab="lab2")] == [owl.id, fox.id]
    assert [e.id for e in store.recent(lab="lab3")] == [car.id]
    assert [e.id for e in store.recent(search="toy car")] == [car.id]
    assert [e.id for e in store.recent(search="Titan")] == [car.id]  # the model label matches too
    assert [e.id for e in store.recent(search="OWL")] == [owl.id]  # LIKE is case-insensitive for ASCII
    assert store.recent(search="fox", lab="lab3") == []
    assert store.recent(search="giraffe") == []
    assert store.recent()[0].outputs[0].read_bytes() == RED


# --- delete --------------------------------------------------------------------------------------------

def test_delete_removes_only_files_no_other_entry_uses(store: HistoryStore) -> None:
    shared = store.record(result(outputs=(RED, GREEN)), "lab2")
    other = store.record(result(outputs=(RED, BLUE)), "lab2")
    red, green, blue = (hashlib.sha256(d).hexdigest() + ".png" for d in (RED, GREEN, BLUE))
    assert files_in(store) == sorted([red, green, blue])

    store.delete(shared.id)
    assert store.get(shared.id) is None
    assert files_in(store) == sorted([red, blue])  # RED is still used by the other entry
    assert store.get(other.id) is not None and other.outputs[0].exists()

    store.delete(other.id)
    assert files_in(store) == []
    assert store.recent() == []
    with sqlite3.connect(store.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 0
    db.close()


def test_delete_unknown_id_is_harmless(store: HistoryStore) -> None:
    entry = store.record(result(), "lab2")
    store.delete("does-not-exist")
    assert store.get(entry.id) is not None and len(files_in(store)) == 1


# --- totals --------------------------------------------------------------------------------------------

def test_totals(store: HistoryStore) -> None:
    assert store.totals() == (0, 0.0)
    store.record(result(cost=0.08), "lab2")
    store.record(result(cost=0.012), "lab3")
    count, usd = store.totals()
    assert count == 2 and usd == pytest.approx(0.092)


def test_store_reopens_existing_data(store: HistoryStore) -> None:
    entry = store.record(result(), "lab2")
    again = HistoryStore(store.data_dir)
    assert again.get(entry.id) == entry and again.totals()[0] == 1


# --- entry_zip ----------------------------------------------------------------------------------------

def test_entry_zip_holds_images_and_result_json(store: HistoryStore) -> None:
    entry = store.record(result(outputs=(RED, GREEN)), "lab2", inputs=[PHOTO])
    with zipfile.ZipFile(io.BytesIO(entry_zip(entry))) as zf:
        names = zf.namelist()
        expected_images = [f"{entry.id}-output-1.png", f"{entry.id}-output-2.png", f"{entry.id}-input-1.jpg"]
        assert sorted(names) == sorted(expected_images + ["result.json"])
        assert zf.read(f"{entry.id}-output-1.png") == RED
        assert zf.read(f"{entry.id}-output-2.png") == GREEN
        assert zf.read(f"{entry.id}-input-1.jpg") == PHOTO
        meta = json.loads(zf.read("result.json"))
    assert meta["id"] == entry.id and meta["lab"] == "lab2" and meta["model_id"] == SD35
    assert meta["seed"] == 7 and meta["estimated_cost_usd"] == pytest.approx(0.08)
    assert meta["request"]["prompt"] == "a red fox" and meta["request"]["negative_prompt"] == "blurry"
    assert meta["body_sent"] == {"prompt": "a red fox", "seed": 7}
    assert meta["region"] == "us-west-2" and meta["notes"] == ["a note", "Image 3 of 3: blocked"]
    assert meta["files"] == expected_images


def test_record_a_real_result_from_the_fake_endpoint(aws_env: FakeBedrock, tmp_path: Path) -> None:
    res = service.generate(GenerationRequest(model_id=SD35, prompt="a lighthouse", count=2, seed=500))
    store = HistoryStore(tmp_path / "history")
    entry = store.record(res, "lab2")
    assert [o.seed for o in entry.outputs] == [500, 501]
    assert [o.read_bytes() for o in entry.outputs] == [i.data for i in res.images]
    assert [(o.width, o.height) for o in entry.outputs] == [(1024, 1024)] * 2
    assert entry.body == res.request_body and entry.body["seed"] == 500
    assert entry.cost_usd == pytest.approx(0.16)
    assert any("2 calls ran in parallel" in n for n in entry.notes)
    with zipfile.ZipFile(io.BytesIO(entry_zip(entry))) as zf:
        meta = json.loads(zf.read("result.json"))
    assert meta["seed"] == 500 and meta["body_sent"]["prompt"] == "a lighthouse"


def test_search_treats_percent_and_underscore_literally(store: HistoryStore) -> None:
    store.record(result("a fox"), lab="lab2")
    literal = store.record(result("100% cotton_shirt"), lab="lab2")
    assert [e.id for e in store.recent(search="100%")] == [literal.id]
    assert [e.id for e in store.recent(search="_")] == [literal.id]
