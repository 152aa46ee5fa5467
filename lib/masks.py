"""Masks, and the one place that knows mask polarity.

Inside the app a mask is a *selection*: an 8-bit greyscale ("L") image the size
of the photo, 255 where the user means ("painted = the area I mean"), 0
elsewhere, grey only at feathered edges. Whether that area is repainted
(inpainting) or kept while everything else is repainted (outpainting) is the
paint mode, and `area_to_change` is the only function that applies it.

Models disagree on colours, so only `model_mask` converts a selection:
- Titan Image Generator and Nova Canvas `maskImage`: BLACK (0,0,0) = the masked
  area, WHITE = the rest, pure black and white RGB. The task type (INPAINTING or
  OUTPAINTING) decides what happens to the masked area.
- Stability AI `mask`: WHITE = the area to change, BLACK = keep; grey = partial.
  Stability has no outpainting-by-mask, so it receives the area to change.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from PIL import Image, ImageFilter

from lib.catalog import SizeRule
from lib.errors import InvalidInput
from lib.i18n import _
from lib.imaging import THE_MASK, decode_image, fit_image

# Canvas colours (see lib/ui): strokes in BRUSH add to the selection, strokes in
# ERASER remove from it. Semi-transparent so the photo stays visible; the last
# stroke over a pixel wins because the canvas composites strokes in order.
BRUSH_COLOR = "rgba(255, 0, 255, 0.6)"
ERASER_COLOR = "rgba(0, 255, 255, 0.6)"
MAX_GROW_PX = 40


class PaintMode(StrEnum):
    INPAINTING = "INPAINTING"  # repaint the selected area
    OUTPAINTING = "OUTPAINTING"  # keep the selected area, repaint everything else


class Polarity(StrEnum):
    AUTO = "auto"
    BLACK_MARKS = "black marks the area"  # Titan / Nova Canvas files, the workshop's mask1.png
    WHITE_MARKS = "white marks the area"  # Stability files


@dataclass
class MaskResult:
    selection: Image.Image  # "L", 255 = the area the user means
    notes: list[str] = field(default_factory=list)


def empty(size: tuple[int, int]) -> Image.Image:
    return Image.new("L", size, 0)


def rectangle(size: tuple[int, int], x: int, y: int, width: int, height: int) -> Image.Image:
    """A selection holding one rectangle, clipped to the image."""
    return rectangles(size, [(x, y, width, height)])


def rectangles(size: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """A selection holding every (x, y, width, height) box, clipped to the image."""
    sel = np.zeros((size[1], size[0]), dtype=np.uint8)
    for x, y, w, h in boxes:
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(size[0], int(x + w)), min(size[1], int(y + h))
        if x1 > x0 and y1 > y0:
            sel[y0:y1, x0:x1] = 255
    return Image.fromarray(sel, "L")


def from_strokes(canvas_rgba: Image.Image | np.ndarray, size: tuple[int, int]) -> Image.Image:
    """A selection from the drawing canvas: brush pixels in, eraser pixels out, resized to the photo."""
    rgba = np.asarray(canvas_rgba.convert("RGBA") if isinstance(canvas_rgba, Image.Image) else canvas_rgba)
    r, g, a = rgba[..., 0].astype(int), rgba[..., 1].astype(int), rgba[..., 3]
    painted = (a >= 64) & (r > g)
    sel = Image.fromarray(np.where(painted, 255, 0).astype(np.uint8), "L")
    return sel if sel.size == size else sel.resize(size, Image.Resampling.NEAREST)


def from_upload(data: bytes, image_size: tuple[int, int], *, polarity: Polarity = Polarity.AUTO,
                resize: bool = False, max_bytes: int = 20 * 1024 * 1024,
                photo_fit: tuple[tuple[int, int], SizeRule] | None = None) -> MaskResult:
    """Check an uploaded mask file and repair what can be repaired, saying what was done.

    A mask made for the original photo is fitted together with it (`photo_fit`: the photo's
    original size and the rule it was fitted to). Any other size is refused unless `resize`
    is set, naming both sizes.
    """
    decoded = decode_image(data, max_bytes=max_bytes, name=THE_MASK)
    img, notes = decoded.image, list(decoded.notes)
    if photo_fit and img.size == photo_fit[0] != image_size:
        # Same geometry as the photo: fit_image's resize and crop depend only on the size.
        grey = _to_grey(img, notes)
        img = fit_image(grey, photo_fit[1]).image.convert("L")
        notes.append(_("Fitted the mask together with the photo: {width}×{height} → {new_width}×{new_height}.").format(
            width=photo_fit[0][0], height=photo_fit[0][1], new_width=image_size[0], new_height=image_size[1]))
    if img.size != image_size:
        if not resize:
            raise InvalidInput(
                _("The mask is {mask_width}×{mask_height} but the image is {width}×{height}.").format(
                    mask_width=img.size[0], mask_height=img.size[1], width=image_size[0], height=image_size[1]),
                _("Upload a mask of the same size, or tick “Resize the mask to the image”."))
        notes.append(_("Resized the mask from {mask_width}×{mask_height} to {width}×{height}.").format(
            mask_width=img.size[0], mask_height=img.size[1], width=image_size[0], height=image_size[1]))
        img = img.resize(image_size, Image.Resampling.NEAREST)

    grey = _to_grey(img, notes)
    values = np.asarray(grey)
    in_between = float(np.mean((values > 16) & (values < 240)))
    black = values < 128
    if in_between > 0.001:
        notes.append(_("Turned the mask into pure black and white at 50% brightness ({share} of pixels were grey "
                       "or coloured).").format(share=f"{in_between:.0%}"))

    if polarity is Polarity.AUTO:
        black_share = float(np.mean(black))
        if black_share == 0 or black_share == 1:
            raise InvalidInput(_("The mask is a single colour, so it marks nothing."),
                               _("Upload a mask with a black (or white) area on the other colour."))
        polarity = Polarity.BLACK_MARKS if black_share <= 0.5 else Polarity.WHITE_MARKS
        said = (_("Read black as the marked area (black is the smaller part, {share} of the image). Use “Invert” "
                  "if that is wrong.") if polarity is Polarity.BLACK_MARKS else
                _("Read white as the marked area (white is the smaller part, {share} of the image). Use “Invert” "
                  "if that is wrong."))
        notes.append(said.format(share=f"{min(black_share, 1 - black_share):.0%}"))
    marked = black if polarity is Polarity.BLACK_MARKS else ~black
    return MaskResult(Image.fromarray(np.where(marked, 255, 0).astype(np.uint8), "L"), notes)


def _to_grey(img: Image.Image, notes: list[str]) -> Image.Image:
    """Greyscale, handling alpha: a mask drawn only in its alpha channel uses the alpha."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"))
        colour = np.asarray(rgba.convert("L"))
        if alpha.min() < 255 and colour.max() - colour.min() < 16:
            notes.append(_("Removed the alpha channel: the mask was drawn in it, so opaque pixels became black "
                           "(marked) and transparent ones white."))
            return Image.fromarray(np.where(alpha >= 128, 0, 255).astype(np.uint8), "L")
        notes.append(_("Removed the alpha channel (models reject masks with transparency); transparent pixels "
                       "became white."))
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background.convert("L")
    return img.convert("L")


def invert(selection: Image.Image) -> Image.Image:
    return Image.eval(selection, lambda v: 255 - v)


def grow(selection: Image.Image, pixels: int) -> Image.Image:
    """Dilate (pixels > 0) or erode (pixels < 0) the selection by whole pixels."""
    steps = max(-MAX_GROW_PX, min(MAX_GROW_PX, int(pixels)))
    if steps == 0:
        return selection
    flt = ImageFilter.MaxFilter(3) if steps > 0 else ImageFilter.MinFilter(3)
    out = selection
    for _ in range(abs(steps)):
        out = out.filter(flt)
    return out


def feather(selection: Image.Image, pixels: int) -> Image.Image:
    """Soften the edge over about `pixels` pixels (grey edges: Stability blends them)."""
    return selection if pixels <= 0 else selection.filter(ImageFilter.GaussianBlur(pixels / 2))


def binarize(selection: Image.Image, threshold: int = 128) -> Image.Image:
    return selection.point(lambda v: 255 if v >= threshold else 0)


def coverage(selection: Image.Image) -> float:
    """Share of the image the selection covers, 0–1."""
    return float(np.mean(np.asarray(selection) >= 128))


def area_to_change(selection: Image.Image, mode: PaintMode) -> Image.Image:
    """Inpainting repaints the selection; outpainting repaints everything else."""
    return selection if mode is PaintMode.INPAINTING else invert(selection)


def overlay(image: Image.Image, change: Image.Image, colour: tuple[int, int, int] = (255, 0, 96),
            strength: float = 0.5) -> Image.Image:
    """The photo with the area that WILL CHANGE tinted, for the live preview."""
    base = image.convert("RGB")
    tint = Image.new("RGB", base.size, colour)
    alpha = change.resize(base.size, Image.Resampling.NEAREST).point(lambda v: int(v * strength))
    return Image.composite(tint, base, alpha)


def check_usable(selection: Image.Image, mode: PaintMode) -> None:
    """Refuse a mask that would change nothing or everything, before any call."""
    share = coverage(area_to_change(selection, mode))
    if share == 0:
        raise InvalidInput(_("The mask marks nothing, so nothing would change."),
                           _("Paint, place or upload a mask first (or type a mask prompt)."))
    if share == 1:
        raise InvalidInput(_("The mask marks the whole image, so nothing would be kept."),
                           _("Leave part of the image unmarked, or use Invert."))


# --- the kept area of an outpainting (lab 6's DEFAULT vs PRECISE) ------------------------------------------

#: a pixel of the kept area counts as changed when a colour channel moved by more than this (of 255), so
#: compression and a model's re-encoding of areas it left alone are not counted
CHANGE_TOLERANCE = 24


@dataclass(frozen=True)
class KeptChange:
    """How much of the kept area (the object an outpainting keeps) a result changed."""

    changed: int  # pixels of the kept area that changed
    total: int  # pixels in the kept area
    tolerance: int = CHANGE_TOLERANCE

    @property
    def share(self) -> float:
        return self.changed / self.total if self.total else 0.0


def _same_size(result: Image.Image, size: tuple[int, int]) -> Image.Image:
    rgb = result.convert("RGB")
    return rgb if rgb.size == size else rgb.resize(size, Image.Resampling.LANCZOS)


def _kept(selection: Image.Image, size: tuple[int, int]) -> np.ndarray:
    sel = selection.convert("L")
    if sel.size != size:
        sel = sel.resize(size, Image.Resampling.NEAREST)
    return np.asarray(sel) >= 128


def kept_pixels_changed(photo: Image.Image, result: Image.Image, selection: Image.Image,
                        tolerance: int = CHANGE_TOLERANCE) -> KeptChange:
    """How many pixels of the kept area (`selection` ≥ 128) differ between the photo and a result.

    A pixel counts when any colour channel moved by more than `tolerance`; a result of another size is
    resized to the photo's first. PRECISE keeps the area exactly (0); DEFAULT lets the model reshape its edge.
    """
    kept = _kept(selection, photo.size)
    before = np.asarray(photo.convert("RGB"), dtype=np.int16)
    after = np.asarray(_same_size(result, photo.size), dtype=np.int16)
    moved = np.abs(after - before).max(axis=2) > tolerance
    return KeptChange(int(np.count_nonzero(moved & kept)), int(np.count_nonzero(kept)), tolerance)


def put_back(photo: Image.Image, result: Image.Image, selection: Image.Image) -> Image.Image:
    """The result (at the photo's size) with the kept area's original pixels restored exactly."""
    kept = Image.fromarray(np.where(_kept(selection, photo.size), 255, 0).astype(np.uint8), "L")
    return Image.composite(photo.convert("RGB"), _same_size(result, photo.size), kept)


def reach_into(change: Image.Image, pixels: int) -> Image.Image:
    """The area to change, reaching `pixels` into the kept area with falling strength (grey = partial).

    255 on the area to change, then a linear ramp from about 255 at the kept area's edge down to 0 at
    `pixels` inside it: a model that reads grey as partial strength (Stability) may repaint the kept object's
    edge and blend it into the new scene, more at the edge than further in.
    """
    steps = max(0, min(MAX_GROW_PX, int(pixels)))
    if steps == 0:
        return change
    reached = np.zeros((change.height, change.width), dtype=np.int32)
    grown = binarize(change)
    for _ in range(steps):  # a pixel d steps inside is reached by the last steps - d + 1 dilations
        grown = grown.filter(ImageFilter.MaxFilter(3))
        reached += np.asarray(grown) >= 128
    ramp = reached * 255 // (steps + 1)
    return Image.fromarray(np.maximum(np.asarray(change.convert("L")), ramp).astype(np.uint8), "L")


def model_mask(selection: Image.Image, polarity: Polarity, mode: PaintMode) -> bytes:
    """The mask PNG an engine expects (it names its `polarity`) — the only place polarity is converted.

    - BLACK_MARKS (Titan / Nova Canvas `maskImage`): black = the selected area, pure black and white RGB
      (Nova refuses grey and alpha); the task type decides whether that area is repainted or kept.
    - WHITE_MARKS (Stability `mask`): white = the area to change; grey edges are allowed and blend.
    """
    if polarity is Polarity.BLACK_MARKS:
        black_is_selected = invert(binarize(selection))
        return _png(black_is_selected.convert("RGB"))
    if polarity is Polarity.WHITE_MARKS:
        return _png(area_to_change(selection, mode).convert("L"))
    raise ValueError(f"A model mask needs a definite polarity, not {polarity}.")


def model_mask_from_png(selection_png: bytes, polarity: Polarity, mode: PaintMode) -> bytes:
    """`model_mask` for a selection stored as PNG bytes (as requests carry it)."""
    with Image.open(io.BytesIO(selection_png)) as sel:
        return model_mask(sel.convert("L"), polarity, mode)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
