"""Lab 1 — image search: multimodal embeddings in a vector index (FAISS files, or pgvector when
WORKSHOP_DATABASE_URL is PostgreSQL), searched by text, by image, or both.

One app serves a class: what an attendee adds (uploads, folders) is theirs and only they (and the
instructor) find it; the samples and what the instructor adds are shared. Folders, S3 prefixes and uploads
are read only as the settings allow (lib/search/sources.py).

Every word through lib/i18n: the search's mode and the last query are kept in English / as data in the session
and said in the session's language when drawn (a language switch redraws them).
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from lib.catalog import EmbeddingPurpose, QueryLanguages
from lib.errors import WorkshopError
from lib.i18n import N_, _, current_language, format_datetime, format_number, format_seconds, ngettext
from lib.labs import LABS, lab
from lib.presets import SEARCH_SUGGESTIONS
from lib.search.build import BuildJob, last_build, start_build, thumbnail_name
from lib.search.embeddings import EmbeddingInput, embedder_for, language_hint
from lib.search.local_embeddings import local_engine_problem
from lib.search.index import Hit, IndexStatus, VectorIndex, VectorSpace, shared_index, sources_owner, uses_pgvector
from lib.search.sources import (ImageSource, SampleSource, UploadSource, allowed_roots, folder_source, read_original,
                                s3_source, search_store, shown_ref)
from lib.storage.blobs import BlobStore
from lib.imaging import display_image
from lib.samples import get_sample
from lib.settings import load_settings
from lib.text import plain
from lib.ui.common import backend_preference, show_error, show_notes, start_lab, viewer
from lib.ui.engines import local_engines_ready
from lib.ui.image_input import UPLOAD_TYPES, SentImage, choose_images, send_to_lab
from lib.ui.model_picker import pick_embedding_model
from lib.ui.code_view import lab1_code_view, search_query

LAB = lab(1)
KEY = LAB.key
RESULTS = f"{KEY}_results"
MODES = (N_("Text"), N_("Image"), N_("Text + image"))  # kept in English in the session, shown translated
EXAMPLE_QUERY = N_("two cats on a sofa")
SEND_TARGETS = tuple(item for item in LABS if item.number in (3, 4, 5, 6, 7, 8, 9))

settings = load_settings()
who = viewer()  # this session's owner and role
adder = sources_owner(who)  # who owns what this session adds: the instructor's additions are shared
REFUSED = f"{KEY}_refused_uploads"
preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_note=_("Lab 1 runs on the local search engine instead (picked below)."),
                        offline_ready=local_engine_problem() is None)
model, dimension = pick_embedding_model(f"{KEY}_model", preference=preference)  # local: only if installed
ready = model.runs_locally or cloud_ready
engine_ready = not model.runs_locally or local_engines_ready(N_("search"))  # never load them on this page's thread
space = VectorSpace(model.id, dimension)
embedder = embedder_for(model, dimension, settings)  # its engine: how many photos per call, how many calls at once
try:
    index = shared_index(settings.data_dir, space, database_url=settings.database_url)
except WorkshopError as err:  # e.g. a folder written by another model under this name, or no pgvector
    show_error(err)
    st.stop()


@st.cache_resource(show_spinner=False)
def _search_store(data_dir: str, blob_url: str | None, kind: str) -> BlobStore:
    return search_store(data_dir, blob_url, kind)  # type: ignore[arg-type]


thumbs = _search_store(str(settings.data_dir), settings.blob_url, "thumbs")  # WORKSHOP_BLOB_URL: every server's


def _ago(when: float | None) -> str:
    if not when:
        return _("never")
    minutes = (time.time() - when) / 60
    if minutes < 1:
        return _("just now")
    if minutes < 90:
        return _("{count} min ago").format(count=round(minutes))
    return format_datetime(when)


def _size(nbytes: int) -> str:
    if nbytes < 1024 ** 2:
        return _("{size} KB").format(size=format_number(nbytes / 1024, 0))
    return _("{size} MB").format(size=format_number(nbytes / 1024 ** 2, 1))


def image_title(title: str, ref: str = "") -> str:
    """An indexed or chosen photo's title as shown: a sample photo's in the session's language (the index keeps the
    English one, for every session), a file's as it is named."""
    if ref.startswith("sample:"):
        try:
            return get_sample(ref.removeprefix("sample:")).shown_title
        except KeyError:
            pass
    return title


def query_label(query: tuple[str, str, str, str]) -> str:
    """What a search asked for, in the session's language: (kind, text, image title, image ref)."""
    if isinstance(query, str):  # kept by a session from before this server's update
        return query
    kind, text, title, ref = query
    name = image_title(title, ref)
    if kind == "similar":
        return _("Similar to “{title}”").format(title=plain(name))
    if kind == "Image":
        return _("image “{name}”").format(name=name)
    if kind == "Text + image":
        return _("“{text}” + image “{name}”").format(text=text, name=name)
    return f"“{text}”"


@st.fragment(run_every=1.0)
def build_progress(job: BuildJob) -> None:
    """Live progress of the running build; the whole page reloads when it ends."""
    if not job.running:
        st.rerun()
    index_metrics(job.index)
    progress = job.progress
    share = progress.done / progress.total if progress.total else 0.0
    # A source's label was made in the starting session's language; an English one is said in this session's.
    values = dict(sources=plain(", ".join(_(label) for label in job.labels)), done=progress.done,
                  total=progress.total or "…", embedded=progress.embedded, reused=progress.reused,
                  failed=progress.failed)
    if progress.eta_s is not None:
        said = _("Indexing {sources}: {done} of {total} ({embedded} embedded, {reused} already indexed, {failed} "
                 "failed) · about {seconds} s left").format(seconds=format_number(progress.eta_s, 0), **values)
    else:
        said = _("Indexing {sources}: {done} of {total} ({embedded} embedded, {reused} already indexed, {failed} "
                 "failed)").format(**values)
    st.progress(share, text=said)
    if st.button(_("Stop"), key=f"{KEY}_stop", icon=":material/stop_circle:",
                 help=_("Stops after the calls in flight; everything embedded so far is kept.")):
        job.stop()


def show_build_report(job: BuildJob) -> None:
    report = job.report
    if report is None:
        return
    p = report.progress
    if report.error:
        show_error(report.error)
    counts = [_("{count} embedded").format(count=p.embedded),
              _("{count} already indexed (no call)").format(count=p.reused),
              _("{count} failed").format(count=p.failed)]
    if p.removed:
        counts.append(_("{count} removed (no longer in their folder)").format(count=p.removed))
    if p.retries:
        counts.append(ngettext("{count} throttled call retried", "{count} throttled calls retried",
                               p.retries).format(count=p.retries))
    summary = _("{counts} in {time}.").format(counts=", ".join(counts), time=format_seconds(p.elapsed_s))
    if report.stopped:
        st.warning(_("Build stopped: {summary} Build again to continue where it stopped.").format(summary=summary),
                   icon=":material/pause:")
    elif not report.error:
        st.success(_("Index up to date: {summary}").format(summary=summary), icon=":material/task_alt:")
    if report.failures:
        failed = len(report.failures)
        with st.expander(ngettext("{count} file could not be indexed", "{count} files could not be indexed",
                                  failed).format(count=failed)):
            file, where, why = _("File"), _("Where"), _("Why")
            st.dataframe([{file: image_title(f.title, f.ref), where: shown_ref(f.ref, ""), why: f.reason}
                          for f in report.failures], hide_index=True)


def chosen_sources() -> list[ImageSource]:
    """The sources ticked in the build panel; a bad folder or S3 address is reported, not raised."""
    sources: list[ImageSource] = []
    if st.session_state.get(f"{KEY}_use_samples", True):
        sources.append(SampleSource())
    folder = (st.session_state.get(f"{KEY}_folder") or "").strip()
    s3_uri = (st.session_state.get(f"{KEY}_s3") or "").strip()
    uploads = st.session_state.get(f"{KEY}_uploads") or []
    try:
        if folder:
            sources.append(folder_source(folder, settings))  # only under the allowed roots
        if s3_uri:
            sources.append(s3_source(s3_uri, settings))  # only under WORKSHOP_S3_PREFIXES
    except WorkshopError as err:
        show_error(err)
        return []
    st.session_state.pop(REFUSED, None)
    if uploads:
        upload = UploadSource([(f.name, f.getvalue()) for f in uploads],
                              _search_store(str(settings.data_dir), settings.blob_url, "uploads"), owner=adder,
                              quota=None if who.instructor else settings.upload_quota,
                              max_bytes=settings.max_upload_bytes, max_pixels=settings.max_upload_pixels)
        refused = upload.accept()  # only images are kept, within the attendee's quota
        if refused:
            st.session_state[REFUSED] = refused  # shown after the rerun that starts the build
        if len(refused) < len(uploads):
            sources.append(upload)
    return sources


def show_refused_uploads() -> None:
    refused = st.session_state.get(REFUSED)
    if refused:
        st.warning(ngettext("{count} uploaded file was not kept:", "{count} uploaded files were not kept:",
                            len(refused)).format(count=len(refused)), icon=":material/block:")
        file, why = _("File"), _("Why")
        st.dataframe([{file: name, why: reason} for name, reason in refused], hide_index=True)  # text, not Markdown


shown_status: list[IndexStatus] = []  # this run's status, computed once for the panel and the search box


def index_metrics(index: VectorIndex) -> IndexStatus:
    status = index.status(who)  # an attendee counts the shared images and their own
    shown_status.append(status)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Images"), format_number(status.count))
    c2.metric(_("Files"), format_number(status.sources),
              help=_("Files pointing at them; identical files share one vector."))
    c3.metric(_("Size on disk"), _size(status.size_on_disk))
    c4.metric(_("Last build"), _ago(status.last_build))
    where = (_("Kept in PostgreSQL: every server of the class searches the same index and reloads it after a "
               "restart without any embedding call.") if uses_pgvector(settings.database_url) else
             _("Shared by every browser session of this app; saved in the app's data folder and reloaded after a "
               "restart without any embedding call."))
    sentences = [_("Search: {kind}.").format(kind=status.search_kind), where]  # whole sentences, side by side
    if not who.instructor:
        sentences.append(_("You see the shared photos and your own; what you add stays yours."))
    st.caption(" ".join(sentences))
    return status


def index_panel(index: VectorIndex) -> None:
    job = last_build(index, adder)
    with st.container(border=True):
        st.markdown(_("**Index** · {model}, {dimension} dimensions").format(model=model.label, dimension=dimension))
        if job and job.running:
            build_progress(job)
            return
        status = index_metrics(index)
        if job:
            show_build_report(job)
        show_refused_uploads()
        roots = allowed_roots(settings).shown
        with st.expander(_("Add images and build"), expanded=status.count == 0):
            st.checkbox(_("Sample photos (ship inside scikit-image, scikit-learn and matplotlib)"), value=True,
                        key=f"{KEY}_use_samples")
            st.text_input(_("Local folder on the machine running the app"), key=f"{KEY}_folder",
                          placeholder=roots[-1],
                          help=_("A folder under {folders} (WORKSHOP_FOLDER_ROOTS adds more). Subfolders included. "
                                 "Only new files are embedded.").format(folders=", ".join(roots)))
            st.text_input(_("S3 prefix"), key=f"{KEY}_s3",
                          placeholder=(settings.s3_prefixes or ("s3://my-bucket/photos/",))[0],
                          disabled=not settings.s3_prefixes,
                          help=(_("Under {prefixes} (WORKSHOP_S3_PREFIXES). Listed and read with the app's AWS "
                                  "credentials (s3:ListBucket, s3:GetObject).").format(
                                      prefixes=", ".join(settings.s3_prefixes)) if settings.s3_prefixes else
                                _("Off: whoever runs the app allows buckets or prefixes with WORKSHOP_S3_PREFIXES.")))
            st.file_uploader(_("Your own photos"), type=UPLOAD_TYPES, accept_multiple_files=True, key=f"{KEY}_uploads",
                             help=None if who.instructor else _(
                                 "Images only; you may keep up to {count} (WORKSHOP_UPLOAD_QUOTA). Only you and the "
                                 "instructor find them.").format(count=settings.upload_quota))
            b1, b2 = st.columns(2)
            build = b1.button(_("Build / update index"), type="primary", icon=":material/database:",
                              key=f"{KEY}_build", disabled=not ready)
            rebuild = b2.button(_("Rebuild from scratch"), icon=":material/restart_alt:", key=f"{KEY}_rebuild",
                                disabled=not ready or status.count == 0 or not who.instructor,
                                help=_("Forget every vector and embed all files again (every image is paid again).")
                                if who.instructor else _("Only the instructor can rebuild the shared index."))
            sentences = [_("Files already in the index cost no call.")]  # whole sentences, side by side
            if embedder.batch_size > 1:
                sentences.append(_("{model} embeds up to {count} new images per call.").format(
                    model=model.label, count=embedder.batch_size))
            sentences.append(ngettext(
                "{count} call runs at once (WORKSHOP_EMBED_WORKERS for Bedrock's models); throttled calls are "
                "retried with backoff.",
                "{count} calls run at once (WORKSHOP_EMBED_WORKERS for Bedrock's models); throttled calls are "
                "retried with backoff.", embedder.parallel_calls).format(count=embedder.parallel_calls))
            st.caption(" ".join(sentences))
        if rebuild and not who.instructor:  # the button is disabled; a forged click changes nothing
            st.warning(_("Only the instructor can rebuild the shared index."), icon=":material/lock:")
            return
        if build or rebuild:
            sources = chosen_sources()
            if not sources:
                show_refused_uploads()
                st.info(_("Tick the sample photos or give a folder, an S3 prefix or files to index."))
                return
            if rebuild:
                index.clear()
            start_build(index, embedder, sources, thumbs=thumbs, workers=embedder.parallel_calls, owner=adder)
            st.rerun()


@st.cache_data(max_entries=256, show_spinner=False)
def query_vector(model_id: str, dim: int, text: str, image: bytes | None,
                 lang: str) -> tuple[list[float], tuple[str, ...]]:
    """The query embedding (cached: clicking the same suggestion twice costs one call). `lang`: the notes are
    said in it, so one language's notes are never shown to another (the cache is every session's)."""
    result = embedder_for(model_id, dim, load_settings()).embed(
        EmbeddingInput(text=text or None, image=image, purpose=EmbeddingPurpose.RETRIEVAL))
    return result.vector.tolist(), result.notes


def run_search(query: tuple[str, str, str, str], vector: np.ndarray, exclude: frozenset[str] = frozenset(), *,
               text: str = "") -> None:
    """Search and keep the hits; `query` says what was asked (query_label); `text` is the query's words when it was
    text alone (judged against the model's good-match score)."""
    k, min_score = st.session_state.get(f"{KEY}_k", 8), st.session_state.get(f"{KEY}_min", 0.0)
    st.session_state[RESULTS] = (query, space, index.search(space, vector, k, min_score=min_score, exclude=exclude,
                                                            viewer=who), text)


def similar_to(hit: Hit) -> None:
    query = embedder.similar_query(index.vector(hit.image.sha))  # no call
    run_search(("similar", "", hit.image.title, hit.image.sources[0].ref), query, exclude=frozenset({hit.image.sha}))
    search_query(KEY, similar_to=hit)


def send(hit: Hit, target_number: int) -> None:
    target = next(item for item in SEND_TARGETS if item.number == target_number)
    try:
        data = read_original(hit.image.sources[0].ref, settings.data_dir, settings)
    except (WorkshopError, OSError) as err:
        st.session_state[f"{KEY}_send_error"] = err
        return
    send_to_lab(target, [SentImage(hit.image.title, data)])


def thumbnail_of(hit: Hit) -> bytes | None:
    try:
        return thumbs.get(thumbnail_name(hit.image.sha))
    except Exception:  # noqa: BLE001 - missing (an older build) or unreachable: show the original instead
        pass
    try:
        return read_original(hit.image.sources[0].ref, settings.data_dir, settings)
    except (WorkshopError, OSError):
        return None


def show_hits(query: tuple[str, str, str, str], hits: list[Hit], text: str = "") -> None:
    st.subheader(_("Results · {query}").format(query=query_label(query)))
    st.caption(_("Ranked by {model} on this machine").format(model=model.label) if model.runs_locally else
               _("Ranked by {model} on Amazon Bedrock").format(model=model.label))
    if not hits:
        st.info(_("No image scored above the minimum. Lower the minimum score or try other words."))
        return
    if text and hits[0].score < model.good_text_match:
        st.warning(_("**Nothing matches “{query}” well.** The best score is {score}, below {good}, where {model} "
                     "usually finds what a query names. The photos below are only the closest ones: try other words, "
                     "or add photos of it to the index.").format(
                         query=plain(text), score=format_number(hits[0].score, 2),
                         good=format_number(model.good_text_match, 2), model=model.label),
                   icon=":material/search_off:")
    per_row = 4
    for start in range(0, len(hits), per_row):
        for col, hit in zip(st.columns(per_row), hits[start:start + per_row]):
            with col, st.container(border=True):
                data = thumbnail_of(hit)
                if data:
                    st.image(display_image(data), width="stretch")
                else:
                    st.warning(_("The file is gone; rebuild the index to drop it."))
                first = hit.image.sources[0]
                where, copies = plain(shown_ref(first.ref, first.root)), len(hit.image.sources) - 1
                size = dict(width=hit.image.width, height=hit.image.height)
                score = _("**#{rank} · score {score}**").format(rank=hit.rank, score=format_number(hit.score, 3))
                st.markdown(f"{score}  \n{plain(image_title(hit.image.title, first.ref))}")  # a file name
                st.caption(ngettext("{where} (+{count} copy) · {width}×{height}",
                                    "{where} (+{count} copies) · {width}×{height}", copies).format(
                               where=where, count=copies, **size) if copies else
                           _("{where} · {width}×{height}").format(where=where, **size))
                st.button(_("Find similar"), key=f"{KEY}_similar_{hit.image.sha}", icon=":material/image_search:",
                          on_click=similar_to, args=(hit,), width="stretch")
                with st.popover(_("Send to…"), icon=":material/send:", width="stretch"):
                    for target in SEND_TARGETS:
                        if st.button(_("Lab {number} · {title}").format(number=target.number, title=target.title),
                                     key=f"{KEY}_send_{target.number}_{hit.image.sha}"):  # "4. Masking": a list
                            send(hit, target.number)


index_panel(index)

st.subheader(_("Search"))
building = bool((job := last_build(index, adder)) and job.running)
searchable = (shown_status[-1] if shown_status else index.status(who)).count  # the images this viewer may find
if searchable == 0 and building:
    st.info(_("Building the index: search opens as soon as the first images are embedded."),
            icon=":material/hourglass_top:")
elif searchable == 0:
    st.info(_("The index is empty: open **Add images and build** above and build it from the sample photos (each "
              "photo is embedded once)."), icon=":material/database:")
mode = st.radio(_("Search by"), MODES, horizontal=True, key=f"{KEY}_mode", format_func=_)
if mode != "Image":
    st.pills(_("Suggestions from the workshop"), SEARCH_SUGGESTIONS, key=f"{KEY}_suggestion",
             on_change=lambda: st.session_state.update({f"{KEY}_query": st.session_state.get(f"{KEY}_suggestion")
                                                        or st.session_state.get(f"{KEY}_query", "")}))
left, right = st.columns([3, 2], gap="large")
with left:
    if mode != "Image":
        # The example in the session's language only where the model reads it; an English-only model's stays English.
        example = _(EXAMPLE_QUERY) if model.query_languages is QueryLanguages.MULTILINGUAL else EXAMPLE_QUERY
        st.text_input(_("Search for"), key=f"{KEY}_query", placeholder=example)
        hint = language_hint(model, st.session_state.get(f"{KEY}_query") or "")  # e.g. Hangul for an English model
        if hint:
            st.warning(hint, icon=":material/translate:")
            translation_offer(KEY, {f"{KEY}_query": st.session_state.get(f"{KEY}_query") or ""})
    c1, c2 = st.columns(2)
    c1.slider(_("Results (k)"), 1, 24, 8, key=f"{KEY}_k")
    c2.slider(_("Minimum score"), -1.0, 1.0, 0.0, 0.05, key=f"{KEY}_min",
              help=_("Cosine similarity. Text-to-image scores are lower than image-to-image ones."))
with right:
    image = None
    if mode != "Text":
        chosen = choose_images(LAB.input_key or f"{KEY}_input", default_sample="chelsea")
        if chosen:
            image = chosen[0]
            st.image(display_image(image.data), width=220)

text = (st.session_state.get(f"{KEY}_query") or "").strip() if mode != "Image" else ""
missing = (_("To search, type what to look for.") if mode != "Image" and not text else
           _("To search, choose an image.") if mode != "Text" and image is None else "")
go = st.button(_("Search"), type="primary", icon=":material/search:", key=f"{KEY}_go",
               disabled=not ready or bool(missing) or searchable == 0)
if missing and ready:
    st.caption(missing)
QUEUED = f"{KEY}_queued_search"
if go and not engine_ready:  # pressed while the engines load: it runs on the page's first run after they're ready
    st.session_state[QUEUED] = True
if st.session_state.get(QUEUED) and not engine_ready:
    st.info(_("Your search runs as soon as the local engine has loaded (progress above)."),
            icon=":material/hourglass_top:")
elif st.session_state.pop(QUEUED, False):
    go = True
if go and engine_ready:
    try:
        with st.spinner(_("Embedding the query…")):
            vector, notes = query_vector(model.id, dimension, text, image.data if image else None, current_language())
        show_notes(list(notes), _("Query prepared for {model}").format(model=model.label))
        chosen_ref = f"sample:{image.sample_id}" if image and image.sample_id else ""
        run_search((mode, text, image.label if image else "", chosen_ref), np.asarray(vector, dtype=np.float32),
                   text=text if mode == "Text" else "")
        search_query(KEY, text=text or None, image=image.data if image else None)  # for its code view
    except WorkshopError as err:
        show_error(err)

send_error = st.session_state.pop(f"{KEY}_send_error", None)
if send_error:
    show_error(send_error) if isinstance(send_error, WorkshopError) else st.error(
        _("Could not open the file: {error}").format(error=send_error))
results = st.session_state.get(RESULTS)
if results and results[1] == space:
    show_hits(results[0], results[2], results[3] if len(results) > 3 else "")
    lab1_code_view(KEY, results[2], space, settings)  # the build-and-search as code
elif results:
    st.caption(_("The last results came from another model or size; search again."))
