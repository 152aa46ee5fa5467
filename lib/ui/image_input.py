"""Choose input images: a sample photo, an upload, or any earlier result from history."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
from PIL import Image

from lib.catalog import get_model
from lib.errors import InvalidInput
from lib.services.images import PreparedImage, prepare_edit_input, prepare_input
from lib.i18n import N_, _, ngettext
from lib.imaging import decode_image
from lib.labs import LabPage
from lib.presets import photo_for
from lib.samples import available_samples, get_sample, sample_bytes
from lib.settings import load_settings
from lib.ui.common import history_store, show_error, viewer

# Kept in English in the session (pages and tests set them), shown translated.
SOURCES = (N_("Sample photos"), N_("Upload"), N_("From history"))
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]


@dataclass
class ChosenImage:
    data: bytes
    image: Image.Image
    label: str
    notes: list[str] = field(default_factory=list)
    sample_id: str | None = None  # set for sample photos: the mask editor offers their rectangle presets


SENT = N_("Sent from another lab")


@dataclass(frozen=True)
class SentImage:
    """An image another lab hands over that is not in history (a search hit, say)."""

    label: str
    data: bytes


def handoff_key(target: str) -> str:
    """Session key through which another page passes history image ids or `SentImage`s to `target`."""
    return f"handoff:{target}"


def send_to_lab(target: LabPage, images: list[SentImage]) -> None:
    """Open `target` with these images as its input."""
    st.session_state[handoff_key(target.input_key or "")] = images
    st.switch_page(target.page)


def upload_limit_mb() -> int:
    """The app's own upload limit in MB (WORKSHOP_MAX_UPLOAD_MB): what every uploader states and enforces."""
    return max(1, load_settings().max_upload_bytes // (1024 * 1024))


def select_sample(key: str, sample_id: str) -> None:
    """Make `sample_id` the chosen sample photo of the image input `key` (call from a widget callback)."""
    st.session_state[f"{key}_source"] = "Sample photos"
    st.session_state[f"{key}_sample"] = sample_id
    st.session_state[f"{key}_samples"] = [sample_id]


def photo_suggestions(label: str, options: tuple[str, ...], *, fills: str, key: str, placeholder: str,
                      input_key: str) -> None:
    """Suggestions that copy the chosen text into the box `fills` and, when it names something in a sample
    photo, pick that photo in the image input `input_key`, so the text always matches the picture."""
    def copy() -> None:
        text = st.session_state.get(key) or ""
        st.session_state[fills] = text
        match = photo_for(text)
        if match is not None:
            select_sample(input_key, match.sample)

    def shown(text: str) -> str:
        match = photo_for(text)
        if match is None:
            return text
        where = get_sample(match.sample).shown_title
        return f"{text} — {where}: {_(match.area)}" if match.area else f"{text} — {where}"

    st.selectbox(label, options, index=None, key=key, placeholder=placeholder, on_change=copy, format_func=shown)


def _history_choices(limit: int = 40) -> dict[str, str]:
    """image id → label, newest first."""
    choices: dict[str, str] = {}
    for entry in history_store().recent(limit, viewer=viewer()):  # only your own results
        for img in entry.outputs:
            prompt = (entry.prompt[:40] + "…") if len(entry.prompt) > 40 else entry.prompt
            choices[img.id] = f"{entry.when} · {entry.model_label} · “{prompt}” #{img.index + 1}"
    return choices


def _decode(data: bytes, label: str) -> ChosenImage | None:
    settings = load_settings()
    try:
        decoded = decode_image(data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_upload_pixels,
                               name=f"“{label}”")
    except InvalidInput as err:
        show_error(err)
        return None
    return ChosenImage(data=data, image=decoded.image, label=label, notes=decoded.notes)


def choose_images(key: str, max_images: int = 1, default_sample: str | None = None) -> list[ChosenImage]:
    """Up to `max_images` images from the source the user picks. Bad files get a message and are skipped."""
    incoming = st.session_state.pop(handoff_key(key), None)
    if incoming and all(isinstance(item, SentImage) for item in incoming):
        st.session_state[f"{key}_sent"] = list(incoming)[:max_images]
        st.session_state[f"{key}_source"] = SENT
    elif incoming:
        st.session_state[f"{key}_source"] = "From history"
        st.session_state[f"{key}_history"] = list(incoming)[:max_images]
    multi = max_images > 1
    sent: list[SentImage] = st.session_state.get(f"{key}_sent") or []
    source = st.radio(_("Input image"), SOURCES + ((SENT,) if sent else ()), key=f"{key}_source", horizontal=True,
                      format_func=_)
    chosen: list[ChosenImage] = []

    if source == "Sample photos":
        samples = {s.id: s for s in available_samples()}
        if not samples:
            st.info(_("No sample photos found: install requirements.txt (scikit-image, scikit-learn, matplotlib)."))
            return []
        first = default_sample if default_sample in samples else next(iter(samples))
        for state_key in (f"{key}_sample", f"{key}_samples"):  # a photo set by a suggestion that is not listed
            value = st.session_state.get(state_key)
            if value is not None and not set([value] if isinstance(value, str) else value) <= set(samples):
                del st.session_state[state_key]
        if multi and isinstance(st.session_state.get(f"{key}_samples"), list):
            picked = st.multiselect(_("Sample photos"), list(samples), key=f"{key}_samples",
                                    format_func=lambda sid: samples[sid].shown_title, max_selections=max_images)
        elif multi:
            picked = st.multiselect(_("Sample photos"), list(samples), default=[first], key=f"{key}_samples",
                                    format_func=lambda sid: samples[sid].shown_title, max_selections=max_images)
        else:
            # The lab's photo as the widget's own default (index), not set through session state: a browser that
            # draws the box afresh after a cut-short first run shows, and sends back, this photo.
            picked = [st.selectbox(_("Sample photo"), list(samples), index=list(samples).index(first),
                                   key=f"{key}_sample", format_func=lambda sid: samples[sid].shown_title)]
        for sid in picked:
            item = _decode(sample_bytes(sid), samples[sid].shown_title)
            if item:
                item.sample_id = sid
                chosen.append(item)
        if picked:
            st.caption(" · ".join(samples[sid].credit for sid in picked))
        ideas = [idea for sid in picked for idea in samples[sid].suggestions]
        if ideas:  # from the instructor's manifest (WORKSHOP_SAMPLES_DIR), shown as plain text
            st.caption(_("Ideas for this photo, from the instructor:"))
            st.text("\n".join(ideas))

    elif source == SENT:
        for item in sent:
            decoded = _decode(item.data, item.label)
            if decoded:
                chosen.append(decoded)

    elif source == "Upload":
        files = st.file_uploader(_("Upload images") if multi else _("Upload image"), type=UPLOAD_TYPES,
                                 key=f"{key}_upload", accept_multiple_files=multi, max_upload_size=upload_limit_mb(),
                                 help=_("PNG, JPEG, WebP, GIF, BMP or TIFF, up to {megabytes} MB.").format(
                                     megabytes=upload_limit_mb()))
        files = (files or []) if multi else ([files] if files else [])
        if len(files) > max_images:
            st.warning(ngettext("Using only the first of {total} files: this model takes one image.",
                                "Using the first {count} of {total} files: this model takes at most {count}.",
                                max_images).format(count=max_images, total=len(files)))
            files = files[:max_images]
        for f in files:
            item = _decode(f.getvalue(), f.name)
            if item:
                chosen.append(item)

    else:
        choices = _history_choices()
        if not choices:
            st.info(_("Nothing in History yet: results from any lab appear here."))
            return []
        current = [i for i in st.session_state.get(f"{key}_history", []) if i in choices]
        st.session_state[f"{key}_history"] = current or [next(iter(choices))]
        picked = st.multiselect(_("Earlier results"), list(choices), key=f"{key}_history",
                                format_func=lambda iid: choices[iid], max_selections=max_images)
        store = history_store()
        for iid in picked:
            stored = store.image(iid, viewer())
            if stored and stored.exists():
                item = _decode(stored.read_bytes(), choices[iid])
                if item:
                    chosen.append(item)
    return chosen


@st.cache_data(max_entries=64, show_spinner=False)
def _prepare_cached(model_id: str, data: bytes, for_editing: bool) -> PreparedImage:
    settings = load_settings()
    decoded = decode_image(data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_upload_pixels)
    prepare = prepare_edit_input if for_editing else prepare_input
    return prepare(get_model(model_id), decoded.image)


def prepare_for_model(model_id: str, item: ChosenImage, *, for_editing: bool = False) -> PreparedImage:
    """The image as it will be sent to the model (cached: reruns don't re-encode)."""
    return _prepare_cached(model_id, item.data, for_editing)
