"""During class: spend caps and the pause switch refuse a call before it is sent; the dashboard's numbers;
results packs move replayable results between deployments, whole sets only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from conftest import png_bytes
from lib.chat import Turn, conversation_fingerprint
from lib.generation.requests import GenerationRequest
from lib.services.images import generate
from lib.jobs import Job, runner
from lib.services.calls import answer_work, image_work
from lib.services.guard import CallsPaused, SpendCapReached, chat_estimate, check_call
from lib.settings import load_settings
from lib.storage.control import ClassControl
from lib.storage.packs import PackError, export_pack, import_pack, read_manifest
from lib.storage.results import PACK_OWNER, HistoryStore, Viewer

SD35 = "stability.sd3-5-large-v1:0"  # $0.08 an image
NOVA_LITE = "amazon.nova-lite-v1:0"


@pytest.fixture
def store(aws_env, tmp_path) -> HistoryStore:
    return HistoryStore(tmp_path / "data")


def run_image(store: HistoryStore, owner: str, prompt: str, count: int = 1) -> Job:
    request = GenerationRequest(SD35, prompt, count=count, seed=7)
    job, _ = runner().submit(Job(owner, "lab2", "image", prompt, "SD 3.5", f"{prompt}:{owner}"),
                             image_work(generate, request, store, "lab2", owner=owner))
    return job


def sent(fake) -> int:
    return sum(1 for c in fake.calls if c.operation == "invoke")


def test_caps_come_from_settings() -> None:
    s = load_settings({"WORKSHOP_CAP_ATTENDEE_USD": "0.5", "WORKSHOP_CAP_CLASS_USD": "20"})
    assert (s.cap_attendee_usd, s.cap_class_usd) == (0.5, 20.0)
    assert load_settings({"WORKSHOP_CAP_ATTENDEE_USD": "lots"}).cap_attendee_usd is None
    assert load_settings({}).cap_class_usd is None


def test_attendee_cap_refuses_the_call_that_would_pass_it_before_sending(store, aws_env, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_CAP_ATTENDEE_USD", "0.20")
    assert run_image(store, "ana", "a kite").error is None  # $0.08
    assert run_image(store, "ana", "a boat").error is None  # $0.16
    before = sent(aws_env)
    refused = run_image(store, "ana", "a third")  # would be $0.24
    assert isinstance(refused.error, SpendCapReached)
    assert "attendee cap of $0.20 (WORKSHOP_CAP_ATTENDEE_USD)" in refused.error.message
    assert "you have used $0.160" in refused.error.message and "Nothing was sent" in refused.error.message
    assert sent(aws_env) == before
    assert run_image(store, "ben", "Ben's first").error is None  # a cap per person
    activity = ClassControl(store.engine).activity()
    assert activity.errors_by_kind == {"spend cap": 1}


def test_class_cap_counts_everyone_and_calls_still_running(store, aws_env, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_CAP_CLASS_USD", "0.20")
    control = ClassControl(store.engine)
    assert run_image(store, "ana", "one").error is None
    # Ben's call is still running on another server: its claim carries its estimate.
    assert store.claim_job("elsewhere", "ben", "lab2", "k", "Generate", "SD 3.5", est_cost_usd=0.08)
    assert control.spent() == pytest.approx(0.16) and control.spent("ben") == pytest.approx(0.08)
    refused = run_image(store, "cleo", "three")
    assert isinstance(refused.error, SpendCapReached) and "class cap of $0.20" in refused.error.message
    store.finish_job("elsewhere", "failed", "cancelled")
    assert run_image(store, "cleo", "three again").error is None


def test_chat_turns_are_estimated_from_the_catalog_price(store, aws_env, monkeypatch) -> None:
    from lib.catalog import get_chat_model
    from lib.chat import ChatImage

    model = get_chat_model(NOVA_LITE)
    text_only = chat_estimate(model, [Turn("user", "What is in this picture?")])
    with_image = chat_estimate(model, [Turn("user", "What is in this picture?", (ChatImage(png_bytes((1024, 768)), "png"),))])
    assert 0 < text_only < with_image < 0.01
    monkeypatch.setenv("WORKSHOP_CAP_ATTENDEE_USD", "0.00001")
    turn = [Turn("user", "Hello there")]
    job, _ = runner().submit(Job("ana", "lab9", "chat", "Hello", model.label, "chat"),
                             answer_work(model, turn, store, "lab9", owner="ana"))
    assert isinstance(job.error, SpendCapReached)
    assert not [c for c in aws_env.calls if c.operation.startswith("converse")]


def test_pause_stops_every_call_on_every_server_until_resumed(store, aws_env, tmp_path) -> None:
    control = ClassControl(store.engine)
    control.pause("instructor", "lunch break")
    other_server = ClassControl(HistoryStore(tmp_path / "data").engine)  # same database, another process's view
    assert other_server.paused() is not None and other_server.paused().note == "lunch break"
    before = sent(aws_env)
    job = run_image(store, "ben", "a fox")
    assert isinstance(job.error, CallsPaused)
    assert "paused all model calls for the class (lunch break)" in job.error.message
    assert sent(aws_env) == before
    with pytest.raises(CallsPaused):
        check_call(control, "ana", 0.0)
    control.resume()
    assert run_image(store, "ben", "a fox").error is None
    assert control.activity().errors_by_kind == {"paused": 1}


def test_dashboard_numbers(store, aws_env) -> None:
    run_image(store, "ana", "one")
    run_image(store, "ana", "two", count=2)
    run_image(store, "ben", "three")
    aws_env.fail_next("throttle")
    assert run_image(store, "ben", "throttled").error is not None
    store.record_answer("k", "An answer", model_id=NOVA_LITE, model_label="Amazon Nova Lite", region="us-east-1",
                        cost_usd=0.001, owner="cleo")
    activity = ClassControl(store.engine).activity()
    assert activity.active_attendees == 2 and activity.calls == 4 and activity.running == 0
    assert activity.errors_by_kind == {"throttled": 1}
    assert activity.models == [("SD 3.5", 4)]
    assert activity.spend_by_owner == [("ana", pytest.approx(0.24), 2), ("ben", pytest.approx(0.08), 1),
                                       ("cleo", pytest.approx(0.001), 1)]
    assert activity.spend_total == pytest.approx(0.321)
    assert sum(n for _, n in activity.per_minute) == 4 and activity.calls_per_minute == pytest.approx(0.8)


def test_a_pack_replays_on_another_deployment_for_every_attendee(store, aws_env, tmp_path) -> None:
    made = run_image(store, "local", "a lighthouse at dusk", count=2)
    assert made.error is None
    entry = store.get(made.result[0])
    turn = [Turn("user", "Describe it", ())]
    store.record_answer(conversation_fingerprint(NOVA_LITE, turn), "A lighthouse.", model_id=NOVA_LITE,
                        model_label="Amazon Nova Lite", region="us-east-1", cost_usd=0.0004, owner="local")
    answer = store.recent_answers(1)[0]
    pack = export_pack(store, [entry.id], [answer.id], note="class of December")

    other = HistoryStore(tmp_path / "elsewhere")  # another data folder: nothing in common but the pack
    report = import_pack(other, pack)
    assert (report.results_added, report.answers_added, report.refused) == (1, 1, [])
    ana = Viewer("browser:ana")
    request = GenerationRequest(SD35, "a lighthouse at dusk", count=2, seed=7)
    found = other.find_identical(request, ana)
    assert found is not None and found.owner == PACK_OWNER and len(found.outputs) == 2
    assert [o.read_bytes() for o in found.outputs] == [o.read_bytes() for o in entry.outputs]
    assert other.get(found.id, ana) is not None  # the lab can show it to her
    assert other.find_answer(conversation_fingerprint(NOVA_LITE, turn), ana).text == "A lighthouse."
    assert other.recent(viewer=ana) == [] and other.totals(ana) == (0, 0.0)  # not her History, not spend
    assert ClassControl(other.engine).spent() == 0.0
    again = import_pack(other, pack)
    assert again.already_there == 2 and again.results_added == 0


def test_a_partial_set_is_never_replayed_or_imported(store, aws_env, tmp_path) -> None:
    made = run_image(store, "local", "three apples", count=3)
    entry = store.get(made.result[0])
    pack = export_pack(store, [entry.id])
    zf, manifest = read_manifest(pack)
    lost = manifest["entries"][0]["images"][1]["file"]
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        for member in zf.namelist():
            if member != lost:
                out.writestr(member, zf.read(member))
    other = HistoryStore(tmp_path / "elsewhere")
    report = import_pack(other, broken.getvalue())
    assert report.results_added == 0 and "not every image it made" in report.refused[0]

    # On the deployment that made it: one image lost, so the identical request offers no replay at all.
    request = GenerationRequest(SD35, "three apples", count=3, seed=7)
    assert store.find_identical(request, Viewer("local", instructor=True)) is not None
    store.blobs.delete(entry.outputs[2].name)
    assert store.find_identical(request, Viewer("local", instructor=True)) is None


def test_not_a_pack_is_refused_in_plain_words(store) -> None:
    with pytest.raises(PackError, match="not a zip file"):
        import_pack(store, b"hello")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something else"}))
    with pytest.raises(PackError, match="not a Bedrock Image Workshop results pack"):
        import_pack(store, buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # a name that tries to leave the images folder is never read
        zf.writestr("manifest.json", json.dumps({"format": "bedrock-image-workshop-pack", "version": 1, "entries": [
            {"request_key": "k", "prompt": "x", "model_label": "m", "request": {"count": 1},
             "images": [{"role": "output", "file": "../../etc/passwd", "sha256": "0" * 64}]}]}))
    assert "not every image" in import_pack(store, buf.getvalue()).refused[0]


def test_pause_holds_for_lab_1s_embedding_calls(store, aws_env) -> None:
    from lib.catalog import get_embedding_model
    from lib.errors import CallsPaused as Paused
    from lib.search.embeddings import EmbeddingInput, embed

    model = get_embedding_model("amazon.titan-embed-image-v1")
    assert embed(model, 256, EmbeddingInput(text="a red apple")).vector.size == 256
    ClassControl(store.engine).pause("instructor")
    before = sent(aws_env)
    with pytest.raises(Paused):
        embed(model, 256, EmbeddingInput(text="a green pear"))
    assert sent(aws_env) == before
