"""The Upscale action under every image result and on History's entries: pick the upscaler, see what it makes and
costs, press Upscale. The call is a job like every model call (lib/ui/jobs.py), so a click while it runs loses
nothing and an identical pending upscale is not sent twice; its result is a new History entry that names its
source. Which upscaler takes which image, and the request, are lib/services/upscale.py's."""

from __future__ import annotations

from functools import partial

import streamlit as st

from lib.catalog import PRICES_LAST_VERIFIED, PromptUse, get_model
from lib.errors import WorkshopError
from lib.services.calls import image_work
from lib.services.upscale import OUTPUT_FORMATS, offers, source_text, suggested, upscale, upscale_request
from lib.storage.results import HistoryEntry, StoredImage
from lib.ui.common import current_credentials, history_store, show_error, viewer
from lib.ui.jobs import job_key, job_panel, submit, take_finished
from lib.ui.service_controls import knob_key, knob_values

SHORT = "Stable Image "  # the upscalers' labels without it: "Fast Upscale"


def _pick(model_key: str, model_id: str) -> None:
    st.session_state[model_key] = model_id


def _start(entry: HistoryEntry, img: StoredImage, model_id: str, job_lab: str, prompt_key: str | None,
           knob_keys: dict[str, str]) -> None:
    """The Upscale button's callback: submit the job before the page runs, so the page's job panel shows it (and
    picks its result up) in the very run the click starts. Prompt and knobs as they are in the widgets now."""
    state = st.session_state
    knobs = {field: state[k] for field, k in knob_keys.items() if k in state}
    fmt = img.format if img.format in OUTPUT_FORMATS else "png"
    request = upscale_request(model_id, img.read_bytes(), prompt=state.get(prompt_key, "") if prompt_key else "",
                              knobs=knobs, output_format=fmt)
    label = get_model(model_id).label
    submit(job_lab, "image", f"Upscale {img.width}×{img.height} ({label.removeprefix(SHORT)})", label,
           job_key(request), image_work(partial(upscale, source=source_text(entry, img)), request, history_store(),
                                        entry.lab, [request.image], owner=viewer().owner))


def upscale_action(entry: HistoryEntry, images: list[StoredImage], key: str, job_lab: str) -> None:
    """The Upscale popover for `images` of `entry`. The job belongs to `job_lab` (the page that shows its progress
    and picks its result up); the new entry is kept under the source's lab."""
    shown = [img for img in images if img.exists()]
    if not shown:
        return
    with st.popover("Upscale", icon=":material/zoom_out_map:", width="stretch",
                    help="A bigger copy of this image, made by one of Stability's upscalers."):
        img = shown[0]
        if len(shown) > 1:
            index = st.radio("Image", range(len(shown)), key=f"{key}_up_image", horizontal=True,
                             format_func=lambda i: f"{shown[i].index + 1} ({shown[i].width}×{shown[i].height})")
            img = shown[index]
        choices = {offer.model.id: offer for offer in offers(img.width, img.height)}
        model_key = f"{key}_up_model"
        if st.session_state.get(model_key) not in choices:  # first the cheapest that takes this image
            best = suggested(img.width, img.height)
            st.session_state[model_key] = best.id if best else next(iter(choices))
        model_id = st.selectbox("Upscaler", list(choices), key=model_key, format_func=lambda mid: (
            f"{choices[mid].model.label.removeprefix(SHORT)} · ${choices[mid].price:.2f}"
            + (" · can't take this image" if choices[mid].refusal else "")))
        offer = choices[model_id]
        model = offer.model
        st.caption(model.notes[0])
        prompt_key = None
        if offer.refusal:
            st.warning(offer.refusal, icon=":material/block:")
            better = suggested(img.width, img.height)
            if better is not None:
                st.button(f"Use {better.label.removeprefix(SHORT)} instead", key=f"{key}_up_better",
                          on_click=_pick, args=(model_key, better.id), icon=":material/swap_horiz:")
            else:
                st.caption("No upscaler takes an image this size: download it, make it smaller, and upload it.")
        else:
            if model.image.prompt_use is PromptUse.REQUIRED:
                prompt_key = f"{key}_up_prompt_{model.id}"
                st.text_input("Describe the image", value=entry.prompt, key=prompt_key,
                              help=f"{model.label} needs a prompt: it uses it to add detail.")
            knob_values(model, f"{key}_up")
        st.markdown(f"**{offer.describe()}**")
        st.caption(f"Price per upscale, checked {PRICES_LAST_VERIFIED}. The result is a new History entry that "
                   "names this image as its source.")
        ready = current_credentials().found
        if not ready:
            st.caption("Upscaling calls Bedrock: it needs AWS credentials (see the sidebar).")
        knob_keys = {knob.field: knob_key(model, f"{key}_up", knob.field) for knob in model.image.knobs}
        st.button(f"Upscale · ${offer.price:.2f}", type="primary", key=f"{key}_up_go",
                  disabled=offer.refusal is not None or not ready, icon=":material/zoom_out_map:", width="stretch",
                  on_click=_start, args=(entry, img, model.id, job_lab, prompt_key, knob_keys))


def upscale_panel(job_lab: str) -> None:
    """For a page without a lab's results panel (History): its running upscales with Cancel, then how the last one
    ended: its error, or where its new entry is."""
    outcome_key = f"{job_lab}_upscaled"
    for job in take_finished(job_lab):
        st.session_state[outcome_key] = job.error if job.error is not None else list(job.result or [])
    job_panel(job_lab)
    outcome = st.session_state.get(outcome_key)
    if isinstance(outcome, WorkshopError):
        show_error(outcome)
    elif outcome:
        entry = history_store().get(outcome[0], viewer())
        if entry is not None:
            size = f" {entry.outputs[0].width}×{entry.outputs[0].height}" if entry.outputs else ""
            st.success(f"Upscaled to{size} with {entry.model_label}: the newest entry below, marked “Upscaled”.",
                       icon=":material/zoom_out_map:")
