"""Building lab 1's index against the fake endpoint: dedupe, concurrency, throttles, stop/resume, bad files, S3."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import boto3
import numpy as np
import pytest
from moto import mock_aws
from PIL import Image

from lib.errors import AccessDenied, InvalidInput
from lib.search.build import RetryPolicy, build_index, start_build
from lib.search.embeddings import MultimodalEmbeddings
from lib.search.index import ImageIndex, VectorSpace
from lib.search.sources import FolderSource, S3Source, SampleSource, UploadSource, read_original
from lib.settings import load_settings

TITAN = "amazon.titan-embed-image-v1"
FAST_RETRY = RetryPolicy(max_tries=6, first_delay_s=0.01, max_delay_s=0.05)


def photo(colour: tuple[int, int, int], size=(48, 40), fmt="PNG", seed: int = 0) -> bytes:
    """A small image mostly of `colour`, with a few seeded pixels so every file's bytes differ."""
    img = Image.new("RGB", size, colour)
    rng = np.random.default_rng(seed)
    for _ in range(6):
        img.putpixel((int(rng.integers(size[0])), int(rng.integers(size[1]))), tuple(int(v) for v in rng.integers(0, 255, 3)))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def folder_of(path: Path, n: int, start: int = 0) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    colours = [(220, 30, 30), (30, 60, 220), (40, 200, 60), (230, 220, 40)]
    for i in range(start, start + n):
        (path / f"img{i:03d}.png").write_bytes(photo(colours[i % 4], seed=i))
    return path


def setup(tmp_path: Path, dimension: int = 256) -> tuple[ImageIndex, MultimodalEmbeddings, Path]:
    settings = load_settings()
    embedder = MultimodalEmbeddings(TITAN, dimension, settings)
    index = ImageIndex(tmp_path / "index", VectorSpace(TITAN, dimension))
    return index, embedder, tmp_path / "thumbs"


def embed_calls(fake) -> int:
    return sum(1 for c in fake.calls if c.model_id == TITAN)


def test_only_new_files_are_embedded_and_removed_files_leave(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    photos = folder_of(tmp_path / "photos", 10)
    report = build_index(index, embedder, [FolderSource(photos)], thumbs=thumbs, workers=4)
    assert (report.progress.embedded, report.progress.reused, report.progress.failed) == (10, 0, 0)
    assert embed_calls(aws_env) == 10 and len(index) == 10 and len(list(thumbs.iterdir())) == 10

    again = build_index(index, embedder, [FolderSource(photos)], thumbs=thumbs, workers=4)
    assert (again.progress.embedded, again.progress.reused) == (0, 10) and embed_calls(aws_env) == 10

    folder_of(photos, 2, start=10)
    (photos / "img003.png").unlink()
    (photos / "copy-of-1.png").write_bytes((photos / "img001.png").read_bytes())  # same bytes, new name
    more = build_index(index, embedder, [FolderSource(photos)], thumbs=thumbs, workers=4)
    assert (more.progress.embedded, more.progress.reused, more.progress.removed) == (2, 10, 1)
    assert embed_calls(aws_env) == 12 and len(index) == 11
    assert ImageIndex(tmp_path / "index", index.space).status().sources == 12  # saved, and reloads


def test_calls_run_concurrently_but_never_above_the_bound(aws_env, tmp_path):
    aws_env.latency_s = 0.1
    index, embedder, thumbs = setup(tmp_path)
    in_flight, peak, lock = [0], [0], threading.Lock()
    original = embedder.embed_prepared

    def counting(items):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            return original(items)
        finally:
            with lock:
                in_flight[0] -= 1

    embedder.embed_prepared = counting
    build_index(index, embedder, [FolderSource(folder_of(tmp_path / "p", 24))], thumbs=thumbs, workers=6)
    assert peak[0] == 6 and len(index) == 24


def test_throttled_calls_are_retried_with_backoff(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    aws_env.fail_next("throttle", times=3, model_prefix=TITAN)
    report = build_index(index, embedder, [FolderSource(folder_of(tmp_path / "p", 5))], thumbs=thumbs,
                         workers=2, retry=FAST_RETRY)
    assert report.progress.retries == 3 and report.progress.embedded == 5 and not report.failures
    assert embed_calls(aws_env) == 8


def test_a_throttle_that_does_not_end_fails_files_not_the_build(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    aws_env.set_mode("throttle")
    report = build_index(index, embedder, [FolderSource(folder_of(tmp_path / "p", 3))], thumbs=thumbs, workers=3,
                         retry=RetryPolicy(max_tries=2, first_delay_s=0.01))
    assert report.progress.failed == 3 and report.error is None
    assert all("throttling" in f.reason for f in report.failures)


def test_no_access_stops_the_build_with_the_fix(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    aws_env.set_mode("deny")
    report = build_index(index, embedder, [FolderSource(folder_of(tmp_path / "p", 30))], thumbs=thumbs, workers=2)
    assert isinstance(report.error, AccessDenied) and "Model access" in report.error.hint
    assert report.progress.failed < 30 and not report.stopped  # stopped early, and not by the user


def test_a_stopped_build_keeps_its_work_and_resumes(aws_env, tmp_path):
    aws_env.latency_s = 0.02
    index, embedder, thumbs = setup(tmp_path)
    photos = folder_of(tmp_path / "p", 40)
    stop = threading.Event()

    def stop_after_some(progress):
        if progress.embedded >= 8:
            stop.set()

    first = build_index(index, embedder, [FolderSource(photos)], thumbs=thumbs, workers=2, stop=stop,
                        on_progress=stop_after_some)
    assert first.stopped and 8 <= first.progress.embedded < 40
    kept = len(ImageIndex(tmp_path / "index", index.space))  # what a restarted app would load
    assert kept == first.progress.embedded
    fresh = ImageIndex(tmp_path / "index", index.space)
    second = build_index(fresh, embedder, [FolderSource(photos)], thumbs=thumbs, workers=4)
    assert second.progress.embedded == 40 - kept and second.progress.reused == kept and len(fresh) == 40


def test_bad_files_are_listed_and_the_rest_indexed(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    photos = folder_of(tmp_path / "p", 3)
    (photos / "broken.png").write_bytes(photo((1, 2, 3))[:60])
    (photos / "notes.png").write_bytes(b"just some text, named like an image")
    report = build_index(index, embedder, [FolderSource(photos)], thumbs=thumbs, workers=2)
    assert report.progress.embedded == 3 and len(index) == 3
    reasons = {f.title: f.reason for f in report.failures}
    assert set(reasons) == {"broken.png", "notes.png"}
    assert "damaged" in reasons["broken.png"] and "not an image" in reasons["notes.png"]


def test_search_through_the_fake_ranks_by_meaning(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    build_index(index, embedder, [FolderSource(folder_of(tmp_path / "p", 8))], thumbs=thumbs)
    query = np.asarray(embedder.embed_query("something red"), dtype=np.float32)
    hits = index.search(index.space, query, k=2)
    assert all(hit.image.title in ("img000.png", "img004.png") for hit in hits)  # the two red photos
    by_image = index.search(index.space, np.asarray(embedder.embed_image(photo((30, 60, 220), seed=5))), k=1)
    assert by_image[0].image.title == "img005.png" and by_image[0].score == pytest.approx(1.0, abs=1e-5)


def test_samples_and_uploads_are_sources_too(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    uploads = UploadSource([("mine.png", photo((200, 0, 200))), ("mine-again.png", photo((200, 0, 200)))],
                           tmp_path / "data" / "search" / "uploads")
    report = build_index(index, embedder, [SampleSource(), uploads], thumbs=thumbs)
    samples = len(SampleSource().list_items())
    assert samples >= 8 and report.progress.embedded == samples + 1 and report.progress.reused == 1
    hit = index.search(index.space, np.asarray(embedder.embed_image(photo((200, 0, 200)))), k=1)[0]
    assert hit.image.sources[0].ref.startswith("upload:")
    assert read_original(hit.image.sources[0].ref, tmp_path / "data") == photo((200, 0, 200))
    assert read_original("sample:chelsea", tmp_path / "data")[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_background_job_is_shared_and_reports(aws_env, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    photos = folder_of(tmp_path / "p", 6)
    job = start_build(index, embedder, [FolderSource(photos)], thumbs=thumbs, workers=3)
    assert start_build(index, embedder, [FolderSource(photos)], thumbs=thumbs) is job or not job.running
    job.thread.join(timeout=30)
    assert job.report is not None and job.report.progress.embedded == 6 and index.status().last_build


def test_a_missing_folder_is_refused_with_a_hint(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        FolderSource(tmp_path / "nope")


# --- S3 sources, with moto (bedrock-runtime still goes to the fake endpoint) ---

@pytest.fixture
def bucket(aws_env):
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="workshop-photos")
        for i, colour in enumerate([(220, 30, 30), (30, 60, 220), (40, 200, 60)]):
            s3.put_object(Bucket="workshop-photos", Key=f"trip/day1/photo{i}.jpg", Body=photo(colour, fmt="JPEG"))
        s3.put_object(Bucket="workshop-photos", Key="trip/readme.txt", Body=b"not a photo")
        s3.put_object(Bucket="workshop-photos", Key="other/photo.png", Body=photo((0, 0, 0)))
        yield s3


def test_s3_prefix_is_listed_read_and_kept_in_step(aws_env, bucket, tmp_path):
    index, embedder, thumbs = setup(tmp_path)
    source = S3Source("s3://workshop-photos/trip/")
    assert [item.title for item in source.list_items()] == ["photo0.jpg", "photo1.jpg", "photo2.jpg"]
    report = build_index(index, embedder, [source], thumbs=thumbs, workers=3)
    assert report.progress.embedded == 3 and embed_calls(aws_env) == 3
    bucket.delete_object(Bucket="workshop-photos", Key="trip/day1/photo1.jpg")
    again = build_index(index, embedder, [S3Source("s3://workshop-photos/trip/")], thumbs=thumbs)
    assert (again.progress.reused, again.progress.removed) == (2, 1) and len(index) == 2
    ref = "s3://workshop-photos/trip/day1/photo0.jpg"
    assert read_original(ref, tmp_path) == photo((220, 30, 30), fmt="JPEG")


def test_s3_errors_say_what_to_fix(aws_env, bucket):
    with pytest.raises(InvalidInput, match="does not exist"):
        S3Source("s3://no-such-bucket/x/").list_items()
    with pytest.raises(InvalidInput, match="not an S3 location"):
        S3Source("https://example.com/photos")
