"""Object removal without Bedrock: OpenCV's classical inpainting inside a mask (labs 4, 5 and 7).

The mask is the user's, or (experimental) found from a mask prompt by lib/local/object_finder.py.

Why classical: no packaged model can paint new content offline (../shared/reference/offline-engines.md),
but Telea's and Navier-Stokes' methods fill a hole from its surroundings well enough on smooth
backgrounds, in milliseconds, and leave every pixel outside the mask exactly as it was.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from typing import Any

from lib.catalog import ModelInfo, Task
from lib.engines.image_base import CallTarget, ImageEngine, Produced
from lib.errors import BackendUnavailable, InvalidInput
from lib.generation.requests import EditRequest, ImageOutput, ImageRequest
from lib.i18n import N_, _, format_number, ngettext
from lib.imaging import encode_image
from lib.local.availability import INSTALL_HINT, missing_for
from lib.masks import Polarity
from lib.settings import Settings

INPAINT_RADIUS = 5  # pixels around each hole pixel that its new value is taken from


def erase(req: EditRequest, model: ModelInfo) -> Produced:
    """Fill the selected area from its surroundings; the request was validated like any edit."""
    needed = missing_for(model.id, req.task)
    if needed:
        raise BackendUnavailable(_("The local eraser can't run here: {packages} not installed.").format(
            packages=", ".join(needed)), _(INSTALL_HINT))
    import cv2

    with Image.open(io.BytesIO(req.image)) as img:
        photo = img.convert("RGB")
    rgb = np.asarray(photo)
    finder: dict[str, object] = {}
    notes: list[str] = []
    if req.task.uses_mask_prompt:
        from lib.local.object_finder import find_object

        found = find_object(photo, req.mask_prompt)
        selection = found.selection
        notes.append(found.describe())
        finder = {"maskFinder": {"prompt": req.mask_prompt, "classes": list(found.classes), "box": list(found.box),
                                 "presence": round(found.presence, 4)}}
    else:
        with Image.open(io.BytesIO(req.mask or b"")) as sel:
            selection = sel.convert("L")
    hole = (np.asarray(selection) >= 128).astype(np.uint8) * 255  # the selection: 255 = remove
    method = cv2.INPAINT_NS if model.id.endswith("navier-stokes") else cv2.INPAINT_TELEA
    filled = cv2.inpaint(np.ascontiguousarray(rgb[:, :, ::-1]), hole, INPAINT_RADIUS, method)[:, :, ::-1]
    data = encode_image(Image.fromarray(np.ascontiguousarray(filled)), "png")
    height, width = rgb.shape[:2]
    output = ImageOutput(data=data, format="png", seed=0, width=width, height=height, index=0)
    filled_pixels = int(hole.astype(bool).sum())
    notes.append(ngettext("Filled {count} pixel from its surroundings on this machine; every other pixel is "
                          "unchanged.", "Filled {count} pixels from their surroundings on this machine; every other "
                          "pixel is unchanged.", filled_pixels).format(count=format_number(filled_pixels)))
    if req.count > 1:
        notes.append(_("OpenCV inpainting has no randomness, so it makes one image, not several."))
    body = {**_description(req, model), **finder}
    return Produced(images=[output], body=body, notes=notes, region="local")


def _description(req: EditRequest, model: ModelInfo) -> dict[str, Any]:
    """What runs, in place of a request body (there is no request: History shows this)."""
    method = "INPAINT_NS" if model.id.endswith("navier-stokes") else "INPAINT_TELEA"
    described: dict[str, Any] = {"engine": "cv2.inpaint", "method": method, "inpaintRadius": INPAINT_RADIUS,
                                 "image": f"<image, {len(req.image)} bytes>"}
    if not req.task.uses_mask_prompt:
        described["mask"] = f"<mask, {len(req.mask or b'')} bytes>"
    return described


class OpenCVEraserEngine(ImageEngine):
    """Offline: no seed, no randomness, one image the size of the input."""

    mask_polarity = Polarity.WHITE_MARKS  # it fills the selected (white) area
    one_image_per_call = False
    count_help = N_("Runs on this machine: one image, the same every time.")

    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        if not isinstance(req, EditRequest):
            raise InvalidInput(_("{model} only removes objects.").format(model=model.label),
                               _("Pick a Bedrock model for this lab."))
        return _description(req, model)

    def produce(self, req: ImageRequest, model: ModelInfo, seed: int, target: CallTarget,
                settings: Settings) -> Produced:
        assert isinstance(req, EditRequest), "the catalog offers it for erasing only"
        return erase(req, model)

    def uses_mask_prompt(self, task: Task) -> bool:
        return task is Task.ERASE_BY_PROMPT  # found by lib/local/object_finder (ImageNet classes only)
