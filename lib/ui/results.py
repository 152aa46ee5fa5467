"""The result gallery: images with seed, model, time and cost; downloads; reuse and send-to actions."""

from __future__ import annotations

import json
from functools import partial
from typing import Callable

import streamlit as st

from lib.catalog import Task, get_model, is_offline, takes_seed
from lib.errors import InvalidInput
from lib.history import HistoryEntry, entry_zip
from lib.i18n import _, format_seconds, format_usd
from lib.imaging import DISPLAY_EDGE, MIME_TYPES
from lib.labs import LabPage
from lib.services.outpainting import outpainting_modes
from lib.ui.image_input import handoff_key
from lib.ui.presenter import presenting
from lib.ui.upscale import upscale_action


def _send(target: LabPage, image_id: str) -> None:
    st.session_state[handoff_key(target.input_key or "")] = [image_id]
    st.switch_page(target.page)


def show_replayed(when: str, model: str, region: str = "", *, answer: bool = False) -> None:
    """The badge and caption of anything shown again from History instead of being made now.

    `when` and `model` say when and by what it was made ("2026-11-20 14:03:05", "Claude Sonnet 4.5"), `region`
    where; `answer`: a chat answer replayed for an identical conversation (lab 9), not an image result.
    """
    st.badge(_("Replayed from history"), icon=":material/replay:", color="violet")
    if answer:
        said = _("This answer was made on {when} by {model} for an identical conversation and is shown again from "
                 "History: Bedrock was not called and nothing was charged.")
    elif region:
        said = _("This result was made on {when} by {model} in {region} for an identical request and is shown again "
                 "from History: Bedrock was not called and nothing was charged.")
    else:
        said = _("This result was made on {when} by {model} for an identical request and is shown again from "
                 "History: Bedrock was not called and nothing was charged.")
    st.caption(said.format(when=when, model=model, region=region))


EDITING_LABS = ("lab3", "lab4", "lab5", "lab6", "lab7")  # their results change an input photo


def before_image(entry: HistoryEntry) -> bytes | None:
    """The photo an editing lab's result was made from (its first input), for a before/after view."""
    if entry.lab not in EDITING_LABS or not entry.inputs or not entry.inputs[0].exists():
        return None
    return entry.inputs[0].read_bytes()


def outpainting_mode(entry: HistoryEntry) -> str | None:
    """DEFAULT or PRECISE for an outpainting result (lab 6's comparison, say); None for anything else."""
    if entry.task not in (Task.OUTPAINT.value, Task.OUTPAINT_BY_PROMPT.value):
        return None
    try:
        if not outpainting_modes(get_model(entry.model_id)):  # a model with no modes to choose (Nova 2 Omni)
            return None
    except InvalidInput:  # a model no longer in the catalog: the request says what was asked
        pass
    return str((entry.request or {}).get("outpainting_mode") or "DEFAULT")


def run_title(entry: HistoryEntry) -> str:
    """What a run was, in a few words: its prompt, or for a removal what it removed."""
    if entry.task == Task.UPSCALE.value:  # its prompt only describes the image it enlarged
        return _("Upscaled: “{prompt}”").format(prompt=entry.prompt) if entry.prompt.strip() else _("Upscaled")
    if entry.prompt.strip():
        return f"“{entry.prompt}”"
    named = str((entry.request or {}).get("mask_prompt") or "").strip()
    if entry.task == Task.ERASE_BY_PROMPT.value and named:
        return _("Removed “{object}”").format(object=named)
    if entry.task == Task.ERASE.value:
        return _("Erased the marked area")
    if named:
        return _("Kept “{object}”").format(object=named)
    return _("No prompt")


def shown_image(img) -> bytes:  # noqa: ANN001 - a StoredImage
    """What the gallery shows of a stored image: a JPEG made once and kept beside it (History's thumbnails).

    Why: st.image re-encoded an opaque PNG as JPEG on every script run (30-60 ms per image per run, a fifth
    of a lab's script time once it showed results); downloads still give the original file.
    """
    return img.thumbnail_bytes(DISPLAY_EDGE)


def show_result(entry: HistoryEntry, key: str, *, reuse_seed: Callable[[int], None] | None = None,
                send_to: tuple[LabPage, ...] = (), columns: int = 3, replayed: bool = False,
                upscale_in: str | None = None) -> None:
    """One run's images in a grid, each with its facts and actions, then the run's own downloads.

    `upscale_in`: the page (its jobs' key) where an Upscale of an image runs and shows; None offers no Upscale.

    `replayed`: shown again from History instead of being made now; said above the images so that nobody
    mistakes it for a fresh call.
    """
    images = entry.outputs
    if entry.after_cancel:
        st.badge(_("Arrived after cancel"), icon=":material/history:", color="orange")
    if replayed:
        show_replayed(entry.when, entry.model_label, entry.region)
    per_image = (entry.cost_usd or 0) / max(1, len(images))
    before = before_image(entry) if presenting() else None
    if presenting():  # full width: one image a row (beside its input photo, for an edit), or two a row
        spec: list[int] | int = 2 if before is not None or len(images) > 1 else 1
        per_row = 1 if before is not None or len(images) == 1 else 2
    else:  # one image gets most of the width; several share a grid
        spec = [3, 1] if len(images) == 1 else min(columns, len(images))
        per_row = 1 if len(images) == 1 else min(columns, len(images))
    for row_start in range(0, len(images), per_row):
        cols = st.columns(spec)
        if before is not None:
            with cols[0]:
                st.image(before, caption=_("Before · the photo sent to {model}").format(model=entry.model_label),
                         width="stretch")
            cols = cols[1:]
        for col, img in zip(cols, images[row_start:row_start + per_row]):
            with col:
                if not img.exists():
                    st.warning(_("This image file is missing from the data folder."))
                    continue
                latency = format_seconds(entry.latency_s) if entry.latency_s is not None else "—"
                local = is_offline(entry.model_id)  # an offline engine: no seed, no cost
                seeded = takes_seed(entry.model_id)  # a seedless model (Nova 2 Omni) has no seed to show or reuse
                made = (_("{model} · on this machine") if local else _("Seed {seed} · {model}") if seeded
                        else _("No seed · {model}")).format(model=entry.model_label, seed=img.seed)
                mode = outpainting_mode(entry)
                made = f"{mode} · {made}" if mode else made
                made = _("After · {made}").format(made=made) if before is not None else made
                cost = (_("{price} when made") if replayed else "{price}").format(price=format_usd(per_image))
                st.image(shown_image(img), caption=f"{made} · {latency} · {cost}", width="stretch",
                         output_format="JPEG")
                actions = st.columns(2 + len(send_to) + (upscale_in is not None)) if presenting() else None
                with actions[0] if actions else st.container():
                    st.download_button(_("Download"), img.read_bytes, file_name=img.file_name,  # read when asked
                                       mime=MIME_TYPES.get(img.format, "application/octet-stream"),
                                       key=f"{key}_dl_{img.id}", on_click="ignore", icon=":material/download:",
                                       width="stretch")
                upscaled = entry.task == Task.UPSCALE.value  # its seed is the upscaler's, not the lab's to reuse
                if reuse_seed is not None and img.seed is not None and seeded and not upscaled:
                    with actions[1] if actions else st.container():
                        st.button(_("Reuse seed"), key=f"{key}_seed_{img.id}", icon=":material/replay:",
                                  on_click=reuse_seed, args=(img.seed,), width="stretch",
                                  help=_("Put this seed in the seed box: same prompt + same seed = same image."))
                for n, target in enumerate(send_to):
                    with actions[2 + n] if actions else st.container():
                        if st.button(_("Send to {lab}").format(lab=target.title.lower()),
                                     key=f"{key}_to{target.number}_{img.id}", icon=":material/arrow_forward:",
                                     width="stretch", wrap=True):
                            _send(target, img.id)
                if upscale_in is not None:
                    with actions[-1] if actions else st.container():
                        upscale_action(entry, [img], f"{key}_{img.id}", upscale_in)
    st.download_button(_("Download all ({count}) as zip").format(count=len(images)), partial(entry_zip, entry),
                       file_name=f"{entry.lab}-{entry.id}.zip", mime="application/zip", key=f"{key}_zip",
                       on_click="ignore",
                       icon=":material/folder_zip:")
    for note in entry.notes:
        st.caption(f"ℹ️ {note}")
    with st.expander(_("What ran on this machine") if is_offline(entry.model_id) else _("Request sent to Bedrock")):
        st.caption(_("{model} in {region} · {when}").format(model=entry.model_id, region=entry.region,
                                                            when=entry.when))
        st.code(json.dumps(entry.body, indent=2), language="json")
    from lib.ui.code_view import entry_code_view  # imported here: the code view is one self-contained addition

    entry_code_view(entry, key)  # the same request as runnable code (boto3, AWS CLI), copy and download
