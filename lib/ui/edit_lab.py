"""Pieces shared by the editing labs (4–7): the input photo, as the model will receive it, and the run button."""

from __future__ import annotations

import io
from dataclasses import dataclass

import streamlit as st
from PIL import Image

from lib.catalog import ModelInfo, SizeRule
from lib.generation.requests import EditRequest
from lib.i18n import _, format_usd
from lib.services.images import edit, estimate_cost
from lib.labs import LabPage
from lib.ui.common import show_notes
from lib.ui.image_input import choose_images, prepare_for_model
from lib.ui.runs import run_button


@dataclass
class EditInput:
    data: bytes  # fitted image bytes, as sent
    image: Image.Image
    sample_id: str | None
    photo_fit: tuple[tuple[int, int], SizeRule]  # original size and the rule it was fitted to (for masks)


def edit_input(lab: LabPage, model: ModelInfo, default_sample: str = "coffee") -> EditInput | None:
    """The photo to edit, fitted to the model's editing rules; the mask is made on this very image."""
    chosen = choose_images(lab.input_key or f"{lab.key}_input", default_sample=default_sample)
    if not chosen:
        st.info(_("Choose a photo to edit."), icon=":material/image:")
        return None
    item = chosen[0]
    prepared = prepare_for_model(model.id, item, for_editing=True)
    show_notes(item.notes + prepared.notes, _("Adjusted for {model}").format(model=model.label))
    rule = model.image.edit_rule or model.image.input_rule
    return EditInput(data=prepared.data, image=Image.open(io.BytesIO(prepared.data)), sample_id=item.sample_id,
                     photo_fit=(item.image.size, rule))


def run_edit_button(key: str, request: EditRequest | None, model: ModelInfo, *, ready: bool,
                    label: str | None = None) -> None:
    """Estimated cost, then the button (or, without Bedrock, a replay offer); the call runs as a job.

    `label` is the button's words in the session's language (default: Generate)."""
    label = label or _("Generate")
    if request is not None:
        st.caption(_("Estimated cost: {cost}").format(cost=format_usd(estimate_cost(request))))
    # History keeps the mask with the image: the result's code (lib/codegen.py) reads the very mask that was sent.
    run_button(key, edit, request, model, ready=ready, label=label, icon=":material/brush:",
               inputs=[request.image, *([request.mask] if request.mask else [])] if request else None)
