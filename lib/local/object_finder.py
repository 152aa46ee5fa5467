"""A mask from a prompt, offline and experimental: ImageNet classes → class activation map → GrabCut.

Why this works at all: the classifier (lib/local/tags.py) ends in one linear layer over a grid
of features, so the same weights applied to each cell of the grid say where it saw a class
(a class activation map, Zhou et al. 2016). The prompt is matched to ImageNet's labels with
MiniLM; the map of the matching classes the image actually shows gives a rough region, and
GrabCut (lib/local/segmentation.py) cuts the object's outline out of that region's box.
Why "experimental": it only knows ImageNet's 1000 classes, the map is coarse (14×14 cells), and
it finds one region, so "the left cup" or "people" can't work. Bedrock's mask prompts are models
trained for this; here the preview shows what was found before anything is erased.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from lib.errors import BackendUnavailable, InvalidInput
from lib.i18n import _
from lib.local.availability import INSTALL_HINT, OPENCV_MODULES, TAG_MODULES, missing
from lib.local.segmentation import refine_boxes

MAP_INPUT_SIZE = 448  # twice the classifier's size: a 14×14 map instead of 7×7
MIN_MATCH = 0.74  # cosine of "a photo of a {prompt}" and a label's sentence: "hat" 0.78, "person" 0.68, "xyzzy" 0.59
MATCH_SPREAD = 0.1  # classes within this of the best match count as the same thing (cat → tabby, tiger cat…)
MAX_CLASSES = 6
REGION_LEVEL = 0.35  # share of the map's peak that counts as "seen here"
MAX_RANK = 200  # the matched class must be among the photo's 200 likeliest (a flag in lab 6's photo: 144; a dog
# in the cat photo: 253): further down, the classifier doesn't see it at all and the map points at noise
DOUBTFUL_PRESENCE = 0.01


@dataclass(frozen=True)
class FoundObject:
    selection: Image.Image  # L, 255 = the object, the size of the photo
    classes: tuple[str, ...]  # the ImageNet classes the prompt was matched to, most present first
    box: tuple[int, int, int, int]  # x, y, width, height of the region GrabCut started from
    presence: float  # the photo's probability of those classes together

    @property
    def coverage(self) -> float:
        return float((np.asarray(self.selection) >= 128).mean())

    def describe(self) -> str:
        """One sentence for notes and captions: what was matched, how sure, how much is selected."""
        said = _("Experimental: matched to “{classes}” (ImageNet classes, {presence} likely in this photo), located "
                 "by the classifier's activation map and cut out with GrabCut; {coverage} of the image selected.").format(
            classes=", ".join(self.classes[:3]), presence=f"{self.presence:.1%}", coverage=f"{self.coverage:.0%}")
        if self.presence < DOUBTFUL_PRESENCE:
            said = _("{found} The classifier barely sees it here: check the preview.").format(found=said)
        return said


def _label_similarity(prompt: str) -> tuple[tuple[str, ...], np.ndarray]:
    """(labels, cosine of "a photo of a {prompt}" with each label's sentence)."""
    from lib.local.tags import tag_engine

    engine = tag_engine()
    return engine.labels, engine.label_vectors @ engine.text_vector(f"a photo of a {prompt.strip()}")


def matching_classes(prompt: str) -> list[tuple[str, float]]:
    """The ImageNet labels the prompt means, best first (empty when none is close enough)."""
    labels, similarity = _label_similarity(prompt)
    order = np.argsort(-similarity)
    best = float(similarity[order[0]])
    if best < MIN_MATCH:
        return []
    return [(labels[i], float(similarity[i])) for i in order[:MAX_CLASSES] if similarity[i] >= best - MATCH_SPREAD]


def closest_labels(prompt: str, count: int = 3) -> list[str]:
    labels, similarity = _label_similarity(prompt)
    return [labels[i] for i in np.argsort(-similarity)[:count]]


def activation_map(image: Image.Image, class_rows: list[int], weights: np.ndarray) -> np.ndarray:
    """Where the classes were seen: a (height, width) map of the photo's size, 0–1, peak 1."""
    import cv2

    from lib.local.tags import tag_engine

    engine = tag_engine()
    feature_map = engine.look(image, MAP_INPUT_SIZE).feature_map
    channels, rows, cols = feature_map.shape
    fc_weights, _ = engine.class_weights()
    grid = (weights @ fc_weights[class_rows]) @ feature_map.reshape(channels, -1)
    grid = np.maximum(grid.reshape(rows, cols), 0)
    grid = grid / (grid.max() or 1.0)
    full = cv2.resize(grid.astype(np.float32), image.size, interpolation=cv2.INTER_CUBIC)
    return np.clip(full, 0.0, 1.0)


def peak_region(heat: np.ndarray) -> tuple[int, int, int, int]:
    """The box of the connected hot area that holds the map's peak."""
    import cv2

    hot = (heat >= REGION_LEVEL).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(hot)
    peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
    x, y, w, h = stats[labels[peak], :4]
    return int(x), int(y), int(w), int(h)


def find_object(image: Image.Image, prompt: str) -> FoundObject:
    """The object the prompt names, as a selection; InvalidInput when the prompt names nothing it knows."""
    from lib.local.tags import tag_engine

    if not prompt.strip():
        raise InvalidInput(_("Name the object to find."), _("For example “cat”, “cup” or “flower”."))
    needed = missing({**TAG_MODULES, **OPENCV_MODULES})
    if needed:
        raise BackendUnavailable(_("Finding an object by name needs {packages}, not installed here.").format(
            packages=", ".join(needed)), _(INSTALL_HINT))
    matches = matching_classes(prompt)
    if not matches:
        raise InvalidInput(
            _("The local finder doesn't know “{name}”.").format(name=prompt.strip()),
            _("It only knows ImageNet's 1000 object and animal classes (closest here: {closest}). Name one of "
              "those, or mark the area with a rectangle in lab 7.").format(closest=", ".join(closest_labels(prompt))))
    engine = tag_engine()
    image = image.convert("RGB")
    probabilities = engine.look(image).probabilities
    rows = [engine.labels.index(label) for label, _score in matches]
    present = probabilities[rows]
    rank = int((probabilities > present.max()).sum()) + 1
    if rank > MAX_RANK:
        raise InvalidInput(_("This photo doesn't seem to show a {name}.").format(name=prompt.strip()),
                           _("Its likeliest match, “{label}”, ranks {rank} of ImageNet's 1000 classes here. Name "
                             "something in the photo, or mark it with a rectangle in lab 7.").format(
                               label=engine.labels[rows[int(np.argmax(present))]], rank=rank))
    order = np.argsort(-present)
    rows, present = [rows[i] for i in order], present[order]
    weights = present / present.sum() if present.sum() > 0 else np.full(len(rows), 1 / len(rows))
    heat = activation_map(image, rows, weights.astype(np.float32))
    box = peak_region(heat)
    selection = refine_boxes(image, [box])
    if not np.asarray(selection).any():  # GrabCut gave up: fall back to the hot area itself
        selection = Image.fromarray(((heat >= REGION_LEVEL) * 255).astype(np.uint8), "L")
    return FoundObject(selection, tuple(engine.labels[r] for r in rows), box, float(present.sum()))
