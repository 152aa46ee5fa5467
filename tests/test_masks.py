"""Mask operations and the single polarity conversion (lib/masks.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from lib import masks
from lib.errors import InvalidInput
from lib.masks import PaintMode, Polarity

SIZE = (40, 30)
BOX = (10, 5, 12, 8)  # x, y, w, h


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img)


def box_selection() -> Image.Image:
    return masks.rectangle(SIZE, *BOX)


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# --- building selections -------------------------------------------------------------------

def test_rectangle_marks_exactly_the_box_and_clips():
    sel = arr(box_selection())
    assert sel.shape == (30, 40) and sel.dtype == np.uint8
    assert sel[5:13, 10:22].min() == 255 and sel.sum() == 255 * 12 * 8
    clipped = arr(masks.rectangle(SIZE, 35, 25, 100, 100))
    assert clipped.sum() == 255 * 5 * 5


def test_strokes_brush_adds_eraser_removes_last_stroke_wins():
    canvas = np.zeros((30, 40, 4), dtype=np.uint8)
    canvas[:, :20] = (255, 0, 255, 153)        # brush over the left half
    canvas[:, 10:20] = (73, 182, 255, 214)     # eraser composited over part of it
    sel = arr(masks.from_strokes(canvas, SIZE))
    assert sel[:, :10].min() == 255 and sel[:, 10:].max() == 0


def test_strokes_are_scaled_from_canvas_to_photo_size():
    canvas = np.zeros((60, 80, 4), dtype=np.uint8)
    canvas[:30, :40] = (255, 0, 255, 153)
    sel = masks.from_strokes(canvas, SIZE)
    assert sel.size == SIZE and masks.coverage(sel) == pytest.approx(0.25, abs=0.02)


# --- uploads ---------------------------------------------------------------------------------

def workshop_style_mask() -> Image.Image:
    """Like the workshop's mask1.png: RGB, white background, black = the area."""
    img = Image.new("RGB", SIZE, (255, 255, 255))
    img.paste((0, 0, 0), (10, 5, 22, 13))
    return img


def test_upload_black_marks_detected_like_the_workshop_mask():
    result = masks.from_upload(png(workshop_style_mask()), SIZE)
    assert arr(result.selection).tolist() == arr(box_selection()).tolist()
    assert any("Read black as the marked area" in n for n in result.notes)


def test_upload_white_marks_detected_for_stability_style_masks():
    inverted = Image.eval(workshop_style_mask(), lambda v: 255 - v)
    result = masks.from_upload(png(inverted), SIZE)
    assert arr(result.selection).tolist() == arr(box_selection()).tolist()
    assert any("Read white as the marked area" in n for n in result.notes)


def test_upload_explicit_polarity_overrides_detection():
    result = masks.from_upload(png(workshop_style_mask()), SIZE, polarity=Polarity.WHITE_MARKS)
    assert masks.coverage(result.selection) == pytest.approx(1 - 96 / 1200)
    assert not any("Read" in n for n in result.notes)


def test_upload_alpha_only_mask_uses_its_alpha_and_says_so():
    rgba = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (10, 5, 22, 13))
    result = masks.from_upload(png(rgba), SIZE)
    assert arr(result.selection).tolist() == arr(box_selection()).tolist()
    assert any("Removed the alpha channel" in n and "drawn in it" in n for n in result.notes)


def test_upload_alpha_over_a_real_mask_is_flattened_with_a_note():
    rgba = workshop_style_mask().convert("RGBA")
    rgba.putpixel((0, 0), (255, 255, 255, 0))
    result = masks.from_upload(png(rgba), SIZE)
    assert arr(result.selection).tolist() == arr(box_selection()).tolist()
    assert any("Removed the alpha channel (models reject" in n for n in result.notes)


def test_upload_grey_mask_is_binarised_with_a_note():
    grey = Image.new("L", SIZE, 230)
    grey.paste(40, (10, 5, 22, 13))
    result = masks.from_upload(png(grey), SIZE)
    assert set(np.unique(arr(result.selection))) == {0, 255}
    assert arr(result.selection).tolist() == arr(box_selection()).tolist()
    assert any("pure black and white" in n for n in result.notes)


def test_upload_of_the_wrong_size_is_refused_naming_both_sizes():
    with pytest.raises(InvalidInput) as info:
        masks.from_upload(png(workshop_style_mask()), (80, 60))
    assert "40×30" in info.value.message and "80×60" in info.value.message
    assert "Resize the mask" in info.value.hint


def test_upload_of_the_wrong_size_is_resized_on_request():
    result = masks.from_upload(png(workshop_style_mask()), (80, 60), resize=True)
    assert result.selection.size == (80, 60)
    assert masks.coverage(result.selection) == pytest.approx(96 / 1200, abs=0.01)
    assert any("Resized the mask from 40×30 to 80×60" in n for n in result.notes)


def test_single_colour_mask_and_non_image_are_refused():
    with pytest.raises(InvalidInput, match="single colour"):
        masks.from_upload(png(Image.new("L", SIZE, 255)), SIZE)
    with pytest.raises(InvalidInput, match="not an image"):
        masks.from_upload(b"hello", SIZE)


# --- operations ------------------------------------------------------------------------------

def test_invert_grow_shrink_feather_binarize():
    sel = box_selection()
    assert masks.coverage(masks.invert(sel)) == pytest.approx(1 - 96 / 1200)
    grown = arr(masks.grow(sel, 2))
    assert grown.sum() == 255 * 16 * 12
    assert arr(masks.grow(sel, -2)).sum() == 255 * 8 * 4
    assert masks.grow(sel, 0) is sel
    soft = arr(masks.feather(sel, 4))
    assert 0 < soft[9, 9] < 255  # grey just outside the edge
    assert set(np.unique(arr(masks.binarize(masks.feather(sel, 4))))) <= {0, 255}


def test_area_to_change_follows_the_paint_mode():
    sel = box_selection()
    assert masks.area_to_change(sel, PaintMode.INPAINTING) is sel
    assert arr(masks.area_to_change(sel, PaintMode.OUTPAINTING)).tolist() == arr(masks.invert(sel)).tolist()


def test_overlay_tints_only_the_area_that_will_change():
    photo = Image.new("RGB", SIZE, (10, 120, 10))
    tinted = arr(masks.overlay(photo, masks.area_to_change(box_selection(), PaintMode.OUTPAINTING)))
    assert tuple(tinted[8, 12]) == (10, 120, 10)  # inside the box: kept, not tinted
    assert tuple(tinted[0, 0]) != (10, 120, 10)


def test_check_usable_refuses_empty_and_full_change_areas():
    with pytest.raises(InvalidInput, match="marks nothing"):
        masks.check_usable(masks.empty(SIZE), PaintMode.INPAINTING)
    with pytest.raises(InvalidInput, match="whole image"):
        masks.check_usable(masks.invert(masks.empty(SIZE)), PaintMode.INPAINTING)
    with pytest.raises(InvalidInput, match="marks nothing"):
        masks.check_usable(masks.invert(masks.empty(SIZE)), PaintMode.OUTPAINTING)
    masks.check_usable(box_selection(), PaintMode.OUTPAINTING)


# --- polarity per family -----------------------------------------------------------------------

@pytest.mark.parametrize("mode", list(PaintMode))
def test_titan_and_nova_get_black_for_the_selection_in_pure_rgb(mode):
    out = decode(masks.model_mask(masks.feather(box_selection(), 4), masks.Polarity.BLACK_MARKS, mode))
    assert out.mode == "RGB" and out.size == SIZE
    values = arr(out)
    assert set(np.unique(values)) <= {0, 255}
    assert tuple(values[8, 15]) == (0, 0, 0) and tuple(values[0, 0]) == (255, 255, 255)


def test_stability_gets_white_for_the_area_to_change():
    inpaint = arr(decode(masks.model_mask(box_selection(), masks.Polarity.WHITE_MARKS, PaintMode.INPAINTING)))
    assert inpaint[8, 15] == 255 and inpaint[0, 0] == 0
    outpaint = arr(decode(masks.model_mask(box_selection(), masks.Polarity.WHITE_MARKS, PaintMode.OUTPAINTING)))
    assert outpaint[8, 15] == 0 and outpaint[0, 0] == 255


def test_stability_keeps_feathered_grey_edges():
    soft = arr(decode(masks.model_mask(masks.feather(box_selection(), 4), masks.Polarity.WHITE_MARKS,
                                       PaintMode.INPAINTING)))
    assert 0 < soft[9, 9] < 255


def test_upload_made_for_the_original_photo_is_fitted_together_with_it():
    from lib.catalog import get_model

    rule = get_model("amazon.titan-image-generator-v2:0").image.edit_rule
    original = (2816, 1000)  # fitted to 1408×500 for Titan editing
    photo = Image.new("RGB", original)
    fitted_size = imaging_fit(photo, rule)
    mask = Image.new("RGB", original, (255, 255, 255))
    mask.paste((0, 0, 0), (0, 0, 1408, 1000))  # the left half
    result = masks.from_upload(png(mask), fitted_size, photo_fit=(original, rule))
    assert result.selection.size == fitted_size
    assert masks.coverage(result.selection) == pytest.approx(0.5, abs=0.01)
    assert any("Fitted the mask together with the photo: 2816×1000" in n for n in result.notes)


def imaging_fit(img: Image.Image, rule) -> tuple[int, int]:
    from lib.imaging import fit_image

    return fit_image(img, rule).image.size
