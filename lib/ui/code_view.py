"""The Code view under every result (the request as runnable code, copy, download as a folder) and the
notebook export of a session or of chosen History entries. The code itself comes from lib/codegen.py.

A session's steps: the image results of this session's lab runs, and every answer and search whose Code view
a lab showed; each is kept in the session once, in the order it was made.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any, Callable

import streamlit as st

from lib.catalog import is_offline
from lib.chat import AnsweredBy, Turn
from lib.i18n import N_, _, ngettext
from lib.codegen import (
    LANGUAGES,
    STYLE_LABELS,
    CodeBundle,
    CodeUnavailable,
    SearchHit,
    bundle_zip,
    chat_bundle,
    entry_bundles,
    history_notebook,
    image_bundle,
    notebook_zip,
    presets_bundle,
    search_bundle,
)

log = logging.getLogger(__name__)
# key -> CodeBundle or the reason there is none (made once per session). A reason is kept as its message id (a
# CodeUnavailable's text or one of the N_() texts here) and translated when shown: the session may switch language.
BUNDLES = "code_bundles"
STEPS = "code_steps"  # key -> CodeBundle: this session's steps, for the notebook
MAX_KEPT = 64


def _made(key: str, make: Callable[[], CodeBundle]) -> CodeBundle | str:
    kept: dict[str, CodeBundle | str] = st.session_state.setdefault(BUNDLES, {})
    if key not in kept:
        try:
            kept[key] = make()
        except CodeUnavailable as why:
            kept[key] = str(why)
        except Exception:  # noqa: BLE001 - a bug here must not take the result off the page
            log.exception("no code for %s", key)
            kept[key] = N_("The code of this result could not be generated (the server log says why).")
        while len(kept) > MAX_KEPT:
            kept.pop(next(iter(kept)))
    return kept[key]


def _step(bundle: CodeBundle | str) -> None:
    if isinstance(bundle, CodeBundle):
        st.session_state.setdefault(STEPS, {}).setdefault(bundle.key, bundle)


def code_view(bundle: CodeBundle | str, key: str) -> None:
    """An expander with the code in each style (st.code has the copy button) and the folder to download.

    `bundle` as a string: why there is no code (a message id, translated here)."""
    with st.expander(_("Code: make this yourself"), icon=":material/code:"):
        if isinstance(bundle, str):
            st.caption(_(bundle))
            return
        st.caption(_("{facts}. Generated from the request the app sent; images are files beside the script. No "
                     "credentials inside: it uses your AWS configuration.").format(
                         facts=bundle.shown_facts or bundle.facts))
        tabs = st.tabs([STYLE_LABELS[style] for style in bundle.styles])
        for tab, style in zip(tabs, bundle.styles):
            with tab:
                st.code(bundle.script(style), language=LANGUAGES[style], wrap_lines=True)
                st.caption(_("Run: {command}").format(command=bundle.run_said(style)))
        for note in bundle.notes:
            st.caption(f"ℹ️ {note}")
        st.download_button(_("Download as a folder (zip)"), partial(bundle_zip, bundle),
                           file_name=f"{bundle.stem}.zip", mime="application/zip", key=f"{key}_code_zip",
                           on_click="ignore", icon=":material/folder_zip:",
                           help=_("The scripts, the files they read, and a README saying how to run them."))


def _in_this_session(entry_id: str) -> bool:
    """Whether a lab made (or replayed) this result in this session, rather than History showing it."""
    from lib.labs import LABS
    from lib.ui.state import runs_key

    return any(entry_id in st.session_state.get(runs_key(item.key), ()) for item in LABS)


def entry_code_view(entry: Any, key: str) -> None:
    """The Code view of an image lab's result (a History entry)."""
    bundle = _made(f"image:{entry.id}", lambda: image_bundle(entry))
    if _in_this_session(entry.id):
        _step(bundle)
    code_view(bundle, key)


def chat_code_view(history: list[Turn], answer: str, answered_by: AnsweredBy | None, *, lab: str, key: str) -> None:
    """The Code view of a chat answer (labs 8 and 9): `history` is the conversation it answered."""
    if answered_by is None:
        code_view(N_("This answer came from the offline engine on this machine: there is no Bedrock request to "
                     "show."), key)
        return
    fingerprint = (lab, answered_by, tuple((t.role, t.text, tuple(i.data for i in t.images)) for t in history),
                   answer)
    bundle = _made(f"chat:{hash(fingerprint)}", lambda: chat_bundle(
        history, answer, model_id=answered_by.model_id, invoke_id=answered_by.invoke_id, region=answered_by.region,
        lab=lab, created_at=time.time()))
    _step(bundle)
    code_view(bundle, key)


def presets_code_view(rows: list[Any], *, lab: str, key: str) -> None:
    """Lab 8's "run all nine presets" table: one loop over the preset prompts (lib.services.calls.PresetRow)."""
    answered = [r for r in rows if r.answered_by is not None and r.sent]
    if not answered:
        return
    by = answered[0].answered_by
    ident = (lab, by, tuple((r.preset, r.sent[-1].text, r.answer) for r in answered),
             tuple(i.data for i in answered[0].sent[-1].images))
    bundle = _made(f"presets:{hash(ident)}", lambda: presets_bundle(
        [(r.preset, r.sent, r.answer) for r in answered], model_id=by.model_id, invoke_id=by.invoke_id,
        region=by.region, lab=lab, created_at=time.time()))
    _step(bundle)
    code_view(bundle, key)


def chat_turn_code_view(turns: list[Turn], turn: Turn, *, lab: str) -> None:
    """Lab 9: under an assistant turn, the code of the call that answered it (the conversation up to it)."""
    if turn.role != "assistant" or turn.answered_by is None:
        return
    index = next((i for i, t in enumerate(turns) if t is turn), None)
    if index is None:
        return
    chat_code_view(turns[:index], turn.text, turn.answered_by, lab=lab, key=f"{lab}_code{index}")


def replayed_by(model: Any, region: str | None) -> AnsweredBy:
    """Who answered a chat answer replayed from History: the model, through the id and region it is called."""
    from lib.catalog import call_target

    region, invoke_id, _ = call_target(model, region or "")
    return AnsweredBy(model.id, invoke_id, region)


def search_code_view(*, key: str, **query: Any) -> None:
    """The Code view of a lab 1 search (lib.codegen.search_bundle's arguments)."""
    hits: list[SearchHit] = query.get("hits") or []
    similar: SearchHit | None = query.get("similar_to")
    ident = (query.get("model_id"), query.get("dimension"), query.get("text"), hash(query.get("image") or b""),
             similar.title if similar else None, query.get("k"), query.get("min_score"),
             tuple((h.title, h.score) for h in hits))
    bundle = _made(f"search:{hash(ident)}", lambda: search_bundle(created_at=time.time(), **query))
    _step(bundle)
    code_view(bundle, key)


def search_query(key: str, *, text: str | None = None, image: bytes | None = None, similar_to: Any = None) -> None:
    """Lab 1: what the search just shown asked for (read by `lab1_code_view`); k and the minimum score are the
    lab's sliders (`{key}_k`, `{key}_min`) as the search used them."""
    st.session_state[f"{key}_code_query"] = {"text": text, "image": image, "similar_to": similar_to,
                                             "k": st.session_state.get(f"{key}_k", 8),
                                             "min_score": st.session_state.get(f"{key}_min", 0.0)}


def lab1_code_view(key: str, hits: list[Any], space: Any, settings: Any) -> None:
    """Lab 1: under the results, the build-and-search code (the hits' photos go into its images/ folder)."""
    from lib.search.sources import read_original

    query = st.session_state.get(f"{key}_code_query")
    if not query:
        return

    def as_hit(hit: Any) -> SearchHit:
        return SearchHit(hit.image.title, hit.score, partial(read_original, hit.image.sources[0].ref,
                                                             settings.data_dir, settings))

    similar = query["similar_to"]
    search_code_view(key=f"{key}_code", model_id=space.model_id, dimension=space.dimension,
                     preferred_region=settings.region, text=query["text"], image=query["image"],
                     similar_to=as_hit(similar) if similar is not None else None, k=query["k"],
                     min_score=query["min_score"], hits=[as_hit(h) for h in hits])


def session_steps() -> list[CodeBundle]:
    """This session's steps, oldest first."""
    return sorted(st.session_state.get(STEPS, {}).values(), key=lambda b: b.created_at)


THIS_SESSION, CHOSEN_HERE = N_("This session"), N_("Results chosen here")


def notebook_export(entries: list[Any], key: str = "history_notebook") -> None:
    """The History page's export: this session's steps, or chosen results, as a Jupyter notebook (zip)."""
    with st.expander(_("Export as a Jupyter notebook"), icon=":material/menu_book:"):
        st.caption(_("One step per result: what the lab teaches, the boto3 code that makes it, and the result "
                     "already shown under it. Download, unzip, open workshop.ipynb."))
        steps = session_steps()
        # The choice is kept in English in the session and shown translated.
        choice = st.radio(_("Steps"), [THIS_SESSION, CHOSEN_HERE], horizontal=True, key=f"{key}_what",
                          format_func=_,
                          captions=[ngettext("{count} step so far", "{count} steps so far", len(steps)).format(
                                        count=len(steps)),
                                    _("from the results listed on this page")])
        if choice == THIS_SESSION:
            data: Any = partial(notebook_zip, steps, _("Bedrock Image Workshop — my session"))
            ready = bool(steps)
            if not ready:
                st.caption(_("Nothing yet: results, answers and searches of this session become steps."))
        else:
            by_id = {entry.id: entry for entry in entries}
            chosen = st.multiselect(_("Results"), list(by_id), key=f"{key}_chosen", format_func=lambda i: (
                f"{by_id[i].when} · {by_id[i].lab} · {by_id[i].model_label} · {by_id[i].prompt[:40]}"))
            picked = [by_id[i] for i in chosen if i in by_id]
            data = partial(history_notebook, picked)
            ready = bool(picked)
            if picked:
                skipped = entry_bundles([e for e in picked if is_offline(e.model_id)])[1]
                for why in skipped:
                    st.caption(_("Left out: {why}").format(why=why))
        st.download_button(_("Download the notebook (zip)"), data, file_name="workshop-notebook.zip",
                           mime="application/zip", key=f"{key}_download", on_click="ignore", disabled=not ready,
                           icon=":material/download:")
