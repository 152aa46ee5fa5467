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
    display_image,
    stored_bits_per_sample,
    thumbnail,
    to_model_mode,
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
    assert info.value.message == ("The file is 30,000×30,000 pixels (900.0 MP); the workshop accepts at most "
                                  "40.0 MP.")
    assert info.value.hint == "Downscale it below 40.0 MP (for example to 6,324×6,324) before uploading."
    assert load_calls == []


@pytest.mark.parametrize(("size", "shown"), [
    ((12_000, 9_000), "12,000×9,000 pixels (108.0 MP)"),    # over Pillow's limit: its warning
    ((20_000, 10_000), "20,000×10,000 pixels (200.0 MP)"),  # over twice the limit: its error
])
def test_over_pillows_bomb_limit_names_the_size_and_the_limit(size: tuple[int, int], shown: str,
                                                              load_calls: list[str]) -> None:
    assert Image.MAX_IMAGE_PIXELS == 89_478_485
    with pytest.raises(InvalidInput) as info:
        decode_image(png_claiming_size(*size), max_pixels=10**9, name="“photo.png”")
    assert info.value.message == f"“photo.png” is {shown}; the workshop accepts at most 89.5 MP."
    hint = re.fullmatch(r"Downscale it below 89\.5 MP \(for example to ([\d,]+)×([\d,]+)\) before uploading\.",
                        info.value.hint)
    assert hint, info.value.hint
    w, h = (int(g.replace(",", "")) for g in hint.groups())
    assert w * h <= Image.MAX_IMAGE_PIXELS and w / h == pytest.approx(size[0] / size[1], rel=0.01)
    assert load_calls == []


def test_bomb_limit_is_read_when_refusing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    with pytest.raises(InvalidInput) as info:
        decode_image(save(solid((2000, 1000)), "JPEG"), name="“wide.jpg”")
    assert info.value.message == "“wide.jpg” is 2,000×1,000 pixels (2.0 MP); the workshop accepts at most 1.0 MP."
    assert info.value.hint.startswith("Downscale it below 1.0 MP (for example to 1,414×707)")


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


# --- every mode: to_model_mode, encode_image, thumbnail, display_image -------------------------------

EIGHT_BIT_MODES = {"L", "LA", "P", "RGB", "RGBA"}  # what a model is sent
DISPLAY_MODES = {"L", "RGB", "RGBA"}  # what st.image is given
ALL_MODES = ["1", "L", "LA", "La", "P", "PA", "I;16", "I;16B", "I;16L", "I", "F", "CMYK", "RGB", "RGBA", "RGBa",
             "RGBX", "YCbCr", "LAB", "HSV"]


def ramp(size: tuple[int, int] = (48, 32)) -> Image.Image:
    """A left-to-right grey ramp (0→255), so conversions that clip or blank the image show."""
    return Image.fromarray(np.tile(np.linspace(0, 255, size[0], dtype=np.uint8), (size[1], 1)), "L")


def in_mode(mode: str, size: tuple[int, int] = (48, 32)) -> Image.Image:
    """An image in `mode` with real variation in it (high bit depths use values far above 255)."""
    grey = ramp(size)
    values = np.asarray(grey, dtype=np.float64)
    if mode.startswith("I;16"):
        return Image.frombytes(mode, size, (values * 200 + 1000).astype(">u2" if mode == "I;16B" else "<u2").tobytes())
    if mode == "I":
        return Image.fromarray((values * 100_000 - 5_000_000).astype(np.int32))
    if mode == "F":
        return Image.fromarray((values / 255 * 3.5 - 1.0).astype(np.float32))
    colour = Image.merge("RGB", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), Image.new("L", size, 90)))
    if mode in ("LA", "La", "RGBA", "RGBa", "PA"):
        base = {"LA": grey, "La": grey, "PA": colour.convert("P")}.get(mode, colour)
        return Image.merge(mode, (*base.split(), grey.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    return colour.convert(mode)


def test_in_mode_builds_every_mode() -> None:
    for mode in ALL_MODES:
        assert in_mode(mode).mode == mode


@pytest.mark.parametrize("mode", ALL_MODES)
def test_to_model_mode_makes_every_mode_8_bit_and_notes_each_change(mode: str) -> None:
    img = in_mode(mode)
    out, notes = to_model_mode(img)
    assert out.mode in EIGHT_BIT_MODES and out.size == img.size
    if mode in EIGHT_BIT_MODES:
        assert out is img and notes == []
    else:
        assert len(notes) == 1 and "to 8-bit" in notes[0] and "the model reads" in notes[0]
        assert out.getextrema() != ((0, 0),) * len(out.getbands())  # not blanked


@pytest.mark.parametrize(("mode", "note"), [
    ("I;16", "Converted from 16-bit greyscale (I;16) to 8-bit, its range of values stretched over 0–255: the "
             "model reads 8-bit images."),
    ("I", "Converted from 32-bit integer greyscale (I) to 8-bit, its range of values stretched over 0–255: the "
          "model reads 8-bit images."),
    ("F", "Converted from 32-bit floating-point greyscale (F) to 8-bit, its range of values stretched over 0–255: "
          "the model reads 8-bit images."),
    ("CMYK", "Converted from CMYK print colours to 8-bit RGB: the model reads RGB colour."),
    ("1", "Converted from 1-bit black and white (1) to 8-bit greyscale: the model reads 8-bit images."),
])
def test_to_model_mode_notes_say_what_changed(mode: str, note: str) -> None:
    out, notes = to_model_mode(in_mode(mode))
    assert notes == [note]
    if mode in ("I;16", "I", "F"):
        assert out.mode == "L" and out.getextrema() == (0, 255)  # stretched, not clipped to white


def test_to_model_mode_notes_a_16_bit_colour_source() -> None:
    img = solid()
    assert to_model_mode(img, stored_bits=16) == (img, ["Converted from 16 bits per channel to 8: the model "
                                                        "reads 8-bit images."])
    assert to_model_mode(img, stored_bits=8) == (img, [])


def test_stored_bits_per_sample_reads_the_png_header() -> None:
    sixteen = Image.fromarray(np.full((4, 4), 40000, dtype=np.uint16))
    assert stored_bits_per_sample(save(sixteen, "PNG")) == 16
    assert stored_bits_per_sample(save(solid(), "PNG")) == 8
    assert stored_bits_per_sample(save(solid(), "JPEG")) == 8
    assert decode_image(save(sixteen, "PNG")).bits == 16


@pytest.mark.parametrize("mode", ALL_MODES)
def test_to_rgb_handles_every_mode(mode: str) -> None:
    rgb, notes = to_rgb(in_mode(mode))
    assert rgb.mode == "RGB" and rgb.size == (48, 32)
    assert (notes == []) == (mode == "RGB")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("mode", ALL_MODES)
def test_encode_image_takes_every_mode(mode: str, fmt: str) -> None:
    """The bug: encode_image(I;16 image, "jpeg") raised "cannot write mode I;16 as JPEG"."""
    data = encode_image(in_mode(mode), fmt)
    with Image.open(io.BytesIO(data)) as back:
        assert sniff_format(data) == fmt and back.mode in EIGHT_BIT_MODES and back.size == (48, 32)


def file_in_mode(mode: str) -> bytes:
    """How a user's file would bring `mode` (PNG can't hold I, F, CMYK, YCbCr, LAB or PA; JPEG is CMYK's home)."""
    img = in_mode(mode)
    fmt = {"CMYK": "JPEG", "I": "TIFF", "F": "TIFF", "I;16B": "TIFF", "YCbCr": "TIFF", "LAB": "TIFF",
           "PA": "TIFF"}.get(mode, "PNG")
    data = save(img, fmt)
    assert Image.open(io.BytesIO(data)).mode == mode
    return data


DECODABLE = ["1", "L", "LA", "P", "PA", "I;16", "I;16B", "I", "F", "CMYK", "RGB", "RGBA", "YCbCr", "LAB"]


@pytest.mark.parametrize("mode", DECODABLE)
@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_thumbnail_of_every_mode(mode: str, fmt: str) -> None:
    thumb = thumbnail(file_in_mode(mode), max_edge=24, fmt=fmt)
    with Image.open(io.BytesIO(thumb)) as back:
        assert sniff_format(thumb) == fmt and back.mode == "RGB" and back.size == (24, 16)


def assert_displayable(data: bytes, size: tuple[int, int] = (48, 32)) -> Image.Image:
    """PNG or JPEG, 8-bit L/RGB/RGBA, and st.image's own re-encode (JPEG when opaque) works on it."""
    assert sniff_format(data) in ("png", "jpeg")
    back = Image.open(io.BytesIO(data))
    assert back.mode in DISPLAY_MODES and back.size == size and stored_bits_per_sample(data) == 8
    back.save(io.BytesIO(), "PNG" if back.mode == "RGBA" else "JPEG")
    return back


@pytest.mark.parametrize("mode", DECODABLE)
def test_display_image_shows_every_decodable_file(mode: str) -> None:
    data = file_in_mode(mode)
    shown = display_image(data)
    back = assert_displayable(shown)
    if mode in DISPLAY_MODES:
        assert shown == data  # already fit to show: not re-encoded
    if mode in ("I;16", "I;16B", "I", "F"):
        assert back.getextrema() == (0, 255)


@pytest.mark.parametrize("mode", ALL_MODES)
def test_display_image_shows_every_pil_mode(mode: str) -> None:
    assert_displayable(display_image(in_mode(mode)))


def test_display_image_keeps_transparency_and_colour() -> None:
    pal = Image.new("P", (48, 32), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.paste(1, (24, 0, 48, 32))
    back = assert_displayable(display_image(save(pal, "PNG", transparency=0)))
    assert back.mode == "RGBA" and back.getpixel((2, 2))[3] == 0 and back.getpixel((40, 2)) == (255, 0, 0, 255)
    cmyk = assert_displayable(display_image(save(Image.new("CMYK", (48, 32), (0, 255, 255, 0)), "JPEG")))
    r, g, b = cmyk.getpixel((10, 10))
    assert cmyk.mode == "RGB" and r > 230 and g < 30 and b < 30


def test_display_image_turns_an_exif_rotated_photo_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    assert_displayable(display_image(save(solid((32, 48)), "JPEG", exif=exif)), size=(48, 32))


def test_display_image_converts_formats_browsers_cant_show() -> None:
    for pil_format in ("BMP", "TIFF", "GIF", "WEBP"):
        assert_displayable(display_image(save(solid((48, 32)), pil_format)))
