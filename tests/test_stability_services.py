"""Stability's Image Services beyond the editing five (issue 15): Search and Recolor, Control Sketch and Structure,
Style Guide, Style Transfer, and the Fast, Conservative and Creative upscalers.

The bodies are checked exactly against reference §1.4 (field names, defaults, the `us.` profile id) with a real
boto3 client behind botocore's Stubber; what the app refuses is refused before any call is sent; the catalog rows
carry §5's prices and the other services' regions.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import fields, replace

import pytest
from PIL import Image

import lib.services.images as service
from lib import errors
from lib.catalog import (PRICES_LAST_VERIFIED, STYLE_PRESETS, VARIATION_KINDS, PromptUse, Task, call_target,
                         get_model, models_for)
from lib.errors import InvalidInput
from lib.generation.requests import ADDED_LATER, EditRequest, VariationRequest, request_fingerprint
from lib.services.upscale import (offers, refusal, suggested, upscale, upscale_request,
                                  upscalers)
from lib.settings import load_settings
from stub_support import StubbedBedrock, b64png, png, stub  # noqa: F401  (stub is a fixture)

RECOLOR = "stability.stable-image-search-recolor-v1:0"
SKETCH = "stability.stable-image-control-sketch-v1:0"
STRUCTURE = "stability.stable-image-control-structure-v1:0"
STYLE_GUIDE = "stability.stable-image-style-guide-v1:0"
STYLE_TRANSFER = "stability.stable-style-transfer-v1:0"
FAST = "stability.stable-fast-upscale-v1:0"
CONSERVATIVE = "stability.stable-conservative-upscale-v1:0"
CREATIVE = "stability.stable-creative-upscale-v1:0"
NEW = (RECOLOR, SKETCH, STRUCTURE, STYLE_GUIDE, STYLE_TRANSFER, FAST, CONSERVATIVE, CREATIVE)
EAST = load_settings({"WORKSHOP_REGION": "us-east-1"})
WEST = load_settings({"WORKSHOP_REGION": "eu-west-1"})  # a region none of them is offered in
PHOTO = png((320, 256), (90, 140, 60))
STYLE = png((128, 128), (200, 30, 30))


def answer(seed: int = 5, size: tuple[int, int] = (320, 256)) -> dict:
    return {"seeds": [seed], "finish_reasons": [None], "images": [b64png(size)]}


def decoded(text: str) -> bytes:
    return base64.b64decode(text)


def sent(stub: StubbedBedrock, model_id: str, region: str = "us-east-1") -> dict:
    """The one call made: through the `us.` profile, in `region`, JSON in and out; its body."""
    (call,) = stub.sent
    assert call.params["modelId"] == f"us.{model_id}"
    assert call.region == region
    assert call.params["contentType"] == call.params["accept"] == "application/json"
    stub.assert_all_used()
    return call.body


def variation(model_id: str, task: Task, images: tuple[bytes, ...] = (PHOTO,), prompt: str = "a stone castle",
              **more) -> VariationRequest:
    return VariationRequest(model_id=model_id, images=images, prompt=prompt, task=task, seed=42, **more)


# --- the catalog rows ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("model_id", "task", "price"), [
    (RECOLOR, Task.RECOLOR_BY_PROMPT, 0.07), (SKETCH, Task.CONTROL_SKETCH, 0.07),
    (STRUCTURE, Task.CONTROL_STRUCTURE, 0.07), (STYLE_GUIDE, Task.STYLE_GUIDE, 0.07),
    (STYLE_TRANSFER, Task.STYLE_TRANSFER, 0.08), (FAST, Task.UPSCALE, 0.03), (CONSERVATIVE, Task.UPSCALE, 0.40),
    (CREATIVE, Task.UPSCALE, 0.60)])
def test_rows_are_profile_only_services_with_the_reference_prices(model_id: str, task: Task, price: float) -> None:
    model = get_model(model_id)
    inpaint = get_model("stability.stable-image-inpaint-v1:0")
    assert model.tasks == {task} and model.lifecycle.callable_today
    assert model.price.per_image() == price and PRICES_LAST_VERIFIED == "2026-07-19"
    assert model.regions == inpaint.regions == ("us-east-1", "us-east-2", "us-west-2")
    assert model.inference_profile_prefix == "us" and model.engine == inpaint.engine
    assert call_target(model, "us-west-2") == ("us-west-2", f"us.{model_id}", None)
    region, invoke_id, note = call_target(model, "eu-west-1")
    assert (region, invoke_id) == ("us-east-1", f"us.{model_id}") and "eu-west-1" in note
    assert model.image.seed_max == 4_294_967_294 and model.image.prompt_max_chars == 10_000
    for knob in model.image.knobs:
        assert knob.minimum <= knob.default <= knob.maximum


def test_each_new_task_has_exactly_its_service_and_lab3_names_what_each_kind_keeps() -> None:
    assert [m.id for m in models_for(Task.RECOLOR_BY_PROMPT)] == [RECOLOR]
    assert [m.id for m in upscalers()] == [FAST, CONSERVATIVE, CREATIVE]
    assert list(VARIATION_KINDS) == [Task.VARIATION, Task.CONTROL_SKETCH, Task.CONTROL_STRUCTURE, Task.STYLE_GUIDE,
                                     Task.STYLE_TRANSFER]
    for kind, model_id in ((Task.CONTROL_SKETCH, SKETCH), (Task.CONTROL_STRUCTURE, STRUCTURE),
                           (Task.STYLE_GUIDE, STYLE_GUIDE), (Task.STYLE_TRANSFER, STYLE_TRANSFER)):
        assert [m.id for m in models_for(kind)] == [model_id]
    keeps = {kind: line for kind, (_, line) in VARIATION_KINDS.items()}
    assert "sketch's lines" in keeps[Task.CONTROL_SKETCH] and "edges" in keeps[Task.CONTROL_STRUCTURE]
    assert "style" in keeps[Task.STYLE_GUIDE] and "content" in keeps[Task.STYLE_TRANSFER]
    assert get_model(STYLE_TRANSFER).image.input_roles == ("Photo (the content)", "Style image")
    assert all(not get_model(m).image.input_roles for m in NEW if m != STYLE_TRANSFER)  # one image elsewhere


# --- request bodies ------------------------------------------------------------------------------------------

def test_search_and_recolor_names_the_object_in_select_prompt(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer(seed=77))
    req = EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, PHOTO, mask_prompt="the cup", prompt="glossy bright red",
                      seed=42)
    result = service.edit(req, EAST)
    body = sent(stub, RECOLOR)
    assert set(body) == {"image", "prompt", "select_prompt", "grow_mask", "seed", "output_format"}
    assert body["select_prompt"] == "the cup" and body["prompt"] == "glossy bright red"
    assert body["grow_mask"] == 5 and isinstance(body["grow_mask"], int)  # the documented default, a whole number
    assert (body["seed"], body["output_format"]) == (42, "png") and decoded(body["image"]) == PHOTO
    assert "search_prompt" not in body and "mask" not in body
    assert result.images[0].seed == 77 and result.cost_usd == pytest.approx(0.07)


def test_search_and_recolor_sends_its_optional_fields_when_chosen(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    req = EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, PHOTO, mask_prompt="car", prompt="matte navy blue",
                      negative_prompt="rust", knobs={"grow_mask": 0}, style_preset="photographic", seed=1,
                      output_format="webp")
    service.edit(req, EAST)
    body = sent(stub, RECOLOR)
    assert body["grow_mask"] == 0 and body["negative_prompt"] == "rust" and body["style_preset"] == "photographic"
    assert body["output_format"] == "webp"


@pytest.mark.parametrize(("model_id", "task"), [(SKETCH, Task.CONTROL_SKETCH), (STRUCTURE, Task.CONTROL_STRUCTURE)])
def test_control_services_send_the_image_and_control_strength(stub: StubbedBedrock, model_id: str, task: Task) -> None:
    stub.add_json("us-east-1", answer())
    service.vary(variation(model_id, task), EAST)
    body = sent(stub, model_id)
    assert body == {"image": body["image"], "prompt": "a stone castle", "control_strength": 0.7, "seed": 42,
                    "output_format": "png"}
    assert decoded(body["image"]) == PHOTO


def test_control_strength_style_preset_and_negative_prompt_as_chosen(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    service.vary(variation(SKETCH, Task.CONTROL_SKETCH, knobs={"control_strength": 0.35}, style_preset="line-art",
                           negative_prompt="text", output_format="jpeg"), EAST)
    body = sent(stub, SKETCH)
    assert (body["control_strength"], body["style_preset"], body["negative_prompt"]) == (0.35, "line-art", "text")
    assert body["output_format"] == "jpeg"


def test_style_guide_sends_fidelity_and_the_chosen_aspect_ratio(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer(size=(1344, 768)))
    result = service.vary(variation(STYLE_GUIDE, Task.STYLE_GUIDE, prompt="a lighthouse", aspect_ratio="16:9",
                                    knobs={"fidelity": 0.8}), EAST)
    body = sent(stub, STYLE_GUIDE)
    assert set(body) == {"image", "prompt", "fidelity", "aspect_ratio", "seed", "output_format"}
    assert (body["fidelity"], body["aspect_ratio"]) == (0.8, "16:9")
    assert (result.images[0].width, result.images[0].height) == (1344, 768)


def test_style_guide_without_an_aspect_ratio_asks_for_the_documented_default(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    service.vary(variation(STYLE_GUIDE, Task.STYLE_GUIDE), EAST)
    body = sent(stub, STYLE_GUIDE)
    assert (body["fidelity"], body["aspect_ratio"]) == (0.5, "1:1")


def test_style_transfer_sends_init_image_and_style_image_never_image(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    service.vary(variation(STYLE_TRANSFER, Task.STYLE_TRANSFER, (PHOTO, STYLE), prompt=""), EAST)
    body = sent(stub, STYLE_TRANSFER)
    assert set(body) == {"init_image", "style_image", "style_strength", "composition_fidelity", "change_strength",
                         "seed", "output_format"}
    assert decoded(body["init_image"]) == PHOTO and decoded(body["style_image"]) == STYLE
    assert (body["style_strength"], body["composition_fidelity"], body["change_strength"]) == (1.0, 0.9, 0.9)
    assert "image" not in body and "prompt" not in body  # the prompt is optional: an empty one is not sent


def test_style_transfer_sends_a_prompt_and_its_three_strengths_when_given(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    knobs = {"style_strength": 0.5, "composition_fidelity": 0.2, "change_strength": 0.1}
    service.vary(variation(STYLE_TRANSFER, Task.STYLE_TRANSFER, (PHOTO, STYLE), prompt="an oil painting",
                           negative_prompt="blur", knobs=knobs), EAST)
    body = sent(stub, STYLE_TRANSFER)
    assert body["prompt"] == "an oil painting" and body["negative_prompt"] == "blur"
    assert {k: body[k] for k in knobs} == knobs


def test_fast_upscale_sends_only_the_image_and_the_format(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer(seed=123, size=(1280, 1024)))
    result = upscale(upscale_request(FAST, PHOTO, output_format="jpeg"), EAST, source="the test photo")
    assert sent(stub, FAST) == {"image": base64.b64encode(PHOTO).decode(), "output_format": "jpeg"}
    assert result.notes[0] == "Upscaled from the test photo: 320×256 → 1280×1024."
    assert result.request.prompt == "" and result.cost_usd == pytest.approx(0.03)


@pytest.mark.parametrize(("model_id", "creativity"), [(CONSERVATIVE, 0.35), (CREATIVE, 0.3)])
def test_conservative_and_creative_upscale_send_a_prompt_and_creativity(stub: StubbedBedrock, model_id: str,
                                                                        creativity: float) -> None:
    stub.add_json("us-east-1", answer(size=(1280, 1024)))
    upscale(upscale_request(model_id, PHOTO, prompt="a garden, sharp detail"), EAST)
    body = sent(stub, model_id)
    assert body == {"image": body["image"], "prompt": "a garden, sharp detail", "creativity": creativity,
                    "seed": body["seed"], "output_format": "png"}
    assert 1 <= body["seed"] <= 4_294_967_294  # a random seed, drawn and kept


def test_creative_upscale_takes_a_style_preset_and_negative_prompt(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    req = replace(upscale_request(CREATIVE, PHOTO, prompt="a garden", knobs={"creativity": 0.45}),
                  style_preset="enhance", negative_prompt="noise")
    upscale(req, EAST)
    body = sent(stub, CREATIVE)
    assert (body["creativity"], body["style_preset"], body["negative_prompt"]) == (0.45, "enhance", "noise")


def test_the_services_are_called_in_a_us_region_from_elsewhere(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", answer())
    result = service.vary(variation(STRUCTURE, Task.CONTROL_STRUCTURE), WEST)
    sent(stub, STRUCTURE, region="us-east-1")
    assert any("not eu-west-1" in note for note in result.notes)


# --- responses ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "error"), [("Filter reason: input image", errors.ContentFiltered),
                                               ("Filter reason: output image", errors.ContentFiltered),
                                               ("Inference error", errors.BackendUnavailable)])
def test_a_finish_reason_is_the_error_it_names(stub: StubbedBedrock, reason: str, error: type) -> None:
    stub.add_json("us-east-1", {"seeds": [3], "finish_reasons": [reason]})
    with pytest.raises(error):
        upscale(upscale_request(CONSERVATIVE, PHOTO, prompt="a garden"), EAST)


# --- refused before any call ---------------------------------------------------------------------------------

REFUSED = [
    ("recolor: no object named", lambda: EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, PHOTO, prompt="red"),
     "mask prompt (the object to find) is empty"),
    ("recolor: no colours", lambda: EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, PHOTO, mask_prompt="cup"),
     "description of the new colours is empty"),
    ("recolor: grow_mask 21", lambda: EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, PHOTO, mask_prompt="cup",
                                                  prompt="red", knobs={"grow_mask": 21}),
     "Grow the found area (px) must be between 0 and 20"),
    ("sketch: control_strength 1.2", lambda: variation(SKETCH, Task.CONTROL_SKETCH, knobs={"control_strength": 1.2}),
     "Control strength must be between 0 and 1"),
    ("structure: no prompt", lambda: variation(STRUCTURE, Task.CONTROL_STRUCTURE, prompt=" "), "The prompt is empty"),
    ("structure: a knob of another service", lambda: variation(STRUCTURE, Task.CONTROL_STRUCTURE,
                                                               knobs={"fidelity": 0.5}), "has no setting “fidelity”"),
    ("sketch: an unknown style preset", lambda: variation(SKETCH, Task.CONTROL_SKETCH, style_preset="sketchy"),
     "has no style preset “sketchy”"),
    ("style guide: 4:3", lambda: variation(STYLE_GUIDE, Task.STYLE_GUIDE, aspect_ratio="4:3"),
     "has no aspect ratio 4:3"),
    ("style guide: fidelity 2", lambda: variation(STYLE_GUIDE, Task.STYLE_GUIDE, knobs={"fidelity": 2}),
     "Style fidelity must be between 0 and 1"),
    ("style transfer: one image", lambda: variation(STYLE_TRANSFER, Task.STYLE_TRANSFER),
     "needs 2 images: photo (the content) and style image; it got 1"),
    ("style transfer: a style preset", lambda: variation(STYLE_TRANSFER, Task.STYLE_TRANSFER, (PHOTO, STYLE),
                                                         style_preset="anime"), "has no style preset “anime”"),
    ("style transfer: style_strength 1.5", lambda: variation(STYLE_TRANSFER, Task.STYLE_TRANSFER, (PHOTO, STYLE),
                                                             knobs={"style_strength": 1.5}),
     "Style strength must be between 0 and 1"),
    ("variation task on a control service", lambda: variation(SKETCH, Task.VARIATION), "can't do variation"),
    ("fast: a prompt", lambda: replace(upscale_request(FAST, PHOTO), prompt="sharp"), "takes no prompt"),
    ("conservative: no prompt", lambda: upscale_request(CONSERVATIVE, PHOTO), "description of the image is empty"),
    ("conservative: creativity 0.1", lambda: upscale_request(CONSERVATIVE, PHOTO, prompt="x", knobs={"creativity": 0.1}),
     "Creativity must be between 0.2 and 0.5"),
    ("creative: creativity 0.6", lambda: upscale_request(CREATIVE, PHOTO, prompt="x", knobs={"creativity": 0.6}),
     "Creativity must be between 0.1 and 0.5"),
    ("conservative: a style preset", lambda: replace(upscale_request(CONSERVATIVE, PHOTO, prompt="x"),
                                                     style_preset="enhance"), "has no style preset “enhance”"),
]


@pytest.mark.parametrize(("case", "build", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_bad_requests_are_refused_before_any_call(stub: StubbedBedrock, case: str, build, message: str) -> None:
    req = build()
    call = {VariationRequest: service.vary, EditRequest: service.edit}[type(req)]
    with pytest.raises((InvalidInput, errors.ModelUnavailable)) as info:
        call(req, EAST)
    assert message in info.value.message, info.value.message
    assert info.value.hint
    assert stub.sent == []


@pytest.mark.parametrize(("model_id", "size", "message", "instead"), [
    (FAST, (1025, 1024), "takes images of at most 1.0 megapixels; this one is 1025×1024 = 1.0 megapixels",
     "Stable Image Conservative Upscale"),
    (CREATIVE, (1600, 1200), "at most 1.0 megapixels; this one is 1600×1200 = 1.9 megapixels",
     "Stable Image Conservative Upscale"),
    (FAST, (31, 40), "needs at least 32 px on each side; this image is 31×40", None),
    (CONSERVATIVE, (60, 100), "needs at least 64 px on each side", "Stable Image Fast Upscale"),
    (FAST, (200, 60), "aspect ratios between 1:2.5 and 2.5:1", None),
    (CONSERVATIVE, (3100, 3100), "at most 9.4 megapixels; this one is 3100×3100 = 9.6 megapixels", None),
])
def test_an_upscaler_refuses_an_input_it_cant_take_and_names_one_that_can(
        stub: StubbedBedrock, model_id: str, size: tuple[int, int], message: str, instead: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        upscale(upscale_request(model_id, png(size), prompt="" if model_id == FAST else "a photo"), EAST)
    assert message in info.value.message
    if instead:
        assert info.value.hint == f"Use {instead} instead: it takes this image."
    else:
        assert info.value.hint == "No upscaler takes an image this size: download it, make it smaller, and upload it."
    assert stub.sent == []


def test_offers_show_price_and_output_size_and_the_cheapest_that_fits_is_suggested() -> None:
    small = {o.model.id: o for o in offers(1024, 768)}
    assert small[FAST].describe() == "1024×768 → 4096×3072 (4×) · $0.030"
    assert small[CONSERVATIVE].describe() == ("1024×768 → up to 4K, about 4096×3072 (the model picks the exact size)"
                                              " · $0.400")
    assert small[CREATIVE].output == (4096, 3072) and all(o.refusal is None for o in small.values())
    assert suggested(1024, 768).id == FAST
    big = {o.model.id: o for o in offers(2048, 1536)}
    assert big[FAST].refusal and big[CREATIVE].refusal and big[CONSERVATIVE].refusal is None
    assert big[CONSERVATIVE].output == (4096, 3072)  # never above 4K on the long side
    assert suggested(2048, 1536).id == CONSERVATIVE
    assert offers(4000, 2000)[1].output == (4096, 2048)
    assert offers(5000, 1000)[1].refusal  # beyond 2.5:1
    assert suggested(3100, 3100) is None
    assert refusal(get_model(FAST), 1024, 1024) is None and refusal(get_model(FAST), 32, 32) is None


def test_fast_upscale_prompt_use_and_the_other_upscalers_need_one() -> None:
    assert get_model(FAST).image.prompt_use is PromptUse.NOT_TAKEN
    assert upscale_request(FAST, PHOTO, prompt="ignored").prompt == ""
    assert service.prompt_required(get_model(CONSERVATIVE), Task.UPSCALE)
    assert not service.prompt_required(get_model(STYLE_TRANSFER), Task.STYLE_TRANSFER)
    assert service.prompt_required(get_model(SKETCH), Task.CONTROL_SKETCH)
    assert set(get_model(CREATIVE).image.style_presets) == set(STYLE_PRESETS) and len(STYLE_PRESETS) == 17
    assert not get_model(CONSERVATIVE).image.style_presets and not get_model(STYLE_TRANSFER).image.style_presets


def test_estimates_are_the_flat_price_per_image() -> None:
    assert service.estimate_cost(upscale_request(CREATIVE, PHOTO, prompt="x")) == pytest.approx(0.60)
    assert service.estimate_cost(variation(STYLE_TRANSFER, Task.STYLE_TRANSFER, (PHOTO, STYLE), count=2)) == \
        pytest.approx(0.16)


# --- History's replay keys ----------------------------------------------------------------------------------

def _old_fingerprint(req) -> str:
    """The fingerprint as it was computed before the services' fields existed."""
    data = {f.name: getattr(req, f.name) for f in fields(req) if f.name not in ADDED_LATER | {"seed", "task"}}
    data = {k: ("sha256:" + hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else
                [("sha256:" + hashlib.sha256(b).hexdigest()) if isinstance(b, bytes) else b for b in v]
                if isinstance(v, tuple) else v.value if isinstance(v, Task) else v) for k, v in data.items()}
    data["task"] = req.task.value
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def test_earlier_results_keep_their_replay_key_and_the_new_fields_count_when_set() -> None:
    sd35 = VariationRequest("stability.sd3-5-large-v1:0", (PHOTO,), "a watercolour", strength=0.5)
    inpaint = EditRequest("stability.stable-image-inpaint-v1:0", Task.INPAINT, PHOTO, mask=STYLE, prompt="a vase")
    assert request_fingerprint(sd35) == _old_fingerprint(sd35)
    assert request_fingerprint(inpaint) == _old_fingerprint(inpaint)
    sketch = variation(SKETCH, Task.CONTROL_SKETCH)
    assert request_fingerprint(sketch) != request_fingerprint(replace(sketch, knobs={"control_strength": 0.5}))
    assert request_fingerprint(sketch) != request_fingerprint(replace(sketch, style_preset="anime"))
    assert request_fingerprint(sketch) != request_fingerprint(replace(sketch, task=Task.CONTROL_STRUCTURE))
    guide = variation(STYLE_GUIDE, Task.STYLE_GUIDE)
    assert request_fingerprint(guide) != request_fingerprint(replace(guide, aspect_ratio="16:9"))


def test_the_style_image_is_kept_with_the_photo_in_the_request_history_records() -> None:
    described = variation(STYLE_TRANSFER, Task.STYLE_TRANSFER, (PHOTO, STYLE), knobs={"style_strength": 0.4}).describe()
    assert described["task"] == "style transfer" and described["knobs"] == {"style_strength": 0.4}
    assert len(described["images"]) == 2 and json.loads(json.dumps(described))["task"] == "style transfer"


def test_upscale_request_keeps_the_stored_image_as_it_is() -> None:
    data = png((300, 200))
    req = upscale_request(CONSERVATIVE, data, prompt="a garden", seed=9, output_format="webp")
    assert (req.task, req.image, req.seed, req.output_format, req.count) == (Task.UPSCALE, data, 9, "webp", 1)
    with Image.open(io.BytesIO(req.image)) as img:
        assert img.size == (300, 200)


def test_readiness_checks_the_new_services_in_the_labs_that_offer_them() -> None:
    from lib import readiness

    assert {SKETCH, STRUCTURE, STYLE_GUIDE, STYLE_TRANSFER} <= {m.id for m in readiness.lab_models(3)}
    assert RECOLOR in {m.id for m in readiness.lab_models(5)}
    smoke = readiness.smoke_request(get_model(RECOLOR))  # the instructor's test call: a valid recolour
    assert (smoke.task, smoke.mask_prompt) == (Task.RECOLOR_BY_PROMPT, "circle")
    service.validate_edit(smoke, get_model(RECOLOR))
