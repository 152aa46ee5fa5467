"""Building lab 1's index: embed only new images, several at once, and survive throttles and stops.

Why: the workshop embedded every image one call after another, again in every
browser session. Here a file whose bytes are already indexed costs no call, new
files are embedded by a bounded pool of threads (as many per call as the model
takes: Cohere Embed v4 up to 96), throttled calls are retried with backoff,
finished work is saved as it goes (a stopped or crashed build resumes where it
was), and a bad file is listed without failing the rest (a batch the model
refuses because of one file is halved until that file is alone).

Languages: a build runs on its own threads, in the language of the session that started it (taken when it
starts), so what its calls and files say (a refused photo's reason, an error) comes out in that language.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lib.errors import BackendUnavailable, ContentFiltered, InvalidInput, Throttled, WorkshopError
from lib.i18n import _, current_language, language, set_language
from lib.imaging import image_size, thumbnail
from lib.search.embeddings import Embedding, EmbeddingInput, MultimodalEmbeddings, PreparedInput
from lib.search.index import SHARED, Source, VectorIndex, VectorSpace
from lib.search.sources import ImageSource, SourceItem, sha256
from lib.storage.blobs import BlobStore, FileBlobs

CHECKPOINT_EVERY = 25  # new vectors between saves...
CHECKPOINT_MIN_INTERVAL_S = 5.0  # ...and at least this long apart: a save rewrites the vectors file
THUMBNAIL_EDGE = 384


def thumbnail_name(sha: str) -> str:
    """An image's preview in the thumbnails store (JPEG: a fifth of a PNG's size, and faster to write)."""
    return f"{sha}.jpg"


def thumbnail_path(thumbs: Path, sha: str) -> Path:
    """Where a thumbnails folder keeps an image's preview."""
    return thumbs / thumbnail_name(sha)


def thumbnail_store(thumbs: Path | BlobStore) -> BlobStore:
    """A folder (the embedded default) or a blob store (WORKSHOP_BLOB_URL: every server shows the previews)."""
    return FileBlobs(thumbs) if isinstance(thumbs, (str, Path)) else thumbs


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for throttled calls, on top of botocore's own retries."""

    max_tries: int = 6
    first_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the given (1-based) failed attempt."""
        return random.uniform(0, min(self.max_delay_s, self.first_delay_s * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class FailedFile:
    ref: str
    title: str
    reason: str


@dataclass
class BuildProgress:
    """Counts so far; read by the page while the build runs."""

    total: int = 0
    embedded: int = 0
    reused: int = 0
    failed: int = 0
    retries: int = 0
    removed: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def done(self) -> int:
        return self.embedded + self.reused + self.failed

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None until something is done)."""
        if not self.done or self.finished:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)


@dataclass
class BuildReport:
    progress: BuildProgress
    failures: list[FailedFile] = field(default_factory=list)
    stopped: bool = False
    error: WorkshopError | None = None  # a failure that stopped the whole build (no access, no credentials)


def _fatal(err: WorkshopError) -> bool:
    """Errors the next call would hit too (no access, no credentials, model gone): stop rather than fail every file.

    A bad file, a filtered image or a throttle that outlasted its retries fails only that file.
    """
    return not isinstance(err, (InvalidInput, ContentFiltered, Throttled))


@dataclass
class _Claimed:
    """A new file this worker embeds: read, hashed, claimed (see _Builder._claim)."""

    item: SourceItem
    source: Source
    data: bytes
    sha: str
    released: bool = False


class _Builder:
    def __init__(self, index: VectorIndex, embedder: MultimodalEmbeddings, thumbs: BlobStore, retry: RetryPolicy,
                 stop: threading.Event, on_progress: Callable[[BuildProgress], None] | None,
                 owner: str = SHARED) -> None:
        self.index, self.embedder, self.thumbs, self.retry = index, embedder, thumbs, retry
        self.stop, self.on_progress, self.owner = stop, on_progress, owner
        self.space = VectorSpace(embedder.model.id, embedder.dimension)
        self.report = BuildReport(BuildProgress())
        self.lock = threading.Lock()
        self.since_save = 0
        self.last_save = time.monotonic()
        self.claims: dict[str, threading.Event] = {}

    def _count(self, what: str, failure: FailedFile | None = None) -> None:
        with self.lock:
            setattr(self.report.progress, what, getattr(self.report.progress, what) + 1)
            if failure:
                self.report.failures.append(failure)
        if self.on_progress:
            self.on_progress(self.report.progress)

    def _failed(self, item: SourceItem, err: WorkshopError | OSError | ValueError) -> None:
        """A file that could not be indexed; an error the next call would hit too stops the build."""
        if isinstance(err, WorkshopError):
            self._count("failed", FailedFile(item.ref, item.title, err.message))
            if _fatal(err):
                with self.lock:
                    self.report.error = self.report.error or err
                self.stop.set()
        else:  # unreadable file, thumbnail of a broken image, ...
            reason = _("Could not read it: {error}").format(error=err)
            self._count("failed", FailedFile(item.ref, item.title, reason))

    def _thumbnail(self, sha: str, data: bytes) -> None:
        name = thumbnail_name(sha)
        if not self.thumbs.exists(name):
            self.thumbs.put(name, thumbnail(data, THUMBNAIL_EDGE, "jpeg"))  # each writer its own temp name

    def _embed(self, prepared: list[PreparedInput]) -> list[Embedding]:
        """One call (or as few as the model allows) for these inputs; throttles retried with backoff."""
        for attempt in range(1, self.retry.max_tries + 1):
            try:
                return self.embedder.embed_prepared(prepared)
            except Throttled:
                if attempt == self.retry.max_tries or self.stop.is_set():
                    raise
                self._count("retries")
                self.stop.wait(self.retry.delay(attempt))
        raise AssertionError("unreachable")

    def _claim(self, sha: str, source: Source, *, wait: bool = True) -> bool | None:
        """True when this worker should embed `sha`; False when it is (or just got) indexed by another; None when
        another worker is embedding it and `wait` is False.

        Identical files in one build are embedded once: the second waits for the first. A worker holding claims
        never waits (it defers the file instead), so two workers can't wait for each other.
        """
        while True:
            with self.lock:
                if self.index.has(sha):
                    try:
                        self.index.add_source(sha, source)
                        return False
                    except KeyError:
                        pass  # removed meanwhile (by another server sharing the index): embed it again
                other = self.claims.get(sha)
                if other is None:
                    self.claims[sha] = threading.Event()
                    return True
            if not wait:
                return None
            other.wait()  # if that embedding failed, the loop claims it for this file

    def _release(self, sha: str) -> None:
        with self.lock:
            self.claims.pop(sha).set()

    def _done(self, entry: _Claimed) -> None:
        """Release a claimed file's claim, once (whether it was indexed or failed)."""
        if not entry.released:
            entry.released = True
            self._release(entry.sha)

    def _read(self, item: SourceItem) -> tuple[Source, bytes, str] | None:
        """The file's source, bytes and hash; None (and counted as failed) when it can't be read."""
        source = Source(item.ref, item.root, item.title, SHARED if item.shared else self.owner)
        try:
            data = item.read()
        except (WorkshopError, OSError, ValueError) as err:
            self._failed(item, err)
            return None
        return source, data, sha256(data)

    def process(self, items: list[SourceItem]) -> None:
        """Read, dedupe by hash, embed the new files (a batch per call where the model takes one), add. Runs in
        a worker thread."""
        claimed: list[_Claimed] = []
        deferred: list[_Claimed] = []
        for item in items:
            if self.stop.is_set():
                break
            read = self._read(item)
            if read is None:
                continue
            source, data, sha = read
            mine = self._claim(sha, source, wait=False)
            if mine is False:
                self._count("reused")
            else:
                (claimed if mine else deferred).append(_Claimed(item, source, data, sha))
        self._embed_claimed(claimed)
        for entry in deferred:  # another worker had it: wait for it now that this one holds no claim
            if self.stop.is_set():
                break
            if self._claim(entry.sha, entry.source):
                self._embed_claimed([entry])
            else:
                self._count("reused")

    def _embed_claimed(self, entries: list[_Claimed]) -> None:
        """Fit each claimed file to the model, embed them together, add them; every claim is released."""
        ready: list[tuple[_Claimed, PreparedInput]] = []
        try:
            for entry in entries:
                if self.stop.is_set():
                    break
                try:
                    ready.append((entry, self.embedder.prepare(EmbeddingInput(image=entry.data),
                                                               name=f"“{entry.item.title}”")))
                except (WorkshopError, OSError, ValueError) as err:
                    self._failed(entry.item, err)
            self._embed_group(ready)
        finally:
            for entry in entries:
                self._done(entry)

    def _embed_group(self, group: list[tuple[_Claimed, PreparedInput]]) -> None:
        """Embed a batch; when one bad input makes the model refuse the whole call, halve it until the bad one
        is alone, so the others are still indexed (a refused call costs nothing)."""
        if not group or self.stop.is_set():
            return
        try:
            embeddings = self._embed([prepared for _, prepared in group])
        except WorkshopError as err:
            if len(group) > 1 and isinstance(err, (InvalidInput, ContentFiltered)):
                half = len(group) // 2
                self._embed_group(group[:half])
                self._embed_group(group[half:])
                return
            for entry, _ in group:
                self._failed(entry.item, err)
            return
        for (entry, _), embedding in zip(group, embeddings):
            try:
                self._thumbnail(entry.sha, entry.data)
                self.index.add(self.space, entry.sha, embedding.vector, entry.source, image_size(entry.data),
                               len(entry.data))
            except (OSError, ValueError) as exc:
                self._failed(entry.item, exc)
                continue
            finally:
                self._done(entry)
            self._count("embedded")
            self._checkpoint()

    def _checkpoint(self) -> None:
        with self.lock:
            self.since_save += 1
            save = (self.since_save >= CHECKPOINT_EVERY
                    and time.monotonic() - self.last_save >= CHECKPOINT_MIN_INTERVAL_S)
            if save:
                self.since_save, self.last_save = 0, time.monotonic()
        if save:
            self.index.save()


def build_index(index: VectorIndex, embedder: MultimodalEmbeddings, sources: list[ImageSource], *,
                thumbs: Path | BlobStore, workers: int = 8, retry: RetryPolicy = RetryPolicy(),
                stop: threading.Event | None = None, on_progress: Callable[[BuildProgress], None] | None = None,
                owner: str = SHARED) -> BuildReport:
    """Bring `index` up to date with `sources`; returns counts, failed files and whether it was stopped.

    `owner` owns the sources this build adds (lib/search/index.sources_owner: SHARED for an instructor, else
    the attendee); the sample photos are always SHARED. Files gone from a folder or prefix are removed only
    from the sources `owner` owns: an attendee's build never removes a shared source.
    """
    stop = stop or threading.Event()
    builder = _Builder(index, embedder, thumbnail_store(thumbs), retry, stop, on_progress, owner)
    progress = builder.report.progress
    items: list[SourceItem] = []
    try:
        for source in sources:
            listed = source.list_items()
            items += listed
            whose = SHARED if getattr(source, "shared", False) else owner
            if source.complete and whose == owner:  # files gone from a folder or prefix leave the results
                gone = set(index.sources_under(source.root, owner)) - {item.ref for item in listed}
                progress.removed += index.remove_sources(sorted(gone), owner) if gone else 0
    except WorkshopError as err:
        builder.report.error = err
        progress.finished = time.monotonic()
        return builder.report
    progress.total = len(items)
    if on_progress:
        on_progress(progress)
    batch = max(1, embedder.batch_size)  # new files per call: 1, or up to 96 (Cohere Embed v4)
    # The pool's threads are this build's alone: each speaks the build's language (a new thread has none set).
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="embed", initializer=set_language,
                            initargs=(current_language(),)) as pool:
        pending: set[Future] = set()
        for start in range(0, len(items), batch):  # keep at most 2×workers batches queued, so a stop cancels quickly
            pending.add(pool.submit(builder.process, items[start:start + batch]))
            if len(pending) >= 2 * workers:
                _, pending = wait(pending, return_when=FIRST_COMPLETED)
            if stop.is_set():
                break
        wait(pending)
    index.mark_built()  # saves too; a stopped build is shown as stopped, with what it finished
    builder.report.stopped = stop.is_set() and builder.report.error is None
    progress.finished = time.monotonic()
    return builder.report


class BuildJob:
    """A build running in a background thread, shared by every browser session of this process with its owner."""

    def __init__(self, index: VectorIndex, embedder: MultimodalEmbeddings, sources: list[ImageSource], *,
                 thumbs: Path | BlobStore, workers: int = 8, owner: str = SHARED) -> None:
        self.index = index
        self.owner = owner
        self.stop_event = threading.Event()
        self.progress = BuildProgress()
        self.report: BuildReport | None = None
        self.labels = [getattr(source, "label", source.root) for source in sources]
        self.language = current_language()  # the starting session's: the build's messages are said in it

        def track(progress: BuildProgress) -> None:
            self.progress = progress

        def run() -> None:
            with language(self.language):
                try:
                    self.report = build_index(index, embedder, sources, thumbs=thumbs, workers=workers,
                                              stop=self.stop_event, on_progress=track, owner=owner)
                except WorkshopError as err:  # e.g. the index folder could not be written
                    self.report = BuildReport(self.progress, error=err)
                except Exception as exc:  # noqa: BLE001 - shown on the page, never a silent thread death
                    self.report = BuildReport(self.progress, error=BackendUnavailable(
                        _("The build stopped unexpectedly ({error}).").format(error=f"{type(exc).__name__}: {exc}"),
                        _("Start it again; what was embedded so far is kept.")))

        self.thread = threading.Thread(target=run, name="index-build", daemon=True)
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.stop_event.set()


_jobs: dict[tuple, BuildJob] = {}
_jobs_lock = threading.Lock()


def start_build(index: VectorIndex, embedder: MultimodalEmbeddings, sources: list[ImageSource], *,
                thumbs: Path | BlobStore, workers: int = 8, owner: str = SHARED) -> BuildJob:
    """Start `owner`'s build of `index`, or return theirs already running (one owner never builds twice at once).

    Each owner has their own build (an attendee's sources are theirs: SHARED for an instructor, see
    lib/search/index.sources_owner); several owners' builds may add to the same index at once.
    """
    with _jobs_lock:
        job = _jobs.get((index.key, owner))
        if job is None or not job.running:
            job = BuildJob(index, embedder, sources, thumbs=thumbs, workers=workers, owner=owner)
            _jobs[(index.key, owner)] = job
        return job


def last_build(index: VectorIndex, owner: str = SHARED) -> BuildJob | None:
    """The running or most recent build of `index` by `owner` in this process."""
    with _jobs_lock:
        return _jobs.get((index.key, owner))


def forget_builds() -> None:
    """Stop and forget every build (tests, or after the data folder was deleted)."""
    with _jobs_lock:
        for job in _jobs.values():
            job.stop()
        for job in _jobs.values():
            job.thread.join(timeout=30)
        _jobs.clear()
