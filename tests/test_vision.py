"""Lab 8 presets and image preparation for vision models."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lib.imaging import sniff_format
from lib.vision import PRESETS, VisionLimits, prepare_for_vision


def encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_nine_workshop_presets_verbatim():
    assert len(PRESETS) == 9
    assert PRESETS["Image classification"] == ("Please categorize this image into one of the following categories: "
                                               "People, Food, Other. Only return the category name.")
    assert PRESETS["Subject identification"].endswith("in <object> tags.")
    assert PRESETS["Translating text"] == "Please translate the text in this image to French."


def test_a_png_stays_a_png_byte_for_byte():
    data = encoded(Image.new("RGB", (300, 200), "red"), "PNG")
    out = prepare_for_vision(data)
    assert out.format == "png" and out.data == data and out.notes == []


def test_a_large_photo_is_downscaled_to_the_long_edge_with_a_note():
    data = encoded(Image.effect_noise((3000, 1500), 40).convert("RGB"), "JPEG", quality=85)
    out = prepare_for_vision(data)
    assert out.size == (1568, 784) and out.format == "jpeg" and sniff_format(out.data) == "jpeg"
    assert "Downscaled from 3000×1500 to 1568×784" in out.notes[0]


def test_an_unsupported_format_is_converted():
    out = prepare_for_vision(encoded(Image.new("RGB", (50, 40), "blue"), "BMP"))
    assert out.format == "png" and sniff_format(out.data) == "png"
    assert "Converted from BMP to PNG" in out.notes[0]


def test_over_the_byte_limit_is_re_encoded_as_jpeg():
    noisy = encoded(Image.effect_noise((1500, 1500), 120).convert("RGB"), "PNG")
    out = prepare_for_vision(noisy, VisionLimits(max_bytes=400_000))
    assert out.format == "jpeg" and len(out.data) <= 400_000
    assert any("Re-encoded as JPEG" in n for n in out.notes)


def test_non_images_are_refused_with_a_message():
    from lib.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not an image"):
        prepare_for_vision(b"%PDF-1.7 nope")
