"""Image understanding (lab 8): the workshop's nine preset prompts, and images prepared for vision models.

Images are sent in their real format (sniffed from the bytes — the original labs declared every
image as JPEG, which current Bedrock rejects for PNGs), converted only when the model can't read
the format, and downscaled only past the model's limits, always saying what changed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from PIL import Image

from lib.imaging import decode_image, encode_image, to_model_mode, to_rgb

# Verbatim from the workshop's lab 8, in its order; "Other" is free text (any language).
PRESETS: dict[str, str] = {
    "Image caption": "Please provide a brief caption for this image.",
    "Detailed description": "Please provide a thoroughly detailed description of this image.",
    "Image classification": "Please categorize this image into one of the following categories: People, Food, "
                            "Other. Only return the category name.",
    "Object recognition": "Please create a comma-separated list of the items found in this image. Only return "
                          "the list of items.",
    "Subject identification": "Please name the primary object in the image. Only return the name of the object "
                              "in <object> tags.",
    "Writing a story": "Please write a fictional short story based on this image.",
    "Answering questions": "What emotion are the people in this image displaying?",
    "Transcribing text": "Please transcribe any text found in this image.",
    "Translating text": "Please translate the text in this image to French.",
}

CONVERSE_FORMATS = ("png", "jpeg", "gif", "webp")  # Converse's image formats, lowercase as it requires


@dataclass(frozen=True)
class VisionLimits:
    """What one image may be for a vision model (Claude: 1568 px long edge, 3.75 MB)."""

    max_long_edge: int = 1568
    max_bytes: int = int(3.75 * 1024 * 1024)
    formats: tuple[str, ...] = CONVERSE_FORMATS


CLAUDE_LIMITS = VisionLimits()


@dataclass
class VisionImage:
    data: bytes
    format: str
    size: tuple[int, int]
    notes: list[str] = field(default_factory=list)


PREPARED_CACHE_SIZE = 16  # prepared images kept per process (each at most the model's byte limit)
_prepared: OrderedDict[tuple, VisionImage] = OrderedDict()
_prepared_lock = threading.Lock()


def prepare_for_vision(data: bytes, limits: VisionLimits = CLAUDE_LIMITS, *, name: str = "The image",
                       max_upload_bytes: int = 20 * 1024 * 1024) -> VisionImage:
    """`_prepare` once per image and limits: lab 8 asks on every click, and a 12-megapixel photo takes 1.4 s.

    Keyed by the bytes' hash; each caller gets its own copy of the notes. A refusal (InvalidInput) is
    not kept: it is raised again, as cheaply as it was found.
    """
    key = (hashlib.blake2b(data, digest_size=20).digest(), len(data), limits, name, max_upload_bytes)
    with _prepared_lock:
        found = _prepared.get(key)
        if found is not None:
            _prepared.move_to_end(key)
    if found is None:
        found = _prepare(data, limits, name=name, max_upload_bytes=max_upload_bytes)
        with _prepared_lock:
            _prepared[key] = found
            while len(_prepared) > PREPARED_CACHE_SIZE:
                _prepared.popitem(last=False)
    return replace(found, notes=list(found.notes))


def _prepare(data: bytes, limits: VisionLimits = CLAUDE_LIMITS, *, name: str = "The image",
             max_upload_bytes: int = 20 * 1024 * 1024) -> VisionImage:
    """The image as a vision model should receive it, with a note for each change.

    The original bytes go out unchanged only when nothing had to change: a format the model reads,
    within its size, and already 8-bit in a mode it reads (a 16-bit PNG or a CMYK JPEG is re-encoded,
    see to_model_mode).
    """
    decoded = decode_image(data, max_bytes=max_upload_bytes, name=name)
    img, fmt, notes = decoded.image, decoded.format, list(decoded.notes)
    img, mode_notes = to_model_mode(img, stored_bits=decoded.bits)
    notes += mode_notes
    changed = bool(notes)  # e.g. rotated upright from EXIF, first frame of an animation, 16-bit to 8-bit
    if fmt not in limits.formats:
        notes.append(f"Converted from {fmt.upper()} to PNG: the model reads {', '.join(limits.formats)}.")
        fmt, changed = "png", True
    if max(img.size) > limits.max_long_edge:
        scale = limits.max_long_edge / max(img.size)
        new = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        notes.append(f"Downscaled from {img.width}×{img.height} to {new[0]}×{new[1]}: the model works at "
                     f"{limits.max_long_edge} px on the long side at most.")
        img, changed = img.resize(new, Image.Resampling.LANCZOS), True
    if fmt == "gif" and changed:
        fmt = "png"
    out = encode_image(img, fmt) if changed else data
    if len(out) > limits.max_bytes:
        out, img, quality = _shrink_to_bytes(to_rgb(img)[0], limits.max_bytes)
        notes.append(f"Re-encoded as JPEG (quality {quality}, {img.width}×{img.height}) to stay under "
                     f"{limits.max_bytes / 2**20:.2f} MB.")
        fmt = "jpeg"
    return VisionImage(data=out, format=fmt, size=img.size, notes=notes)


def _shrink_to_bytes(img: Image.Image, max_bytes: int) -> tuple[bytes, Image.Image, int]:
    """Lower JPEG quality first, then the size, until the bytes fit."""
    while True:
        for quality in (90, 80, 70, 60):
            out = encode_image(img, "jpeg", quality=quality)
            if len(out) <= max_bytes or min(img.size) <= 64:
                return out, img, quality
        img = img.resize((max(1, img.width * 3 // 4), max(1, img.height * 3 // 4)), Image.Resampling.LANCZOS)
