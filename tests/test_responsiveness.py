"""A page never waits for slow work it can leave to a thread (issue 16). No wall-clock assertions here:
each test blocks the slow work on an Event and shows the page finishes anyway, or counts the work done.
"""

from __future__ import annotations

import threading
import tomllib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, png_bytes


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    if page:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
                     + [m.value for m in at.error] + [m.value for m in at.warning])


# -- Streamlit's collection after every run ---------------------------------------------------------------


def test_post_script_gc_is_off_in_the_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


# -- credentials ------------------------------------------------------------------------------------------


@pytest.fixture
def watcher():
    from lib.services import credentials as bedrock

    bedrock.credential_watcher().forget()
    yield bedrock.credential_watcher()
    bedrock.credential_watcher().wait_idle()
    bedrock.credential_watcher().forget()


def test_the_full_credential_check_never_runs_on_the_page_thread(isolated_env, monkeypatch, watcher):
    """No credentials in variables or files: the chain would go on to the instance metadata. That part runs
    on the watcher's thread only, and the page renders while it is still blocked."""
    from lib.services import credentials as bedrock

    release = threading.Event()
    seen: list[str] = []

    def slow_check(settings=None):
        seen.append(threading.current_thread().name)
        release.wait(30)  # stands in for an instance-metadata address that never answers
        return bedrock.CredentialStatus(False, problem=bedrock.NO_CREDENTIALS)

    monkeypatch.setattr(bedrock, "credential_status", slow_check)
    try:
        at = open_app("pages/2_image_generation.py")  # finishes although the check is still blocked
        assert not at.exception
        assert "AWS credentials not found" in [e.value for e in at.error]
    finally:
        release.set()
    assert watcher.wait_idle()
    assert seen and set(seen) == {"credential-check"}


def test_instance_metadata_is_never_asked_on_the_page_thread(isolated_env, monkeypatch, watcher):
    from botocore import credentials

    asked: list[str] = []
    for provider in (credentials.InstanceMetadataProvider, credentials.ContainerProvider):
        original = provider.load

        def load(self, _original=original):
            asked.append(threading.current_thread().name)
            return _original(self)

        monkeypatch.setattr(provider, "load", load)
    at = open_app("pages/9_multimodal_chatbot.py")
    assert not at.exception
    assert watcher.wait_idle()
    assert asked and set(asked) == {"credential-check"}


def test_credentials_in_variables_are_found_at_once(isolated_env, monkeypatch, watcher):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    status = watcher.status()
    assert status.found and status.source == "env" and not status.checking


def test_a_changed_configuration_is_checked_again(isolated_env, monkeypatch, watcher):
    assert not watcher.status().found
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert watcher.status().found  # another configuration: asked afresh, not the last answer


def test_a_stale_answer_is_refreshed_in_the_background(isolated_env, monkeypatch):
    from lib.services import credentials as bedrock

    calls: list[str] = []

    def check(settings=None):
        calls.append(threading.current_thread().name)
        return bedrock.CredentialStatus(True, source="iam-role")

    monkeypatch.setattr(bedrock, "credential_status", check)
    fresh = bedrock.CredentialWatcher(refresh_s=0.0)  # every answer is already stale
    first = fresh.status()
    assert first.checking and not first.found  # nothing in variables or files: the thread asks further
    assert fresh.wait_idle()
    assert fresh.status().source == "iam-role"
    assert fresh.wait_idle()
    assert calls and set(calls) == {"credential-check"}


# -- lab 8: an image is prepared once ---------------------------------------------------------------------


def test_prepare_for_vision_runs_once_per_image_and_limits(monkeypatch):
    from lib import vision

    calls: list[int] = []
    original = vision._prepare

    def counting(data, limits=vision.CLAUDE_LIMITS, **kw):
        calls.append(len(data))
        return original(data, limits, **kw)

    monkeypatch.setattr(vision, "_prepare", counting)
    data = png_bytes((300, 200), (10, 200, 30))
    first = vision.prepare_for_vision(data)
    first.notes.append("changed by a caller")
    again = vision.prepare_for_vision(data)
    assert len(calls) == 1
    assert again.data == first.data and "changed by a caller" not in again.notes
    vision.prepare_for_vision(data, vision.VisionLimits(max_long_edge=100))  # other limits: prepared again
    assert len(calls) == 2


# -- the offline engines warm up in the background --------------------------------------------------------


def test_warmup_runs_its_steps_once_on_its_own_thread():
    from lib.warmup import EngineWarmup, Step

    ran: list[str] = []
    gate = threading.Event()
    warm = EngineWarmup((Step("one", lambda: ran.append(threading.current_thread().name)),
                         Step("two", lambda: gate.wait(30)),
                         Step("not installed", lambda: ran.append("never"), needs=lambda: False)))
    assert not warm.status().started
    warm.start()
    warm.start()
    assert not warm.ready()
    gate.set()
    assert warm.wait(30)
    status = warm.status()
    assert status.ready and status.done == status.total == 2 and status.error is None
    assert ran == ["engine-warmup"]


def test_a_failing_step_is_reported_and_the_warmup_still_ends():
    from lib.warmup import EngineWarmup, Step

    def broken():
        raise ImportError("no torch here")

    warm = EngineWarmup((Step("torch", broken), Step("after", lambda: None)))
    warm.start()
    assert warm.wait(30)
    assert "no torch here" in (warm.status().error or "")


def test_modules_of_a_page_are_read_without_running_it():
    from lib.warmup import modules_imported_by

    names = modules_imported_by(ROOT / "pages" / "2_image_generation.py")
    assert "streamlit" in names and "lib.services.images" in names


@pytest.fixture
def blocked_engines():
    from lib import warmup

    gate = threading.Event()
    previous = warmup.use_engines(warmup.EngineWarmup((warmup.Step("EfficientNet (held by the test)",
                                                                   lambda: gate.wait(60)),)))
    yield gate
    gate.set()
    warmup.engines().wait(60)
    warmup.use_engines(previous)


def _local_index(data_dir, n: int = 3):
    from lib.catalog import LOCAL_SEARCH_DIMENSION, LOCAL_TAGS_ID
    from lib.search.index import Source, VectorSpace, shared_index

    space = VectorSpace(LOCAL_TAGS_ID, LOCAL_SEARCH_DIMENSION)
    index = shared_index(data_dir, space)
    rng = np.random.default_rng(16)
    for i in range(n):
        vector = rng.normal(size=LOCAL_SEARCH_DIMENSION).astype(np.float32)
        index.add(space, f"{i:064x}", vector / np.linalg.norm(vector), Source(f"sample:{i}", "samples", f"Photo {i}"),
                  (64, 48), 1000)
    index.save()
    return index


def test_lab1_searches_only_once_the_engines_are_loaded(isolated_env, monkeypatch, blocked_engines):
    """Without credentials lab 1 runs on the local engine. While it loads, the page shows the progress and
    keeps a search for later; it never loads the engine on its own thread."""
    from lib.engines.local_embeddings import LocalEmbedEngine
    from lib.search.embeddings import Embedding

    _local_index(isolated_env / "data")
    used: list[str] = []

    def embed(self, model, dimension, items, settings):
        used.append(threading.current_thread().name)
        vector = np.zeros(dimension, np.float32)
        vector[0] = 1.0
        return [Embedding(vector, 0, ()) for _ in items]

    monkeypatch.setattr(LocalEmbedEngine, "embed", embed)
    at = open_app("pages/1_image_search.py")
    assert not at.exception
    assert "Loading the offline engines for search" in "\n".join(p.proto.text for p in at.get("progress"))
    at.text_input(key="lab1_query").set_value("a cat").run()
    at.button(key="lab1_go").click().run()
    assert "Your search runs as soon as the local engine has loaded" in texts(at)
    assert used == []  # nothing embedded while the engine loads
    blocked_engines.set()
    from lib.warmup import engines

    assert engines().wait(60)
    at.run()  # the progress fragment's rerun, once the engines are ready
    assert used and "Results" in "\n".join(h.value for h in at.subheader)


def test_the_object_finder_preview_waits_for_the_engines(isolated_env, blocked_engines):
    at = open_app("pages/5_replace_object.py")
    assert not at.exception
    at.text_input(key="lab5_object").set_value("cup").run()
    assert not at.exception
    assert "Tinted = will change" not in texts(at)  # no preview yet, and no stall: the progress is shown


# -- lab 1: a save writes the vectors file without holding the index ---------------------------------------


def test_a_search_answers_while_a_save_writes_the_vectors_file(tmp_path, monkeypatch):
    from lib.search import index as index_module
    from lib.search.index import ImageIndex, Source, VectorSpace

    space = VectorSpace("amazon.titan-embed-image-v1", 256)
    index = ImageIndex(tmp_path / "idx", space)
    rng = np.random.default_rng(7)

    def unit() -> np.ndarray:
        v = rng.normal(size=256).astype(np.float32)
        return v / np.linalg.norm(v)

    for i in range(20):
        index.add(space, f"a{i:063x}", unit(), Source(f"f{i}", "root", f"photo {i}"), (8, 8), 10)
    writing, release = threading.Event(), threading.Event()
    original = index_module.faiss.write_index

    def slow_write(faiss_index, path):
        writing.set()
        release.wait(30)  # stands in for a 100 000-vector file (about 2 s)
        return original(faiss_index, path)

    monkeypatch.setattr(index_module.faiss, "write_index", slow_write)
    saver = threading.Thread(target=index.save)
    saver.start()
    assert writing.wait(30)
    hits = index.search(space, index.vector(f"a{3:063x}"), k=3)  # answers although the save is mid-write
    assert hits[0].image.sha == f"a{3:063x}"
    adder = threading.Thread(target=index.add, args=(space, "b" * 64, unit(), Source("new", "root", "new"), (8, 8), 10))
    adder.start()  # a new vector waits until the file and its rows are committed
    release.set()
    saver.join(30)
    adder.join(30)
    assert not saver.is_alive() and not adder.is_alive()
    index.save()
    reloaded = ImageIndex(tmp_path / "idx", space)
    assert len(reloaded) == 21 and reloaded.has("b" * 64)


# -- the sidebar's History totals ---------------------------------------------------------------------------


def test_history_totals_are_read_again_only_after_a_write(isolated_env, monkeypatch):
    from lib.history import HistoryStore

    asked: list[int] = []
    original = HistoryStore.totals

    def counting(self, viewer=None):
        asked.append(1)
        return original(self, viewer)

    monkeypatch.setattr(HistoryStore, "totals", counting)
    at = open_app("pages/2_image_generation.py")
    at.run()
    at.run()
    assert len(asked) == 1  # nothing written: the sidebar kept what it read
    store = HistoryStore(isolated_env / "data")
    store.claim_job("j1", "local", "lab2", "key", "Generate", "Model")
    at.run()
    assert len(asked) == 1  # a job's claim is a write, but not one the totals count
    store.record_answer("k", "An answer.", model_id="m", model_label="Model", region="us-east-1", cost_usd=0.5,
                        owner="local")
    at.run()
    assert len(asked) == 2
    assert any("$0.500" in c.value for c in at.sidebar.caption)


# -- jobs and storage under a class ------------------------------------------------------------------------


def test_the_job_pool_starts_its_threads_before_any_submit(monkeypatch):
    from lib import jobs

    runner = jobs.JobRunner(max_workers=4)
    for _ in range(500):  # bounded wait for the background start (no timing asserted)
        if len(runner._pool._threads) == 4 and runner._pool._work_queue.empty():
            break
        threading.Event().wait(0.01)
    started: list[str] = []
    original = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self.name), original(self))[1])
    gate = threading.Event()
    submitted = [runner.submit(jobs.Job("me", "lab2", "image", f"job {i}", "model", f"key {i}"),
                               lambda job: gate.wait(30)) for i in range(4)]
    gate.set()
    runner.shutdown()
    assert started == []  # a page's submit never waits for a new thread to start
    assert all(job.state is jobs.JobState.DONE for job, _ in submitted)


def test_thirty_writers_at_once_all_store_their_answer(tmp_path):
    from lib.history import HistoryStore

    store = HistoryStore(tmp_path / "data")
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            store.record_answer(f"k{i}", f"answer {i}", model_id="m", model_label="Model", region="us-east-1",
                                cost_usd=0.01, owner=f"attendee{i}")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and store.totals()[0] == 0 and len(store.recent_answers(100)) == 30


# -- the result gallery ---------------------------------------------------------------------------------------


def test_a_rerun_with_results_on_screen_encodes_no_image(aws_env, monkeypatch):
    from PIL import Image

    at = open_app("pages/2_image_generation.py")
    at.text_area(key="lab2_prompt").set_value("A lighthouse at dawn").run()
    at.button(key="lab2_go").click().run()
    at.run()  # the job's result (inline in tests) is on the page now
    assert any("Download all (1)" in b.proto.label for b in at.get("download_button"))  # a result is shown
    saved: list[str] = []
    original = Image.Image.save
    monkeypatch.setattr(Image.Image, "save", lambda self, *a, **k: (saved.append(self.format or ""),
                                                                   original(self, *a, **k))[1])
    at.text_area(key="lab2_prompt").set_value("A lighthouse at dusk").run()  # typing: the gallery stays
    assert not at.exception
    assert saved == []  # st.image got a JPEG made once, and the download is read only when asked
