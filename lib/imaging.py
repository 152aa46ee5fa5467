"""Image utilities: decode and validate uploads, sniff formats, fit to model rules, base64.

Every function that changes an image says what it changed, so the UI can show
the note instead of silently sending something else.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

from lib.catalog import SizeRule
from lib.errors import InvalidInput
from lib.i18n import N_, _, format_number

# Magic bytes → format name. Order matters only for prefixes that overlap (none here).
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"BM", 0, "bmp"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
)
READABLE_FORMATS = {"png", "jpeg", "webp", "gif", "bmp", "tiff"}
_NOT_IMAGES: tuple[tuple[bytes, str], ...] = (  # what a file is instead: English, marked, translated where said
    (b"%PDF", N_("a PDF document")),
    (b"PK\x03\x04", N_("a ZIP archive (or an Office document)")),
    (b"<svg", N_("an SVG drawing")),
    (b"<?xml", N_("an XML or SVG file")),
)
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}


def sniff_format(data: bytes) -> str | None:
    """The real format from the bytes (never trust a file name or a declared type)."""
    for magic, offset, name in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "heic"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "avif"
    return None


@dataclass
class DecodedImage:
    image: Image.Image
    format: str
    notes: list[str] = field(default_factory=list)
    bits: int = 8  # bits per sample as the file stores them (see stored_bits_per_sample)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def _mb(n: int) -> str:
    return _("{megabytes} MB").format(megabytes=f"{n / (1024 * 1024):.1f}")


def _megapixels(pixels: float, digits: str = ".1f") -> str:
    return format(pixels / 1e6, digits)


# How messages name an image by default (`name`): English, marked for the catalog, translated in the message. A
# caller may pass its own name instead (a file's name in quotes), which is shown as it is.
THE_FILE = N_("The file")
THE_IMAGE = N_("The image")
THE_MASK = N_("The mask")
CHOOSE_IMAGE = N_("Choose a PNG, JPEG or WebP image.")


def decode_image(data: bytes, *, max_bytes: int = 20 * 1024 * 1024, max_pixels: int = 40_000_000,
                 name: str = THE_FILE) -> DecodedImage:
    """Decode untrusted bytes into an upright PIL image, or raise InvalidInput saying why.

    Pixel count is checked from the header before decoding, so a small file that
    expands into gigabytes (a decompression bomb) is refused without being decoded.
    """
    name = _(name) if name else name  # THE_FILE, THE_IMAGE, THE_MASK in the session's language
    if not data:
        raise InvalidInput(_("{name} is empty.").format(name=name), _(CHOOSE_IMAGE))
    if len(data) > max_bytes:
        raise InvalidInput(_("{name} is {size}; the limit is {limit}.").format(name=name, size=_mb(len(data)),
                                                                             limit=_mb(max_bytes)),
                           _("Save it smaller (for example as JPEG, or scaled down) and upload it again."))
    fmt = sniff_format(data)
    if fmt in ("heic", "avif"):
        raise InvalidInput(_("{name} is a {format} photo, which this app can't read.").format(name=name,
                                                                                             format=fmt.upper()),
                           _("Export it as JPEG or PNG (on an iPhone: Settings → Camera → Formats → Most "
                             "Compatible)."))
    if fmt is None:
        head = data[:64].lstrip().lower()
        what = next((label for magic, label in _NOT_IMAGES if head.startswith(magic.lower())), None)
        raise InvalidInput(_("{name} is not an image — it looks like {what}.").format(name=name, what=_(what)) if what
                           else _("{name} is not an image.").format(name=name), _(CHOOSE_IMAGE))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > max_pixels:
                raise InvalidInput(
                    _("{name} is {width}×{height} pixels ({megapixels} MP); the limit is {limit} MP.").format(
                        name=name, width=width, height=height, megapixels=_megapixels(width * height, ".3g"),
                        limit=_megapixels(max_pixels, ".3g")), _downscale_hint(width, height, max_pixels))
            img.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big(name, fmt, data, max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(_("{name} looks like a {format} image but is damaged or incomplete ({error}).").format(
                               name=name, format=fmt.upper(), error=exc),
                           _("Re-export or re-download it and try again.")) from None

    notes: list[str] = []
    if getattr(img, "n_frames", 1) > 1:
        notes.append(_("Used the first frame of the animated {format}.").format(format=fmt.upper()))
        img.seek(0)
        img = img.copy()
    orientation = img.getexif().get(0x0112, 1)
    upright = ImageOps.exif_transpose(img)
    # 180° turns and mirrorings keep the size, so the tag (not the size) says whether it changed.
    if upright is not None and (upright.size != img.size or orientation in range(2, 9)):
        notes.append(_("Rotated upright using the photo's EXIF orientation."))
    return DecodedImage(image=upright if upright is not None else img, format=fmt, notes=notes,
                        bits=stored_bits_per_sample(data))


def _downscale_hint(width: int, height: int, limit: int) -> str:
    """The fix, with a concrete size under `limit` that keeps the proportions."""
    scale = min(1.0, (limit / (width * height)) ** 0.5)
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    return _("Downscale it below {limit} MP (for example to {width}×{height}) before uploading.").format(
        limit=_megapixels(limit), width=format_number(w), height=format_number(h))


def _header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height from the header alone, without Pillow's decompression-bomb check.

    Image.open refuses a bomb before it says how big it is. The format's own opener (what
    Image.open calls, minus the check) parses only the header; nothing here loads pixels, and
    Pillow's global limit is left alone (other threads decode at the same time).
    """
    Image.init()
    opener = Image.OPEN.get(fmt.upper())
    if opener is None:
        return None
    try:
        with opener[0](io.BytesIO(data), None) as img:  # lazy: never .load()ed
            return img.size
    except Exception:  # noqa: BLE001 - a header too broken to read: the message just says less
        return None


def _too_big(name: str, fmt: str, data: bytes, max_pixels: int) -> InvalidInput:
    """The refusal for an image over Pillow's decompression-bomb limit, naming its size and the limit."""
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    size = _header_size(data, fmt)
    if size is None:
        return InvalidInput(_("{name} claims more pixels than the workshop accepts ({limit} MP at most) and was "
                              "refused unread.").format(name=name, limit=_megapixels(limit)),
                            _("Downscale it below {limit} MP before uploading.").format(limit=_megapixels(limit)))
    width, height = size
    return InvalidInput(_("{name} is {width}×{height} pixels ({megapixels} MP); the workshop accepts at most {limit} "
                          "MP.").format(name=name, width=format_number(width), height=format_number(height),
                                        megapixels=_megapixels(width * height), limit=_megapixels(limit)),
                        _downscale_hint(width, height, limit))


def stored_bits_per_sample(data: bytes) -> int:
    """Bits per sample as the file stores them: a PNG's IHDR bit depth, else 8.

    Pillow opens a 16-bit colour PNG as 8-bit RGB(A), so the decoded mode can't tell that the
    original bytes, if forwarded unchanged, are 16-bit. (16-bit greyscale opens as I;16, which the
    mode does tell; other formats Pillow reads hold 8 bits or decode to a mode that shows more.)
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) > 24:
        return data[24]
    return 8


@dataclass
class FitResult:
    image: Image.Image
    notes: list[str]
    original_size: tuple[int, int]

    @property
    def changed(self) -> bool:
        return bool(self.notes)


# 8-bit modes that PNG stores and every vision model decodes; everything else is converted first.
MODEL_MODES = ("L", "LA", "P", "RGB", "RGBA")
# What st.image shows in any browser (it re-encodes what it gets as PNG or JPEG with Pillow).
DISPLAY_MODES = ("L", "RGB", "RGBA")
# The words of the notes below are English, marked for the catalog and translated where a note is made.
_HIGH_BIT_MODES = {"I;16": N_("16-bit"), "I;16B": N_("16-bit"), "I;16L": N_("16-bit"), "I;16N": N_("16-bit"),
                   "I": N_("32-bit integer"), "F": N_("32-bit floating-point")}
# mode → (target mode, how the note names the source)
_CONVERSIONS = {
    "1": ("L", N_("1-bit black and white (1)")),
    "CMYK": ("RGB", N_("CMYK print colours")),
    "YCbCr": ("RGB", N_("YCbCr colour")),
    "LAB": ("RGB", N_("Lab colour")),
    "HSV": ("RGB", N_("HSV colour")),
    "RGBX": ("RGB", N_("RGBX (padded RGB)")),
    "RGBa": ("RGBA", N_("premultiplied alpha (RGBa)")),
    "La": ("LA", N_("premultiplied greyscale alpha (La)")),
    "PA": ("RGBA", N_("palette with alpha (PA)")),
}
_MODE_WORDS = {"L": N_("greyscale"), "LA": N_("greyscale with transparency"), "RGB": "RGB", "RGBA": "RGBA"}
_CONVERSION_WORDS = {words for _target, words in _CONVERSIONS.values()}


def _stretch_to_l(img: Image.Image) -> Image.Image:
    """8-bit greyscale from a 16/32-bit or float image, its used range stretched over 0–255.

    A plain convert("L") clips: a 16-bit photo (values up to 65535) turns almost all white.
    """
    import numpy as np

    values = np.asarray(img, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
    return Image.fromarray(scaled.round().clip(0, 255).astype("uint8"), "L")


def to_model_mode(img: Image.Image, *, stored_bits: int = 8) -> tuple[Image.Image, list[str]]:
    """The image in an 8-bit mode of MODEL_MODES (L, LA, P, RGB, RGBA), with a note for each change.

    Why: models read 8-bit images; JPEG can't hold 16/32-bit or float pixels and PNG can't hold
    32-bit or float ones (Pillow raises "cannot write mode I;16 as JPEG"); Bedrock doesn't read
    CMYK JPEGs reliably. encode_image, thumbnail, display_image and prepare_for_vision all go
    through this one conversion, so no caller can forget a mode. High bit depths are stretched
    over 0–255 (a plain convert clips them to white). `stored_bits` is what the source file held
    (stored_bits_per_sample): a 16-bit colour PNG decodes to an 8-bit mode, but forwarding its
    bytes would send 16 bits, so that is noted as a change too.
    """
    mode = img.mode
    if mode in MODEL_MODES:
        if stored_bits > 8:
            return img, [_("Converted from {bits} bits per channel to 8: the model reads 8-bit images.").format(
                bits=stored_bits)]
        return img, []
    if mode in _HIGH_BIT_MODES:
        depth = _HIGH_BIT_MODES[mode]
        return _stretch_to_l(img), [_("Converted from {depth} greyscale ({mode}) to 8-bit, its range of values "
                                      "stretched over 0–255: the model reads 8-bit images.").format(depth=_(depth),
                                                                                                   mode=mode)]
    target, what = _CONVERSIONS.get(mode, ("RGBA" if "A" in img.getbands() else "RGB", mode))
    converted = img.convert(target)
    said = (_("Converted from {source} to 8-bit {target}: the model reads RGB colour.") if target == "RGB"
            else _("Converted from {source} to 8-bit {target}: the model reads 8-bit images."))
    words = _MODE_WORDS[target]
    return converted, [said.format(source=_(what) if what in _CONVERSION_WORDS else what,
                                   target=_(words) if words not in ("RGB", "RGBA") else words)]


def to_rgb(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """8-bit RGB, with transparency flattened onto white (models that generate or edit reject alpha)."""
    notes: list[str] = []
    mode = img.mode
    if mode in _HIGH_BIT_MODES:
        notes.append(_("Converted from {mode} (high bit depth) to 8-bit RGB.").format(mode=mode))
        return _stretch_to_l(img).convert("RGB"), notes
    if mode not in MODEL_MODES:  # CMYK, 1, YCbCr, RGBa, La, PA, ...: the one conversion, then on from there
        img = to_model_mode(img)[0]
    has_alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:
            notes.append(_("Removed the transparency (alpha channel) and filled it with white."))
        else:
            notes.append(_("Removed an unused alpha channel."))
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background, notes
    if mode != "RGB":
        notes.append(_("Converted from {mode} to 8-bit RGB.").format(mode=mode))
        return img.convert("RGB"), notes
    return img, notes


def _cover(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resize to cover `size` and centre-crop the rest (keeps proportions)."""
    return ImageOps.fit(img, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def closest_allowed_size(width: int, height: int, allowed: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """The allowed size with the nearest aspect ratio, then the nearest area."""
    aspect, area = width / height, width * height
    return min(allowed, key=lambda s: (round(abs(s[0] / s[1] - aspect), 2), abs(s[0] * s[1] - area)))


def fit_image(img: Image.Image, rule: SizeRule) -> FitResult:
    """Make `img` acceptable to a model with `rule`, listing every change made."""
    original = img.size
    img, notes = to_rgb(img)
    w, h = img.size
    if rule.allowed:
        target = closest_allowed_size(w, h, rule.allowed)
        if target != (w, h):
            img = _cover(img, target)
            said = (_("Resized from {width}×{height} to {new_width}×{new_height} and cropped to its shape: the model "
                      "accepts only {count} fixed sizes.") if abs(target[0] / target[1] - w / h) > 0.01 else
                    _("Resized from {width}×{height} to {new_width}×{new_height}: the model accepts only {count} fixed "
                      "sizes."))
            notes.append(said.format(width=w, height=h, new_width=target[0], new_height=target[1],
                                     count=len(rule.allowed)))
        return FitResult(img, notes, original)

    # 1. aspect ratio
    if max(w, h) / min(w, h) > rule.max_aspect:
        if w > h:
            nw, nh = int(h * rule.max_aspect), h
        else:
            nw, nh = w, int(w * rule.max_aspect)
        img = _cover(img, (nw, nh))
        notes.append(_("Cropped from {width}×{height} to {new_width}×{new_height}: the model accepts aspect ratios up "
                       "to 1:{ratio}.").format(width=w, height=h, new_width=nw, new_height=nh,
                                               ratio=f"{rule.max_aspect:g}"))
        w, h = nw, nh
    # 2. scale into bounds
    scale = 1.0
    if max(w, h) > rule.max_edge:
        scale = rule.max_edge / max(w, h)
    if rule.max_pixels and w * h * scale * scale > rule.max_pixels:
        scale = min(scale, (rule.max_pixels / (w * h)) ** 0.5)
    if min(w, h) * scale < rule.min_edge:
        scale = rule.min_edge / min(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    # 3. snap to a multiple (floor, so bounds still hold)
    m = rule.multiple_of
    if m > 1:
        nw, nh = max(m, nw // m * m), max(m, nh // m * m)
    # 4. rounding and snapping can overshoot a limit by a pixel or a step (4000×1000 snapped to
    #    4000×992 is wider than 1:4): take steps off the long side until the rule holds.
    step = max(1, m)
    while not rule.accepts(nw, nh) and min(nw, nh) >= rule.min_edge and max(nw, nh) - step >= rule.min_edge:
        if nw >= nh:
            nw -= step
        else:
            nh -= step
    if (nw, nh) != (w, h):
        why = []
        if scale < 1:
            why.append(_("at most {edge} px per side and {megapixels} MP").format(
                edge=rule.max_edge, megapixels=_megapixels(rule.max_pixels)) if rule.max_pixels else
                _("at most {edge} px per side").format(edge=rule.max_edge))
        if scale > 1:
            why.append(_("at least {edge} px per side").format(edge=rule.min_edge))
        if m > 1:
            why.append(_("sides divisible by {number}").format(number=m))
        img = _cover(img, (nw, nh))  # crops the few pixels steps 3-4 took instead of stretching
        said = (_("Enlarged from {width}×{height} to {new_width}×{new_height}: the model needs {needs}.")
                if nw * nh > w * h else
                _("Resized from {width}×{height} to {new_width}×{new_height}: the model needs {needs}."))
        notes.append(said.format(width=w, height=h, new_width=nw, new_height=nh, needs=", ".join(why)))
    return FitResult(img, notes, original)


def encode_image(img: Image.Image, fmt: str = "png", *, quality: int = 95) -> bytes:
    """Encode a PIL image to bytes in `fmt` (png, jpeg or webp), whatever its mode.

    Non-8-bit modes go through to_model_mode here too, so no mode can make an encoder raise;
    callers that must report the change call to_model_mode first (then this is a no-op).
    JPEG has no alpha: it is flattened onto white, as for the models.
    """
    img = to_model_mode(img)[0]
    buf = io.BytesIO()
    if fmt == "jpeg":
        to_rgb(img)[0].save(buf, "JPEG", quality=quality)
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=quality)
    else:
        img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def encode_for_model(img: Image.Image, max_bytes: int = 5 * 1024 * 1024) -> tuple[bytes, list[str]]:
    """PNG when it fits the model's upload limit, else high-quality JPEG (and say so)."""
    png = encode_image(img, "png")
    if len(png) <= max_bytes:
        return png, []
    for quality in (95, 90, 85, 75):
        jpg = encode_image(img, "jpeg", quality=quality)
        if len(jpg) <= max_bytes:
            return jpg, [_("Sent as JPEG (quality {quality}) because the PNG was {size}, over the {limit} "
                           "limit.").format(quality=quality, size=_mb(len(png)), limit=_mb(max_bytes))]
    raise InvalidInput(_("This image is too detailed to send within the model's size limit."),
                       _("Use a smaller or simpler image."))


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=False)


DISPLAY_EDGE = 1024  # a result as the labs show it: JPEG at most this big (the download is the original)


def thumbnail(data: bytes, max_edge: int = 256, fmt: str = "png") -> bytes:
    """A small preview (PNG for history lists; JPEG where thousands are stored, as in lab 1's index)."""
    return thumbnails(data, (max_edge,), fmt)[max_edge]


def thumbnails(data: bytes, edges: tuple[int, ...], fmt: str = "jpeg") -> dict[int, bytes]:
    """Previews at several sizes from one decode (a stored result gets History's and the lab's at once: decoding
    a model's 1–2 MB PNG is most of what a preview costs)."""
    img = Image.open(io.BytesIO(data))
    img.draft("RGB", (max(edges), max(edges)))  # JPEG: decode at a reduced scale, far faster for big photos
    img = to_model_mode(img)[0]  # 8-bit before resampling: 16-bit/float/CMYK resample and encode like any other
    made = {}
    for edge in edges:
        small = img.copy()
        small.thumbnail((edge, edge))
        made[edge] = encode_image(to_rgb(small)[0], fmt, quality=85)
    return made


def display_image(source: bytes | Image.Image) -> bytes:
    """Bytes any browser shows, for st.image: PNG or JPEG in 8-bit L, RGB or RGBA (DISPLAY_MODES).

    Why: st.image re-encodes what it gets with Pillow as JPEG or PNG, which raises for 16/32-bit and
    float greyscale ("cannot write mode I;16 as JPEG"); browsers show neither TIFF nor BMP, and CMYK
    JPEGs only unreliably. PNG or JPEG bytes already fit to show come back unchanged (no re-encode);
    anything else is turned upright, converted as for a model (to_model_mode), alpha kept, and encoded:
    PNG for transparency or a lossless source, JPEG (quality 95) for an opaque photo.
    """
    if isinstance(source, Image.Image):
        img, fmt = source, (source.format or "").lower()
    else:
        fmt = sniff_format(source) or ""
        img = Image.open(io.BytesIO(source))
        if (fmt in ("png", "jpeg") and img.mode in DISPLAY_MODES and stored_bits_per_sample(source) <= 8
                and getattr(img, "n_frames", 1) == 1 and img.getexif().get(0x0112, 1) == 1):
            return source  # st.image's own resize would drop an EXIF turn, hence upright ones only
        img = ImageOps.exif_transpose(img) or img  # a re-encode drops EXIF: turn it upright first
    img = to_model_mode(img)[0]
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode == "LA":
        img = img.convert("RGBA")
    lossy = img.mode != "RGBA" and fmt not in ("png", "gif", "bmp", "tiff")
    return encode_image(img, "jpeg" if lossy else "png")


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size
