"""The mask editor shared by labs 4–7: draw, place rectangles, upload a mask file, or type a mask prompt.

Whatever the method, the result is a *selection* (lib.masks): the user always
thinks "painted = the area I mean". The live overlay tints the area that WILL
CHANGE for the chosen paint mode; polarity for each model is applied later, in lib.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from dataclasses import dataclass, field

import streamlit as st
from PIL import Image

from lib import masks
from lib.catalog import ModelInfo, SizeRule, Task
from lib.errors import InvalidInput, WorkshopError
from lib.masks import PaintMode, Polarity
from lib.services.masking import FoundObject, can_refine_boxes, find_named_object, refine_to_objects
from lib.i18n import N_, _
from lib.imaging import encode_image
from lib.services.images import model_mask
from lib.services.outpainting import mask_prompt_reason, uses_mask_prompt
from lib.samples import rectangle_presets, to_pixels
from lib.ui.common import in_fragment_rerun, show_error, show_notes
from lib.ui.engines import local_engines_ready

# Kept in English in the session (the radio's values); shown translated.
DRAW, RECTANGLES, UPLOAD, PROMPT = N_("Draw"), N_("Rectangles"), N_("Mask file"), N_("Mask prompt")
BRUSH, ERASER = N_("Brush"), N_("Eraser")
RECT_FIELDS = {"x": N_("x"), "y": N_("y"), "width": N_("width"), "height": N_("height")}
POLARITIES = {Polarity.AUTO: N_("detect it (the smaller part)"), Polarity.BLACK_MARKS: N_("black marks the area"),
              Polarity.WHITE_MARKS: N_("white marks the area")}
CANVAS_MAX_WIDTH = 560


@dataclass
class MaskChoice:
    """What the user marked: a selection image, or a mask prompt for the model to resolve."""

    selection: Image.Image | None = None
    mask_prompt: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def by_prompt(self) -> bool:
        return self.selection is None

    def selection_png(self) -> bytes | None:
        if self.selection is None:
            return None
        buf = io.BytesIO()
        self.selection.save(buf, "PNG")
        return buf.getvalue()


def _draw(key: str, image: Image.Image) -> Image.Image:
    scale = min(1.0, CANVAS_MAX_WIDTH / image.width)
    shown = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return _canvas(key, _canvas_background(image, shown), shown, image.size)


def _canvas_background(image: Image.Image, shown: tuple[int, int]) -> str:
    """The photo as the canvas shows it: a JPEG data URL at the canvas' own size, encoded once per photo.

    Why: the canvas only displays the background (the mask comes back at canvas size and is scaled to the
    photo), and encoding the full photo as PNG on every run cost a sixth of the lab's script time.
    """
    small = image if image.size == shown else image.resize(shown, Image.Resampling.BILINEAR)
    rgb = small.convert("RGB")
    digest = hashlib.blake2b(rgb.tobytes(), digest_size=16).hexdigest()
    with _backgrounds_lock:
        url = _backgrounds.pop(digest, None)
        if url is None:
            buf = io.BytesIO()
            rgb.save(buf, "JPEG", quality=90)
            url = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
        _backgrounds[digest] = url  # most recent last
        while len(_backgrounds) > 32:
            _backgrounds.pop(next(iter(_backgrounds)))
    return url


_backgrounds: dict[str, str] = {}  # digest of the shown photo -> data URL, shared by every session
_backgrounds_lock = threading.Lock()


def _preview(image: Image.Image, change: Image.Image) -> Image.Image:
    """The tinted preview at the size it is shown (at most the canvas' width): encoding the full photo on
    every run cost a sixth of labs 4-7's script time."""
    if image.width > CANVAS_MAX_WIDTH:
        shown = (CANVAS_MAX_WIDTH, max(1, round(image.height * CANVAS_MAX_WIDTH / image.width)))
        image = image.convert("RGB").resize(shown, Image.Resampling.BILINEAR)
    return masks.overlay(image, change)  # the change is fitted to the image there


def _strokes_key(key: str) -> str:
    return f"{key}_canvas_drawn"


@st.fragment
def _canvas(key: str, background: str, shown: tuple[int, int], size: tuple[int, int]) -> Image.Image | None:
    """The drawing canvas and its tools, in a fragment: only a change to the drawing reruns the page.

    Why: the canvas reports how it fitted its background as soon as it mounts, and that report reran the
    whole lab on every visit. Inside a fragment it reruns only this; strokes, undo and reset rerun the page
    (its preview and request must follow them); the brush and its size don't.
    """
    from streamlit_drawable_canvas import st_canvas  # imported here: it only loads inside a Streamlit runtime

    c1, c2 = st.columns([1, 2])
    tool = c1.segmented_control(_("Tool"), [BRUSH, ERASER], default=BRUSH, key=f"{key}_tool",
                                required=True, format_func=_)
    width = c2.slider(_("Brush size"), 5, 80, 30, key=f"{key}_brush")
    canvas = st_canvas(
        stroke_color=masks.ERASER_COLOR if tool == ERASER else masks.BRUSH_COLOR,
        stroke_width=width, background_image=background, drawing_mode="freedraw", return_image_data=True,
        width=shown[0], height=shown[1], key=f"{key}_canvas")
    st.caption(_("Paint the area you mean (magenta). Eraser strokes show in cyan and remove paint; the toolbar "
                 "has undo and reset. The preview below shows the resulting mask."))
    objects = (canvas.json_data or {}).get("objects") or []
    drawn = hashlib.blake2b(json.dumps(objects, sort_keys=True).encode(), digest_size=16).hexdigest()
    if in_fragment_rerun():
        if st.session_state.get(_strokes_key(key)) != drawn:
            st.rerun()  # the drawing changed: the page's preview and request follow it
        return None
    st.session_state[_strokes_key(key)] = drawn
    data = canvas.image_data if objects else None
    return masks.from_strokes(data, size) if data is not None else masks.empty(size)


def _rectangles(key: str, image: Image.Image, sample_id: str | None) -> Image.Image:
    presets = rectangle_presets(sample_id)
    picked = st.multiselect(_("Placements"), list(presets), key=f"{key}_presets", format_func=_,
                            help=_("Named areas of what this photo shows (scaled to the image sent)."))
    boxes = [to_pixels(presets[name], image.size) for name in picked]
    if st.checkbox(_("Add a custom rectangle"), key=f"{key}_custom"):
        first = boxes[0] if boxes else (0, 0, min(200, image.width), min(100, image.height))
        cols = st.columns(4)
        names = ("x", "y", "width", "height")
        limits = (image.width, image.height, image.width, image.height)
        values = [cols[i].number_input(_(RECT_FIELDS[names[i]]), 0, limits[i], int(first[i]), key=f"{key}_rect_{names[i]}")
                  for i in range(4)]
        boxes.append(tuple(int(v) for v in values))  # type: ignore[arg-type]
    if boxes and can_refine_boxes() and st.checkbox(
            _("Refine to the object inside each rectangle (GrabCut, on this machine)"), key=f"{key}_grabcut",
            help=_("OpenCV's GrabCut cuts along the object's edges inside the box; no AWS call. It struggles "
                   "where the object and its background share colours: check the preview.")):
        with st.spinner(_("Finding the object inside the rectangle…")):
            return _refined(image.convert("RGB").tobytes(), image.size, tuple(boxes))
    return masks.rectangles(image.size, boxes)


@st.cache_data(max_entries=16, show_spinner=False)  # the spinner is said by the caller, in its language
def _refined(rgb: bytes, size: tuple[int, int], boxes: tuple) -> Image.Image:
    """GrabCut once per photo and set of boxes (each rerun of the page would otherwise redo it)."""
    return refine_to_objects(Image.frombytes("RGB", size, rgb), list(boxes))


@st.cache_data(max_entries=16, show_spinner=False)  # the spinner is said by the caller, in its language
def _found(rgb: bytes, size: tuple[int, int], prompt: str) -> FoundObject:
    """The offline finder once per photo and prompt (the eraser finds the same, deterministically)."""
    return find_named_object(Image.frombytes("RGB", size, rgb), prompt)


def found_object_preview(image: Image.Image, prompt: str, mode: PaintMode) -> FoundObject | None:
    """What the offline finder selects for a mask prompt, tinted, before anything runs (experimental)."""
    if not prompt.strip() or not local_engines_ready(N_("finding the object")):
        return None
    rgb = image.convert("RGB")
    try:
        with st.spinner(_("Looking for the object on this machine…")):
            found = _found(rgb.tobytes(), rgb.size, prompt.strip())
    except WorkshopError as err:  # a name it doesn't know, a thing not in the photo, an engine not installed
        show_error(err)
        return None
    st.image(_preview(image, masks.area_to_change(found.selection, mode)),
             width=min(CANVAS_MAX_WIDTH, image.width), caption=_("Tinted = will change. {found}").format(found=found.describe()))
    return found


def _upload(key: str, image: Image.Image,
            photo_fit: tuple[tuple[int, int], SizeRule] | None) -> tuple[Image.Image, list[str]]:
    file = st.file_uploader(_("Mask image (PNG or JPEG)"), type=["png", "jpg", "jpeg", "webp", "bmp"],
                            key=f"{key}_file")
    c1, c2 = st.columns(2)
    polarity = c1.radio(_("In this file, the marked area is"), list(Polarity), key=f"{key}_polarity",
                        format_func=lambda p: _(POLARITIES[p]))
    resize = c2.checkbox(_("Resize the mask to the image"), key=f"{key}_resize",
                         help=_("Otherwise a mask of another size is refused."))
    if not file:
        return masks.empty(image.size), []
    try:
        result = masks.from_upload(file.getvalue(), image.size, polarity=polarity, resize=resize,
                                   photo_fit=photo_fit)
    except InvalidInput as err:
        show_error(err)
        return masks.empty(image.size), []
    return result.selection, result.notes


def mask_editor(key: str, image: Image.Image, mode: PaintMode, *, model: ModelInfo, sample_id: str | None = None,
                photo_fit: tuple[tuple[int, int], SizeRule] | None = None, allow_prompt: bool = True,
                allow_image: bool = True, prompt_label: str = N_("Item to mask"), default_prompt: str = "",
                task: Task | None = None) -> MaskChoice:
    """One widget for every way to make a mask, with invert/grow/feather, a live overlay and a download.

    `task`: what a mask prompt would be for (default: replacing the item when inpainting, keeping it when
    outpainting); a model that doesn't use the words gets no prompt field, only the reason.
    """
    methods = ([DRAW, RECTANGLES, UPLOAD] if allow_image else []) + ([PROMPT] if allow_prompt else [])
    method = st.radio(_("Make the mask by"), methods, key=f"{key}_method", horizontal=True, format_func=_) \
        if len(methods) > 1 else methods[0]
    if method == PROMPT:
        if task is None or not task.uses_mask_prompt:
            task = Task.INPAINT_BY_PROMPT if mode is PaintMode.INPAINTING else Task.OUTPAINT_BY_PROMPT
        if not uses_mask_prompt(model, task):  # the words would do nothing: say so instead of asking for them
            st.caption(f":material/info: {mask_prompt_reason(model, task)}")
            return MaskChoice(mask_prompt="")
        text = st.text_input(_(prompt_label), value=default_prompt, key=f"{key}_prompt",
                             help=_("The item to replace (if inpainting), or keep (if outpainting)."))
        if mode is not PaintMode.INPAINTING:
            said = _("{model} finds “{item}” itself and will keep it and repaint everything else.")
        elif model.runs_locally:
            said = _("{model} finds “{item}” itself and will fill it from its surroundings.")
        else:
            said = _("{model} finds “{item}” itself and will repaint it.")
        st.caption(said.format(model=model.label, item=text or "…"))
        if model.runs_locally:
            found_object_preview(image, text, mode)
        return MaskChoice(mask_prompt=text)

    notes: list[str] = []
    if method == DRAW:
        selection = _draw(key, image)
    elif method == RECTANGLES:
        selection = _rectangles(key, image, sample_id)
    else:
        selection, notes = _upload(key, image, photo_fit)
    show_notes(notes, _("Mask repaired"))

    c1, c2, c3 = st.columns(3)
    if c1.checkbox(_("Invert"), key=f"{key}_invert", help=_("Swap the marked and unmarked areas.")):
        selection = masks.invert(selection)
    selection = masks.grow(selection, c2.slider(_("Grow / shrink (px)"), -20, 20, 0, key=f"{key}_grow"))
    selection = masks.feather(selection, c3.slider(_("Feather (px)"), 0, 20, 0, key=f"{key}_feather",
                                                   help=_("Soft edges. Titan and Nova get pure black and white; "
                                                          "Stability blends the grey edge.")))
    change = masks.area_to_change(selection, mode)
    share = masks.coverage(change)
    caption = (_("Tinted = will change ({share} of the image): inpainting repaints the marked area.")
               if mode is PaintMode.INPAINTING else
               _("Tinted = will change ({share} of the image): outpainting keeps the marked area and repaints the "
                 "rest."))
    st.image(_preview(image, change), width=min(CANVAS_MAX_WIDTH, image.width),
             caption=caption.format(share=f"{share:.0%}"))
    if masks.coverage(selection) == 0:
        st.info(_("Nothing is marked yet."), icon=":material/gesture:")
    sent = model_mask(model, encode_image(selection, "png"), Task.OUTPAINT if mode is PaintMode.OUTPAINTING
                      else Task.INPAINT)
    if sent is not None:
        st.download_button(_("Download the mask (as sent to the model)"), sent,
                           file_name=f"mask-{model.id.split(':')[0]}.png", mime="image/png", key=f"{key}_download",
                           on_click="ignore", icon=":material/download:")
    return MaskChoice(selection=selection, notes=notes)
