"""Offline object removal (OpenCV inpainting) through the same edit service as Bedrock's models."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lib.catalog import Task, get_model, models_for
from lib.errors import ModelUnavailable
from lib.generation.requests import EditRequest
from lib.services.images import edit
from lib.local.availability import task_runs_here
from test_edit_pages import LAB7, place_cup
from test_pages import captions, errors, open_app

pytestmark = pytest.mark.skipif(not task_runs_here(Task.ERASE), reason="local engines not installed (WORKSHOP_CLOUD_ONLY=1)")
TELEA, NS = "local.opencv-inpaint-telea", "local.opencv-inpaint-navier-stokes"


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def scene() -> tuple[bytes, bytes, np.ndarray]:
    """A smooth gradient with a dark square on it, and a selection covering the square."""
    x = np.linspace(0, 255, 160, dtype=np.float32)
    rgb = np.stack([np.tile(x, (120, 1)), np.tile(x[::-1], (120, 1)), np.full((120, 160), 128.0)], axis=2)
    img = Image.fromarray(rgb.astype(np.uint8))
    ImageDraw.Draw(img).rectangle((60, 40, 90, 70), fill=(10, 10, 10))
    selection = Image.new("L", img.size, 0)
    ImageDraw.Draw(selection).rectangle((56, 36, 94, 74), fill=255)
    return png(img), png(selection), np.asarray(selection) >= 128


@pytest.mark.parametrize("model_id", [TELEA, NS])
def test_the_object_is_removed_and_nothing_outside_the_mask_changes(isolated_env, model_id):
    image, selection, inside = scene()
    result = edit(EditRequest(model_id=model_id, task=Task.ERASE, image=image, mask=selection))
    before = np.asarray(Image.open(io.BytesIO(image)).convert("RGB")).astype(int)
    after = np.asarray(Image.open(io.BytesIO(result.images[0].data)).convert("RGB")).astype(int)
    assert (after[~inside] == before[~inside]).all()
    assert after[55, 75].min() > 60  # the dark square's centre now takes the gradient's colours
    assert result.region == "local" and result.cost_usd == 0 and result.request_body["engine"] == "cv2.inpaint"


def test_local_engines_only_erase(isolated_env):
    assert {m.id for m in models_for(Task.ERASE) if m.runs_locally} == {TELEA, NS}
    assert not any(m.runs_locally for m in models_for(Task.INPAINT))
    image, selection, _ = scene()
    with pytest.raises(ModelUnavailable):
        edit(EditRequest(model_id=TELEA, task=Task.INPAINT, image=image, mask=selection, prompt="a cat"))
    assert get_model(TELEA).price.per_image() == 0


def test_lab7_without_credentials_erases_on_this_machine(isolated_env):
    at = open_app(LAB7)
    assert "Erasing still works offline" in "\n".join(i.value for i in at.info)
    assert at.selectbox(key="lab7_model").value == TELEA
    place_cup(at, "lab7")
    at.button(key="lab7_go").click().run()
    assert errors(at).replace("AWS credentials not found", "").strip() == ""  # at most the sidebar status
    assert any("Local: OpenCV inpainting (Telea)" in c for c in captions(at))
    at.text_input(key="lab7_prompt").input("A sleeping cat").run()  # painting something new needs Bedrock
    assert at.button(key="lab7_go").disabled
