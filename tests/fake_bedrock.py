r"""A fake Amazon ``bedrock-runtime`` endpoint for tests.

Real boto3 clients talk to it over HTTP on 127.0.0.1 (point them at it with
``endpoint_url=fake.url`` or ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), so tests
exercise the app's real request building, signing and error handling without
ever contacting AWS.  Requests are validated the way Bedrock validates them and
answered with real, decodable images of the size Bedrock would return; errors
use the rest-json wire format so botocore raises ``ClientError`` with the real
codes and messages.

Failures can be injected in-process (``fail_next``/``set_mode``) or, for a fake
started as a separate process (``python tests/fake_bedrock.py --port 8599``),
through the ``/_fake/...`` control endpoints.

The same port also serves the Bedrock control plane (ListFoundationModels, GetFoundationModel,
inference profiles, model availability, Marketplace agreement offers) and STS GetCallerIdentity:
``fake.control`` (tests/fake_control_plane.py) holds the documented model states, and a test sets
per-model states there (end of life, no agreement, profile only…), which runtime calls then follow.

Image editing (Titan/Nova ``INPAINTING``/``OUTPAINTING`` and the Stability
Image Services) answers images that tests can check pixel by pixel: the input
is decoded, copied, and only the *repainted area* is filled with one flat colour
(``edit_fill_colour(prompt, seed, index)``, always saturated, so never equal to a
grey pixel); everything else is byte-identical to the input when the answer is
PNG (the default).  No captions are drawn on edits.

- Titan/Nova ``maskImage``: a pixel is *inside* the mask when its luminance is
  below 128 (black = inside).  INPAINTING repaints the inside; OUTPAINTING
  repaints the outside, and in DEFAULT mode also a 2-pixel band just inside the
  mask edge (PRECISE keeps the inside untouched).  Nova Canvas masks must be pure
  black and white without transparent pixels.
- Stability ``mask``: a pixel is *changed* when its luminance is 128 or more
  (white = change); without ``mask`` the image's alpha channel is used (alpha
  below 128 = change).  A mask of another size is resized (nearest).  The area is
  then grown by ``grow_mask`` pixels (default 5) with a square kernel, so a
  rectangle grows into a rectangle ``grow_mask`` pixels larger on every side.
- The fake has no vision: ``maskPrompt`` and ``search_prompt`` always select
  ``mask_prompt_region(width, height)``, the centred rectangle covering the
  middle half of each dimension, ``x0 <= x < x1`` and ``y0 <= y < y1`` with
  ``(x0, y0, x1, y1) = (W // 4, H // 4, 3 * W // 4, 3 * H // 4)``.
- Remove Background keeps ``background_subject_mask(width, height)`` (the ellipse
  inscribed in that rectangle) with its original pixels and alpha 255; the rest
  is transparent black.  Outpaint pastes the input unchanged at ``(left, up)``.
- Search and Recolor (``select_prompt``) repaints the same grown middle half as
  Search and Replace, with ``edit_fill_colour(prompt, seed)``.
- Control Sketch / Control Structure answer ``render_derived(image, W, H, prompt, seed, 0)`` at
  the input's own size (brightness kept, hue shifted, captioned); Style Guide the same from its
  style ``image`` at the ``STABILITY_SIZES`` size of ``aspect_ratio`` (default 1:1).
- Style Transfer (``init_image`` + ``style_image``, no ``image``) answers ``transfer_style``: the
  init image's HSV value with the style image's mean hue and saturation, at the init's size.
- Fast Upscale: the input (32 px per side at least, 1,048,576 px at most) resized 4x with
  NEAREST, so each input pixel becomes a 4x4 block.  Conservative Upscale (input within the usual
  limits): resized BICUBIC to ``upscaled_size`` (4x, scaled down so the long side is at most 4096,
  never below 1x), nothing else changed.  Creative Upscale (input at most 1,048,576 px): the same
  resize, then ``creative_tint(image, prompt, seed)`` (hue turned, saturation at least 96,
  brightness kept), so a test can tell the two apart.
- The fields, ranges and defaults of the services are those of reference §1.4 [3P: LiteLLM, the
  kalleeh MCP server, Stability's v2beta schemas; the AWS page names the same fields]; the
  outputs above, the upscalers' exact sizes and Creative/Conservative's pixel rules are the fake's.
- The Stability Image Services are INFERENCE_PROFILE only: call them as
  ``us.<model id>``; a bare id fails with the on-demand ``ValidationException``.

Converse and ConverseStream (``POST /model/{id}/converse`` and ``/converse-stream``)
serve the vision chat models in ``CHAT_MODELS`` with deterministic answers built
from the decoded images (see the "Converse" section).  Nova 2 Omni
(``us.``/``global.amazon.nova-2-omni-v1:0``, profile only) answers Converse with an image instead:
a generation from the last user turn's text, or an edit of the ONE image in that turn (the input
copied, its ``mask_prompt_region`` repainted with ``edit_fill_colour(prompt, 0)``); see the
"Nova 2 Omni" section for the size rule (1024x1024, or about 1 MP at a ratio like "16:9" named in
the prompt), the tokens and the refusals.  Facts [3P: daekeun-ml/nova-2-omni-examples; reference
§6.2]: the ids, the plain Converse request with the image block and the instruction in one user
turn, the image block in the answer, ``reasoningConfig``, no seed/size/mask fields.  Assumed: the
text block and its wording, png output, the size rule, one input image, the output image counted in
outputTokens, and ConverseStream: no document shows how an image would stream, so the fake refuses
ConverseStream for this model with ``OMNI_STREAM_MESSAGE``.  ConverseStream answers a real
``application/vnd.amazon.eventstream`` body, sent in HTTP chunks
(``stream_delay_s`` between messages); the failure kind ``stream_error`` breaks
it after two deltas with a ``modelStreamErrorException`` event.

The multimodal embedding models (InvokeModel on ``amazon.titan-embed-image-v1`` and
``amazon.nova-2-multimodal-embeddings-v1:0``, bare on-demand ids; ``cohere.embed-v4:0``, bare or
through its ``us.``/``global.`` profiles; ``twelvelabs.marengo-embed-3-0-v1:0``, bare or ``us.``/
``eu.``; bodies and limits in the "Embedding models", "Cohere Embed v4" and "TwelveLabs Marengo
Embed 3.0" sections) answer ``fake_embedding(model_id, dimension, text=, image=)``:
deterministic unit vectors (L2 = 1) with a little meaning, so searches rank sensibly.

- Positions 0..12 are a colour block: 12 hue bins (bin k collects hues within 15 degrees
  of k x 30) and a grey bin (12).  An image (its raw bytes) is decoded, converted to RGB
  and downscaled to at most 64x64; each pixel adds saturation x value to its hue bin and
  1 - saturation to the grey bin (HSV).  A text adds 1 per colour word (``COLOUR_WORDS``:
  whole words, any case, optional plural "s"): red 0, orange 30, yellow 60, green 120,
  cyan 180, blue 240, purple/violet 270, magenta/pink 300 degrees; grey/gray/black/white/
  silver the grey bin.  The multilingual models (``MULTILINGUAL_EMBEDDING_MODELS``: Cohere Embed
  v4 and Marengo Embed 3.0) also count Korean colour stems wherever they appear in a word
  (``KOREAN_COLOUR_WORDS``): 빨간/빨강 red, 주황 orange, 노란/노랑 yellow, 초록/녹색 green,
  파란/파랑 blue, 보라 purple, 분홍 pink, 회색/검은/검정/흰/하얀 the grey bin; Titan and Nova
  stay English-only.  The block is scaled to unit length; a text without colour words has an
  all-zero block.
- The remaining positions are a fingerprint: a unit ``standard_normal`` vector from
  ``numpy.random.default_rng`` seeded with sha256 of (foundation-model id, dimension,
  "text" or "image", the exact image bytes or the text lower-cased with whitespace
  collapsed).
- vector = normalise(colour block + 0.35 x fingerprint).  Text and image together (Titan, a
  Cohere ``inputs`` item, Marengo text_image/multi_input) give the normalised average of the
  parts' vectors.  So the same input always gives the
  same vector, the text "red" is nearer red images than blue ones, and other models or
  dimensions give other vectors.  Nova's ``embeddingPurpose`` and Cohere's ``input_type`` do not
  change the vector.
- Tokens are counted as ``len(re.findall(r"\w+|[^\w\s]", text))``
  (``count_embedding_tokens``): Titan takes at most 256 (Titan's ``inputTextTokenCount``);
  Nova 8192, where truncationMode NONE fails and START/END drop the excess tokens from
  the start/end before embedding; Cohere Embed v4 ``max_tokens`` (at most 128000) per item, with
  ``truncate`` NONE (the default: fails), LEFT or RIGHT.
- Cohere Embed v4 facts from the AWS page model-parameters-embed-v4 [DOC]: the body keys and enums,
  96 items per call, exactly one of texts/images/inputs, png/jpeg/webp/gif images up to 5 MB as data
  URIs, 256-1536 dimensions (default 1536), "embeddings_floats" (a list of vectors) without
  ``embedding_types`` and "embeddings_by_type" (a dict) with it, ``texts``/``inputs`` echoed.  Two
  versions of that page disagree on ``image_url`` (a string, or ``{"url": ...}``): the fake takes
  both.  Assumptions: truncate defaults to NONE; an empty text, an image whose bytes are not the
  declared type, and a bare ``cohere.embed-v4`` id (no ``:0``) are rejected; the int8/binary
  quantisation; image tokens follow the documented pixels / 784 x 4.
- Marengo Embed 3.0 facts from the AWS page model-parameters-marengo-3 [DOC]: the nested bodies of
  text, image, text_image and multi_input (placeholders ``<@name>``, mediaType "image", exactly
  one of base64String/s3Location), 500 text tokens, 5 MB per image, 512 dimensions, audio and
  video through StartAsyncInvoke only, and that text/image/text_image/multi_input answers carry no
  embeddingOption.  The page shows the answer as ``{"data": {...}}`` for one vector and "a list of
  objects" for several, while third-party callers read ``data[0]["embedding"]``: the fake answers
  a list of one (assumption).  Also assumed: the image formats (png/jpeg/webp), the error wording,
  that over-long text fails (3.0 documents no truncation field), and the rejection of any other key
  (embeddingOption, textTruncate...).
- The content-filter failure kinds do not apply to embedding calls: they neither fail
  them nor are used up by them.  Every other kind fails them as it fails image models.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import colorsys
import hashlib
import io
import json
import math
import random
import re
import struct
import threading
import time
import traceback
import uuid
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote

import numpy as np
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from fake_control_plane import ControlPlane

# --------------------------------------------------------------------------
# Errors and injectable failures
# --------------------------------------------------------------------------

FILTER_INPUT_MESSAGE = (
    "This request has been blocked by our content filters. Our filters automatically "
    "flagged this prompt because it may conflict our AUP or AWS Responsible AI Policy. "
    "Please adjust your text prompt to submit a new request."
)
FILTER_OUTPUT_MESSAGE = (
    "This request has been blocked by our content filters. Our filters automatically "
    "flagged the generated image(s) because they may conflict our AUP or AWS Responsible "
    "AI Policy. Please adjust your text prompt to submit a new request."
)
NEEDS_PROFILE_TEMPLATE = (
    "Invocation of model ID {model_id} with on-demand throughput isn\u2019t supported. "
    "Retry your request with the ID or ARN of an inference profile that contains this model."
)
INVALID_MODEL_MESSAGE = "The provided model identifier is invalid."

# Failures answered before the body is even looked at, like Bedrock's auth,
# throttling and availability checks: kind -> (HTTP status, error code, message).
REQUEST_FAILURES: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "deny": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "eol": (
        404,
        "ResourceNotFoundException",
        "This model version has reached the end of its life. "
        "Please refer to the AWS documentation for more details.",
    ),
    "legacy": (
        404,
        "ResourceNotFoundException",
        "Access denied. This Model is marked by provider as Legacy and you have not been "
        "actively using the model in the last 30 days.",
    ),
    "needs_profile": (400, "ValidationException", NEEDS_PROFILE_TEMPLATE),
    "fail": (500, "InternalServerException", "The server encountered an internal error."),
    "unavailable": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
}
# Content-filter failures happen after validation, because Bedrock only filters
# well-formed requests; how they look depends on the model family.
CONTENT_FILTER_KINDS = frozenset({"filter_input", "filter_output", "filter_prompt"})
# Failures only some operations can show: kind -> the operations it applies to.  Other
# operations neither fail with them nor use up a queued one.
#   reject_image: 400 ValidationException, the media-type mismatch of messages.{last}.content.0.image
#   stream_error: 200, then two text deltas and a modelStreamErrorException event
OPERATION_FAILURES: dict[str, frozenset[str]] = {
    "reject_image": frozenset({"converse", "converse_stream"}),
    "stream_error": frozenset({"converse_stream"}),
}
FAILURE_KINDS = frozenset(REQUEST_FAILURES) | CONTENT_FILTER_KINDS | frozenset(OPERATION_FAILURES)


class BedrockError(Exception):
    """An error answered in the AWS rest-json wire format."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _validation_error(message: str) -> BedrockError:
    return BedrockError(400, "ValidationException", message)


def _malformed(detail: str) -> BedrockError:
    """Bedrock reports JSON-schema violations in this exact frame."""
    return _validation_error(
        f"Malformed input request: {detail}, please reformat your input and try again."
    )


def _request_failure(kind: str, model_id: str) -> BedrockError:
    status, code, message = REQUEST_FAILURES[kind]
    return BedrockError(status, code, message.format(model_id=model_id))


# --------------------------------------------------------------------------
# Request validation (messages mimic the JSON-schema validator Bedrock uses)
# --------------------------------------------------------------------------

_MISSING = object()
_JSON_TYPE_NAMES: dict[type, str] = {
    str: "String",
    bool: "Boolean",
    int: "Integer",
    float: "BigDecimal",
    list: "JSONArray",
    dict: "JSONObject",
    type(None): "Null",
}


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _lookup(obj: dict, key: str, path: str, required: bool) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING and required:
        raise _malformed(f"{path}: required key [{key}] not found")
    return value


def _get_object(obj: dict, key: str, path: str, *, required: bool) -> dict:
    value = _lookup(obj, key, path, required)
    if value is _MISSING:
        return {}
    if not isinstance(value, dict):
        raise _malformed(f"{path}/{key}: expected type: JSONObject, found: {_type_name(value)}")
    return value


def _get_string(
    obj: dict, key: str, path: str, *, required: bool, max_len: int, min_len: int = 1
) -> str | None:
    value = _lookup(obj, key, path, required)
    if value is _MISSING:
        return None
    if not isinstance(value, str):
        raise _malformed(f"{path}/{key}: expected type: String, found: {_type_name(value)}")
    if len(value) < min_len:
        raise _malformed(f"{path}/{key}: expected minLength: {min_len}, actual: {len(value)}")
    if len(value) > max_len:
        raise _malformed(f"{path}/{key}: expected maxLength: {max_len}, actual: {len(value)}")
    return value


def _get_number(
    obj: dict, key: str, path: str, *, default: float | None, lo: float, hi: float, integer: bool
) -> Any:
    value = _lookup(obj, key, path, default is None)
    if value is _MISSING:
        return default
    wanted = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        expected = "Integer" if integer else "Number"
        raise _malformed(f"{path}/{key}: expected type: {expected}, found: {_type_name(value)}")
    if value < lo:
        raise _malformed(f"{path}/{key}: {value} is not greater or equal to {lo}")
    if value > hi:
        raise _malformed(f"{path}/{key}: {value} is not less or equal to {hi}")
    return value


def _get_enum(obj: dict, key: str, path: str, *, default: str, allowed: tuple[str, ...]) -> str:
    value = obj.get(key, default)
    if value not in allowed:
        raise _malformed(f"{path}/{key}: {value} is not a valid enum value")
    return value


def _get_list(obj: dict, key: str, path: str, *, min_items: int, max_items: int) -> list:
    value = _lookup(obj, key, path, True)
    if not isinstance(value, list):
        raise _malformed(f"{path}/{key}: expected type: JSONArray, found: {_type_name(value)}")
    if len(value) < min_items:
        raise _malformed(f"{path}/{key}: expected minimum item count: {min_items}, found: {len(value)}")
    if len(value) > max_items:
        raise _malformed(f"{path}/{key}: expected maximum item count: {max_items}, found: {len(value)}")
    return value


def _reject_unknown_keys(obj: dict, allowed: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            raise _malformed(f"{path}: extraneous key [{key}] is not permitted")


def _open_image(value: Any, path: str, formats: tuple[str, ...]) -> Image.Image:
    """Input images must really be base64 images; the app must not send paths or data URLs.

    The image keeps its own mode (alpha included); ``_decode_image`` flattens it to RGB.
    """
    if not isinstance(value, str):
        raise _malformed(f"{path}: expected type: String, found: {_type_name(value)}")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(value, validate=True)))
        image.load()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        image = None
    if image is None or image.format not in formats:
        raise _malformed(f"{path}: the provided image is not a valid {' or '.join(formats)} image")
    return image


def _decode_image(value: Any, path: str, formats: tuple[str, ...]) -> Image.Image:
    return _open_image(value, path, formats).convert("RGB")


def _alpha_channel(image: Image.Image) -> np.ndarray | None:
    """The image's alpha as uint8 (H, W), or None when it has no transparency data at all."""
    if not image.has_transparency_data:
        return None
    return np.asarray(image.convert("RGBA"))[..., 3]


# --------------------------------------------------------------------------
# Image rendering: fast, deterministic, visibly tied to the request
# --------------------------------------------------------------------------


def _digest(*parts: object) -> int:
    """A stable hash (unlike ``hash()``, identical across processes)."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _caption(prompt: str | None, seed: int) -> list[str]:
    words = " ".join((prompt or "").split()[:6])
    return [words[:48], f"seed {seed}"] if words else [f"seed {seed}"]


def _draw_caption(image: Image.Image, lines: list[str]) -> Image.Image:
    size = max(10, min(image.size) // 18)
    ImageDraw.Draw(image).multiline_text(
        (size // 2, size // 2),
        "\n".join(lines),
        font=ImageFont.load_default(size=size),
        fill="white",
        stroke_width=max(1, size // 12),
        stroke_fill="black",
    )
    return image


def render_generated(width: int, height: int, prompt: str | None, seed: int, index: int) -> Image.Image:
    """A diagonal two-colour gradient whose hue comes from (prompt, seed, index)."""
    hue = (_digest(prompt, seed, index) % 3600) / 3600
    start = np.array(colorsys.hsv_to_rgb(hue, 0.65, 0.95), dtype=np.float32) * 255
    end = np.array(colorsys.hsv_to_rgb((hue + 0.35) % 1.0, 0.8, 0.45), dtype=np.float32) * 255
    # A 511-colour lookup table indexed by x+y is much faster than per-pixel float maths.
    palette = (start + (end - start) * np.linspace(0, 1, 511, dtype=np.float32)[:, None]).astype(np.uint8)
    column = np.arange(width, dtype=np.uint32) * 255 // max(1, width - 1)
    row = np.arange(height, dtype=np.uint32) * 255 // max(1, height - 1)
    pixels = palette[row[:, None] + column[None, :]]
    return _draw_caption(Image.fromarray(pixels, "RGB"), _caption(prompt, seed))


# --stock-images (the class bench): text-to-image answers come from one picture per size, drawn once.
STOCK_IMAGES = False
_stock: dict[tuple[int, int], bytes] = {}
_stock_lock = threading.Lock()


def generated_image(width: int, height: int, prompt: str | None, seed: int, index: int,
                    output_format: str = "png") -> str:
    """Base64 of a text-to-image answer: ``render_generated`` encoded in ``output_format``.

    With ``STOCK_IMAGES`` (PNG only) the picture is drawn once per size and every answer differs from it by a
    PNG text chunk naming its prompt, seed and a unique id. Why: drawing and encoding a 1024² PNG costs the
    fake ~50 ms of CPU per call, which Bedrock spends on its own machines; a bench with the fake on the app's
    CPUs would measure the fake. The app still gets unique full-size bytes to decode, store and preview.
    """
    if not STOCK_IMAGES or output_format != "png":
        return encode_image(render_generated(width, height, prompt, seed, index), output_format)
    with _stock_lock:
        base = _stock.get((width, height))
        if base is None:
            base = _stock[(width, height)] = base64.b64decode(
                encode_image(render_generated(width, height, "stock image", 0, 0), "png"))
    said = f"{prompt or ''} | seed {seed} | {index} | {uuid.uuid4().hex}".encode("latin-1", "replace")
    text = b"Comment\x00" + said
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    header = 8 + 25  # the signature and IHDR: a text chunk may follow it
    return base64.b64encode(base[:header] + chunk + base[header:]).decode("ascii")


def render_derived(
    source: Image.Image, width: int, height: int, prompt: str | None, seed: int, index: int
) -> Image.Image:
    """The input resized and hue-shifted: brightness survives, so tests can trace it back."""
    hsv = np.array(source.resize((width, height), Image.Resampling.BILINEAR).convert("HSV"))
    shift = 32 + _digest(prompt, seed, index) % 192
    hsv[..., 0] = (hsv[..., 0].astype(np.uint16) + shift).astype(np.uint8)
    image = Image.fromarray(hsv, "HSV").convert("RGB")
    return _draw_caption(image, _caption(prompt, seed))


def encode_image(image: Image.Image, output_format: str) -> str:
    """Base64 of real PNG/JPEG/WEBP bytes, tuned for speed rather than size."""
    buffer = io.BytesIO()
    if output_format == "png":
        image.save(buffer, "PNG", compress_level=3)
    elif output_format == "jpeg":
        image.save(buffer, "JPEG", quality=90)
    else:
        image.save(buffer, "WEBP", quality=80, method=0)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# --------------------------------------------------------------------------
# Image editing: regions, masks and repainting
# --------------------------------------------------------------------------

Box = tuple[int, int, int, int]


def mask_prompt_region(width: int, height: int) -> Box:
    """The ``(x0, y0, x1, y1)`` box (end-exclusive) that ``maskPrompt``/``search_prompt`` select."""
    return width // 4, height // 4, 3 * width // 4, 3 * height // 4


def box_mask(width: int, height: int, box: Box) -> np.ndarray:
    """A boolean (H, W) array that is True inside ``box`` (end-exclusive, clipped to the image)."""
    x0, y0, x1, y1 = box
    area = np.zeros((height, width), dtype=bool)
    area[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return area


def background_subject_mask(width: int, height: int) -> np.ndarray:
    """Remove Background's "subject": the ellipse inscribed in ``mask_prompt_region`` (pixel centres)."""
    x0, y0, x1, y1 = mask_prompt_region(width, height)
    rx, ry = max(0.5, (x1 - x0) / 2), max(0.5, (y1 - y0) / 2)
    xs = (np.arange(width) + 0.5 - (x0 + x1) / 2) / rx
    ys = (np.arange(height) + 0.5 - (y0 + y1) / 2) / ry
    return ys[:, None] ** 2 + xs[None, :] ** 2 <= 1.0


def grow(area: np.ndarray, pixels: int) -> np.ndarray:
    """Dilate a boolean mask by ``pixels`` with a square kernel (Chebyshev distance)."""
    grown = area.copy()
    for axis in (0, 1):
        source = grown.copy()
        length = source.shape[axis]
        for step in range(1, min(pixels, length - 1) + 1):
            ahead = [slice(None)] * 2
            behind = [slice(None)] * 2
            ahead[axis], behind[axis] = slice(step, None), slice(None, -step)
            grown[tuple(ahead)] |= source[tuple(behind)]
            grown[tuple(behind)] |= source[tuple(ahead)]
    return grown


def edit_fill_colour(prompt: str | None, seed: int, index: int = 0) -> tuple[int, int, int]:
    """The flat colour an edit paints; saturated, so it never equals a grey input pixel."""
    hue = (_digest("edit", prompt, seed, index) % 3600) / 3600
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.75, 0.9)
    return round(red * 255), round(green * 255), round(blue * 255)


def repaint(image: Image.Image, area: np.ndarray, colour: tuple[int, int, int]) -> Image.Image:
    """An RGB copy of ``image`` with only ``area`` filled with ``colour``."""
    pixels = np.array(image.convert("RGB"))
    pixels[area] = colour
    return Image.fromarray(pixels, "RGB")


# --------------------------------------------------------------------------
# Model families
# --------------------------------------------------------------------------


@dataclass
class Job:
    """A validated request: its seed (for filtered answers) and how to produce the success body."""

    seed: int
    render: Callable[[], dict]


TITAN_SIZES = frozenset(
    {
        (1024, 1024), (768, 768), (512, 512), (768, 1152), (384, 576), (1152, 768),
        (576, 384), (768, 1280), (384, 640), (1280, 768), (640, 384), (896, 1152),
        (448, 576), (1152, 896), (576, 448), (768, 1408), (384, 704), (1408, 768),
        (704, 384), (640, 1408), (320, 704), (1408, 640), (704, 320), (1152, 640),
        (1173, 640),
    }
)  # fmt: skip


def _check_titan_size(width: int, height: int) -> None:
    if (width, height) not in TITAN_SIZES:
        raise _malformed(
            f"#/imageGenerationConfig: width {width} x height {height} is not a supported image size"
        )


def _check_nova_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if value < 320:
            raise _malformed(f"#/imageGenerationConfig/{name}: {value} is not greater or equal to 320")
        if value > 4096:
            raise _malformed(f"#/imageGenerationConfig/{name}: {value} is not less or equal to 4096")
        if value % 16:
            raise _malformed(f"#/imageGenerationConfig/{name}: {value} is not a multiple of 16")
    if width * height > 4_194_304:
        raise _malformed(
            f"#/imageGenerationConfig: width {width} x height {height} = {width * height} pixels "
            "exceeds the maximum of 4194304"
        )
    if max(width, height) > 4 * min(width, height):
        raise _malformed(
            f"#/imageGenerationConfig: aspect ratio of width {width} x height {height} "
            "is outside 1:4 to 4:1"
        )


@dataclass(frozen=True)
class GenerationConfig:
    """The validated ``imageGenerationConfig`` fields that shape the output."""

    count: int
    width: int
    height: int
    seed: int


# Edits answer at the input's size: width/height in imageGenerationConfig are ignored.
_SIZED_TASKS = frozenset({"TEXT_IMAGE", "IMAGE_VARIATION"})
OUTPAINT_BLEND_PX = 2  # DEFAULT outpainting also repaints this band just inside the mask edge


class TitanFamilyModel:
    """Titan Image Generator v1/v2 and Nova Canvas: one request schema, different limits."""

    profiles: frozenset[str] | None = None  # geo prefixes it has; None: any prefix works
    on_demand = True  # the bare id works
    content_filters = True  # the CONTENT_FILTER_KINDS apply

    def __init__(
        self,
        text_max: int,
        seed_max: int,
        check_size: Callable[[int, int], None],
        default_cfg: float,
        pure_masks: bool = False,
    ) -> None:
        self.text_max = text_max
        self.seed_max = seed_max
        self.check_size = check_size
        self.default_cfg = default_cfg
        self.pure_masks = pure_masks  # Nova Canvas: only (0,0,0) and (255,255,255), no transparency
        # taskType -> handler.
        self.tasks: dict[str, Callable[[dict, GenerationConfig], Job]] = {
            "TEXT_IMAGE": self._text_image,
            "IMAGE_VARIATION": self._image_variation,
            "INPAINTING": self._inpainting,
            "OUTPAINTING": self._outpainting,
        }

    def plan(self, body: dict) -> Job:
        task_type = _lookup(body, "taskType", "#", True)
        handler = self.tasks.get(task_type) if isinstance(task_type, str) else None
        if handler is None:
            raise _validation_error(f"Malformed input request: unsupported taskType {task_type}")
        return handler(body, self._generation_config(body, sized=task_type in _SIZED_TASKS))

    def filtered(self, kind: str, job: Job) -> dict:
        """Titan/Nova block outputs in a 200 body but prompts with a 400."""
        if kind == "filter_output":
            return {"images": [], "error": FILTER_OUTPUT_MESSAGE}
        raise _validation_error(FILTER_INPUT_MESSAGE)

    def _generation_config(self, body: dict, sized: bool) -> GenerationConfig:
        path = "#/imageGenerationConfig"
        config = _get_object(body, "imageGenerationConfig", "#", required=False)
        count = _get_number(config, "numberOfImages", path, default=1, lo=1, hi=5, integer=True)
        _get_enum(config, "quality", path, default="standard", allowed=("standard", "premium"))
        width = _get_number(config, "width", path, default=1024, lo=1, hi=4096, integer=True)
        height = _get_number(config, "height", path, default=1024, lo=1, hi=4096, integer=True)
        _get_number(config, "cfgScale", path, default=self.default_cfg, lo=1.1, hi=10.0, integer=False)
        seed = _get_number(config, "seed", path, default=42, lo=0, hi=self.seed_max, integer=True)
        if sized:
            self.check_size(width, height)
        return GenerationConfig(count, width, height, seed)

    def _texts(self, params: dict, path: str, text_required: bool) -> str | None:
        text = _get_string(params, "text", path, required=text_required, max_len=self.text_max)
        _get_string(params, "negativeText", path, required=False, max_len=self.text_max)
        return text

    def _text_image(self, body: dict, config: GenerationConfig) -> Job:
        params = _get_object(body, "textToImageParams", "#", required=True)
        text = self._texts(params, "#/textToImageParams", text_required=True)

        def render() -> dict:
            images = [
                generated_image(config.width, config.height, text, config.seed, i) for i in range(config.count)
            ]
            return {"images": images, "error": None}

        return Job(config.seed, render)

    def _image_variation(self, body: dict, config: GenerationConfig) -> Job:
        path = "#/imageVariationParams"
        params = _get_object(body, "imageVariationParams", "#", required=True)
        text = self._texts(params, path, text_required=False)
        _get_number(params, "similarityStrength", path, default=0.7, lo=0.2, hi=1.0, integer=False)
        encoded = _get_list(params, "images", path, min_items=1, max_items=5)
        sources = [
            _decode_image(item, f"{path}/images/{i}", ("PNG", "JPEG")) for i, item in enumerate(encoded)
        ]

        def render() -> dict:
            first = sources[0]
            images = [
                encode_image(render_derived(first, config.width, config.height, text, config.seed, i), "png")
                for i in range(config.count)
            ]
            return {"images": images, "error": None}

        return Job(config.seed, render)

    def _inpainting(self, body: dict, config: GenerationConfig) -> Job:
        path = "#/inPaintingParams"
        params = _get_object(body, "inPaintingParams", "#", required=True)
        image, text, inside = self._edit_inputs(params, path, text_required=False)
        return self._edit_job(image, inside, text, config)

    def _outpainting(self, body: dict, config: GenerationConfig) -> Job:
        path = "#/outPaintingParams"
        params = _get_object(body, "outPaintingParams", "#", required=True)
        mode = _get_enum(params, "outPaintingMode", path, default="DEFAULT", allowed=("DEFAULT", "PRECISE"))
        image, text, inside = self._edit_inputs(params, path, text_required=True)
        area = ~inside
        if mode == "DEFAULT":  # the object's edge may blend into the new surroundings
            area = grow(area, OUTPAINT_BLEND_PX)
        return self._edit_job(image, area, text, config)

    def _edit_inputs(
        self, params: dict, path: str, text_required: bool
    ) -> tuple[Image.Image, str | None, np.ndarray]:
        """The source image, the prompt and the boolean "inside the mask" array of an edit."""
        encoded = _lookup(params, "image", path, True)
        text = self._texts(params, path, text_required=text_required)
        has_image, has_prompt = "maskImage" in params, "maskPrompt" in params
        if has_image == has_prompt:
            found = "both" if has_image else "neither"
            raise _malformed(f"{path}: exactly one of [maskImage, maskPrompt] is required, found {found}")
        if has_prompt:
            _get_string(params, "maskPrompt", path, required=True, max_len=self.text_max)
        image = _decode_image(encoded, f"{path}/image", ("PNG", "JPEG"))
        width, height = image.size
        if has_prompt:
            return image, text, box_mask(width, height, mask_prompt_region(width, height))
        return image, text, self._mask_inside(params["maskImage"], f"{path}/maskImage", image.size)

    def _mask_inside(self, encoded: Any, path: str, size: tuple[int, int]) -> np.ndarray:
        """Black (luminance < 128) is inside the mask; Nova Canvas insists on pure black and white."""
        mask = _open_image(encoded, path, ("PNG", "JPEG"))
        if mask.size != size:
            raise _malformed(
                f"{path}: maskImage size {mask.width}x{mask.height} does not match "
                f"image size {size[0]}x{size[1]}; they must be the same size"
            )
        rgb = np.asarray(mask.convert("RGB"))
        if self.pure_masks:
            alpha = _alpha_channel(mask)
            if alpha is not None and (alpha < 255).any():
                raise _malformed(f"{path}: maskImage must not contain transparent pixels")
            if not ((rgb == 0).all(axis=-1) | (rgb == 255).all(axis=-1)).all():
                raise _malformed(
                    f"{path}: maskImage must contain only pure black (0,0,0) "
                    "and pure white (255,255,255) pixels"
                )
        return np.asarray(Image.fromarray(rgb, "RGB").convert("L")) < 128

    def _edit_job(
        self, image: Image.Image, area: np.ndarray, text: str | None, config: GenerationConfig
    ) -> Job:
        def render() -> dict:
            images = [
                encode_image(repaint(image, area, edit_fill_colour(text, config.seed, i)), "png")
                for i in range(config.count)
            ]
            return {"images": images, "error": None}

        return Job(config.seed, render)


STABILITY_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "21:9": (1536, 640),
    "2:3": (832, 1216),
    "3:2": (1216, 832),
    "4:5": (896, 1088),
    "5:4": (1088, 896),
    "9:16": (768, 1344),
    "9:21": (640, 1536),
}
STABILITY_MAX_SEED = 4294967294
_STABILITY_KEYS = frozenset({"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format", "mode"})
_IMAGE_TO_IMAGE_KEYS = frozenset({"image", "strength"})


def _one_megapixel_like(width: int, height: int) -> tuple[int, int]:
    """About 1 MP with the input's aspect ratio, sides a multiple of 64 (as SD3.5 answers)."""
    ratio = width / height
    return (
        max(64, round(math.sqrt(1024 * 1024 * ratio) / 64) * 64),
        max(64, round(math.sqrt(1024 * 1024 / ratio) / 64) * 64),
    )


def _stability_filtered(kind: str, job: Job) -> dict:
    """Stability reports filtered prompts and outputs as 200s with a finish reason."""
    if kind == "filter_input":
        raise _validation_error(FILTER_INPUT_MESSAGE)
    reason = "Filter reason: output image" if kind == "filter_output" else "Filter reason: prompt"
    return {"seeds": [job.seed], "finish_reasons": [reason], "images": []}


class StabilityModel:
    """SD3.5 Large, Stable Image Core and Ultra: flat snake_case schema, one image per call."""

    profiles: frozenset[str] | None = None  # geo prefixes it has; None: any prefix works
    on_demand = True  # the bare id works
    content_filters = True

    def __init__(self, image_to_image: bool) -> None:
        self.image_to_image = image_to_image
        self.allowed_keys = _STABILITY_KEYS | (_IMAGE_TO_IMAGE_KEYS if image_to_image else frozenset())
        self.modes = ("text-to-image", "image-to-image") if image_to_image else ("text-to-image",)

    def plan(self, body: dict) -> Job:
        _reject_unknown_keys(body, self.allowed_keys, "#")
        prompt = _get_string(body, "prompt", "#", required=True, max_len=10000)
        _get_string(body, "negative_prompt", "#", required=False, max_len=10000, min_len=0)
        aspect_ratio = _get_enum(body, "aspect_ratio", "#", default="1:1", allowed=tuple(STABILITY_SIZES))
        seed = _get_number(body, "seed", "#", default=0, lo=0, hi=STABILITY_MAX_SEED, integer=True)
        output_format = _get_enum(body, "output_format", "#", default="png", allowed=("png", "jpeg", "webp"))
        mode = _get_enum(body, "mode", "#", default="text-to-image", allowed=self.modes)
        seed = seed or random.randint(1, STABILITY_MAX_SEED)  # 0 means "pick one"; echoed back.

        if mode == "image-to-image":
            source = _decode_image(_lookup(body, "image", "#", True), "#/image", ("PNG", "JPEG", "WEBP"))
            _get_number(body, "strength", "#", default=None, lo=0, hi=1, integer=False)
            width, height = _one_megapixel_like(*source.size)

            def encoded() -> str:
                return encode_image(render_derived(source, width, height, prompt, seed, 0), output_format)

        else:
            width, height = STABILITY_SIZES[aspect_ratio]

            def encoded() -> str:
                return generated_image(width, height, prompt, seed, 0, output_format)

        def render() -> dict:
            return {"seeds": [seed], "finish_reasons": [None], "images": [encoded()]}

        return Job(seed, render)

    def filtered(self, kind: str, job: Job) -> dict:
        return _stability_filtered(kind, job)


# -- Stability AI Image Services (edits) ---------------------------------------

STYLE_PRESETS = (
    "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance",
    "fantasy-art", "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk",
    "origami", "photographic", "pixel-art", "tile-texture",
)  # fmt: skip
SERVICE_MIN_SIDE = 64
SERVICE_MAX_PIXELS = 9_437_184
SERVICE_MAX_ASPECT = 2.5
DEFAULT_GROW_MASK = 5
_SERVICE_FORMATS = ("PNG", "JPEG", "WEBP")


def _service_seed_and_format(body: dict) -> tuple[int, str]:
    seed = _get_number(body, "seed", "#", default=0, lo=0, hi=STABILITY_MAX_SEED, integer=True)
    output_format = _get_enum(body, "output_format", "#", default="png", allowed=("png", "jpeg", "webp"))
    return seed or random.randint(1, STABILITY_MAX_SEED), output_format


def _service_style(body: dict) -> None:
    if "style_preset" in body:
        _get_enum(body, "style_preset", "#", default="", allowed=STYLE_PRESETS)


def _service_prompt(body: dict, key: str = "prompt", *, required: bool = True) -> str | None:
    return _get_string(body, key, "#", required=required, max_len=10000, min_len=1 if required else 0)


def _service_image(
    body: dict, key: str = "image", *, min_side: int = SERVICE_MIN_SIDE, max_pixels: int = SERVICE_MAX_PIXELS
) -> Image.Image:
    """The input image ``body[key]``, mode kept, within the Image Services' size and aspect limits."""
    image = _open_image(_lookup(body, key, "#", True), f"#/{key}", _SERVICE_FORMATS)
    width, height = image.size
    if min(width, height) < min_side:
        raise _malformed(
            f"#/{key}: image is {width}x{height} pixels "
            f"but each side must be at least {min_side} pixels"
        )
    if width * height > max_pixels:
        raise _malformed(
            f"#/{key}: image is {width}x{height} = {width * height} pixels, "
            f"which exceeds the maximum of {max_pixels} pixels"
        )
    if max(width, height) > SERVICE_MAX_ASPECT * min(width, height):
        raise _malformed(f"#/{key}: aspect ratio of {width}x{height} is outside 1:2.5 to 2.5:1")
    return image


def _service_change_area(body: dict, image: Image.Image) -> np.ndarray:
    """White (luminance >= 128) in ``mask`` means change; without a mask, transparent pixels do."""
    if "mask" in body:
        mask = _open_image(body["mask"], "#/mask", _SERVICE_FORMATS)
        if mask.size != image.size:
            mask = mask.resize(image.size, Image.Resampling.NEAREST)
        return np.asarray(mask.convert("RGB").convert("L")) >= 128
    alpha = _alpha_channel(image)
    if alpha is None:
        raise _malformed(
            "#: required key [mask] not found, and #/image has no alpha channel to use as the mask"
        )
    return alpha < 128


def _service_job(seed: int, draw: Callable[[], Image.Image], output_format: str) -> Job:
    def render() -> dict:
        return {"seeds": [seed], "finish_reasons": [None], "images": [encode_image(draw(), output_format)]}

    return Job(seed, render)


def _plan_inpaint(body: dict) -> Job:
    prompt = _service_prompt(body)
    _service_prompt(body, "negative_prompt", required=False)
    grow_by = _get_number(body, "grow_mask", "#", default=DEFAULT_GROW_MASK, lo=0, hi=20, integer=True)
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body)
    area = grow(_service_change_area(body, image), grow_by)
    return _service_job(seed, lambda: repaint(image, area, edit_fill_colour(prompt, seed)), output_format)


def _plan_erase_object(body: dict) -> Job:
    grow_by = _get_number(body, "grow_mask", "#", default=DEFAULT_GROW_MASK, lo=0, hi=20, integer=True)
    seed, output_format = _service_seed_and_format(body)
    image = _service_image(body)
    area = grow(_service_change_area(body, image), grow_by)
    return _service_job(seed, lambda: repaint(image, area, edit_fill_colour(None, seed)), output_format)


def _plan_search_replace(body: dict) -> Job:
    prompt = _service_prompt(body)
    _service_prompt(body, "search_prompt")
    _service_prompt(body, "negative_prompt", required=False)
    grow_by = _get_number(body, "grow_mask", "#", default=DEFAULT_GROW_MASK, lo=0, hi=20, integer=True)
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body)
    area = grow(box_mask(image.width, image.height, mask_prompt_region(*image.size)), grow_by)
    return _service_job(seed, lambda: repaint(image, area, edit_fill_colour(prompt, seed)), output_format)


def _plan_search_recolor(body: dict) -> Job:
    """Like Search and Replace, but the area is chosen by ``select_prompt`` and recoloured."""
    prompt = _service_prompt(body)
    _service_prompt(body, "select_prompt")
    _service_prompt(body, "negative_prompt", required=False)
    grow_by = _get_number(body, "grow_mask", "#", default=DEFAULT_GROW_MASK, lo=0, hi=20, integer=True)
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body)
    area = grow(box_mask(image.width, image.height, mask_prompt_region(*image.size)), grow_by)
    return _service_job(seed, lambda: repaint(image, area, edit_fill_colour(prompt, seed)), output_format)


def _plan_control(body: dict) -> Job:
    """Control Sketch / Control Structure: a picture at the input's size that keeps its brightness."""
    prompt = _service_prompt(body)
    _service_prompt(body, "negative_prompt", required=False)
    _get_number(body, "control_strength", "#", default=0.7, lo=0, hi=1, integer=False)
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body).convert("RGB")
    return _service_job(seed, lambda: render_derived(image, *image.size, prompt, seed, 0), output_format)


def _plan_style_guide(body: dict) -> Job:
    """Style Guide: the style image, hue-shifted, at the size of ``aspect_ratio``."""
    prompt = _service_prompt(body)
    _service_prompt(body, "negative_prompt", required=False)
    _get_number(body, "fidelity", "#", default=0.5, lo=0, hi=1, integer=False)
    aspect_ratio = _get_enum(body, "aspect_ratio", "#", default="1:1", allowed=tuple(STABILITY_SIZES))
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body).convert("RGB")
    width, height = STABILITY_SIZES[aspect_ratio]
    return _service_job(seed, lambda: render_derived(image, width, height, prompt, seed, 0), output_format)


def transfer_style(init: Image.Image, style: Image.Image) -> Image.Image:
    """Style Transfer's answer: the init image's brightness (HSV value) in the style image's mean hue
    and saturation, at the init image's size."""
    mean = style.convert("RGB").resize((1, 1), Image.Resampling.BOX).convert("HSV").getpixel((0, 0))
    hsv = np.array(init.convert("RGB").convert("HSV"))
    hsv[..., 0], hsv[..., 1] = mean[0], mean[1]
    return Image.fromarray(hsv, "HSV").convert("RGB")


def _plan_style_transfer(body: dict) -> Job:
    prompt = _service_prompt(body, required=False)
    _service_prompt(body, "negative_prompt", required=False)
    _get_number(body, "style_strength", "#", default=1.0, lo=0, hi=1, integer=False)
    _get_number(body, "composition_fidelity", "#", default=0.9, lo=0, hi=1, integer=False)
    _get_number(body, "change_strength", "#", default=0.9, lo=0, hi=1, integer=False)
    seed, output_format = _service_seed_and_format(body)
    init = _service_image(body, "init_image")
    style = _service_image(body, "style_image")
    del prompt  # accepted and validated; the answer follows the two images
    return _service_job(seed, lambda: transfer_style(init, style), output_format)


FAST_UPSCALE_MIN_SIDE = 32
UPSCALE_MAX_INPUT_PIXELS = 1_048_576  # Fast and Creative Upscale
UPSCALE_FACTOR = 4
UPSCALE_MAX_SIDE = 4096


def upscaled_size(width: int, height: int) -> tuple[int, int]:
    """Conservative/Creative Upscale's output: 4x, scaled down so the long side is at most 4096 (never below 1x)."""
    scale = max(1.0, min(UPSCALE_FACTOR, UPSCALE_MAX_SIDE / max(width, height)))
    return math.floor(width * scale + 0.5), math.floor(height * scale + 0.5)


CREATIVE_MIN_SATURATION = 96


def creative_tint(image: Image.Image, prompt: str | None, seed: int) -> Image.Image:
    """Creative Upscale's sign: every hue turned by 32 + digest(prompt, seed) % 192 (of 256) and the
    saturation raised to at least 96 (of 255), so greys change too; the brightness (HSV value) is kept."""
    hsv = np.array(image.convert("RGB").convert("HSV"))
    shift = 32 + _digest("upscale", prompt, seed) % 192
    hsv[..., 0] = (hsv[..., 0].astype(np.uint16) + shift).astype(np.uint8)
    hsv[..., 1] = np.maximum(hsv[..., 1], CREATIVE_MIN_SATURATION)
    return Image.fromarray(hsv, "HSV").convert("RGB")


def _plan_fast_upscale(body: dict) -> Job:
    output_format = _get_enum(body, "output_format", "#", default="png", allowed=("png", "jpeg", "webp"))
    seed = random.randint(1, STABILITY_MAX_SEED)  # the body has no seed; the answer still reports one
    image = _service_image(body, min_side=FAST_UPSCALE_MIN_SIDE, max_pixels=UPSCALE_MAX_INPUT_PIXELS).convert("RGB")
    size = (image.width * UPSCALE_FACTOR, image.height * UPSCALE_FACTOR)
    return _service_job(seed, lambda: image.resize(size, Image.Resampling.NEAREST), output_format)


def _plan_conservative_upscale(body: dict) -> Job:
    _service_prompt(body)
    _service_prompt(body, "negative_prompt", required=False)
    _get_number(body, "creativity", "#", default=0.35, lo=0.2, hi=0.5, integer=False)
    seed, output_format = _service_seed_and_format(body)
    image = _service_image(body).convert("RGB")
    size = upscaled_size(*image.size)
    return _service_job(seed, lambda: image.resize(size, Image.Resampling.BICUBIC), output_format)


def _plan_creative_upscale(body: dict) -> Job:
    prompt = _service_prompt(body)
    _service_prompt(body, "negative_prompt", required=False)
    _get_number(body, "creativity", "#", default=0.3, lo=0.1, hi=0.5, integer=False)
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body, max_pixels=UPSCALE_MAX_INPUT_PIXELS).convert("RGB")
    size = upscaled_size(*image.size)
    return _service_job(
        seed, lambda: creative_tint(image.resize(size, Image.Resampling.BICUBIC), prompt, seed), output_format
    )


def _plan_remove_background(body: dict) -> Job:
    output_format = _get_enum(body, "output_format", "#", default="png", allowed=("png", "jpeg", "webp"))
    seed = random.randint(1, STABILITY_MAX_SEED)  # the body has no seed; the answer still reports one
    if output_format == "jpeg":
        raise _malformed("#/output_format: jpeg cannot hold a transparent background; use png or webp")
    image = _service_image(body)

    def draw() -> Image.Image:
        subject = background_subject_mask(*image.size)
        pixels = np.zeros((image.height, image.width, 4), dtype=np.uint8)
        pixels[subject, :3] = np.asarray(image.convert("RGB"))[subject]
        pixels[subject, 3] = 255
        return Image.fromarray(pixels, "RGBA")

    return _service_job(seed, draw, output_format)


def _plan_outpaint(body: dict) -> Job:
    left, right, up, down = (
        _get_number(body, side, "#", default=0, lo=0, hi=2000, integer=True)
        for side in ("left", "right", "up", "down")
    )
    if not any((left, right, up, down)):
        raise _malformed("#: at least one of [left, right, up, down] must be greater than 0")
    _get_number(body, "creativity", "#", default=0.5, lo=0, hi=1, integer=False)
    prompt = _service_prompt(body, required=False)
    seed, output_format = _service_seed_and_format(body)
    _service_style(body)
    image = _service_image(body)

    def draw() -> Image.Image:
        size = (image.width + left + right, image.height + up + down)
        canvas = Image.new("RGB", size, edit_fill_colour(prompt, seed))
        canvas.paste(image.convert("RGB"), (left, up))
        return canvas

    return _service_job(seed, draw, output_format)


_BASE_KEYS = frozenset({"image", "seed", "output_format"})
_PROMPT_KEYS = frozenset({"prompt", "negative_prompt", "style_preset"})
_MASK_KEYS = frozenset({"mask", "grow_mask"})
_OUTPAINT_KEYS = frozenset({"prompt", "style_preset", "left", "right", "up", "down", "creativity"})
_STYLE_TRANSFER_KEYS = frozenset(
    {"init_image", "style_image", "prompt", "negative_prompt", "seed", "output_format", "style_strength",
     "composition_fidelity", "change_strength"}
)  # fmt: skip
_UPSCALE_KEYS = frozenset({"image", "prompt", "negative_prompt", "seed", "output_format", "creativity"})

# model id -> (allowed body keys, planner)
STABILITY_SERVICES: dict[str, tuple[frozenset[str], Callable[[dict], Job]]] = {
    "stability.stable-image-inpaint-v1:0": (_BASE_KEYS | _PROMPT_KEYS | _MASK_KEYS, _plan_inpaint),
    "stability.stable-image-erase-object-v1:0": (_BASE_KEYS | _MASK_KEYS, _plan_erase_object),
    "stability.stable-image-search-replace-v1:0": (
        _BASE_KEYS | _PROMPT_KEYS | {"search_prompt", "grow_mask"},
        _plan_search_replace,
    ),
    "stability.stable-image-remove-background-v1:0": (
        frozenset({"image", "output_format"}),
        _plan_remove_background,
    ),
    "stability.stable-outpaint-v1:0": (_BASE_KEYS | _OUTPAINT_KEYS, _plan_outpaint),
    "stability.stable-image-search-recolor-v1:0": (
        _BASE_KEYS | _PROMPT_KEYS | {"select_prompt", "grow_mask"},
        _plan_search_recolor,
    ),
    "stability.stable-image-control-sketch-v1:0": (_BASE_KEYS | _PROMPT_KEYS | {"control_strength"}, _plan_control),
    "stability.stable-image-control-structure-v1:0": (
        _BASE_KEYS | _PROMPT_KEYS | {"control_strength"},
        _plan_control,
    ),
    "stability.stable-image-style-guide-v1:0": (
        _BASE_KEYS | _PROMPT_KEYS | {"fidelity", "aspect_ratio"},
        _plan_style_guide,
    ),
    "stability.stable-style-transfer-v1:0": (_STYLE_TRANSFER_KEYS, _plan_style_transfer),
    "stability.stable-fast-upscale-v1:0": (frozenset({"image", "output_format"}), _plan_fast_upscale),
    "stability.stable-conservative-upscale-v1:0": (_UPSCALE_KEYS, _plan_conservative_upscale),
    "stability.stable-creative-upscale-v1:0": (_UPSCALE_KEYS | {"style_preset"}, _plan_creative_upscale),
}


class StabilityServiceModel:
    """One Stability AI Image Service: INFERENCE_PROFILE only (``us.`` ids), one image per call."""

    profiles: frozenset[str] | None = frozenset({"us"})
    on_demand = False  # INFERENCE_PROFILE only
    content_filters = True

    def __init__(self, allowed_keys: frozenset[str], planner: Callable[[dict], Job]) -> None:
        self.allowed_keys = allowed_keys
        self.planner = planner

    def plan(self, body: dict) -> Job:
        _reject_unknown_keys(body, self.allowed_keys, "#")
        return self.planner(body)

    def filtered(self, kind: str, job: Job) -> dict:
        return _stability_filtered(kind, job)


# --------------------------------------------------------------------------
# Embedding models: Titan Multimodal Embeddings G1 and Nova Multimodal Embeddings
# --------------------------------------------------------------------------
#
# Both answer ``fake_embedding`` (see the module docstring for the vector design).
#
# Titan (``amazon.titan-embed-image-v1``), body keys ``inputText``, ``inputImage``,
# ``embeddingConfig`` (no others): at least one of the two inputs; ``inputText`` at most
# 256 tokens; ``inputImage`` base64 PNG or JPEG, at most 25 MB decoded and 2048 px per
# side ("Image exceeds max pixels allowed.").  ``embeddingConfig.outputEmbeddingLength``
# is 256, 384 or 1024 (default 1024).  Answer:
#     {"embedding": [...], "inputTextTokenCount": <tokens of inputText, 0 without>, "message": null}
#
# Nova (``amazon.nova-2-multimodal-embeddings-v1:0``): ``schemaVersion`` (optional,
# "nova-multimodal-embed-v1"), ``taskType`` "SINGLE_EMBEDDING" (required) and
# ``singleEmbeddingParams`` with ``embeddingPurpose`` (required; it does not change the
# vector), ``embeddingDimension`` (256/384/1024/3072, default 3072) and exactly one of
#     "text":  {"truncationMode": "START"|"END"|"NONE" (required), "value": str}
#     "image": {"format": "png"|"jpeg"|"gif"|"webp", "detailLevel": "STANDARD_IMAGE"|"DOCUMENT_IMAGE"?,
#               "source": {"bytes": base64}}
# ``audio``/``video`` and ``s3Location`` sources are rejected as unsupported by the fake.
# Unknown keys are rejected at every level.  A text over 8192 tokens fails with
# truncationMode NONE; START keeps its last 8192 tokens, END its first 8192 (the original
# characters from the first kept token to the last), and that text is embedded.  The
# image format must match the bytes; at most 25 MB decoded and 8000 px per side.  Answer:
#     {"embeddings": [{"embeddingType": "TEXT"|"IMAGE", "embedding": [...]}]}

COLOUR_BLOCK_SIZE = 13  # 12 hue bins of 30 degrees + 1 grey bin, at positions 0..12
GREY_BIN = 12
FINGERPRINT_WEIGHT = 0.35
# Colour word -> bin (hue // 30, or GREY_BIN); matched as whole words, any case, optional plural "s".
COLOUR_WORDS: dict[str, int] = {
    "red": 0, "orange": 1, "yellow": 2, "green": 4, "cyan": 6, "blue": 8, "purple": 9, "violet": 9,
    "magenta": 10, "pink": 10, "grey": GREY_BIN, "gray": GREY_BIN, "black": GREY_BIN,
    "white": GREY_BIN, "silver": GREY_BIN,
}  # fmt: skip
_COLOUR_WORD = re.compile(rf"\b({'|'.join(COLOUR_WORDS)})s?\b", re.IGNORECASE)
# Korean colour stems -> bin, for the multilingual models only (``MULTILINGUAL_EMBEDDING_MODELS``).  Korean
# attaches endings and particles to the stem ("빨간색", "파랑이"), so a stem counts wherever it appears.
KOREAN_COLOUR_WORDS: dict[str, int] = {
    "빨간": 0, "빨강": 0, "주황": 1, "노란": 2, "노랑": 2, "초록": 4, "녹색": 4, "파란": 8, "파랑": 8,
    "보라": 9, "분홍": 10, "회색": GREY_BIN, "검은": GREY_BIN, "검정": GREY_BIN, "흰": GREY_BIN,
    "하얀": GREY_BIN,
}  # fmt: skip
_KOREAN_COLOUR_WORD = re.compile("|".join(KOREAN_COLOUR_WORDS))
# Multilingual models: their text colour block also counts KOREAN_COLOUR_WORDS (Titan and Nova stay English-only).
MULTILINGUAL_EMBEDDING_MODELS = frozenset({"cohere.embed-v4:0", "twelvelabs.marengo-embed-3-0-v1:0"})
_EMBED_TOKEN = re.compile(r"\w+|[^\w\s]")
EMBED_IMAGE_MAX_BYTES = 25 * 1024 * 1024
EMBED_TEXT_MAX_CHARS = 1_000_000  # a sanity cap; the token limits apply long before it
TITAN_EMBED_MAX_TOKENS = 256
TITAN_EMBED_MAX_SIDE = 2048
TITAN_EMBED_DIMENSIONS = (256, 384, 1024)
TITAN_PIXELS_MESSAGE = "Image exceeds max pixels allowed."
NOVA_EMBED_MAX_TOKENS = 8192
NOVA_EMBED_MAX_SIDE = 8000
NOVA_EMBED_DIMENSIONS = (256, 384, 1024, 3072)
NOVA_EMBED_SCHEMA = "nova-multimodal-embed-v1"
NOVA_EMBED_PURPOSES = (
    "GENERIC_INDEX", "GENERIC_RETRIEVAL", "TEXT_RETRIEVAL", "IMAGE_RETRIEVAL", "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL", "AUDIO_RETRIEVAL", "CLASSIFICATION", "CLUSTERING",
)  # fmt: skip
UNSUPPORTED_SOURCE_MESSAGE = "FakeBedrock does not support s3Location image sources."


def count_embedding_tokens(text: str) -> int:
    """The fake's token count for embedding models: runs of word characters and single punctuation marks."""
    return len(_EMBED_TOKEN.findall(text))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _text_colour_block(text: str, multilingual: bool = False) -> np.ndarray:
    block = np.zeros(COLOUR_BLOCK_SIZE)
    for match in _COLOUR_WORD.finditer(text):
        block[COLOUR_WORDS[match.group(1).lower()]] += 1.0
    if multilingual:
        for match in _KOREAN_COLOUR_WORD.finditer(text):
            block[KOREAN_COLOUR_WORDS[match.group(0)]] += 1.0
    return _unit(block)


def _image_colour_block(image: Image.Image) -> np.ndarray:
    """Hue bins weighted by saturation x value, grey bin by 1 - saturation, over <= 64x64 pixels.

    ``image`` must not be loaded yet: a JPEG is decoded straight at a reduced scale.
    """
    image.draft("RGB", (64, 64))
    rgb = image.convert("RGB")
    rgb.thumbnail((64, 64), Image.Resampling.BILINEAR)
    pixels = np.asarray(rgb, dtype=np.float64).reshape(-1, 3) / 255.0
    red, green, blue = pixels.T
    value = pixels.max(axis=1)
    chroma = value - pixels.min(axis=1)
    saturation = np.divide(chroma, value, out=np.zeros_like(value), where=value > 0)
    safe = np.where(chroma > 0, chroma, 1.0)
    sector = np.select(
        [value == red, value == green],
        [((green - blue) / safe) % 6, (blue - red) / safe + 2],
        (red - green) / safe + 4,
    )
    bins = np.rint(sector * 2).astype(np.int64) % 12  # sector is hue / 60; bin k is within 15 deg of k x 30
    block = np.zeros(COLOUR_BLOCK_SIZE)
    block[:12] = np.bincount(bins, weights=saturation * value, minlength=12)
    block[GREY_BIN] = float((1.0 - saturation).sum())
    return _unit(block)


def _embedding_part(model_id: str, dimension: int, kind: str, data: bytes, colours: np.ndarray) -> np.ndarray:
    """normalise(colour block + 0.35 x fingerprint) for one input (``kind`` is "text" or "image")."""
    seed_bytes = hashlib.sha256(b"\x1f".join([model_id.encode(), str(dimension).encode(), kind.encode(), data]))
    rng = np.random.default_rng(int.from_bytes(seed_bytes.digest(), "big"))
    vector = np.zeros(dimension)
    vector[:COLOUR_BLOCK_SIZE] = colours
    vector[COLOUR_BLOCK_SIZE:] = FINGERPRINT_WEIGHT * _unit(rng.standard_normal(dimension - COLOUR_BLOCK_SIZE))
    return _unit(vector)


# One input part: ("text", the text) or ("image", (raw bytes, colour block or None to compute it)).
EmbeddingPart = tuple[str, Any]


def _joint_embedding(model_id: str, dimension: int, parts: list[EmbeddingPart]) -> list[float]:
    """normalise(sum of the parts' unit vectors): the one vector of a joint (text + image...) input."""
    if dimension <= COLOUR_BLOCK_SIZE:
        raise ValueError(f"dimension must be greater than {COLOUR_BLOCK_SIZE}")
    if not parts:
        raise ValueError("give text, image or both")
    model_id = _split_model_id(model_id)[1]
    multilingual = model_id in MULTILINGUAL_EMBEDDING_MODELS
    total = np.zeros(dimension)
    for kind, value in parts:
        if kind == "text":
            canonical = " ".join(value.lower().split()).encode()
            colours = _text_colour_block(value, multilingual)
            total += _embedding_part(model_id, dimension, "text", canonical, colours)
        else:
            data, colours = value
            if colours is None:
                colours = _image_colour_block(Image.open(io.BytesIO(data)))
            total += _embedding_part(model_id, dimension, "image", data, colours)
    return _unit(total).tolist()


def _embedding(
    model_id: str,
    dimension: int,
    text: str | None,
    image: bytes | None,
    image_colours: np.ndarray | None = None,
) -> list[float]:
    """The vector both ``fake_embedding`` and the server answer (``image_colours``: already computed)."""
    parts: list[EmbeddingPart] = []
    if text is not None:
        parts.append(("text", text))
    if image is not None:
        parts.append(("image", (image, image_colours)))
    return _joint_embedding(model_id, dimension, parts)


def fake_embedding(
    model_id: str, dimension: int, *, text: str | None = None, image: bytes | None = None
) -> list[float]:
    """The unit vector the fake answers for ``text``, the raw ``image`` bytes, or both.

    ``model_id`` may be a profile id or ARN (reduced to the foundation-model id).  With
    both inputs, the normalised average of the text vector and the image vector.  For a
    model in ``MULTILINGUAL_EMBEDDING_MODELS`` Korean colour words count too.
    """
    return _embedding(model_id, dimension, text, image)


def _get_int_enum(obj: dict, key: str, path: str, *, default: int, allowed: tuple[int, ...]) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _malformed(f"{path}/{key}: expected type: Integer, found: {_type_name(value)}")
    if value not in allowed:
        raise _malformed(f"{path}/{key}: {value} is not a valid enum value")
    return value


def _get_required_enum(obj: dict, key: str, path: str, allowed: tuple[str, ...]) -> str:
    return _get_enum(obj, key, path, default=_lookup(obj, key, path, True), allowed=allowed)


@dataclass
class _EmbeddingImage:
    data: bytes
    format: str  # lower-case, as PIL names it: png, jpeg, gif, webp
    colours: np.ndarray


def _embedding_image(
    value: Any,
    path: str,
    formats: tuple[str, ...],
    max_side: int,
    too_large: Callable[[], BedrockError],
    max_bytes: int = EMBED_IMAGE_MAX_BYTES,
) -> _EmbeddingImage:
    """Decode, check size limits, then compute the colour block (decoding errors are the caller's 400)."""
    if not isinstance(value, str):
        raise _malformed(f"{path}: expected type: String, found: {_type_name(value)}")
    names = " or ".join(name.upper() for name in formats)
    invalid = _malformed(f"{path}: the provided image is not a valid {names} image")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid from None
    if len(data) > max_bytes:
        raise _malformed(f"{path}: image is {len(data)} bytes, which exceeds the maximum of {max_bytes} bytes")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise too_large() from None
    except (ValueError, UnidentifiedImageError, OSError):
        raise invalid from None
    if (image.format or "").lower() not in formats:
        raise invalid
    if max(image.size) > max_side:
        raise too_large()
    try:
        colours = _image_colour_block(image)
    except (ValueError, OSError, Image.DecompressionBombError):
        raise invalid from None
    return _EmbeddingImage(data, (image.format or "").lower(), colours)


def _truncate_tokens(text: str, limit: int, *, keep_start: bool) -> str:
    """``text`` cut to its first (``keep_start``) or last ``limit`` tokens: the original characters
    from the first kept token to the last one.  Unchanged when it has ``limit`` tokens or fewer."""
    tokens = list(_EMBED_TOKEN.finditer(text))
    if len(tokens) <= limit:
        return text
    if keep_start:
        return text[: tokens[limit - 1].end()]
    return text[tokens[-limit].start() :]


def _embedding_text(obj: dict, key: str, path: str) -> str | None:
    return _get_string(obj, key, path, required=False, max_len=EMBED_TEXT_MAX_CHARS)


class _EmbeddingModelBase:
    """Embedding models are on-demand and never content-filtered (those kinds are not taken for them)."""

    profiles: frozenset[str] | None = None  # geo prefixes it has; None: any prefix works
    on_demand = True  # the bare id works
    content_filters = False

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def filtered(self, kind: str, job: Job) -> dict:
        raise AssertionError("content-filter failures are never taken for embedding models")


class TitanMultimodalEmbeddingModel(_EmbeddingModelBase):
    """Titan Multimodal Embeddings G1: text, image or both (averaged) in one flat body."""

    def plan(self, body: dict) -> Job:
        _reject_unknown_keys(body, frozenset({"inputText", "inputImage", "embeddingConfig"}), "#")
        text = _embedding_text(body, "inputText", "#")
        if text is None and "inputImage" not in body:
            raise _malformed("#: at least one of inputText or inputImage is required")
        config = _get_object(body, "embeddingConfig", "#", required=False)
        _reject_unknown_keys(config, frozenset({"outputEmbeddingLength"}), "#/embeddingConfig")
        dimension = _get_int_enum(
            config, "outputEmbeddingLength", "#/embeddingConfig", default=1024, allowed=TITAN_EMBED_DIMENSIONS
        )
        tokens = count_embedding_tokens(text) if text is not None else 0
        if tokens > TITAN_EMBED_MAX_TOKENS:
            raise _validation_error(
                f"Too many input tokens. Max input tokens: {TITAN_EMBED_MAX_TOKENS}, "
                f"request input token count: {tokens}"
            )
        image = None
        if "inputImage" in body:
            image = _embedding_image(
                body["inputImage"], "#/inputImage", ("png", "jpeg"), TITAN_EMBED_MAX_SIDE,
                lambda: _validation_error(TITAN_PIXELS_MESSAGE),
            )  # fmt: skip

        def render() -> dict:
            data, colours = (image.data, image.colours) if image is not None else (None, None)
            vector = _embedding(self.model_id, dimension, text, data, colours)
            return {"embedding": vector, "inputTextTokenCount": tokens, "message": None}

        return Job(0, render)


class NovaMultimodalEmbeddingModel(_EmbeddingModelBase):
    """Nova Multimodal Embeddings, SINGLE_EMBEDDING of one text or one image."""

    def plan(self, body: dict) -> Job:
        _reject_unknown_keys(body, frozenset({"schemaVersion", "taskType", "singleEmbeddingParams"}), "#")
        _get_enum(body, "schemaVersion", "#", default=NOVA_EMBED_SCHEMA, allowed=(NOVA_EMBED_SCHEMA,))
        _get_required_enum(body, "taskType", "#", ("SINGLE_EMBEDDING",))
        path = "#/singleEmbeddingParams"
        params = _get_object(body, "singleEmbeddingParams", "#", required=True)
        for media in ("audio", "video"):
            if media in params:
                raise _malformed(f"{path}/{media}: {media} input is not supported by this fake")
        allowed = frozenset({"embeddingPurpose", "embeddingDimension", "text", "image"})
        _reject_unknown_keys(params, allowed, path)
        _get_required_enum(params, "embeddingPurpose", path, NOVA_EMBED_PURPOSES)
        dimension = _get_int_enum(
            params, "embeddingDimension", path, default=3072, allowed=NOVA_EMBED_DIMENSIONS
        )
        has_text, has_image = "text" in params, "image" in params
        if has_text == has_image:
            found = "both" if has_text else "neither"
            raise _malformed(f"{path}: exactly one of [text, image, video, audio] is required, found {found}")
        if has_text:
            text = self._text(_get_object(params, "text", path, required=True), f"{path}/text")

            def render_text() -> dict:
                vector = _embedding(self.model_id, dimension, text, None)
                return {"embeddings": [{"embeddingType": "TEXT", "embedding": vector}]}

            return Job(0, render_text)
        image = self._image(_get_object(params, "image", path, required=True), f"{path}/image")

        def render_image() -> dict:
            vector = _embedding(self.model_id, dimension, None, image.data, image.colours)
            return {"embeddings": [{"embeddingType": "IMAGE", "embedding": vector}]}

        return Job(0, render_image)

    @staticmethod
    def _text(params: dict, path: str) -> str:
        _reject_unknown_keys(params, frozenset({"truncationMode", "value"}), path)
        mode = _get_required_enum(params, "truncationMode", path, ("START", "END", "NONE"))
        text = _get_string(params, "value", path, required=True, max_len=EMBED_TEXT_MAX_CHARS)
        assert text is not None
        tokens = count_embedding_tokens(text)
        if tokens > NOVA_EMBED_MAX_TOKENS and mode == "NONE":
            raise _malformed(
                f"{path}/value: text is {tokens} tokens long, which exceeds the maximum of "
                f"{NOVA_EMBED_MAX_TOKENS} tokens; set truncationMode START or END to truncate it"
            )
        return _truncate_tokens(text, NOVA_EMBED_MAX_TOKENS, keep_start=mode == "END")

    @staticmethod
    def _image(params: dict, path: str) -> _EmbeddingImage:
        _reject_unknown_keys(params, frozenset({"format", "detailLevel", "source"}), path)
        declared = _get_required_enum(params, "format", path, ("png", "jpeg", "gif", "webp"))
        _get_enum(
            params, "detailLevel", path, default="STANDARD_IMAGE", allowed=("STANDARD_IMAGE", "DOCUMENT_IMAGE")
        )
        source = _get_object(params, "source", path, required=True)
        if "s3Location" in source:
            raise _validation_error(UNSUPPORTED_SOURCE_MESSAGE)
        _reject_unknown_keys(source, frozenset({"bytes"}), f"{path}/source")
        image = _embedding_image(
            _lookup(source, "bytes", f"{path}/source", True),
            f"{path}/source/bytes",
            ("png", "jpeg", "gif", "webp"),
            NOVA_EMBED_MAX_SIDE,
            lambda: _malformed(
                f"{path}/source/bytes: image dimensions exceed max allowed size: {NOVA_EMBED_MAX_SIDE} pixels"
            ),
        )
        if image.format != declared:
            raise _malformed(
                f"{path}/source/bytes: the image was specified as format {declared}, "
                f"but the image appears to be a {image.format} image"
            )
        return image


# -- Cohere Embed v4 ------------------------------------------------------------------
#
# ``cohere.embed-v4:0`` (bare on-demand id, or the ``us.``/``global.`` profiles); body keys (no others):
#     input_type        required: search_document | search_query | classification | clustering
#     texts | images | inputs   exactly one, a list of 1..96 items:
#         texts:  strings (at least 1 character)
#         images: data URIs "data:image/<png|jpeg|jpg|webp|gif>;base64,<data>"
#         inputs: {"content": [part, ...]} (1 or more parts), a part {"type": "text", "text": str} or
#                 {"type": "image_url", "image_url": <data URI> | {"url": <data URI>}}
#     embedding_types   list of float | int8 | uint8 | binary | ubinary (1 or more)
#     output_dimension  256 | 512 | 1024 | 1536 (default 1536)
#     max_tokens        1..128000 (default 128000), the token budget of each item
#     truncate          NONE | LEFT | RIGHT (default NONE)
# An image is png/jpeg/webp/gif, at most 5 MB decoded, and its bytes must be the type its URI declares
# ("jpg" is read as jpeg).  An image counts ceil(pixels / 784 x 4) tokens, its pixels first clamped to
# 3136..2458624 (the documented up/downsampling).  An item over max_tokens fails with truncate NONE;
# LEFT keeps a text's last max_tokens tokens, RIGHT its first (images and ``inputs`` items are then
# embedded as they are).
# One vector per item, in order: a text or an image as ``fake_embedding``; an ``inputs`` item the
# normalised average of its parts' vectors (as Titan's text + image).  input_type does not change the
# vector.  Answer, without ``embedding_types`` (documented "embeddings_floats"):
#     {"id": str, "embeddings": [[...], ...], "response_type": "embeddings_floats", "texts"?: [...], "inputs"?: [...]}
# and with it (each requested type, in the order asked):
#     {"id": str, "embeddings": {"float": [[...]], "int8": [[...]], ...}, "response_type": "embeddings_by_type", ...}
# ``texts`` echoes the texts and ``inputs`` the inputs, when those were sent.  int8 = round(127 v / max|v|);
# uint8 = int8 + 128; ubinary packs the signs (v > 0 is bit 1, first value the highest bit) 8 to a byte,
# dimension / 8 values 0..255; binary = ubinary - 128.

COHERE_EMBED_V4 = "cohere.embed-v4:0"
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
COHERE_EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
COHERE_DIMENSIONS = (256, 512, 1024, 1536)
COHERE_MAX_ITEMS = 96
COHERE_MAX_TOKENS = 128_000
COHERE_IMAGE_MAX_BYTES = 5 * 1024 * 1024
COHERE_IMAGE_FORMATS = ("png", "jpeg", "webp", "gif")
COHERE_MIN_PIXELS = 3_136
COHERE_MAX_PIXELS = 2_458_624
_COHERE_KEYS = frozenset(
    {"input_type", "texts", "images", "inputs", "embedding_types", "output_dimension", "max_tokens", "truncate"}
)
_DATA_URI = re.compile(r"data:image/([A-Za-z0-9.+-]+);base64,(.*)", re.DOTALL)
_NO_SIDE_LIMIT = 1 << 30


def cohere_image_tokens(width: int, height: int) -> int:
    """The tokens the fake counts for one Cohere Embed v4 image (pixels clamped to 3136..2458624)."""
    pixels = min(max(width * height, COHERE_MIN_PIXELS), COHERE_MAX_PIXELS)
    return math.ceil(pixels / 784 * 4)


def quantize_embedding(vector: list[float], embedding_type: str) -> list[Any]:
    """A float vector in one of Cohere's embedding types (see the Cohere Embed v4 notes)."""
    if embedding_type == "float":
        return vector
    values = np.asarray(vector)
    if embedding_type in ("int8", "uint8"):
        peak = float(np.abs(values).max()) or 1.0
        ints = np.clip(np.rint(values * 127 / peak), -127, 127).astype(int)
        return (ints + (128 if embedding_type == "uint8" else 0)).tolist()
    packed = np.packbits(values > 0).astype(int)
    return (packed - (128 if embedding_type == "binary" else 0)).tolist()


@dataclass
class _CohereItem:
    parts: list[EmbeddingPart]
    tokens: int
    text: str | None = None  # a ``texts`` item, which truncate may cut


class CohereEmbedV4Model(_EmbeddingModelBase):
    """Cohere Embed v4: texts, images or interleaved inputs, up to 96 per call, one vector each."""

    profiles = frozenset({"us", "global"})
    on_demand = True

    def plan(self, body: dict) -> Job:
        _reject_unknown_keys(body, _COHERE_KEYS, "#")
        _get_required_enum(body, "input_type", "#", COHERE_INPUT_TYPES)
        given = [key for key in ("texts", "images", "inputs") if key in body]
        if len(given) != 1:
            found = " and ".join(given) if given else "none"
            raise _malformed(f"#: exactly one of [texts, images, inputs] is required, found {found}")
        key = given[0]
        raw = _get_list(body, key, "#", min_items=1, max_items=COHERE_MAX_ITEMS)
        types = self._embedding_types(body)
        dimension = _get_int_enum(body, "output_dimension", "#", default=1536, allowed=COHERE_DIMENSIONS)
        max_tokens = _get_number(body, "max_tokens", "#", default=COHERE_MAX_TOKENS, lo=1, hi=COHERE_MAX_TOKENS,
                                 integer=True)  # fmt: skip
        truncate = _get_enum(body, "truncate", "#", default="NONE", allowed=("NONE", "LEFT", "RIGHT"))
        read = {"texts": self._text_item, "images": self._image_item, "inputs": self._inputs_item}[key]
        items = [read(value, f"#/{key}/{i}") for i, value in enumerate(raw)]
        for i, item in enumerate(items):
            if item.tokens <= max_tokens:
                continue
            if truncate == "NONE":
                raise _malformed(
                    f"#/{key}/{i}: input is {item.tokens} tokens long, which exceeds max_tokens {max_tokens}; "
                    "set truncate LEFT or RIGHT to truncate it"
                )
            if item.text is not None:
                item.parts = [("text", _truncate_tokens(item.text, max_tokens, keep_start=truncate == "RIGHT"))]

        def render() -> dict:
            vectors = [_joint_embedding(self.model_id, dimension, item.parts) for item in items]
            answer: dict[str, Any] = {"id": str(uuid.uuid4())}
            if types is None:
                answer |= {"embeddings": vectors, "response_type": "embeddings_floats"}
            else:
                by_type = {kind: [quantize_embedding(vector, kind) for vector in vectors] for kind in types}
                answer |= {"embeddings": by_type, "response_type": "embeddings_by_type"}
            if key in ("texts", "inputs"):
                answer[key] = raw
            return answer

        return Job(0, render)

    @staticmethod
    def _embedding_types(body: dict) -> list[str] | None:
        if "embedding_types" not in body:
            return None
        kinds = _get_list(body, "embedding_types", "#", min_items=1, max_items=len(COHERE_EMBEDDING_TYPES))
        for i, kind in enumerate(kinds):
            if kind not in COHERE_EMBEDDING_TYPES:
                raise _malformed(f"#/embedding_types/{i}: {kind} is not a valid enum value")
        return list(dict.fromkeys(kinds))

    @staticmethod
    def _text_item(value: Any, path: str) -> _CohereItem:
        if not isinstance(value, str):
            raise _malformed(f"{path}: expected type: String, found: {_type_name(value)}")
        if not value:
            raise _malformed(f"{path}: expected minLength: 1, actual: 0")
        return _CohereItem([("text", value)], count_embedding_tokens(value), value)

    @staticmethod
    def _image(value: Any, path: str) -> tuple[EmbeddingPart, int]:
        """One data-URI image: its part and its tokens."""
        if not isinstance(value, str):
            raise _malformed(f"{path}: expected type: String, found: {_type_name(value)}")
        match = _DATA_URI.fullmatch(value)
        declared = match.group(1).lower() if match else ""
        declared = "jpeg" if declared == "jpg" else declared
        if match is None or declared not in COHERE_IMAGE_FORMATS:
            raise _malformed(
                f"{path}: expected a data URI data:image/<png|jpeg|webp|gif>;base64,<data>, found: {value[:40]!r}"
            )
        image = _embedding_image(
            match.group(2), path, COHERE_IMAGE_FORMATS, _NO_SIDE_LIMIT,
            lambda: _malformed(f"{path}: the image has too many pixels"), max_bytes=COHERE_IMAGE_MAX_BYTES,
        )  # fmt: skip
        if image.format != declared:
            raise _malformed(
                f"{path}: the image was specified as image/{declared}, "
                f"but the image appears to be a {image.format} image"
            )
        with Image.open(io.BytesIO(image.data)) as opened:
            tokens = cohere_image_tokens(*opened.size)
        return ("image", (image.data, image.colours)), tokens

    def _image_item(self, value: Any, path: str) -> _CohereItem:
        part, tokens = self._image(value, path)
        return _CohereItem([part], tokens)

    def _inputs_item(self, value: Any, path: str) -> _CohereItem:
        if not isinstance(value, dict):
            raise _malformed(f"{path}: expected type: JSONObject, found: {_type_name(value)}")
        _reject_unknown_keys(value, frozenset({"content"}), path)
        content = _get_list(value, "content", path, min_items=1, max_items=1 << 16)
        parts: list[EmbeddingPart] = []
        tokens = 0
        for j, block in enumerate(content):
            block_path = f"{path}/content/{j}"
            if not isinstance(block, dict):
                raise _malformed(f"{block_path}: expected type: JSONObject, found: {_type_name(block)}")
            kind = _get_required_enum(block, "type", block_path, ("text", "image_url"))
            _reject_unknown_keys(block, frozenset({"type", kind}), block_path)
            if kind == "text":
                text = _get_string(block, "text", block_path, required=True, max_len=EMBED_TEXT_MAX_CHARS)
                parts.append(("text", text))
                tokens += count_embedding_tokens(text or "")
                continue
            url = _lookup(block, "image_url", block_path, True)
            url_path = f"{block_path}/image_url"
            if isinstance(url, dict):
                _reject_unknown_keys(url, frozenset({"url"}), url_path)
                url, url_path = _lookup(url, "url", url_path, True), f"{url_path}/url"
            part, image_tokens = self._image(url, url_path)
            parts.append(part)
            tokens += image_tokens
        return _CohereItem(parts, tokens)


# -- TwelveLabs Marengo Embed 3.0 -------------------------------------------------------
#
# ``twelvelabs.marengo-embed-3-0-v1:0`` (bare on-demand id, or the ``us.``/``eu.`` profiles).  Body:
#     {"inputType": "text" | "image" | "text_image" | "multi_input", <inputType>: {...}, "inferenceId"?: str}
# and nothing else (the payload object sits under the key named by inputType; no other payload key):
#     "text":        {"inputText": str}
#     "image":       {"mediaSource": {"base64String": str}}
#     "text_image":  {"inputText": str, "mediaSource": {"base64String": str}}
#     "multi_input": {"inputText"?: str, "mediaSources": [{"name"?: str, "mediaType": "image",
#                                                         "base64String": str}, ...]}  (1 or more)
# inputText is at most 500 tokens (``count_embedding_tokens``; placeholders included).  An image is
# png/jpeg/webp, at most 5 MB decoded.  mediaSource holds exactly one of base64String / s3Location, and
# the fake refuses s3Location (``UNSUPPORTED_SOURCE_MESSAGE``).  multi_input: each ``<@name>`` placeholder
# in inputText must name a media source, every media source must then be named, a given name must
# appear as a placeholder, and names are unique.  "audio" and "video" are refused
# (``MARENGO_ASYNC_MESSAGE``: StartAsyncInvoke only).  Answer, one 512-d vector:
#     {"data": [{"embedding": [...]}]}
# text / image as ``fake_embedding``; text_image and multi_input the normalised average of the text
# (when not empty) and each image.

MARENGO_3 = "twelvelabs.marengo-embed-3-0-v1:0"
MARENGO_DIMENSION = 512
MARENGO_MAX_TOKENS = 500
MARENGO_IMAGE_MAX_BYTES = 5 * 1024 * 1024
MARENGO_IMAGE_FORMATS = ("png", "jpeg", "webp")
MARENGO_INPUT_TYPES = ("text", "image", "text_image", "audio", "video", "multi_input")
MARENGO_ASYNC_MESSAGE = (
    "The {input_type} input type is not supported with InvokeModel for this model. "
    "Use StartAsyncInvoke to generate {input_type} embeddings."
)
_PLACEHOLDER = re.compile(r"<@([^<>]+)>")


class MarengoEmbedModel(_EmbeddingModelBase):
    """TwelveLabs Marengo Embed 3.0 through InvokeModel: text, image, text_image or multi_input."""

    profiles = frozenset({"us", "eu"})
    on_demand = True

    def plan(self, body: dict) -> Job:
        input_type = _get_required_enum(body, "inputType", "#", MARENGO_INPUT_TYPES)
        if input_type in ("audio", "video"):
            raise _validation_error(MARENGO_ASYNC_MESSAGE.format(input_type=input_type))
        _reject_unknown_keys(body, frozenset({"inputType", input_type, "inferenceId"}), "#")
        _get_string(body, "inferenceId", "#", required=False, max_len=256)
        path = f"#/{input_type}"
        payload = _get_object(body, input_type, "#", required=True)
        parts: list[EmbeddingPart] = []
        if input_type == "text":
            _reject_unknown_keys(payload, frozenset({"inputText"}), path)
            parts.append(("text", self._text(payload, path, required=True)))
        elif input_type == "image":
            _reject_unknown_keys(payload, frozenset({"mediaSource"}), path)
            parts.append(self._media_source(payload, path))
        elif input_type == "text_image":
            _reject_unknown_keys(payload, frozenset({"inputText", "mediaSource"}), path)
            parts.append(("text", self._text(payload, path, required=True)))
            parts.append(self._media_source(payload, path))
        else:
            parts = self._multi_input(payload, path)

        def render() -> dict:
            return {"data": [{"embedding": _joint_embedding(self.model_id, MARENGO_DIMENSION, parts)}]}

        return Job(0, render)

    @staticmethod
    def _text(payload: dict, path: str, *, required: bool) -> str:
        text = _get_string(payload, "inputText", path, required=required, max_len=EMBED_TEXT_MAX_CHARS,
                           min_len=1 if required else 0)  # fmt: skip
        text = text or ""
        tokens = count_embedding_tokens(text)
        if tokens > MARENGO_MAX_TOKENS:
            raise _malformed(
                f"{path}/inputText: text is {tokens} tokens long, which exceeds the maximum of "
                f"{MARENGO_MAX_TOKENS} tokens"
            )
        return text

    @staticmethod
    def _image(source: dict, path: str) -> EmbeddingPart:
        """One base64String / s3Location pair (exactly one of them) as an image part."""
        has_inline, has_s3 = "base64String" in source, "s3Location" in source
        if has_inline == has_s3:
            found = "both" if has_inline else "neither"
            raise _malformed(f"{path}: exactly one of [base64String, s3Location] is required, found {found}")
        if has_s3:
            raise _validation_error(UNSUPPORTED_SOURCE_MESSAGE)
        image = _embedding_image(
            source["base64String"], f"{path}/base64String", MARENGO_IMAGE_FORMATS, _NO_SIDE_LIMIT,
            lambda: _malformed(f"{path}/base64String: the image has too many pixels"),
            max_bytes=MARENGO_IMAGE_MAX_BYTES,
        )  # fmt: skip
        return "image", (image.data, image.colours)

    def _media_source(self, payload: dict, path: str) -> EmbeddingPart:
        source = _get_object(payload, "mediaSource", path, required=True)
        _reject_unknown_keys(source, frozenset({"base64String", "s3Location"}), f"{path}/mediaSource")
        return self._image(source, f"{path}/mediaSource")

    def _multi_input(self, payload: dict, path: str) -> list[EmbeddingPart]:
        _reject_unknown_keys(payload, frozenset({"inputText", "mediaSources"}), path)
        text = self._text(payload, path, required=False)
        sources = _get_list(payload, "mediaSources", path, min_items=1, max_items=1 << 16)
        placeholders = _PLACEHOLDER.findall(text)
        parts: list[EmbeddingPart] = [("text", text)] if text.strip() else []
        names: list[str] = []
        for i, source in enumerate(sources):
            source_path = f"{path}/mediaSources/{i}"
            if not isinstance(source, dict):
                raise _malformed(f"{source_path}: expected type: JSONObject, found: {_type_name(source)}")
            keys = frozenset({"name", "mediaType", "base64String", "s3Location"})
            _reject_unknown_keys(source, keys, source_path)
            _get_required_enum(source, "mediaType", source_path, ("image",))
            name = _get_string(source, "name", source_path, required=bool(placeholders), max_len=256)
            if name is not None:
                if name in names:
                    raise _malformed(f"{source_path}/name: {name} is not unique")
                if name not in placeholders:
                    raise _malformed(f"{source_path}/name: {name} does not match a <@name> placeholder in inputText")
                names.append(name)
            parts.append(self._image(source, source_path))
        for name in placeholders:
            if name not in names:
                raise _malformed(f"{path}/inputText: the placeholder <@{name}> does not name a media source")
        return parts


Model = (
    TitanFamilyModel | StabilityModel | StabilityServiceModel
    | TitanMultimodalEmbeddingModel | NovaMultimodalEmbeddingModel | CohereEmbedV4Model | MarengoEmbedModel
)

MODELS: dict[str, Model] = {
    "amazon.titan-image-generator-v1": TitanFamilyModel(512, 2147483646, _check_titan_size, 8.0),
    "amazon.titan-image-generator-v2:0": TitanFamilyModel(512, 2147483646, _check_titan_size, 8.0),
    "amazon.nova-canvas-v1:0": TitanFamilyModel(1024, 858993459, _check_nova_size, 6.5, pure_masks=True),
    "stability.sd3-5-large-v1:0": StabilityModel(image_to_image=True),
    "stability.stable-image-core-v1:1": StabilityModel(image_to_image=False),
    "stability.stable-image-ultra-v1:1": StabilityModel(image_to_image=False),
    **{model_id: StabilityServiceModel(*service) for model_id, service in STABILITY_SERVICES.items()},
    "amazon.titan-embed-image-v1": TitanMultimodalEmbeddingModel("amazon.titan-embed-image-v1"),
    "amazon.nova-2-multimodal-embeddings-v1:0": NovaMultimodalEmbeddingModel(
        "amazon.nova-2-multimodal-embeddings-v1:0"
    ),
    COHERE_EMBED_V4: CohereEmbedV4Model(COHERE_EMBED_V4),
    MARENGO_3: MarengoEmbedModel(MARENGO_3),
}

_GEO_PREFIX = re.compile(r"^(us|us-gov|eu|apac|jp|au|ca|global)\.")


def _split_model_id(model_id: str) -> tuple[str | None, str]:
    """(geo prefix or None, foundation-model id) of an id, profile id or ARN."""
    name = model_id.rsplit("/", 1)[-1]
    match = _GEO_PREFIX.match(name)
    return (match.group(1), name[match.end() :]) if match else (None, name)


def resolve_model(model_id: str) -> Model | None:
    """Accept ARNs and cross-region inference profile ids (``us.<model>``) for known models.

    A model with ``profiles`` (the Stability Image Services, Cohere Embed v4, Marengo) exists only
    under those geo prefixes; ``on_demand`` says whether its bare id works too.
    """
    prefix, base = _split_model_id(model_id)
    model = MODELS.get(base)
    if model is None or (prefix and model.profiles is not None and prefix not in model.profiles):
        return None
    return model


def needs_inference_profile(model_id: str) -> bool:
    """True for a bare (on-demand) id of a model that Bedrock serves only through inference profiles."""
    if _split_model_id(model_id)[0] is not None:
        return False
    model = resolve_model(model_id)
    if model is not None:
        return not model.on_demand
    chat = CHAT_MODELS.get(_split_model_id(model_id)[1])
    return chat is not None and not chat.on_demand


# --------------------------------------------------------------------------
# Converse / ConverseStream: vision chat models
# --------------------------------------------------------------------------
#
# The fake has no vision, but its answers are built from what it decoded, so
# tests can assert on them.  For the LAST user turn (``k`` images, text ``T``):
#
#     "I see {k} image[s]." + " Image {n} is {W}×{H} {FORMAT}." per image
#     + (" Image {n} is larger." | " The images are the same size.") when T contains
#       "compare" (any case) and k >= 2 (largest by pixel count, first one on ties)
#     + ' You asked: "{T}".' when T is not empty (T = text blocks joined, whitespace collapsed)
#
# Parts are joined with single spaces.  ``usage.inputTokens`` is the sum over
# every image of ceil(w/28)*ceil(h/28) plus the words of every text and system
# block; ``outputTokens`` is the number of words of the answer.  ``maxTokens``
# cuts the answer to that many words (stopReason "max_tokens"); a stop sequence
# cuts it before its first occurrence (stopReason "stop_sequence").

ROLES_MESSAGE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation "
    "alternates between user and assistant roles and try again."
)
UNSUPPORTED_CONVERSE_MESSAGE = (
    "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)
MODEL_ERRORS_PREFIX = "The model returned the following errors: "
STREAM_ERROR_MESSAGE = "Model stream error"
CONVERSE_IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
MAX_IMAGE_BASE64 = 5 * 1024 * 1024  # 5242880: the 3.75 MB raw limit, measured on the base64 text
MAX_IMAGE_SIDE = 8000
_PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}


@dataclass(frozen=True)
class ChatModel:
    """A Converse model: ``on_demand`` = the bare id works; ``profiles`` = geo prefixes it has."""

    on_demand: bool
    profiles: frozenset[str]
    max_output_tokens: int
    max_images: int = 20
    exclusive_sampling: bool = False  # Claude 4.5: temperature and topP cannot both be set
    image_output: bool = False  # Nova 2 Omni: answers with an image (Converse only)


_CLAUDE_45 = ChatModel(False, frozenset({"us", "eu", "global"}), 64000, exclusive_sampling=True)
_CLAUDE_46 = ChatModel(False, frozenset({"us", "global"}), 64000, exclusive_sampling=True)
CHAT_MODELS: dict[str, ChatModel] = {
    "anthropic.claude-3-sonnet-20240229-v1:0": ChatModel(True, frozenset({"us", "eu", "apac"}), 4096),
    "anthropic.claude-haiku-4-5-20251001-v1:0": _CLAUDE_45,
    "anthropic.claude-sonnet-4-5-20250929-v1:0": _CLAUDE_45,
    "amazon.nova-2-lite-v1:0": ChatModel(False, frozenset({"us", "eu", "global"}), 65535),
    "amazon.nova-lite-v1:0": ChatModel(True, frozenset({"us", "eu", "apac"}), 10000),
    "amazon.nova-pro-v1:0": ChatModel(True, frozenset({"us", "eu", "apac"}), 10000),
    "meta.llama4-maverick-17b-instruct-v1:0": ChatModel(False, frozenset({"us"}), 8192),
    "anthropic.claude-sonnet-4-6": _CLAUDE_46,
    "amazon.nova-2-omni-v1:0": ChatModel(False, frozenset({"us", "global"}), 65535, image_output=True),
}


def resolve_chat_model(model_id: str) -> ChatModel | None:
    """The Converse model behind an id, ``us.``-style profile id or ARN (None when unknown)."""
    prefix, base = _split_model_id(model_id)
    model = CHAT_MODELS.get(base)
    if model is None or (prefix is not None and prefix not in model.profiles):
        return None
    return model


def _coral(value: Any, path: str, constraint: str) -> BedrockError:
    """The AWS API-level (Smithy) validation message, with 1-based ``member`` paths."""
    return _validation_error(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
    )


def _model_error(detail: str) -> BedrockError:
    return _validation_error(MODEL_ERRORS_PREFIX + detail)


def _mismatch_message(path: str, declared: str, actual: str) -> str:
    return (
        f"{MODEL_ERRORS_PREFIX}{path}: The image was specified using the image/{declared} media type, "
        f"but the image appears to be a image/{actual} image"
    )


@dataclass(frozen=True)
class ChatImage:
    width: int
    height: int
    format: str  # lower-case: png, jpeg, gif, webp

    @property
    def tokens(self) -> int:
        return math.ceil(self.width / 28) * math.ceil(self.height / 28)


def _words(text: str) -> int:
    return len(text.split())


def _check_chat_image(block: Any, path: str, coral_path: str) -> ChatImage:
    if not isinstance(block, dict):
        raise _coral(block, coral_path, "Member must be an object")
    fmt = block.get("format")
    if fmt not in CONVERSE_IMAGE_FORMATS:
        raise _coral(fmt, f"{coral_path}.format", "Member must satisfy enum value set: [gif, jpeg, png, webp]")
    source = block.get("source")
    if not isinstance(source, dict) or "bytes" not in source:
        if isinstance(source, dict) and "s3Location" in source:
            raise _validation_error("FakeBedrock does not support s3Location image sources.")
        raise _coral(None, f"{coral_path}.source", "Member must not be null")
    data = source["bytes"]
    if not isinstance(data, str):
        raise _coral(_type_name(data), f"{coral_path}.source.bytes", "Member must be a blob")
    if len(data) > MAX_IMAGE_BASE64:
        raise _model_error(
            f"{path}.source.bytes: image exceeds 5 MB maximum: {len(data)} bytes > {MAX_IMAGE_BASE64} bytes"
        )
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
        image.load()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise _model_error(f"{path}.source.bytes: Could not process image") from None
    actual = _PIL_FORMATS.get(image.format or "", (image.format or "unknown").lower())
    if actual != fmt:
        raise _validation_error(_mismatch_message(f"{path}.source.bytes", fmt, actual))
    if max(image.size) > MAX_IMAGE_SIDE:
        raise _model_error(
            f"{path}.source.bytes: image dimensions exceed max allowed size: {MAX_IMAGE_SIDE} pixels"
        )
    return ChatImage(image.width, image.height, fmt)


@dataclass
class ChatReply:
    text: str | None  # None: content filtered (no content blocks)
    stop_reason: str
    input_tokens: int
    output_tokens: int


@dataclass
class Conversation:
    """A validated Converse request, reduced to what the deterministic answer needs."""

    last_index: int  # index of the last message
    last_images: list[ChatImage]
    last_text: str
    input_tokens: int
    max_tokens: int | None
    stop_sequences: list[str]

    def answer(self) -> str:
        k = len(self.last_images)
        parts = [f"I see {k} image{'' if k == 1 else 's'}."]
        for n, image in enumerate(self.last_images, 1):
            parts.append(f"Image {n} is {image.width}\u00d7{image.height} {image.format.upper()}.")
        if k >= 2 and "compare" in self.last_text.lower():
            areas = [image.width * image.height for image in self.last_images]
            if len(set(areas)) == 1:
                parts.append("The images are the same size.")
            else:
                parts.append(f"Image {areas.index(max(areas)) + 1} is larger.")
        if self.last_text:
            parts.append(f'You asked: "{self.last_text}".')
        return " ".join(parts)

    def reply(self, filtered: bool = False) -> ChatReply:
        if filtered:
            return ChatReply(None, "content_filtered", self.input_tokens, 0)
        text, stop_reason = self.answer(), "end_turn"
        cuts = [text.find(stop) for stop in self.stop_sequences if stop and stop in text]
        if cuts:
            text, stop_reason = text[: min(cuts)], "stop_sequence"
        if self.max_tokens is not None and _words(text) > self.max_tokens:
            text, stop_reason = " ".join(text.split(" ")[: self.max_tokens]), "max_tokens"
        return ChatReply(text, stop_reason, self.input_tokens, _words(text))

    def rejected_image_message(self) -> str:
        """The media-type mismatch that the ``reject_image`` failure kind answers."""
        declared = self.last_images[0].format if self.last_images else "png"
        actual = "jpeg" if declared == "png" else "png"
        return _mismatch_message(f"messages.{self.last_index}.content.0.image.source.bytes", declared, actual)


def _parse_inference_config(body: dict, model: ChatModel, base_id: str) -> tuple[int | None, list[str]]:
    config = body.get("inferenceConfig", {})
    if not isinstance(config, dict):
        raise _coral(_type_name(config), "inferenceConfig", "Member must be an object")
    max_tokens = config.get("maxTokens")
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise _coral(max_tokens, "inferenceConfig.maxTokens", "Member must have value greater than or equal to 1")
        if max_tokens > model.max_output_tokens:
            raise _model_error(
                f"max_tokens: {max_tokens} > {model.max_output_tokens}, which is the maximum allowed "
                f"number of output tokens for {base_id}"
            )
    for key in ("temperature", "topP"):
        value = config.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise _coral(value, f"inferenceConfig.{key}", "Member must have value greater than or equal to 0")
        if value > 1:
            raise _coral(value, f"inferenceConfig.{key}", "Member must have value less than or equal to 1")
    if model.exclusive_sampling and config.get("temperature") is not None and config.get("topP") is not None:
        raise _model_error("`temperature` and `top_p` cannot both be specified for this model. Please use only one.")
    stops = config.get("stopSequences", [])
    if not isinstance(stops, list) or not all(isinstance(stop, str) for stop in stops):
        raise _coral(stops, "inferenceConfig.stopSequences", "Member must be a list of strings")
    return max_tokens, stops


def parse_conversation(body: dict, model: ChatModel, base_id: str = "") -> Conversation:
    """Validate a Converse body the way Bedrock does, in Bedrock's order."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _coral(None, "messages", "Member must not be null")
    tokens = 0
    system = body.get("system", [])
    if not isinstance(system, list):
        raise _coral(_type_name(system), "system", "Member must be a list")
    for block in system:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            tokens += _words(block["text"])

    images: list[tuple[str, str, Any]] = []  # (path, coral path, image block)
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _coral(_type_name(message), f"messages.{i + 1}.member", "Member must be an object")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _coral(role, f"messages.{i + 1}.member.role", "Member must satisfy enum value set: [user, assistant]")
        if role != ("user" if i % 2 == 0 else "assistant"):
            raise _validation_error(ROLES_MESSAGE)
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise _coral(None, f"messages.{i + 1}.member.content", "Member must not be null")
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                block_path = f"messages.{i + 1}.member.content.{j + 1}.member"
                raise _coral(_type_name(block), block_path, "Member must be an object")
            if "text" in block:
                text = block["text"]
                if not isinstance(text, str) or not text.strip():
                    raise _validation_error(
                        f"The text field in the ContentBlock object at messages.{i}.content.{j} is blank. "
                        "Add text to the text field, and try again."
                    )
                tokens += _words(text)
            if "image" in block:
                coral_path = f"messages.{i + 1}.member.content.{j + 1}.member.image"
                image = block["image"]
                if not isinstance(image, dict) or image.get("format") not in CONVERSE_IMAGE_FORMATS:
                    _check_chat_image(image, "", coral_path)  # raises the API-level error
                images.append((f"messages.{i}.content.{j}.image", coral_path, image))
    if len(images) > model.max_images:
        raise _model_error(f"too many images and documents: {len(images)} > {model.max_images}")

    decoded: dict[int, list[ChatImage]] = {}
    for path, coral_path, block in images:
        image = _check_chat_image(block, path, coral_path)
        tokens += image.tokens
        decoded.setdefault(int(path.split(".")[1]), []).append(image)

    last_user = max(i for i, message in enumerate(messages) if message["role"] == "user")
    last_text = " ".join(
        " ".join(block["text"].split()) for block in messages[last_user]["content"] if "text" in block
    )
    max_tokens, stops = _parse_inference_config(body, model, base_id)
    return Conversation(len(messages) - 1, decoded.get(last_user, []), last_text, tokens, max_tokens, stops)


def _usage(reply: ChatReply) -> dict:
    return {
        "inputTokens": reply.input_tokens,
        "outputTokens": reply.output_tokens,
        "totalTokens": reply.input_tokens + reply.output_tokens,
    }


def converse_payload(reply: ChatReply, latency_ms: int) -> dict:
    content = [] if reply.text is None else [{"text": reply.text}]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": reply.stop_reason,
        "usage": _usage(reply),
        "metrics": {"latencyMs": latency_ms},
    }


# -- Nova 2 Omni: image generation and editing through Converse ----------------------------
#
# ``amazon.nova-2-omni-v1:0`` (preview) is profile-only: ``us.`` or ``global.``.  Its request is an
# ordinary Converse body (messages, system, inferenceConfig); the LAST user turn holds the
# instruction text (required) and at most one image block: with an image it is an edit, without
# one a generation.  ``additionalModelRequestFields`` may hold only ``reasoningConfig``
# ({"type": "enabled" | "disabled", "maxReasoningEffort"?: "low" | "medium" | "high"}); any other key
# (seed, size, mask...) is refused.  The prompt P is the last user turn's text blocks joined with
# spaces, whitespace collapsed (as for the chat models).
#
# - Generation: ``render_generated(W, H, P, 0, 0)`` as PNG, W x H = ``omni_output_size(P)``: 1024 x 1024,
#   unless P names one of ``OMNI_ASPECT_RATIOS`` ("16:9", "9:16", "4:3", "3:2", "21:9", ...; the first
#   one that appears), then about 1 MP at that ratio, sides multiples of 16:
#   W = 16 x round(sqrt(1048576 x r) / 16), H = 16 x round(sqrt(1048576 / r) / 16), r = a / b
#   (16:9 -> 1360 x 768, 9:16 -> 768 x 1360, 4:3 -> 1184 x 880, 3:2 -> 1248 x 832).
# - Edit: the input (any Converse format) decoded and copied at its own size, only
#   ``mask_prompt_region(W, H)`` repainted with ``edit_fill_colour(P, 0)``, as PNG.
# - Answer: content [{"text": "Here is the generated|edited W×H image."},
#   {"image": {"format": "png", "source": {"bytes": ...}}}], stopReason "end_turn".  usage.inputTokens
#   as for the chat models; outputTokens = the words of the text + ceil(W/28) x ceil(H/28) for the
#   image.  With inferenceConfig.maxTokens below that, the answer is the text cut to maxTokens words,
#   no image, stopReason "max_tokens".  stopSequences are ignored.  Reasoning changes nothing.
# - ConverseStream is refused before any failure is taken: ``OMNI_STREAM_MESSAGE`` (ValidationException).
# - Failure kinds as for the chat models: filter_output answers stopReason "content_filtered" with no
#   content; filter_input/filter_prompt and reject_image are 400s.

NOVA_2_OMNI = "amazon.nova-2-omni-v1:0"
OMNI_STREAM_MESSAGE = (
    "The model {model_id} does not support streaming for image output. Use the Converse API instead."
)
OMNI_PIXELS = 1024 * 1024
OMNI_ASPECT_RATIOS = frozenset(
    {"1:1", "2:1", "1:2", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9", "9:21"}
)
OMNI_REASONING_EFFORTS = ("low", "medium", "high")
_RATIO = re.compile(r"(?<!\d)(\d{1,2})\s*:\s*(\d{1,2})(?!\d)")


def omni_output_size(prompt: str) -> tuple[int, int]:
    """The size Nova 2 Omni generates for ``prompt`` (see the Nova 2 Omni notes)."""
    for a, b in _RATIO.findall(prompt):
        if f"{int(a)}:{int(b)}" in OMNI_ASPECT_RATIOS:
            ratio = int(a) / int(b)
            return (
                math.floor(math.sqrt(OMNI_PIXELS * ratio) / 16 + 0.5) * 16,
                math.floor(math.sqrt(OMNI_PIXELS / ratio) / 16 + 0.5) * 16,
            )
    return 1024, 1024


def _omni_malformed(detail: str) -> BedrockError:
    return _model_error(_malformed(detail).message)


def _check_omni_fields(body: dict) -> None:
    """``additionalModelRequestFields``: only a valid ``reasoningConfig``."""
    fields = body.get("additionalModelRequestFields", {})
    if not isinstance(fields, dict):
        raise _omni_malformed(f"#: expected type: JSONObject, found: {_type_name(fields)}")
    for key in fields:
        if key != "reasoningConfig":
            raise _omni_malformed(f"#: extraneous key [{key}] is not permitted")
    if "reasoningConfig" not in fields:
        return
    config = fields["reasoningConfig"]
    path = "#/reasoningConfig"
    if not isinstance(config, dict):
        raise _omni_malformed(f"{path}: expected type: JSONObject, found: {_type_name(config)}")
    try:
        _reject_unknown_keys(config, frozenset({"type", "maxReasoningEffort"}), path)
        _get_required_enum(config, "type", path, ("enabled", "disabled"))
        if "maxReasoningEffort" in config:
            _get_enum(config, "maxReasoningEffort", path, default="", allowed=OMNI_REASONING_EFFORTS)
    except BedrockError as error:
        raise _model_error(error.message) from None


@dataclass
class ImageReply:
    """A Nova 2 Omni answer: the generated or edited picture, its words and its token counts."""

    conversation: Conversation
    source: Image.Image | None  # the image to edit; None: generate

    @property
    def size(self) -> tuple[int, int]:
        return self.source.size if self.source is not None else omni_output_size(self.conversation.last_text)

    def payload(self, latency_ms: int, *, filtered: bool = False) -> dict:
        width, height = self.size
        text = f"Here is the {'edited' if self.source is not None else 'generated'} {width}\u00d7{height} image."
        image_tokens = math.ceil(width / 28) * math.ceil(height / 28)
        limit = self.conversation.max_tokens
        content: list[dict] = []
        if filtered:
            stop_reason, output_tokens = "content_filtered", 0
        elif limit is not None and _words(text) + image_tokens > limit:
            cut = " ".join(text.split(" ")[:limit])
            content, stop_reason, output_tokens = [{"text": cut}], "max_tokens", _words(cut)
        else:
            picture = {"format": "png", "source": {"bytes": self._encoded()}}
            content = [{"text": text}, {"image": picture}]
            stop_reason, output_tokens = "end_turn", _words(text) + image_tokens
        reply = ChatReply(None, stop_reason, self.conversation.input_tokens, output_tokens)
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": _usage(reply),
            "metrics": {"latencyMs": latency_ms},
        }

    def _encoded(self) -> str:
        prompt = self.conversation.last_text
        if self.source is None:
            return generated_image(*self.size, prompt, 0, 0)
        width, height = self.source.size
        area = box_mask(width, height, mask_prompt_region(width, height))
        return encode_image(repaint(self.source, area, edit_fill_colour(prompt, 0)), "png")


def plan_image_reply(body: dict, conversation: Conversation) -> ImageReply:
    """Nova 2 Omni's own checks on a body ``parse_conversation`` accepted, then what it will draw."""
    _check_omni_fields(body)
    messages = body["messages"]
    last_user = max(i for i, message in enumerate(messages) if message["role"] == "user")
    blocks = [block["image"] for block in messages[last_user]["content"] if "image" in block]
    if len(blocks) > 1:
        raise _model_error(
            f"messages.{last_user}.content: Nova 2 Omni edits one image at a time; found {len(blocks)} images"
        )
    if not conversation.last_text:
        raise _model_error(f"messages.{last_user}.content: a text block with the instruction is required")
    source = None
    if blocks:
        source = Image.open(io.BytesIO(base64.b64decode(blocks[0]["source"]["bytes"])))
        source.load()
    return ImageReply(conversation, source)


def text_chunks(text: str, words_per_chunk: int = 3) -> list[str]:
    """The ConverseStream deltas of ``text``: ~3 words each, concatenating back to ``text`` exactly."""
    words = text.split(" ")
    return [
        " ".join(words[i : i + words_per_chunk]) + (" " if i + words_per_chunk < len(words) else "")
        for i in range(0, len(words), words_per_chunk)
    ]


# -- AWS event-stream framing (application/vnd.amazon.eventstream) ----------


def encode_event_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message; every header is a string (type 7)."""
    encoded = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded += struct.pack(">B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message))


def decode_event_stream(data: bytes) -> list[tuple[dict[str, str], bytes]]:
    """(headers, payload) of each message in ``data``, checking both CRCs (string headers only)."""
    messages = []
    while data:
        total, headers_length, prelude_crc = struct.unpack(">III", data[:12])
        (message_crc,) = struct.unpack(">I", data[total - 4 : total])
        if binascii.crc32(data[:8]) != prelude_crc or binascii.crc32(data[: total - 4]) != message_crc:
            raise ValueError("event-stream CRC mismatch")
        headers, pos = {}, 12
        while pos < 12 + headers_length:
            name_length = data[pos]
            name = data[pos + 1 : pos + 1 + name_length].decode()
            pos += 1 + name_length
            if data[pos] != 7:
                raise ValueError(f"unsupported header type {data[pos]}")
            value_length = struct.unpack(">H", data[pos + 1 : pos + 3])[0]
            headers[name] = data[pos + 3 : pos + 3 + value_length].decode()
            pos += 3 + value_length
        messages.append((headers, data[12 + headers_length : total - 4]))
        data = data[total:]
    return messages


def _event(event_type: str, payload: dict) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_event_message(headers, json.dumps(payload).encode())


def _exception_event(exception_type: str, message: str) -> bytes:
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return encode_event_message(headers, json.dumps({"message": message}).encode())


def converse_stream_events(reply: ChatReply, latency_ms: int, *, broken: bool = False) -> list[bytes]:
    """The ConverseStream messages; ``broken`` sends two deltas, then a modelStreamErrorException."""
    events = [_event("messageStart", {"role": "assistant"})]
    chunks = text_chunks(reply.text) if reply.text is not None else []
    for chunk in chunks[:2] if broken else chunks:
        events.append(_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": chunk}}))
    if broken:
        return [*events, _exception_event("modelStreamErrorException", STREAM_ERROR_MESSAGE)]
    if reply.text is not None:
        events.append(_event("contentBlockStop", {"contentBlockIndex": 0}))
    events.append(_event("messageStop", {"stopReason": reply.stop_reason}))
    events.append(_event("metadata", {"usage": _usage(reply), "metrics": {"latencyMs": latency_ms}}))
    return events


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


@dataclass
class Call:
    """One request as the fake received it (header names lower-cased)."""

    model_id: str
    operation: str
    body: dict
    headers: dict


_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def redact_images(value: Any) -> Any:
    """Replace long base64 strings so call logs stay readable."""
    if isinstance(value, dict):
        return {key: redact_images(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_images(item) for item in value]
    if isinstance(value, str) and len(value) > 200 and _BASE64_BLOB.fullmatch(value):
        return f"<base64 {len(value)} chars>"
    return value


@dataclass
class _QueuedFailure:
    kind: str
    remaining: int
    model_prefix: str | None


def _check_kind(kind: str) -> None:
    if kind not in FAILURE_KINDS:
        raise ValueError(f"unknown failure kind {kind!r}; expected one of {sorted(FAILURE_KINDS)}")


# A list body is an event stream: sent with chunked transfer encoding, one chunk per message.
Response = tuple[int, dict[str, str], "bytes | list[bytes]"]


def _json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()


def _error_response(error: BedrockError) -> Response:
    return _json_response(error.status, {"message": error.message}, {"x-amzn-ErrorType": error.code})


class FakeBedrock:
    """In-process fake of bedrock-runtime InvokeModel, Converse and ConverseStream with scriptable failures."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency_s: float = 0.0) -> None:
        self.host = host
        self.port = port
        self.latency_s = latency_s
        # Pause between ConverseStream messages, so apps can be seen updating as text streams in.
        self.stream_delay_s = 0.0
        self.calls: list[Call] = []
        # Model calls being served right now, and the most seen at once since reset(): lets a test see
        # that calls overlapped without timing them.
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._queued: list[_QueuedFailure] = []
        self._mode: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # The bedrock control plane and STS GetCallerIdentity, on the same port (tests/fake_control_plane.py)
        self.control = ControlPlane()

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> FakeBedrock:
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-bedrock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeBedrock:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeBedrock is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- failure scripting -------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, model_prefix: str | None = None) -> None:
        """Queue ``times`` failures for the next calls whose model id starts with ``model_prefix``.

        Queued failures are consumed in the order they were queued and take
        precedence over ``set_mode``.  Kinds in ``OPERATION_FAILURES`` only
        apply to (and are only consumed by) their operations; ``CONTENT_FILTER_KINDS``
        neither apply to nor are consumed by the embedding models.
        """
        _check_kind(kind)
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._queued.append(_QueuedFailure(kind, times, model_prefix))

    def set_mode(self, kind: str | None) -> None:
        """Make every call fail with ``kind`` until ``set_mode(None)`` (see ``OPERATION_FAILURES``)."""
        if kind is not None:
            _check_kind(kind)
        with self._lock:
            self._mode = kind

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._queued.clear()
            self._mode = None
            self.max_in_flight = self.in_flight
        self.control.reset()

    def _serving(self, delta: int) -> None:
        """Count a model call in (+1) or out (-1)."""
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _take_failure(self, model_id: str, operation: str = "invoke", content_filters: bool = True) -> str | None:
        """The failure this call shows, if any; ``content_filters=False`` skips (and keeps) those kinds."""

        def applies(kind: str | None) -> bool:
            if kind is None or (not content_filters and kind in CONTENT_FILTER_KINDS):
                return False
            return operation in OPERATION_FAILURES.get(kind, {operation})

        with self._lock:
            for queued in self._queued:
                if queued.model_prefix is not None and not model_id.startswith(queued.model_prefix):
                    continue
                if applies(queued.kind):
                    queued.remaining -= 1
                    if queued.remaining == 0:
                        self._queued.remove(queued)
                    return queued.kind
            return self._mode if applies(self._mode) else None

    # -- request handling --------------------------------------------------

    def handle_invoke(self, model_id: str, raw_body: bytes, headers: dict[str, str]) -> Response:
        """Record, delay, then answer like Bedrock: model check, injected failure, validation."""
        try:
            body: Any = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        with self._lock:
            self.calls.append(Call(model_id, "invoke", body if isinstance(body, dict) else {}, headers))
        if self.latency_s > 0:
            time.sleep(self.latency_s)

        model = resolve_model(model_id)
        if model is None:
            return _error_response(_validation_error(INVALID_MODEL_MESSAGE))
        if needs_inference_profile(model_id):
            return _error_response(_request_failure("needs_profile", model_id))
        if refusal := self.control.runtime_refusal(model_id, headers):
            return _error_response(BedrockError(*refusal))
        kind = self._take_failure(model_id, content_filters=model.content_filters)
        try:
            if kind in REQUEST_FAILURES:
                raise _request_failure(kind, model_id)
            if not isinstance(body, dict):
                raise _malformed(f"#: expected type: JSONObject, found: {_type_name(body)}")
            job = model.plan(body)
            payload = model.filtered(kind, job) if kind in CONTENT_FILTER_KINDS else job.render()
        except BedrockError as error:
            return _error_response(error)
        return _json_response(200, payload)

    def handle_converse(self, model_id: str, raw_body: bytes, headers: dict[str, str], *, stream: bool) -> Response:
        """Converse / ConverseStream: record, delay, model check, injected failure, validation, answer.

        Every error (injected ones included) is answered as an HTTP error before any
        stream starts; only ``stream_error`` fails inside the stream.
        """
        operation = "converse_stream" if stream else "converse"
        try:
            body: Any = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        with self._lock:
            self.calls.append(Call(model_id, operation, body if isinstance(body, dict) else {}, headers))
        started = time.monotonic()
        if self.latency_s > 0:
            time.sleep(self.latency_s)

        model = resolve_chat_model(model_id)
        if model is None:
            message = UNSUPPORTED_CONVERSE_MESSAGE if resolve_model(model_id) else INVALID_MODEL_MESSAGE
            return _error_response(_validation_error(message))
        if needs_inference_profile(model_id):
            return _error_response(_request_failure("needs_profile", model_id))
        if refusal := self.control.runtime_refusal(model_id, headers):
            return _error_response(BedrockError(*refusal))
        if stream and model.image_output:
            model_name = _split_model_id(model_id)[1]
            return _error_response(_validation_error(OMNI_STREAM_MESSAGE.format(model_id=model_name)))
        kind = self._take_failure(model_id, operation)
        image_reply = None
        try:
            if kind in REQUEST_FAILURES:
                raise _request_failure(kind, model_id)
            if not isinstance(body, dict):
                raise _validation_error("The request body must be a JSON object.")
            conversation = parse_conversation(body, model, _split_model_id(model_id)[1])
            if model.image_output:
                image_reply = plan_image_reply(body, conversation)
            if kind in ("filter_input", "filter_prompt"):
                raise _validation_error(FILTER_INPUT_MESSAGE)
            if kind == "reject_image":
                raise _validation_error(conversation.rejected_image_message())
        except BedrockError as error:
            return _error_response(error)
        latency_ms = int((time.monotonic() - started) * 1000)
        if image_reply is not None:
            return _json_response(200, image_reply.payload(latency_ms, filtered=kind == "filter_output"))
        reply = conversation.reply(filtered=kind == "filter_output")
        if not stream:
            return _json_response(200, converse_payload(reply, latency_ms))
        events = converse_stream_events(reply, latency_ms, broken=kind == "stream_error")
        return 200, {"Content-Type": "application/vnd.amazon.eventstream"}, events

    def handle_control(self, method: str, action: str, raw_body: bytes) -> Response:
        """The /_fake/* endpoints, for steering a fake that runs in another process."""
        try:
            args = json.loads(raw_body) if raw_body else {}
            if method == "GET" and action == "calls":
                with self._lock:
                    calls = list(self.calls)
                summaries = [
                    {"model_id": call.model_id, "operation": call.operation, "body": redact_images(call.body)}
                    for call in calls
                ]
                return _json_response(200, summaries)
            if method == "POST" and action == "fail_next":
                self.fail_next(args["kind"], int(args.get("times", 1)), args.get("model_prefix"))
            elif method == "POST" and action == "mode":
                self.set_mode(args["kind"])
            elif method == "POST" and action == "reset":
                self.reset()
            elif method == "POST" and action == "control_model":
                self.control.set_model(args.pop("model_id"), **args)
            elif method == "POST" and action == "control_caller":
                self.control.set_caller(args.pop("access_key", None), **args)
            else:
                return _json_response(404, {"message": f"no control endpoint {method} /_fake/{action}"})
        except (ValueError, KeyError, TypeError) as error:
            return _json_response(400, {"message": f"bad control request: {error}"})
        return _json_response(200, {"ok": True})


_INVOKE_PATH = re.compile(r"^/model/([^/?]+)/invoke/?$")
_CONVERSE_PATH = re.compile(r"^/model/([^/?]+)/(converse|converse-stream)/?$")


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps botocore's pooled connections alive between calls.
    protocol_version = "HTTP/1.1"
    server_version = "FakeBedrock"
    # Headers and body go out in two writes; with Nagle on, a kept-alive client waits
    # ~40 ms for the delayed ACK on every small (error) answer.
    disable_nagle_algorithm = True

    def handle(self) -> None:
        # Clients drop kept-alive connections (or stop reading a stream) at will; not an error.
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def _dispatch(self, method: str) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake: FakeBedrock = self.server.fake  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        invoke = _INVOKE_PATH.match(path)
        converse = _CONVERSE_PATH.match(path)
        try:
            if path.startswith("/_fake/"):
                response = fake.handle_control(method, path.removeprefix("/_fake/"), raw_body)
            elif method == "POST" and invoke:
                headers = {name.lower(): value for name, value in self.headers.items()}
                fake._serving(+1)
                try:
                    response = fake.handle_invoke(unquote(invoke.group(1)), raw_body, headers)
                finally:
                    fake._serving(-1)
            elif method == "POST" and converse:
                headers = {name.lower(): value for name, value in self.headers.items()}
                stream = converse.group(2) == "converse-stream"
                fake._serving(+1)
                try:
                    response = fake.handle_converse(unquote(converse.group(1)), raw_body, headers, stream=stream)
                finally:
                    fake._serving(-1)
            elif (control := fake.control.handle(
                    method, self.path, raw_body, {k.lower(): v for k, v in self.headers.items()})) is not None:
                response = control
            else:
                message = f"FakeBedrock does not implement {method} {path}"
                response = _error_response(BedrockError(404, "UnknownOperationException", message))
        except Exception:  # A bug in the fake should reach the test as a readable 500, not a dropped socket.
            traceback.print_exc()
            message = f"FakeBedrock crashed: {traceback.format_exc(limit=3)}"
            response = _error_response(BedrockError(500, "InternalServerException", message))
        self._send(*response)

    def _send(self, status: int, headers: dict[str, str], body: bytes | list[bytes]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if isinstance(body, list):
            self._send_stream(body)
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, messages: list[bytes]) -> None:
        """An event stream, one HTTP chunk per message, so clients see each one as it is sent."""
        delay = self.server.fake.stream_delay_s  # type: ignore[attr-defined]
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, message in enumerate(messages):
            if index and delay > 0:
                time.sleep(delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(message), message))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a fake Amazon bedrock-runtime endpoint.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each answer")
    parser.add_argument("--stock-images", action="store_true",
                        help="text-to-image answers: one picture per size, drawn once (see generated_image)")
    args = parser.parse_args()
    global STOCK_IMAGES
    STOCK_IMAGES = args.stock_images
    with FakeBedrock(args.host, args.port, args.latency) as fake:
        print(f"FakeBedrock listening on {fake.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
