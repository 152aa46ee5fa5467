"""Object removal without Bedrock: OpenCV's classical inpainting inside the user's mask (labs 7 and 5).

Why classical: no packaged model can paint new content offline (../shared/reference/offline-engines.md),
but Telea's and Navier-Stokes' methods fill a hole from its surroundings well enough on smooth
backgrounds, in milliseconds, and leave every pixel outside the mask exactly as it was.
"""

from __future__ import annotations

import importlib.util
import io
import time

import numpy as np
from PIL import Image

from lib.catalog import ModelInfo
from lib.errors import BackendUnavailable
from lib.generation.requests import EditRequest, GenerationResult, ImageOutput
from lib.imaging import encode_image

INPAINT_RADIUS = 5  # pixels around each hole pixel that its new value is taken from


def opencv_missing() -> bool:
    return importlib.util.find_spec("cv2") is None


def erase(req: EditRequest, model: ModelInfo) -> GenerationResult:
    """Fill the selected area from its surroundings; the request was validated like any edit."""
    if opencv_missing():
        raise BackendUnavailable("OpenCV is not installed, so the local eraser can't run.",
                                 "Install requirements-local.txt (run `bash scripts/run_app.sh` without "
                                 "WORKSHOP_CLOUD_ONLY=1).")
    import cv2

    started = time.perf_counter()
    with Image.open(io.BytesIO(req.image)) as img:
        rgb = np.asarray(img.convert("RGB"))
    with Image.open(io.BytesIO(req.mask or b"")) as sel:
        hole = (np.asarray(sel.convert("L")) >= 128).astype(np.uint8) * 255  # the selection: 255 = remove
    method = cv2.INPAINT_NS if model.id.endswith("navier-stokes") else cv2.INPAINT_TELEA
    filled = cv2.inpaint(np.ascontiguousarray(rgb[:, :, ::-1]), hole, INPAINT_RADIUS, method)[:, :, ::-1]
    data = encode_image(Image.fromarray(np.ascontiguousarray(filled)), "png")
    height, width = rgb.shape[:2]
    output = ImageOutput(data=data, format="png", seed=0, width=width, height=height, index=0)
    notes = [f"Filled {int(hole.astype(bool).sum()):,} pixels from their surroundings on this machine; "
             "every other pixel is unchanged."]
    if req.count > 1:
        notes.append("OpenCV inpainting has no randomness, so it makes one image, not several.")
    body = {"engine": "cv2.inpaint", "method": "INPAINT_NS" if method == cv2.INPAINT_NS else "INPAINT_TELEA",
            "inpaintRadius": INPAINT_RADIUS, "image": f"<image, {len(req.image)} bytes>",
            "mask": f"<mask, {len(req.mask or b'')} bytes>"}
    return GenerationResult(model=model, request=req, images=[output], latency_s=time.perf_counter() - started,
                            cost_usd=0.0, region="local", request_body=body, notes=notes)
