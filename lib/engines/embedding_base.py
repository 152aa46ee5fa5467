"""What every embedding engine offers lab 1's service (lib/search/embeddings.py), and the types they share.

An engine fits an input to its model, builds the request, calls and parses; the service picks the engine
(lib/engines/registry.engine_for), checks the dimension, holds the instructor's pause and batches. What
differs between models is data here (how many inputs one call takes, how many calls may run at once) or
catalog facts the engine reads (token, pixel and byte limits), so nothing above the engines branches on a
model family.

Messages (errors, notes) are made where the input is fitted or the reply read: on the page's script run for a
query, on the index build's threads (which run in the language of whoever started the build) for the photos.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from PIL import Image

from lib.catalog import EmbeddingModel, EmbeddingPurpose
from lib.errors import BackendUnavailable, InvalidInput
from lib.i18n import _, format_number
from lib.imaging import decode_image, encode_image, image_size
from lib.settings import Settings
from lib.vision import VisionLimits, prepare_for_vision

_TOKEN = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """A cautious token count: words and punctuation, or a quarter of the characters if that is more."""
    return max(len(_TOKEN.findall(text)), math.ceil(len(text) / 4))


@dataclass(frozen=True)
class EmbeddingInput:
    """What one embedding embeds: text, an image, or both together (one vector for the pair)."""

    text: str | None = None
    image: bytes | None = None
    purpose: EmbeddingPurpose = EmbeddingPurpose.INDEX

    def __post_init__(self) -> None:
        if not (self.text and self.text.strip()) and not self.image:
            raise InvalidInput(_("There is nothing to embed."), _("Type a query or choose an image."))


@dataclass
class PreparedInput:
    """The input as it will be sent, with a note for each change made to fit the model."""

    text: str | None
    image: bytes | None
    image_format: str | None
    notes: list[str] = field(default_factory=list)
    purpose: EmbeddingPurpose = EmbeddingPurpose.INDEX
    image_size: tuple[int, int] | None = None  # (width, height) as sent
    name: str = "The image"  # how messages name the image (a photo's title while indexing)


@dataclass(frozen=True)
class Embedding:
    vector: np.ndarray  # float32, unit length
    input_tokens: int
    notes: tuple[str, ...] = ()


def require_dimension(model: EmbeddingModel, dimension: int) -> None:
    """Refuse a vector size the model doesn't make, before any call."""
    if dimension not in model.dimensions:
        raise InvalidInput(_("{model} makes vectors of {sizes} dimensions, not {dimension}.").format(
            model=model.label, sizes=", ".join(map(str, model.dimensions)), dimension=dimension),
            _("Pick one of those sizes."))


def fit_text(model: EmbeddingModel, text: str) -> tuple[str, list[str]]:
    """The text cut to what the model reads (whole words kept), with a note when it was cut."""
    text = " ".join(text.split())
    if estimate_tokens(text) <= model.max_text_tokens:
        return text, []
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # the longest prefix of whole words within the limit
        mid = (low + high + 1) // 2
        if estimate_tokens(" ".join(words[:mid])) <= model.max_text_tokens:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        raise InvalidInput(_("The text is too long for {model} and has no short first word to keep.").format(
            model=model.label), _("Use at most about {tokens} tokens.").format(tokens=model.max_text_tokens))
    return " ".join(words[:low]), [_("Text shortened to its first {kept} of {total} words: {model} reads at most "
                                     "{tokens} tokens.").format(kept=low, total=len(words), model=model.label,
                                                                tokens=model.max_text_tokens)]


def fitted_text(model: EmbeddingModel, item: EmbeddingInput) -> tuple[str | None, list[str]]:
    """The input's text fitted to the model (None when it has none), with its notes."""
    if not (item.text and item.text.strip()):
        return None, []
    return fit_text(model, item.text)


def _within_pixels(model: EmbeddingModel, data: bytes, *, name: str, max_upload_bytes: int) -> tuple[bytes, list[str]]:
    """The image downscaled to the model's pixel budget (Cohere Embed v4 would shrink it itself), saying so."""
    if not model.max_image_pixels:
        return data, []
    try:
        width, height = image_size(data)
    except Exception:  # noqa: BLE001 - not readable as an image: prepare_for_vision says why, in the app's words
        return data, []
    if width * height <= model.max_image_pixels:
        return data, []
    decoded = decode_image(data, max_bytes=max_upload_bytes, name=name)
    scale = math.sqrt(model.max_image_pixels / (width * height))
    new = (max(1, math.floor(decoded.image.width * scale)), max(1, math.floor(decoded.image.height * scale)))
    resized = decoded.image.resize(new, Image.Resampling.LANCZOS)
    fmt = "jpeg" if decoded.format == "jpeg" else "png"
    note = _("Downscaled from {width}×{height} to {new_width}×{new_height}: {model} reads at most {pixels} pixels "
             "and would shrink a larger image itself.").format(
        width=width, height=height, new_width=new[0], new_height=new[1], model=model.label,
        pixels=format_number(model.max_image_pixels))
    return encode_image(resized, fmt), [*decoded.notes, note]


def fit_image(model: EmbeddingModel, data: bytes, *, name: str = "The image",
              max_upload_bytes: int = 50 * 1024 * 1024) -> tuple[bytes, str, tuple[int, int], list[str]]:
    """(bytes, format, size, notes): the image in a format, size and pixel count the model reads."""
    data, notes = _within_pixels(model, data, name=name, max_upload_bytes=max_upload_bytes)
    limits = VisionLimits(max_long_edge=model.max_image_edge, max_bytes=model.max_image_bytes,
                          formats=model.image_formats)
    prepared = prepare_for_vision(data, limits, name=name, max_upload_bytes=max_upload_bytes)
    return prepared.data, prepared.format, prepared.size, notes + prepared.notes


def unit_vector(model: EmbeddingModel, dimension: int, raw: object, payload: object) -> np.ndarray:
    """A reply's vector as float32 of unit length; a malformed one is an error, never a zero vector."""
    try:
        vector = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise BackendUnavailable(_("{model} sent a reply without an embedding.").format(model=model.label),
                                 _("Try again."), detail=str(payload)[:200]) from exc
    norm = float(np.linalg.norm(vector)) if vector.ndim == 1 else 0.0
    if vector.shape != (dimension,) or not math.isfinite(norm) or norm == 0:
        raise BackendUnavailable(_("{model} sent a vector of {count} values; expected {dimension}.").format(
            model=model.label, count=vector.size, dimension=dimension), _("Try again."), detail=str(payload)[:200])
    return vector / norm


def no_embedding(model: EmbeddingModel, payload: object, exc: Exception | None = None) -> BackendUnavailable:
    """The error for a reply that holds no embedding where the model's schema puts it."""
    return BackendUnavailable(_("{model} sent a reply without an embedding.").format(model=model.label),
                              _("Try again."), detail=f"{exc or ''} {str(payload)[:200]}".strip())


def same_purpose(items: Sequence[PreparedInput]) -> EmbeddingPurpose:
    """The one purpose of a call's inputs (a call has one input type; the service never mixes them)."""
    purposes = {item.purpose for item in items}
    if len(purposes) != 1:
        raise ValueError(f"one call embeds inputs of one purpose, got {sorted(p.value for p in purposes)}")
    return purposes.pop()


class EmbeddingEngine(ABC):
    """One embedding model family: fit the input, call, parse."""

    #: inputs one call embeds; the index build sends this many new photos per call (Cohere Embed v4: 96)
    batch_size: int = 1
    #: calls that may run at once (None: the app's WORKSHOP_EMBED_WORKERS)
    parallel_calls: int | None = None

    def prepare(self, model: EmbeddingModel, item: EmbeddingInput, *, name: str = "The image",
                max_upload_bytes: int = 50 * 1024 * 1024) -> PreparedInput:
        """Fit text and image to the model's limits (catalog facts); refuse what can't be fitted."""
        text, notes = fitted_text(model, item)
        image = image_format = size = None
        if item.image:
            image, image_format, size, image_notes = fit_image(model, item.image, name=name,
                                                               max_upload_bytes=max_upload_bytes)
            notes += image_notes
        return PreparedInput(text, image, image_format, notes, item.purpose, size, name)

    @abstractmethod
    def embed(self, model: EmbeddingModel, dimension: int, items: Sequence[PreparedInput],
              settings: Settings) -> list[Embedding]:
        """One vector per input, in order (at most `batch_size` inputs; several calls where the engine must)."""

    def similar_query(self, stored: np.ndarray) -> np.ndarray:
        """The query vector for "find images like this indexed one" (its stored vector, for Bedrock's models)."""
        return stored
