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

from lib.i18n import N_, _, current_language, format_number, translate
from lib.imaging import THE_IMAGE, decode_image, encode_image, to_model_mode, to_rgb


@dataclass(frozen=True)
class UnderstandingPreset:
    """One of the workshop's nine lab 8 prompts.

    `name` and `prompt` are the workshop's English, verbatim, marked for the catalog: the catalog holds the
    Korean name from the study notes (shown as `title` in a Korean session) and a Korean version of the prompt
    (sent only when the attendee asks for it: `prompt_in("ko")`). English is what is sent by default.
    """

    name: str
    prompt: str

    @property
    def title(self) -> str:
        """The preset's name in the session's language ("Image caption" / "이미지 간단 묘사")."""
        return _(self.name)

    def prompt_in(self, lang: str) -> str:
        """The prompt to send in a language: "en" the workshop's own text, "ko" its Korean version."""
        return translate(self.prompt, lang)


# Verbatim from the workshop's lab 8, in its order; "Other" is free text (any language).
UNDERSTANDING_PRESETS: tuple[UnderstandingPreset, ...] = (
    UnderstandingPreset(N_("Image caption"), N_("Please provide a brief caption for this image.")),
    UnderstandingPreset(N_("Detailed description"),
                        N_("Please provide a thoroughly detailed description of this image.")),
    UnderstandingPreset(N_("Image classification"),
                        N_("Please categorize this image into one of the following categories: People, Food, "
                           "Other. Only return the category name.")),
    UnderstandingPreset(N_("Object recognition"),
                        N_("Please create a comma-separated list of the items found in this image. Only return "
                           "the list of items.")),
    UnderstandingPreset(N_("Subject identification"),
                        N_("Please name the primary object in the image. Only return the name of the object "
                           "in <object> tags.")),
    UnderstandingPreset(N_("Writing a story"), N_("Please write a fictional short story based on this image.")),
    UnderstandingPreset(N_("Answering questions"), N_("What emotion are the people in this image displaying?")),
    UnderstandingPreset(N_("Transcribing text"), N_("Please transcribe any text found in this image.")),
    UnderstandingPreset(N_("Translating text"), N_("Please translate the text in this image to French.")),
)
# Name → the workshop's English prompt (what is sent by default; the code view, the local engine).
PRESETS: dict[str, str] = {preset.name: preset.prompt for preset in UNDERSTANDING_PRESETS}
# The languages a preset's prompt can be sent in: the workshop's English (the default) or Korean.
PROMPT_LANGUAGES: dict[str, str] = {"en": N_("English (the workshop's prompt)"), "ko": N_("Korean")}
# The study notes' own example of a prompt of one's own, in Korean ("write a fictional short story from this
# image"): the free-text box's example.
FREE_TEXT_EXAMPLE = "이 이미지를 바탕으로 허구의 단편 소설을 써주세요."


def understanding_preset(name: str) -> UnderstandingPreset | None:
    return next((preset for preset in UNDERSTANDING_PRESETS if preset.name == name), None)


def preset_prompt(name: str, lang: str = "en") -> str:
    """The prompt of preset `name` in `lang` ("" for an unknown name, e.g. "Other")."""
    preset = understanding_preset(name)
    return preset.prompt_in(lang) if preset else ""


def preset_for_prompt(prompt: str) -> str | None:
    """The preset whose prompt this is, in any of PROMPT_LANGUAGES (an edited prompt is nobody's)."""
    text = prompt.strip()
    return next((preset.name for preset in UNDERSTANDING_PRESETS for lang in PROMPT_LANGUAGES
                 if preset.prompt_in(lang).strip() == text), None)


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


def prepare_for_vision(data: bytes, limits: VisionLimits = CLAUDE_LIMITS, *, name: str = THE_IMAGE,
                       max_upload_bytes: int = 20 * 1024 * 1024) -> VisionImage:
    """`_prepare` once per image and limits: lab 8 asks on every click, and a 12-megapixel photo takes 1.4 s.

    Keyed by the bytes' hash (and the language its notes are in); each caller gets its own copy of the notes.
    A refusal (InvalidInput) is not kept: it is raised again, as cheaply as it was found.
    """
    key = (hashlib.blake2b(data, digest_size=20).digest(), len(data), limits, name, max_upload_bytes,
           current_language())
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


def _prepare(data: bytes, limits: VisionLimits = CLAUDE_LIMITS, *, name: str = THE_IMAGE,
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
        notes.append(_("Converted from {format} to PNG: the model reads {formats}.").format(
            format=fmt.upper(), formats=", ".join(limits.formats)))
        fmt, changed = "png", True
    if max(img.size) > limits.max_long_edge:
        scale = limits.max_long_edge / max(img.size)
        new = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        notes.append(_("Downscaled from {width}×{height} to {new_width}×{new_height}: the model works at {edge} px "
                       "on the long side at most.").format(width=img.width, height=img.height, new_width=new[0],
                                                           new_height=new[1], edge=limits.max_long_edge))
        img, changed = img.resize(new, Image.Resampling.LANCZOS), True
    if fmt == "gif" and changed:
        fmt = "png"
    out = encode_image(img, fmt) if changed else data
    if len(out) > limits.max_bytes:
        out, img, quality = _shrink_to_bytes(to_rgb(img)[0], limits.max_bytes)
        notes.append(_("Re-encoded as JPEG (quality {quality}, {width}×{height}) to stay under {megabytes} MB.")
                     .format(quality=quality, width=img.width, height=img.height,
                             megabytes=format_number(limits.max_bytes / 2**20, 2)))
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
