"""lib.imaging: format sniffing, safe decoding, RGB conversion, fitting to model rules, encoding."""

from __future__ import annotations

import base64
import io
import re
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from lib import imaging
from lib.catalog import SizeRule, get_model
from lib.errors import InvalidInput
from lib.imaging import (
    b64decode,
    b64encode,
    closest_allowed_size,
    decode_image,
    encode_for_model,
    encode_image,
    fit_image,
    image_size,
    sniff_format,
    thumbnail,
    to_rgb,
)

TITAN_RULE = get_model("amazon.titan-image-generator-v2:0").image.output_rule
NOVA_RULE = get_model("amazon.nova-canvas-v1:0").image.output_rule
SD35_RULE = get_model("stability.sd3-5-large-v1:0").image.input_rule
HEIC_HEAD = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


# --- helpers -----------------------------------------------------------------------

def save(img: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    """Encode `img` with PIL in `fmt` (a PIL format name)."""
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def solid(size: tuple[int, int] = (40, 30), color: Any = (200, 40, 40), mode: str = "RGB") -> Image.Image:
    """A one-colour image."""
    return Image.new(mode, size, color)


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Random RGB pixels: compresses badly, so encodings are large."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 8×8 PNG whose IHDR (with a correct CRC) claims `width`×`height`."""
    data = bytearray(save(solid((8, 8)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:20] = width.to_bytes(4, "big")
    data[20:24] = height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


@pytest.fixture
def load_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every decode of pixel data (ImageFile.load) during the test."""
    calls: list[str] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        calls.append(type(self).__name__)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


# --- sniff_format ------------------------------------------------------------------------

@pytest.mark.parametrize(("pil_format", "expected"), [
    ("PNG", "png"), ("JPEG", "jpeg"), ("GIF", "gif"), ("WEBP", "webp"), ("BMP", "bmp"), ("TIFF", "tiff"),
])
def test_sniff_real_encodings(pil_format: str, expected: str) -> None:
    assert sniff_format(save(solid(), pil_format)) == expected


@pytest.mark.parametrize(("data", "expected"), [
    (b"MM\x00*\x00\x00\x00\x08", "tiff"),   # big-endian TIFF
    (b"GIF87a\x01\x00\x01\x00", "gif"),
    (HEIC_HEAD, "heic"),
    (b"\x00\x00\x00\x18ftypmif1" + b"\x00" * 16, "heic"),
    (b"\x00\x00\x00\x1cftypavif" + b"\x00" * 16, "avif"),
    (b"%PDF-1.7\n", None),
    (b"hello, world", None),
    (b"\x89PN", None),                       # too short to be a PNG
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),  # RIFF but not WebP
    (b"", None),
])
def test_sniff_signatures_and_junk(data: bytes, expected: str | None) -> None:
    assert sniff_format(data) == expected


def test_sniff_ignores_what_a_file_claims_to_be() -> None:
    png = save(solid(), "PNG")
    assert sniff_format(png) == "png"
    assert sniff_format(b"JFIF" + png) is None


# --- decode_image: good input ---------------------------------------------------------------

@pytest.mark.parametrize(("pil_format", "expected"), [
    ("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff"),
])
def test_decode_readable_formats(pil_format: str, expected: str) -> None:
    decoded = decode_image(save(solid((40, 30)), pil_format))
    assert decoded.format == expected
    assert decoded.size == (40, 30)
    assert decoded.notes == []


def test_decode_exif_rotation_is_applied_and_noted() -> None:
    img = solid((40, 20), (0, 180, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    decoded = decode_image(save(img, "JPEG", exif=exif))
    assert decoded.size == (20, 40)
    assert any("EXIF orientation" in n for n in decoded.notes)


def test_decode_exif_upside_down_is_noted_even_though_the_size_is_unchanged() -> None:
    img = solid((40, 20), (0, 180, 0))
    img.paste((255, 0, 0), (0, 0, 10, 10))  # a red block top-left
    exif = Image.Exif()
    exif[0x0112] = 3  # "rotate 180°"
    decoded = decode_image(save(img, "PNG", exif=exif))
    assert decoded.size == (40, 20)
    assert decoded.image.getpixel((35, 15))[:3] == (255, 0, 0)  # now bottom-right
    assert any("EXIF orientation" in n for n in decoded.notes)


def test_decode_without_exif_orientation_has_no_rotation_note() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    decoded = decode_image(save(solid((40, 20)), "JPEG", exif=exif))
    assert decoded.size == (40, 20)
    assert decoded.notes == []


def test_decode_animated_gif_uses_the_first_frame() -> None:
    frames = [solid((32, 32), (255, 0, 0)), solid((32, 32), (0, 0, 255)), solid((32, 32), (0, 255, 0))]
    data = save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode_image(data)
    assert decoded.format == "gif"
    assert decoded.notes == ["Used the first frame of the animated GIF."]
    rgb, _ = to_rgb(decoded.image)
    assert rgb.getpixel((16, 16)) == (255, 0, 0)
    assert getattr(decoded.image, "n_frames", 1) == 1


# --- decode_image: refusals ------------------------------------------------------------------

def test_decode_empty() -> None:
    with pytest.raises(InvalidInput) as info:
        decode_image(b"", name="upload.png")
    assert info.value.message == "upload.png is empty."
    assert "PNG, JPEG or WebP" in info.value.hint


def test_decode_over_max_bytes_is_refused_before_reading() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024)
    with pytest.raises(InvalidInput) as info:
        decode_image(data, max_bytes=1024 * 1024, name="cat.png")
    assert info.value.message == "cat.png is 2.0 MB; the limit is 1.0 MB."
    assert "smaller" in info.value.hint
    assert info.value.title == "Check your input"


@pytest.mark.parametrize(("data", "what"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive (or an Office document)"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "an SVG drawing"),
    (b"  \n<?xml version='1.0'?><svg/>", "an XML or SVG file"),
])
def test_decode_known_non_images_say_what_they_are(data: bytes, what: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_image(data)
    assert info.value.message == f"The file is not an image — it looks like {what}."
    assert info.value.hint == "Choose a PNG, JPEG or WebP image."


def test_decode_junk() -> None:
    with pytest.raises(InvalidInput) as info:
        decode_image(b"just some text, not a picture")
    assert info.value.message == "The file is not an image."


@pytest.mark.parametrize(("data", "label"), [
    (HEIC_HEAD, "HEIC"),
    (b"\x00\x00\x00\x1cftypavif" + b"\x00" * 64, "AVIF"),
])
def test_decode_heic_and_avif_are_refused_with_an_export_hint(data: bytes, label: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_image(data, name="IMG_0001")
    assert info.value.message == f"IMG_0001 is a {label} photo, which this app can't read."
    assert "JPEG or PNG" in info.value.hint and "Most Compatible" in info.value.hint


@pytest.mark.parametrize(("pil_format", "label"), [("PNG", "PNG"), ("JPEG", "JPEG")])
@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_decode_truncated_files(pil_format: str, label: str, keep: float) -> None:
    data = save(noise((128, 128)), pil_format)
    cut = data[: max(24, int(len(data) * keep))]
    with pytest.raises(InvalidInput) as info:
        decode_image(cut)
    assert info.value.message.startswith(f"The file looks like a {label} image but is damaged or incomplete")
    assert "Re-export" in info.value.hint


def test_decompression_bomb_is_refused_without_decoding(load_calls: list[str]) -> None:
    data = png_claiming_size(30_000, 30_000)
    assert len(data) < 200
    assert int.from_bytes(data[16:20], "big") == int.from_bytes(data[20:24], "big") == 30_000
    with pytest.raises(InvalidInput) as info:
        decode_image(data)
    assert "enormous pixel size" in info.value.message and "refused" in info.value.message
    assert "Scale it down" in info.value.hint
    assert load_calls == []


def test_over_the_pixel_limit_is_refused_from_the_header_alone(load_calls: list[str]) -> None:
    data = png_claiming_size(8000, 8000)  # 64 MP: under PIL's own bomb limit, over the app's 40 MP
    with pytest.raises(InvalidInput) as info:
        decode_image(data)
    assert info.value.message == "The file is 8000×8000 pixels (64 MP); the limit is 40 MP."
    assert load_calls == []


def test_custom_pixel_limit() -> None:
    data = save(solid((2000, 1000)), "PNG")
    with pytest.raises(InvalidInput, match=r"2000×1000 pixels \(2 MP\); the limit is 1 MP"):
        decode_image(data, max_pixels=1_000_000)
    assert decode_image(data, max_pixels=2_000_000).size == (2000, 1000)


# --- to_rgb ----------------------------------------------------------------------------------------

def test_to_rgb_fills_transparency_with_white() -> None:
    img = Image.new("RGBA", (20, 10), (0, 0, 255, 255))
    img.paste((0, 0, 0, 0), (10, 0, 20, 10))  # right half fully transparent
    rgb, notes = to_rgb(img)
    assert rgb.mode == "RGB"
    assert rgb.getpixel((15, 5)) == (255, 255, 255)
    assert rgb.getpixel((5, 5)) == (0, 0, 255)
    assert notes == ["Removed the transparency (alpha channel) and filled it with white."]


def test_to_rgb_opaque_alpha_is_an_unused_channel() -> None:
    rgb, notes = to_rgb(Image.new("RGBA", (8, 8), (10, 20, 30, 255)))
    assert rgb.mode == "RGB" and rgb.getpixel((3, 3)) == (10, 20, 30)
    assert notes == ["Removed an unused alpha channel."]


def test_to_rgb_la_and_transparent_palette_go_through_the_alpha_path() -> None:
    la = Image.new("LA", (8, 8), (100, 0))
    rgb, notes = to_rgb(la)
    assert rgb.getpixel((0, 0)) == (255, 255, 255) and "transparency" in notes[0]

    pal = Image.new("P", (8, 8), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.paste(1, (4, 0, 8, 8))
    pal.info["transparency"] = 0
    rgb, notes = to_rgb(pal)
    assert rgb.getpixel((0, 0)) == (255, 255, 255)
    assert rgb.getpixel((6, 6)) == (255, 0, 0)
    assert "transparency" in notes[0]


@pytest.mark.parametrize(("mode", "color"), [("L", 128), ("P", 3), ("CMYK", (0, 255, 255, 0)), ("1", 1)])
def test_to_rgb_converts_other_modes(mode: str, color: Any) -> None:
    rgb, notes = to_rgb(Image.new(mode, (8, 8), color))
    assert rgb.mode == "RGB" and rgb.size == (8, 8)
    assert notes == [f"Converted from {mode} to 8-bit RGB."]


def test_to_rgb_cmyk_colours_survive() -> None:
    rgb, _ = to_rgb(Image.new("CMYK", (4, 4), (0, 255, 255, 0)))
    assert rgb.getpixel((0, 0)) == (255, 0, 0)


def test_to_rgb_leaves_rgb_alone() -> None:
    img = solid()
    rgb, notes = to_rgb(img)
    assert rgb is img and notes == []


# --- fit_image: Titan's fixed sizes -----------------------------------------------------------------

@pytest.mark.parametrize(("size", "target"), [
    ((1000, 1000), (1024, 1024)),   # same aspect: nearest area
    ((600, 600), (512, 512)),
    ((700, 700), (768, 768)),
    ((1600, 900), (1152, 640)),     # 16:9 = 1.78 → 1.8 is nearest
    ((900, 1600), (768, 1408)),     # 0.5625 → 0.545
    ((400, 100), (704, 320)),       # 4:1 → aspect 2.2 wins; then the nearer area
    ((2000, 500), (1408, 640)),
    ((1180, 640), (1173, 640)),     # 1.84: ties with 1408×768 at two decimals; the area decides
])
def test_closest_allowed_size_prefers_aspect_then_area(size: tuple[int, int], target: tuple[int, int]) -> None:
    assert TITAN_RULE is not None
    assert closest_allowed_size(*size, TITAN_RULE.allowed) == target


def test_fit_titan_same_shape_is_resized_without_crop_note() -> None:
    assert TITAN_RULE is not None
    fit = fit_image(solid((1000, 1000)), TITAN_RULE)
    assert fit.image.size == (1024, 1024)
    assert fit.original_size == (1000, 1000)
    assert fit.notes == ["Resized from 1000×1000 to 1024×1024: the model accepts only 25 fixed sizes."]
    assert fit.changed


def test_fit_titan_other_shape_is_cover_cropped_and_says_so() -> None:
    assert TITAN_RULE is not None
    img = solid((2000, 500), (0, 0, 200))
    img.paste((255, 0, 0), (0, 0, 400, 500))      # a red band on the left is cropped away
    img.paste((0, 255, 0), (950, 200, 1050, 300))  # a green square in the middle stays there
    fit = fit_image(img, TITAN_RULE)
    assert fit.image.size == (1408, 640)
    assert fit.notes == ["Resized from 2000×500 to 1408×640 and cropped to its shape: the model accepts only "
                         "25 fixed sizes."]
    left = fit.image.getpixel((0, 320))
    assert left[2] > 150 and left[0] < 50  # blue, not red: not squashed, cropped
    centre = fit.image.getpixel((704, 320))
    assert centre[1] > 200 and centre[0] < 50


def test_fit_titan_allowed_size_is_untouched() -> None:
    assert TITAN_RULE is not None
    img = solid((1173, 640))
    fit = fit_image(img, TITAN_RULE)
    assert fit.image.size == (1173, 640) and fit.notes == [] and not fit.changed


def test_fit_titan_flattens_alpha_and_notes_both_changes() -> None:
    assert TITAN_RULE is not None
    fit = fit_image(Image.new("RGBA", (500, 500), (0, 0, 0, 0)), TITAN_RULE)
    assert fit.image.mode == "RGB" and fit.image.size == (512, 512)
    assert fit.notes[0].startswith("Removed the transparency")
    assert fit.notes[1].startswith("Resized from 500×500 to 512×512")


# --- fit_image: bounded rules (Nova output, SD3.5 input) ------------------------------------------

def test_fit_nova_snaps_to_multiples_of_16() -> None:
    assert NOVA_RULE is not None
    fit = fit_image(solid((1000, 750)), NOVA_RULE)
    assert fit.image.size == (992, 736)
    assert fit.notes == ["Resized from 1000×750 to 992×736: the model needs sides divisible by 16."]


def test_fit_nova_enlarges_to_the_minimum_edge() -> None:
    assert NOVA_RULE is not None
    fit = fit_image(solid((200, 100)), NOVA_RULE)
    assert fit.image.size == (640, 320)
    assert fit.notes == ["Enlarged from 200×100 to 640×320: the model needs at least 320 px per side, "
                         "sides divisible by 16."]


def test_fit_nova_shrinks_to_the_pixel_cap() -> None:
    assert NOVA_RULE is not None
    fit = fit_image(solid((3000, 3000)), NOVA_RULE)
    assert fit.image.size == (2048, 2048)
    assert len(fit.notes) == 1
    assert fit.notes[0].startswith("Resized from 3000×3000 to 2048×2048: the model needs at most 4096 px per "
                                   "side and 4.2 MP")


def test_fit_nova_crops_a_too_wide_image_and_the_result_is_accepted() -> None:
    assert NOVA_RULE is not None
    fit = fit_image(solid((5000, 1000)), NOVA_RULE)
    assert fit.notes[0] == "Cropped from 5000×1000 to 4000×1000: the model accepts aspect ratios up to 1:4."
    w, h = fit.image.size
    assert NOVA_RULE.accepts(w, h), (w, h)
    assert w / h == pytest.approx(4.0, rel=0.02)


def test_fit_nova_unchanged_when_already_acceptable() -> None:
    assert NOVA_RULE is not None
    fit = fit_image(solid((1024, 768)), NOVA_RULE)
    assert fit.image.size == (1024, 768) and fit.notes == []


def test_fit_stability_crops_to_2_5() -> None:
    fit = fit_image(solid((3000, 1000)), SD35_RULE)
    assert fit.image.size == (2500, 1000)
    assert fit.notes == ["Cropped from 3000×1000 to 2500×1000: the model accepts aspect ratios up to 1:2.5."]

    tall = fit_image(solid((1000, 3000)), SD35_RULE)
    assert tall.image.size == (1000, 2500)


def test_fit_stability_crop_then_enlarge() -> None:
    fit = fit_image(solid((100, 30)), SD35_RULE)
    assert fit.image.size == (160, 64)
    assert fit.notes[0].startswith("Cropped from 100×30 to 75×30")
    assert fit.notes[1] == "Enlarged from 75×30 to 160×64: the model needs at least 64 px per side."


@pytest.mark.parametrize("size", [
    (5000, 1000), (1000, 5000), (4097, 1000), (333, 1400), (2100, 2000), (3001, 2999), (7000, 1700),
    (1500, 6000), (100, 30), (10, 10), (1, 500), (4100, 4100), (2049, 2049), (1919, 1081), (65, 2000),
])
@pytest.mark.parametrize("rule_name", ["nova output", "nova input", "sd3.5 input", "titan input", "titan output"])
def test_fit_result_is_always_accepted_by_the_rule(size: tuple[int, int], rule_name: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever comes in, what fit_image returns passes the same rule's check.

    Only the geometry matters here, so the resampling filter is swapped for a fast one.
    """
    monkeypatch.setattr(imaging, "_cover",
                        lambda img, target: ImageOps.fit(img, target, method=Image.Resampling.NEAREST))
    rules = {
        "nova output": NOVA_RULE,
        "nova input": get_model("amazon.nova-canvas-v1:0").image.input_rule,
        "sd3.5 input": SD35_RULE,
        "titan input": get_model("amazon.titan-image-generator-v2:0").image.input_rule,
        "titan output": TITAN_RULE,
    }
    rule = rules[rule_name]
    assert isinstance(rule, SizeRule)
    fit = fit_image(Image.new("RGB", size), rule)
    assert rule.accepts(*fit.image.size), f"{size} → {fit.image.size}: {fit.notes}"
    if fit.image.size != size:
        assert fit.notes
        assert re.search(rf"to {fit.image.size[0]}×{fit.image.size[1]}", " ".join(fit.notes))


# --- encoding ------------------------------------------------------------------------------------------

def test_encode_for_model_keeps_png_when_it_fits() -> None:
    data, notes = encode_for_model(solid((256, 256)))
    assert sniff_format(data) == "png" and notes == []
    assert Image.open(io.BytesIO(data)).size == (256, 256)


def test_encode_for_model_falls_back_to_jpeg_and_says_why() -> None:
    img = noise((256, 256))
    png_len = len(encode_image(img, "png"))
    jpg95 = len(encode_image(img, "jpeg", quality=95))
    assert jpg95 < png_len
    limit = (jpg95 + png_len) // 2
    data, notes = encode_for_model(img, max_bytes=limit)
    assert sniff_format(data) == "jpeg" and len(data) <= limit
    assert len(notes) == 1
    assert notes[0].startswith("Sent as JPEG (quality 95) because the PNG was ")
    assert "over the" in notes[0] and "limit" in notes[0]


def test_encode_for_model_lowers_jpeg_quality_until_it_fits() -> None:
    img = noise((256, 256), seed=1)
    jpg85 = len(encode_image(img, "jpeg", quality=85))
    jpg75 = len(encode_image(img, "jpeg", quality=75))
    assert jpg75 < jpg85
    data, notes = encode_for_model(img, max_bytes=(jpg75 + jpg85) // 2)
    assert sniff_format(data) == "jpeg"
    assert notes[0].startswith("Sent as JPEG (quality 75)")


def test_encode_for_model_refuses_when_nothing_fits() -> None:
    with pytest.raises(InvalidInput, match="too detailed"):
        encode_for_model(noise((128, 128)), max_bytes=1000)


@pytest.mark.parametrize(("fmt", "sniffed"), [("png", "png"), ("jpeg", "jpeg"), ("webp", "webp")])
def test_encode_image_formats(fmt: str, sniffed: str) -> None:
    data = encode_image(Image.new("RGBA", (16, 16), (1, 2, 3, 255)) if fmt != "jpeg" else solid((16, 16)), fmt)
    assert sniff_format(data) == sniffed


def test_b64_round_trip() -> None:
    raw = bytes(range(256)) * 3 + save(solid(), "PNG")
    text = b64encode(raw)
    assert isinstance(text, str) and text == base64.b64encode(raw).decode("ascii")
    assert b64decode(text) == raw


def test_thumbnail_and_image_size() -> None:
    data = save(Image.new("RGBA", (1000, 500), (9, 9, 9, 128)), "PNG")
    assert image_size(data) == (1000, 500)
    thumb = thumbnail(data, max_edge=256)
    assert sniff_format(thumb) == "png" and image_size(thumb) == (256, 128)


def test_sixteen_bit_greyscale_keeps_its_contrast() -> None:
    """A 16-bit PNG must not turn white: the used range is stretched to 0–255."""
    import numpy as np

    ramp = np.tile(np.linspace(1000, 3000, 64, dtype=np.uint16), (16, 1))
    img = Image.fromarray(ramp)
    assert img.mode.startswith("I;16")
    rgb, notes = to_rgb(img)
    values = np.asarray(rgb.convert("L"))
    assert values.min() == 0 and values.max() == 255
    assert any("high bit depth" in n for n in notes)
