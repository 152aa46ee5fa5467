"""GrabCut turns a loose rectangle into the object's own outline, offline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lib.local.segmentation import grabcut_available, refine_boxes
from test_edit_pages import LAB7, place_cup
from test_pages import captions, open_app

pytestmark = pytest.mark.skipif(not grabcut_available(), reason="OpenCV not installed (WORKSHOP_CLOUD_ONLY=1)")


def scene() -> tuple[Image.Image, np.ndarray]:
    """A noisy green-to-blue background with a red disc, and the disc's true mask."""
    rng = np.random.default_rng(3)
    x = np.linspace(0, 1, 320)
    rgb = np.zeros((240, 320, 3))
    rgb[..., 1] = 160 * (1 - x)
    rgb[..., 2] = 200 * x
    rgb += rng.normal(0, 12, rgb.shape)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    truth = Image.new("L", img.size, 0)
    for target, fill in ((img, (210, 40, 40)), (truth, 255)):
        ImageDraw.Draw(target).ellipse((110, 70, 210, 170), fill=fill)
    return img, np.asarray(truth) > 0


def test_grabcut_finds_the_disc_inside_a_loose_box_with_iou_over_0_9():
    img, truth = scene()
    found = np.asarray(refine_boxes(img, [(90, 50, 140, 140)])) > 0  # 40 % larger than the disc each way
    iou = (found & truth).sum() / (found | truth).sum()
    assert iou > 0.9, iou


def test_lab7_rectangle_can_be_refined_to_the_cup(isolated_env):
    at = place_cup(open_app(LAB7), "lab7")
    covered = next(c for c in captions(at) if "will change" in c)
    at.checkbox(key="lab7_mask_grabcut").check().run()
    refined = next(c for c in captions(at) if "will change" in c)
    share = lambda text: int(text.split("(")[1].split("%")[0])  # noqa: E731 - "… (26% of the image) …"
    assert 0 < share(refined) < share(covered)
