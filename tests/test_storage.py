"""lib/storage on every backend it claims: SQLite + files (embedded default) and real PostgreSQL + S3 (moto server).

The PostgreSQL and S3 servers are started by the test command itself (tests/real_engines.py); nothing is
mocked. "Two servers" are two independent store objects pointed at the same database and bucket, as two
app processes would be.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from conftest import png_bytes
from lib.catalog import get_model
from lib.generation.requests import GenerationRequest, GenerationResult, ImageOutput
from lib.storage.db import forget_engines
from lib.storage.results import HistoryStore, Viewer

SD35 = "stability.sd3-5-large-v1:0"
ALICE, BOB = Viewer("alice"), Viewer("bob")
TEACHER = Viewer("teacher", instructor=True)


def result(prompt: str = "a fox", color=(200, 40, 40)) -> GenerationResult:
    data = png_bytes((24, 24), color)
    request = GenerationRequest(model_id=SD35, prompt=prompt).with_seed(5)
    return GenerationResult(model=get_model(SD35), request=request, images=[ImageOutput(data, "png", 5, 24, 24)],
                            latency_s=0.2, cost_usd=0.08, region="us-west-2", request_body={"prompt": prompt})


@pytest.fixture(params=["sqlite+files", "postgres+s3"])
def stores(request, tmp_path, monkeypatch):
    """Two stores ("two servers") over one backend; SQLite's two share the data folder."""
    if request.param == "sqlite+files":
        yield HistoryStore(tmp_path / "data"), HistoryStore(tmp_path / "data")
    else:
        url, s3 = request.getfixturevalue("postgres_url"), request.getfixturevalue("s3_endpoint")
        from real_engines import make_bucket

        for name, value in {"AWS_ENDPOINT_URL_S3": s3, "AWS_ACCESS_KEY_ID": "testing",
                            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}.items():
            monkeypatch.setenv(name, value)
        bucket = f"class-{uuid.uuid4().hex[:8]}"
        make_bucket(s3, bucket)
        one = HistoryStore(tmp_path / "one", database=url, blobs=f"s3://{bucket}/results")
        forget_engines()  # the second "server" has its own engine and connection pool
        two = HistoryStore(tmp_path / "two", database=url, blobs=f"s3://{bucket}/results")
        with one.engine.begin() as db:  # the session's database is shared by every test: start empty
            for table in ("images", "results", "chat_answers", "jobs"):
                db.execute(sa.text(f"DELETE FROM {table}"))
        yield one, two
    forget_engines()


def test_an_attendee_sees_reuses_and_deletes_only_their_own(stores):
    store, _ = stores
    mine = store.record(result("alice's fox"), "lab2", inputs=[png_bytes((8, 8))], owner="alice")
    theirs = store.record(result("bob's owl", (10, 200, 10)), "lab2", owner="bob")
    assert [e.id for e in store.recent(viewer=ALICE)] == [mine.id]
    assert store.get(theirs.id, ALICE) is None and store.image(theirs.outputs[0].id, ALICE) is None
    assert store.image(mine.inputs[0].id, ALICE) is not None
    assert store.find_identical(GenerationRequest(model_id=SD35, prompt="bob's owl"), ALICE) is None
    assert store.find_identical(GenerationRequest(model_id=SD35, prompt="bob's owl"), BOB).id == theirs.id
    assert not store.delete(theirs.id, ALICE)  # refused: bob's result stays on bob's page
    assert store.get(theirs.id, BOB) is not None
    assert store.count(viewer=ALICE) == 1 and store.totals(ALICE) == (1, pytest.approx(0.08))
    # The instructor sees the class, with per-attendee counts and spend.
    assert {e.id for e in store.recent(viewer=TEACHER)} == {mine.id, theirs.id}
    assert {(t.owner, t.results) for t in store.per_owner()} == {("alice", 1), ("bob", 1)}
    assert store.delete(theirs.id, TEACHER)


def test_chat_answers_have_owners_too(stores):
    store, _ = stores
    store.record_answer("conv1", "A cat.", model_id="m", model_label="M", region="us-east-1", owner="alice",
                        prompt="What is it?", cost_usd=0.001)
    assert store.find_answer("conv1", BOB) is None
    assert store.find_answer("conv1", ALICE).text == "A cat."
    assert [a.prompt for a in store.recent_answers(viewer=ALICE)] == ["What is it?"]
    assert store.recent_answers(viewer=BOB) == []
    answer = store.recent_answers(viewer=ALICE)[0]
    assert not store.delete_answer(answer.id, BOB) and store.delete_answer(answer.id, ALICE)


def test_two_servers_share_results_images_and_deletions(stores):
    one, two = stores
    made = one.record(result("made on server one"), "lab2", owner="alice")
    seen = two.get(made.id, ALICE)
    assert seen is not None and seen.outputs[0].read_bytes() == made.outputs[0].read_bytes()
    assert seen.outputs[0].thumbnail_bytes()[:2] == b"\xff\xd8"  # a JPEG thumbnail, readable from both
    assert two.delete(made.id, ALICE)
    assert one.get(made.id, ALICE) is None
    assert not one.blobs.exists(made.outputs[0].name)  # no other result used it: the bytes are gone too


def test_a_request_runs_on_one_server_only(stores):
    one, two = stores
    assert one.claim_job("job1", "alice", "lab2", "key-a", "Generate", "SD 3.5")
    assert not two.claim_job("job2", "alice", "lab2", "key-a", "Generate", "SD 3.5")  # identical, still running
    assert two.claim_job("job3", "bob", "lab2", "key-a", "Generate", "SD 3.5")  # another attendee's is theirs
    one.finish_job("job1", "done")
    assert two.claim_job("job4", "alice", "lab2", "key-a", "Generate", "SD 3.5")  # finished: may run again
    # A server that died mid-call never finishes its claim: once old, it no longer blocks the request.
    with two.engine.begin() as db:
        db.execute(sa.text("UPDATE jobs SET started_at = started_at - 3600 WHERE id = 'job4'"))
    assert one.claim_job("job5", "alice", "lab2", "key-a", "Generate", "SD 3.5")


def test_migrations_are_named_and_at_head(stores):
    store, _ = stores
    with store.engine.connect() as db:
        assert db.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() \
            .startswith(("0002", "0003", "0004", "0005"))


def test_the_embedded_default_needs_no_server(tmp_path, monkeypatch):
    """No database URL, no blob URL: SQLite and files in the data folder, nothing else to set up."""
    store = HistoryStore(tmp_path / "data")
    entry = store.record(result(), "lab2")
    assert store.engine.dialect.name == "sqlite" and store.db_path.is_file()
    assert (store.images_dir / entry.outputs[0].name).is_file()


def test_a_recorded_entry_is_what_reading_it_back_gives(stores):
    """record() builds its entry from what it wrote (no read-back): it must equal the stored one in every field."""
    one, two = stores
    made = one.record(result("a fox, twice"), "lab3", inputs=[png_bytes((8, 8)), png_bytes((9, 9), (1, 2, 3))],
                      owner="alice", after_cancel=True)
    assert made == two.get(made.id, ALICE)  # the other "server" reads exactly this
    assert [img.role for img in made.outputs + made.inputs] == ["output", "input", "input"]
    assert [img.index for img in made.inputs] == [0, 1]


def test_a_recorded_answer_is_what_reading_it_back_gives(stores):
    one, two = stores
    made = one.record_answer("conv", "An owl.", model_id="m", model_label="M", region="us-east-1", input_tokens=12,
                             output_tokens=3, cost_usd=0.002, latency_s=0.4, prompt="What is it?", after_cancel=True,
                             owner="alice")
    assert made == two.get_answer(made.id, ALICE)


def test_an_attendees_totals_version_follows_only_what_their_totals_count(stores):
    """The sidebar keeps an attendee's totals until this number moves: others' writes must not move it, and
    every write of theirs (an instructor's deletion included) must."""
    store, _ = stores
    seen = store.totals_version(ALICE)
    class_view = store.totals_version(TEACHER)
    store.record(result("bob's owl"), "lab2", owner="bob")
    store.record_answer("c1", "Bob's answer.", model_id="m", model_label="M", region="us-east-1", owner="bob")
    assert store.totals_version(TEACHER) != class_view  # the class view counts everybody's
    class_view = store.totals_version(TEACHER)
    store.claim_job("job-v", "bob", "lab2", "key-v", "Generate", "SD 3.5")  # not a result: counted by nobody
    assert store.totals_version(ALICE) == seen and store.totals_version(TEACHER) == class_view
    steps = [lambda: store.record(result("alice's fox"), "lab2", owner="alice"),
             lambda: store.record_answer("c2", "Hers.", model_id="m", model_label="M", region="us-east-1",
                                         owner="alice"),
             lambda: store.delete(store.recent(viewer=ALICE)[0].id, TEACHER),
             lambda: store.delete_answer(store.recent_answers(viewer=ALICE)[0].id, TEACHER)]
    for step in steps:
        before = store.totals_version(ALICE)
        step()
        assert store.totals_version(ALICE) != before
    before = store.totals_version(ALICE)
    assert not store.delete_answer("no-such-answer", ALICE) and store.totals_version(ALICE) == before


def test_a_result_is_stored_with_both_previews_from_one_decode(stores, monkeypatch):
    """History's thumbnail and the lab's display copy are made when the result is stored, decoding it once."""
    import lib.imaging as imaging
    from lib.imaging import DISPLAY_EDGE
    from lib.storage.results import thumbnail_name

    opened = []
    real_open = imaging.Image.open
    monkeypatch.setattr(imaging.Image, "open", lambda fp, *a, **k: opened.append(1) or real_open(fp, *a, **k))
    store, _ = stores
    data = png_bytes((1400, 700), (20, 90, 200))
    request = GenerationRequest(model_id=SD35, prompt="wide").with_seed(7)
    entry = store.record(GenerationResult(model=get_model(SD35), request=request,
                                          images=[ImageOutput(data, "png", 7, 1400, 700)], latency_s=0.1,
                                          cost_usd=0.08, region="us-west-2", request_body={}), "lab2", owner="alice")
    decoded = len(opened)
    img = entry.outputs[0]
    for edge in (256, DISPLAY_EDGE):
        assert store.blobs.exists(thumbnail_name(img.name, edge))
    assert max(imaging.Image.open(__import__("io").BytesIO(img.thumbnail_bytes(DISPLAY_EDGE))).size) == DISPLAY_EDGE
    assert decoded == 2, decoded  # the size read from its header, then one decode for both previews


def test_claiming_does_not_expire_old_claims_every_time(stores, monkeypatch):
    """Expiring dead claims is a write: a class claiming 30 calls at once does it once, not 30 times."""
    store, _ = stores
    expired = []
    real = store.expire_jobs
    monkeypatch.setattr(store, "expire_jobs", lambda *a: expired.append(1) or real(*a))
    for n in range(5):
        assert store.claim_job(f"job{n}", "alice", "lab2", f"key-{n}", "Generate", "SD 3.5")
    assert len(expired) <= 1
