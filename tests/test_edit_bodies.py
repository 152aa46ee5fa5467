"""Editing request bodies (labs 4–7) against the reference shapes, via botocore Stubber.

Titan/Nova: INPAINTING/OUTPAINTING with maskImage (black = masked) XOR maskPrompt.
Stability Image Services: `us.` profile ids, mask white = area to change.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

import lib.services.images as service
from lib import masks
from lib.catalog import Task
from lib.errors import InvalidInput
from lib.generation.requests import EditRequest
from lib.settings import load_settings
from stub_support import StubbedBedrock, b64png, png, stub  # noqa: F401  (stub is a fixture)

TITAN_V2 = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
INPAINT = "stability.stable-image-inpaint-v1:0"
ERASE = "stability.stable-image-erase-object-v1:0"
SEARCH = "stability.stable-image-search-replace-v1:0"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"
EAST = load_settings({"WORKSHOP_REGION": "us-east-1"})
SIZE = (320, 320)
IMAGE = png(SIZE, (90, 140, 60))


def selection_png(box: tuple[int, int, int, int] = (100, 120, 80, 60)) -> bytes:
    buf = io.BytesIO()
    masks.rectangle(SIZE, *box).save(buf, "PNG")
    return buf.getvalue()


def decoded(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))))


def titan_ok(count: int = 1) -> dict:
    return {"images": [b64png(SIZE) for _ in range(count)], "error": None}


def stability_ok(seed: int = 5, size: tuple[int, int] = SIZE) -> dict:
    return {"seeds": [seed], "finish_reasons": [None], "images": [b64png(size)]}


def test_titan_inpainting_with_a_drawn_mask_sends_black_for_the_selection(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_ok(2))
    req = EditRequest(model_id=TITAN_V2, task=Task.INPAINT, image=IMAGE, mask=selection_png(),
                      prompt="A sleeping cat", count=2, seed=9)
    result = service.edit(req, EAST)
    body = stub.sent[0].body
    assert body["taskType"] == "INPAINTING"
    params = body["inPaintingParams"]
    assert set(params) == {"image", "text", "maskImage"} and params["text"] == "A sleeping cat"
    mask = decoded(params["maskImage"])
    assert mask.shape == (320, 320, 3) and set(np.unique(mask)) == {0, 255}
    assert tuple(mask[150, 140]) == (0, 0, 0) and tuple(mask[5, 5]) == (255, 255, 255)
    assert body["imageGenerationConfig"] == {"numberOfImages": 2, "quality": "standard", "width": 320,
                                             "height": 320, "seed": 9, "cfgScale": 8.0}
    assert len(result.images) == 2 and stub.sent[0].params["modelId"] == TITAN_V2


def test_titan_outpainting_keeps_the_selection_black_and_sets_the_mode(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_ok())
    req = EditRequest(model_id=NOVA, task=Task.OUTPAINT, image=IMAGE, mask=selection_png(),
                      prompt="A cozy living room", outpainting_mode="PRECISE", seed=1)
    service.edit(req, EAST)
    body = stub.sent[0].body
    assert body["taskType"] == "OUTPAINTING"
    params = body["outPaintingParams"]
    assert params["outPaintingMode"] == "PRECISE" and params["text"] == "A cozy living room"
    assert tuple(decoded(params["maskImage"])[150, 140]) == (0, 0, 0)  # the kept object is the masked area
    assert body["imageGenerationConfig"]["cfgScale"] == 6.5


def test_titan_mask_prompt_replaces_mask_image(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_ok())
    req = EditRequest(model_id=TITAN_V2, task=Task.INPAINT_BY_PROMPT, image=IMAGE, mask_prompt="Pink curtains",
                      prompt="Green curtains", seed=1)
    service.edit(req, EAST)
    params = stub.sent[0].body["inPaintingParams"]
    assert params["maskPrompt"] == "Pink curtains" and "maskImage" not in params
    assert params["text"] == "Green curtains"


def test_titan_removal_by_prompt_sends_no_text(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_ok())
    service.edit(EditRequest(model_id=TITAN_V2, task=Task.ERASE_BY_PROMPT, image=IMAGE, mask_prompt="lamp",
                             prompt="ignored", seed=1), EAST)
    params = stub.sent[0].body["inPaintingParams"]
    assert params == {"image": params["image"], "maskPrompt": "lamp"}


def test_titan_background_replacement_is_outpainting_with_a_mask_prompt(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_ok())
    service.edit(EditRequest(model_id=TITAN_V2, task=Task.OUTPAINT_BY_PROMPT, image=IMAGE, mask_prompt="House",
                             prompt="House at a beach", negative_prompt="people", seed=1), EAST)
    body = stub.sent[0].body
    assert body["taskType"] == "OUTPAINTING"
    assert {k: v for k, v in body["outPaintingParams"].items() if k != "image"} == {
        "text": "House at a beach", "negativeText": "people", "maskPrompt": "House", "outPaintingMode": "DEFAULT"}


def test_stability_inpaint_uses_the_profile_and_white_for_the_area_to_change(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", stability_ok(77))
    service.edit(EditRequest(model_id=INPAINT, task=Task.INPAINT, image=IMAGE, mask=selection_png(),
                             prompt="A stool", seed=77), EAST)
    call = stub.sent[0]
    assert call.params["modelId"] == f"us.{INPAINT}"
    body = call.body
    assert set(body) == {"image", "prompt", "mask", "grow_mask", "seed", "output_format"}
    mask = decoded(body["mask"])
    assert mask.ndim == 2 and mask[150, 140] == 255 and mask[5, 5] == 0
    assert body["grow_mask"] == 5


def test_stability_outpaint_by_mask_inverts_to_the_area_to_change(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", stability_ok())
    service.edit(EditRequest(model_id=INPAINT, task=Task.OUTPAINT, image=IMAGE, mask=selection_png(),
                             prompt="A beach", outpainting_mode="PRECISE", seed=3), EAST)
    body = stub.sent[0].body
    mask = decoded(body["mask"])
    assert mask[150, 140] == 0 and mask[5, 5] == 255
    assert body["grow_mask"] == 0  # PRECISE: the kept object's edge stays exact


def test_stability_erase_takes_no_prompt(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", stability_ok())
    service.edit(EditRequest(model_id=ERASE, task=Task.ERASE, image=IMAGE, mask=selection_png(), seed=3), EAST)
    assert set(stub.sent[0].body) == {"image", "mask", "grow_mask", "seed", "output_format"}


def test_stability_search_and_replace_uses_search_prompt(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", stability_ok())
    service.edit(EditRequest(model_id=SEARCH, task=Task.INPAINT_BY_PROMPT, image=IMAGE, mask_prompt="curtains",
                             prompt="green curtains", seed=3), EAST)
    body = stub.sent[0].body
    assert body["search_prompt"] == "curtains" and body["prompt"] == "green curtains" and "mask" not in body


def test_stability_background_replacement_is_remove_background_then_inpaint(stub: StubbedBedrock) -> None:
    cutout = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    cutout.paste((200, 10, 10, 255), (100, 100, 200, 200))
    buf = io.BytesIO()
    cutout.save(buf, "PNG")
    stub.add_json("us-east-1", {"seeds": [0], "finish_reasons": [None],
                                "images": [base64.b64encode(buf.getvalue()).decode()]})
    stub.add_json("us-east-1", stability_ok())
    result = service.edit(EditRequest(model_id=INPAINT, task=Task.OUTPAINT_BY_PROMPT, image=IMAGE,
                                      mask_prompt="A car", prompt="Car at the beach", seed=4), EAST)
    assert [c.params["modelId"] for c in stub.sent] == [f"us.{REMOVE_BG}", f"us.{INPAINT}"]
    assert stub.sent[0].body == {"image": stub.sent[1].body["image"], "output_format": "png"}
    mask = decoded(stub.sent[1].body["mask"])
    assert mask[150, 150] == 0 and mask[10, 10] == 255  # subject kept, background repainted
    assert result.cost_usd == pytest.approx(0.14)
    assert any("Remove Background" in n for n in result.notes)


@pytest.mark.parametrize(("req", "message"), [
    (EditRequest(model_id=TITAN_V2, task=Task.INPAINT, image=IMAGE, prompt="x"), "no mask yet"),
    (EditRequest(model_id=TITAN_V2, task=Task.INPAINT, image=IMAGE, mask=selection_png((0, 0, 0, 0)), prompt="x"),
     "marks nothing"),
    (EditRequest(model_id=TITAN_V2, task=Task.OUTPAINT, image=IMAGE, mask=selection_png(), prompt=""),
     "description of the new scene is empty"),
    (EditRequest(model_id=TITAN_V2, task=Task.INPAINT_BY_PROMPT, image=IMAGE, prompt="x"), "mask prompt"),
    (EditRequest(model_id=INPAINT, task=Task.INPAINT, image=IMAGE, mask=selection_png(), prompt=""),
     "replacement prompt is empty"),
    (EditRequest(model_id=ERASE, task=Task.ERASE_BY_PROMPT, image=IMAGE, mask_prompt="lamp"), "can't do"),
    (EditRequest(model_id=TITAN_V2, task=Task.INPAINT, image=png((2000, 300)), mask=selection_png(), prompt="x"),
     "can't edit a 2000×300 image"),
])
def test_edit_validation_happens_before_any_call(stub: StubbedBedrock, req: EditRequest, message: str) -> None:
    with pytest.raises(Exception) as info:
        service.edit(req, EAST)
    assert message in str(info.value)
    assert stub.sent == []


def test_mask_of_another_size_is_refused(stub: StubbedBedrock) -> None:
    other = io.BytesIO()
    masks.rectangle((64, 64), 0, 0, 10, 10).save(other, "PNG")
    with pytest.raises(InvalidInput, match="64×64 but the image is 320×320"):
        service.edit(EditRequest(model_id=TITAN_V2, task=Task.INPAINT, image=IMAGE, mask=other.getvalue(),
                                 prompt="x"), EAST)


def test_prepare_edit_input_fits_the_edit_rule() -> None:
    from lib.catalog import get_model

    prepared = service.prepare_edit_input(get_model(TITAN_V2), Image.new("RGB", (3000, 2000)))
    assert max(prepared.size) <= 1408 and prepared.notes


def test_estimate_cost_counts_the_background_step() -> None:
    req = EditRequest(model_id=INPAINT, task=Task.OUTPAINT_BY_PROMPT, image=IMAGE, mask_prompt="car", prompt="x",
                      count=2)
    assert service.estimate_cost(req) == pytest.approx(0.07 * 2 + 0.07)


def test_stability_outpaint_extends_the_named_sides(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", stability_ok(size=(576, 320)))
    service.edit(EditRequest(model_id="stability.stable-outpaint-v1:0", task=Task.EXTEND, image=IMAGE,
                             extend=(128, 128, 0, 0), seed=2), EAST)
    call = stub.sent[0]
    assert call.params["modelId"] == "us.stability.stable-outpaint-v1:0"
    assert {k: v for k, v in call.body.items() if k != "image"} == {"left": 128, "right": 128, "seed": 2,
                                                                    "output_format": "png"}


def test_extend_needs_at_least_one_side(stub: StubbedBedrock) -> None:
    with pytest.raises(InvalidInput, match="Extend at least one side"):
        service.edit(EditRequest(model_id="stability.stable-outpaint-v1:0", task=Task.EXTEND, image=IMAGE), EAST)
    assert stub.sent == []
