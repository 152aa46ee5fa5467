"""The Upscale action under every image result and on History's entries: pick the upscaler, see what it makes and
costs, press Upscale. The call is a job like every model call (lib/ui/jobs.py), so a click while it runs loses
nothing and an identical pending upscale is not sent twice; its result is a new History entry that names its
source. Which upscaler takes which image, and the request, are lib/services/upscale.py's."""

from __future__ import annotations

from functools import partial

import streamlit as st

from lib.catalog import PRICES_LAST_VERIFIED, PromptUse, get_model
from lib.errors import WorkshopError
from lib.i18n import _, format_usd
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
    what = _("Upscale {width}×{height} ({model})").format(width=img.width, height=img.height,
                                                         model=label.removeprefix(SHORT))
    submit(job_lab, "image", what, label,
           job_key(request), image_work(partial(upscale, source=source_text(entry, img)), request, history_store(),
                                        entry.lab, [request.image], owner=viewer().owner))


def upscale_action(entry: HistoryEntry, images: list[StoredImage], key: str, job_lab: str) -> None:
    """The Upscale popover for `images` of `entry`. The job belongs to `job_lab` (the page that shows its progress
    and picks its result up); the new entry is kept under the source's lab."""
    shown = [img for img in images if img.exists()]
    if not shown:
        return
    with st.popover(_("Upscale"), icon=":material/zoom_out_map:", width="stretch",
                    help=_("A bigger copy of this image, made by one of Stability's upscalers.")):
        img = shown[0]
        if len(shown) > 1:
            index = st.radio(_("Image"), range(len(shown)), key=f"{key}_up_image", horizontal=True,
                             format_func=lambda i: f"{shown[i].index + 1} ({shown[i].width}×{shown[i].height})")
            img = shown[index]
        choices = {offer.model.id: offer for offer in offers(img.width, img.height)}
        model_key = f"{key}_up_model"
        if st.session_state.get(model_key) not in choices:  # first the cheapest that takes this image
            best = suggested(img.width, img.height)
            st.session_state[model_key] = best.id if best else next(iter(choices))
        model_id = st.selectbox(_("Upscaler"), list(choices), key=model_key, format_func=lambda mid: (
            _("{model} · {price} · can't take this image") if choices[mid].refusal else "{model} · {price}").format(
                model=choices[mid].model.label.removeprefix(SHORT), price=format_usd(choices[mid].price, 2)))
        offer = choices[model_id]
        model = offer.model
        st.caption(_(model.notes[0]))
        prompt_key = None
        if offer.refusal:
            st.warning(offer.refusal, icon=":material/block:")
            better = suggested(img.width, img.height)
            if better is not None:
                st.button(_("Use {model} instead").format(model=better.label.removeprefix(SHORT)),
                          key=f"{key}_up_better",
                          on_click=_pick, args=(model_key, better.id), icon=":material/swap_horiz:")
            else:
                st.caption(_("No upscaler takes an image this size: download it, make it smaller, and upload it."))
        else:
            if model.image.prompt_use is PromptUse.REQUIRED:
                prompt_key = f"{key}_up_prompt_{model.id}"
                st.text_input(_("Describe the image"), value=entry.prompt, key=prompt_key,
                              help=_("{model} needs a prompt: it uses it to add detail.").format(model=model.label))
            knob_values(model, f"{key}_up")
        st.markdown(f"**{offer.describe()}**")
        st.caption(_("Price per upscale, checked {date}. The result is a new History entry that names this image as "
                     "its source.").format(date=PRICES_LAST_VERIFIED))
        ready = current_credentials().found
        if not ready:
            st.caption(_("Upscaling calls Bedrock: it needs AWS credentials (see the sidebar)."))
        knob_keys = {knob.field: knob_key(model, f"{key}_up", knob.field) for knob in model.image.knobs}
        st.button(_("Upscale · {price}").format(price=format_usd(offer.price, 2)), type="primary", key=f"{key}_up_go",
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
            if entry.outputs:
                said = _("Upscaled to {width}×{height} with {model}: the newest entry below, marked “Upscaled”.")
                said = said.format(width=entry.outputs[0].width, height=entry.outputs[0].height,
                                   model=entry.model_label)
            else:
                said = _("Upscaled with {model}: the newest entry below, marked “Upscaled”.").format(
                    model=entry.model_label)
            st.success(said, icon=":material/zoom_out_map:")
