"""Lab 8 presets and image preparation for vision models."""

from __future__ import annotations

import io
import zlib

import numpy as np
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


# --- every mode Pillow decodes goes out 8-bit, in a format the model reads ---------------------------

# Exactly what a vision request may carry: 8-bit greyscale, greyscale+alpha, palette, RGB, RGBA...
SENDABLE_MODES = {"L", "LA", "P", "RGB", "RGBA"}
# ...in one of Converse's formats.
SENDABLE_FORMATS = {"png", "jpeg", "gif", "webp"}


def ramp(size: tuple[int, int] = (48, 32)) -> Image.Image:
    """A left-to-right grey ramp (0→255), so conversions that clip or blank the image show."""
    return Image.fromarray(np.tile(np.linspace(0, 255, size[0], dtype=np.uint8), (size[1], 1)), "L")


def in_mode(mode: str) -> Image.Image:
    """A 48×32 image in `mode` with real variation in it."""
    grey, colour = ramp(), Image.merge("RGB", (ramp(), ramp().transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                                  Image.new("L", (48, 32), 90)))
    if mode == "I;16":
        return Image.fromarray(np.asarray(grey, dtype=np.uint16) * 200 + 1000)  # 1000–52000
    if mode == "I;16B":
        values = np.asarray(grey, dtype=np.uint16) * 200
        return Image.frombytes("I;16B", grey.size, values.astype(">u2").tobytes())
    if mode == "I":
        return Image.fromarray(np.asarray(grey, dtype=np.int32) * 100_000 - 5_000_000)
    if mode == "F":
        return Image.fromarray(np.asarray(grey, dtype=np.float32) / 255 * 3.5 - 1.0)
    if mode in ("LA", "RGBA"):
        img = (grey if mode == "LA" else colour).convert(mode)
        img.putalpha(ramp().transpose(Image.Transpose.FLIP_TOP_BOTTOM))
        return img
    if mode == "PA":
        return Image.merge("PA", (colour.convert("P"), grey))
    return colour.convert(mode)


# mode → how a user's file would bring it (PNG can't hold I, F, CMYK, YCbCr, LAB or PA).
MODE_FILES = [
    ("1", "PNG"), ("L", "PNG"), ("L", "JPEG"), ("LA", "PNG"), ("P", "PNG"), ("P", "GIF"), ("I;16", "PNG"),
    ("I;16B", "TIFF"), ("I", "TIFF"), ("F", "TIFF"), ("CMYK", "JPEG"), ("CMYK", "TIFF"), ("RGB", "PNG"),
    ("RGB", "JPEG"), ("RGB", "WEBP"), ("RGBA", "PNG"), ("RGBA", "WEBP"), ("YCbCr", "TIFF"), ("LAB", "TIFF"),
    ("PA", "TIFF"), ("1", "BMP"),
]


def file_in_mode(mode: str, pil_format: str) -> bytes:
    img = in_mode(mode)
    data = encoded(img, pil_format, **({"lossless": True} if pil_format == "WEBP" else {}))
    assert Image.open(io.BytesIO(data)).mode == (mode if pil_format != "WEBP" else img.mode)  # the test is real
    return data


def png_16_bit_rgb(size: tuple[int, int] = (8, 4)) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow can read but not write one; it opens it as 8-bit RGB)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    w, h = size
    row = b"\x00" + b"".join(int(x * 8000).to_bytes(2, "big") * 3 for x in range(w))
    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([16, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * h)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("mode", "pil_format"), MODE_FILES)
def test_every_mode_is_sent_8_bit_in_a_converse_format(mode: str, pil_format: str) -> None:
    data = file_in_mode(mode, pil_format)
    out = prepare_for_vision(data, name="“scan”")
    sent = Image.open(io.BytesIO(out.data))
    assert out.format in SENDABLE_FORMATS and sniff_format(out.data) == out.format
    assert sent.mode in SENDABLE_MODES, (mode, pil_format, sent.mode)
    assert sent.size == (48, 32) == out.size
    sent.load()  # really decodable
    if mode not in SENDABLE_MODES:
        assert out.data != data
        assert any("to 8-bit" in n and "the model reads" in n for n in out.notes), out.notes


@pytest.mark.parametrize(("mode", "pil_format"), [m for m in MODE_FILES if m[0] in SENDABLE_MODES
                                                  and m[1] in ("PNG", "JPEG", "GIF", "WEBP")])
def test_an_8_bit_image_in_a_converse_format_goes_out_byte_for_byte(mode: str, pil_format: str) -> None:
    data = file_in_mode(mode, pil_format)
    out = prepare_for_vision(data)
    assert out.data == data and out.notes == []


def test_sixteen_bit_greyscale_png_is_sent_as_8_bit_with_its_contrast_and_a_note() -> None:
    """The bug: a 16-bit PNG raised "cannot write mode I;16 as JPEG" (or went out 16-bit)."""
    out = prepare_for_vision(file_in_mode("I;16", "PNG"))
    sent = Image.open(io.BytesIO(out.data))
    assert out.format == "png" and sent.mode == "L"
    assert sent.getextrema() == (0, 255)
    assert out.notes == ["Converted from 16-bit greyscale (I;16) to 8-bit, its range of values stretched over "
                         "0–255: the model reads 8-bit images."]


def test_sixteen_bit_greyscale_over_the_long_edge_and_byte_limit_is_sent() -> None:
    big = Image.fromarray(np.random.default_rng(0).integers(0, 65535, (1200, 2000), dtype=np.uint16))
    out = prepare_for_vision(encoded(big, "PNG"), VisionLimits(max_bytes=300_000))
    sent = Image.open(io.BytesIO(out.data))
    assert out.format == "jpeg" and sent.mode in SENDABLE_MODES and len(out.data) <= 300_000
    assert any("16-bit greyscale" in n for n in out.notes)


def test_a_cmyk_jpeg_is_sent_as_rgb_jpeg_with_a_note() -> None:
    cmyk = Image.new("CMYK", (40, 30), (0, 255, 255, 0))  # pure red in print colours
    out = prepare_for_vision(encoded(cmyk, "JPEG", quality=95))
    sent = Image.open(io.BytesIO(out.data))
    assert out.format == "jpeg" and sent.mode == "RGB"
    r, g, b = sent.getpixel((20, 15))
    assert r > 230 and g < 30 and b < 30
    assert out.notes == ["Converted from CMYK print colours to 8-bit RGB: the model reads RGB colour."]


def test_a_16_bit_colour_png_is_re_encoded_at_8_bits() -> None:
    """Pillow opens it as RGB, so only the file's header shows the original bytes are 16-bit."""
    data = png_16_bit_rgb()
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    out = prepare_for_vision(data)
    assert out.data != data and out.format == "png" and out.data[24] == 8
    assert out.notes == ["Converted from 16 bits per channel to 8: the model reads 8-bit images."]
