"""Rectangle → object mask with OpenCV's GrabCut, offline (labs 4–7's mask editor).

Why GrabCut: it needs no model weights, only the photo and a box around the object: it learns
the colours of the box's inside and outside and cuts along the edges between them, so a loose
rectangle becomes the object's own outline. It struggles when object and background share colours.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from lib.local.availability import OPENCV_MODULES, missing

ITERATIONS = 5


def grabcut_available() -> bool:
    return not missing(OPENCV_MODULES)


def refine_boxes(image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """A selection (L, 255 = object) with the object GrabCut finds inside each (x, y, width, height) box."""
    import cv2

    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    selection = np.zeros(bgr.shape[:2], np.uint8)
    for x, y, w, h in boxes:
        x, y = max(0, int(x)), max(0, int(y))
        w, h = min(int(w), bgr.shape[1] - x), min(int(h), bgr.shape[0] - y)
        if w < 4 or h < 4:
            continue
        cv2.setRNGSeed(0)  # GrabCut seeds its colour models with k-means: the same box must give the same mask
        labels = np.zeros(bgr.shape[:2], np.uint8)
        background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(bgr, labels, (x, y, w, h), background, foreground, ITERATIONS, cv2.GC_INIT_WITH_RECT)
        selection[(labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)] = 255
    return Image.fromarray(selection, "L")
