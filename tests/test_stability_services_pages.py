"""Stability's other Image Services end to end against the fake endpoint (tests/fake_bedrock.py, commit 1da61b9):
the service's answers, the Code view's scripts run again, and the pages: lab 3's kinds of variation, lab 5's
Search and Recolor, and Upscale under a lab's result and on History's entries (AppTest; jobs run inline)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lib.services.images as service
from fake_bedrock import (box_mask, creative_tint, edit_fill_colour, grow, mask_prompt_region, render_derived,
                          transfer_style, upscaled_size)
from lib.catalog import Task, get_model
from lib.codegen import image_bundle
from lib.generation.requests import (EditRequest, GenerationRequest, GenerationResult, ImageOutput,
                                     VariationRequest)
from lib.history import HistoryStore
from lib.services.upscale import upscale, upscale_request
from test_codegen import assert_clean, pixels, run_script
from test_pages import captions, errors, open_app, texts
from test_stability_services import (CONSERVATIVE, CREATIVE, FAST, RECOLOR, SKETCH, STRUCTURE, STYLE_GUIDE,
                                     STYLE_TRANSFER)

CORE = "stability.stable-image-core-v1:1"
LAB3, LAB5, HIST = "pages/3_image_variation.py", "pages/5_replace_object.py", "pages/history.py"


def scene(size: tuple[int, int] = (200, 160), seed: int = 0) -> Image.Image:
    """A photo-like RGB picture with structure (gradients and a square), so every service has something to keep."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([(x * 255 // max(1, w - 1)), (y * 255 // max(1, h - 1)), ((x + y + seed * 40) % 256)], axis=-1)
    arr[h // 3: 2 * h // 3, w // 3: 2 * w // 3] = (240, 240, 40)
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.fixture
def store(aws_env, isolated_env) -> HistoryStore:
    return HistoryStore(isolated_env / "data")


# --- the service against the fake's documented shapes ---------------------------------------------------------

def test_recolor_repaints_only_the_object_the_select_prompt_found(aws_env) -> None:
    photo = scene()
    req = EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, encoded(photo), mask_prompt="the yellow square",
                      prompt="glossy bright red", knobs={"grow_mask": 3}, seed=11)
    result = service.edit(req)
    (call,) = aws_env.calls
    assert call.model_id == f"us.{RECOLOR}" and call.body["select_prompt"] == "the yellow square"
    made = np.asarray(opened(result.images[0].data))
    area = grow(box_mask(200, 160, mask_prompt_region(200, 160)), 3)
    assert (made[area] == edit_fill_colour("glossy bright red", 11)).all()
    assert np.array_equal(made[~area], np.asarray(photo)[~area]), "everything else stays"


@pytest.mark.parametrize("model_id, task", [(SKETCH, Task.CONTROL_SKETCH), (STRUCTURE, Task.CONTROL_STRUCTURE)])
def test_control_services_answer_at_the_inputs_size(aws_env, model_id: str, task: Task) -> None:
    photo = scene((240, 180))
    result = service.vary(VariationRequest(model_id, (encoded(photo),), "a castle", task=task, seed=5))
    made = opened(result.images[0].data)
    assert made.size == (240, 180)
    assert np.array_equal(np.asarray(made), np.asarray(render_derived(photo, 240, 180, "a castle", 5, 0)))


def test_style_guide_answers_at_the_chosen_aspect_ratio(aws_env) -> None:
    result = service.vary(VariationRequest(STYLE_GUIDE, (encoded(scene()),), "a cat", task=Task.STYLE_GUIDE,
                                           aspect_ratio="9:16", seed=3))
    assert (result.images[0].width, result.images[0].height) == (768, 1344)


def test_style_transfer_paints_the_photo_in_the_styles_colours(aws_env) -> None:
    photo, style = scene(), Image.new("RGB", (96, 96), (220, 30, 30))
    result = service.vary(VariationRequest(STYLE_TRANSFER, (encoded(photo), encoded(style)), task=Task.STYLE_TRANSFER,
                                           seed=8))
    assert set(aws_env.calls[0].body) >= {"init_image", "style_image"} and "image" not in aws_env.calls[0].body
    assert np.array_equal(np.asarray(opened(result.images[0].data)), np.asarray(transfer_style(photo, style)))


def test_fast_upscale_is_exactly_four_times(aws_env) -> None:
    photo = scene((100, 80))
    result = upscale(upscale_request(FAST, encoded(photo)), source="a test photo")
    made = opened(result.images[0].data)
    assert made.size == (400, 320) == get_model(FAST).image.upscaling.size(100, 80)
    assert np.array_equal(np.asarray(made), np.repeat(np.repeat(np.asarray(photo), 4, axis=0), 4, axis=1))
    assert result.notes[0] == "Upscaled from a test photo: 100×80 → 400×320."


def test_conservative_and_creative_upscale_as_the_catalog_expects(aws_env) -> None:
    photo = scene((200, 160))
    conservative = upscale(upscale_request(CONSERVATIVE, encoded(photo), prompt="sharp", seed=4))
    creative = upscale(upscale_request(CREATIVE, encoded(photo), prompt="sharp", seed=4))
    expected = get_model(CONSERVATIVE).image.upscaling.size(200, 160)
    assert expected == upscaled_size(200, 160) == (800, 640)
    resized = photo.resize(expected, Image.Resampling.BICUBIC)
    assert np.array_equal(np.asarray(opened(conservative.images[0].data)), np.asarray(resized))
    assert np.array_equal(np.asarray(opened(creative.images[0].data)), np.asarray(creative_tint(resized, "sharp", 4)))


# --- the Code view: the same request as a script, run again ------------------------------------------------------

def _entry(store: HistoryStore, lab: str, result: GenerationResult, inputs: list[bytes]):
    return store.record(result, lab=lab, inputs=inputs, asked=result.request)


@pytest.mark.parametrize("case", ["style transfer", "recolor", "fast upscale", "conservative upscale"])
def test_code_view_scripts_make_the_same_image(case: str, store, aws_env, tmp_path: Path) -> None:
    photo = encoded(scene((160, 128), seed=2))
    style = encoded(Image.new("RGB", (96, 96), (30, 60, 220)))
    if case == "style transfer":
        req = VariationRequest(STYLE_TRANSFER, (photo, style), "ink", task=Task.STYLE_TRANSFER, seed=6,
                               knobs={"style_strength": 0.6})
        entry, lab = _entry(store, "lab3", service.vary(req), [photo, style]), "lab3"
    elif case == "recolor":
        req = EditRequest(RECOLOR, Task.RECOLOR_BY_PROMPT, photo, mask_prompt="square", prompt="blue", seed=6)
        entry, lab = _entry(store, "lab5", service.edit(req), [photo]), "lab5"
    else:
        model_id = FAST if case == "fast upscale" else CONSERVATIVE
        req = upscale_request(model_id, photo, prompt="a scene", seed=6)
        entry, lab = _entry(store, "lab2", upscale(req, source="a photo"), [photo]), "lab2"
    bundle = image_bundle(entry)
    assert bundle.notes == [] and bundle.lab == lab  # the rebuilt body is the body History kept
    code = bundle.script("boto3")
    assert_clean(code)
    assert f'MODEL_ID = "us.{entry.model_id}"' in code
    if case == "style transfer":
        assert set(bundle.files()) == {"input.png", "input-2.png"}
        assert '"init_image": b64_file("input.png")' in code and '"style_image": b64_file("input-2.png")' in code
    app_bodies = [json.dumps(c.body, sort_keys=True) for c in aws_env.calls]
    folder = run_script(bundle, "boto3", tmp_path / "run", aws_env.url)
    assert json.dumps(aws_env.calls[-1].body, sort_keys=True) in app_bodies  # the app's body, sent again
    made = next(folder.glob("output-1.*"))
    assert np.array_equal(pixels(made.read_bytes()), pixels(entry.outputs[0].read_bytes()))


# --- pages ------------------------------------------------------------------------------------------------------

def test_lab3_offers_the_kinds_and_a_sketch_runs_control_sketch(aws_env) -> None:
    at = open_app(LAB3)
    kinds = at.radio(key="lab3_task")
    assert kinds.options == ["Similar images", "From a sketch", "From the structure", "In this style",
                             "Style transfer"]
    assert "Keeps the input's subject and look" in texts(at)
    kinds.set_value(Task.CONTROL_SKETCH).run()
    assert at.selectbox(key="lab3_model").value == SKETCH
    assert "Keeps the sketch's lines" in texts(at)
    assert at.slider(key=f"lab3_{SKETCH}_control_strength").value == 0.7
    assert not [r for r in at.radio if r.key == "lab3_style_source"], "one image only"
    at.text_input(key="lab3_prompt").input("a stone castle at dusk").run()
    at.slider(key=f"lab3_{SKETCH}_control_strength").set_value(0.4).run()
    at.selectbox(key=f"lab3_{SKETCH}_style_preset").set_value("line-art").run()
    at.button(key="lab3_go").click().run()
    assert errors(at) == "" and not at.exception
    (call,) = aws_env.calls
    assert call.model_id == f"us.{SKETCH}"
    assert (call.body["control_strength"], call.body["style_preset"]) == (0.4, "line-art")
    assert any("Stable Image Control Sketch" in c and "Seed" in c for c in captions(at))


def test_lab3_style_transfer_asks_for_a_style_image_and_shows_its_three_knobs(aws_env) -> None:
    at = open_app(LAB3)
    at.radio(key="lab3_task").set_value(Task.STYLE_TRANSFER).run()
    assert at.selectbox(key="lab3_model").value == STYLE_TRANSFER
    assert "Keeps the content of the first image and the style of the second" in texts(at)
    assert at.radio(key="lab3_style_source").value == "Sample photos", "a second image, for the style"
    assert [s.label for s in at.slider] == ["Style strength", "Composition fidelity", "Change strength"]
    assert "Optional for Stable Image Style Transfer." in [t.help for t in at.text_input if t.key == "lab3_prompt"]
    at.button(key="lab3_go").click().run()  # no prompt: Style Transfer does not need one
    assert errors(at) == "" and not at.exception
    body = aws_env.calls[-1].body
    assert body["init_image"] != body["style_image"] and "prompt" not in body
    assert (body["style_strength"], body["composition_fidelity"], body["change_strength"]) == (1.0, 0.9, 0.9)


def test_lab3_style_guide_chooses_an_aspect_ratio(aws_env) -> None:
    at = open_app(LAB3)
    at.radio(key="lab3_task").set_value(Task.STYLE_GUIDE).run()
    at.selectbox(key=f"lab3_{STYLE_GUIDE}_aspect").set_value("16:9").run()
    at.text_input(key="lab3_prompt").input("a lighthouse").run()
    at.button(key="lab3_go").click().run()
    assert errors(at) == ""
    assert (aws_env.calls[-1].body["aspect_ratio"], aws_env.calls[-1].body["fidelity"]) == ("16:9", 0.5)


def test_lab3_reuse_from_history_opens_the_same_kind(aws_env, store) -> None:
    at = open_app(LAB3)
    at.radio(key="lab3_task").set_value(Task.CONTROL_STRUCTURE).run()
    at.text_input(key="lab3_prompt").input("a glass house").run()
    at.slider(key=f"lab3_{STRUCTURE}_control_strength").set_value(0.25).run()
    at.button(key="lab3_go").click().run()
    hist = open_app(HIST)
    hist.button(key=next(b.key for b in hist.button if b.label == "Reuse in Lab 3")).click().run()
    hist.switch_page(LAB3).run()
    assert hist.radio(key="lab3_task").value == Task.CONTROL_STRUCTURE
    assert hist.selectbox(key="lab3_model").value == STRUCTURE
    assert hist.slider(key=f"lab3_{STRUCTURE}_control_strength").value == 0.25


def test_lab5_recolor_sends_select_prompt_and_switching_back_keeps_each_prompt(aws_env) -> None:
    at = open_app(LAB5)
    assert at.radio(key="lab5_task").options == ["Replace or remove", "Recolor"]
    at.radio(key="lab5_task").set_value(Task.RECOLOR_BY_PROMPT).run()
    assert at.selectbox(key="lab5_model").value == RECOLOR
    assert at.text_area(key="lab5_prompt").value == "glossy bright red"
    assert at.text_area(key="lab5_prompt").label.startswith("Its new colours")
    assert at.text_input(key="lab5_object").label == "Object to find"
    assert at.button(key="lab5_go").label == "Recolor"
    assert at.slider(key=f"lab5_{RECOLOR}_grow_mask").value == 5
    assert "Finds the object named by its select prompt and recolours it" in texts(at)
    at.slider(key=f"lab5_{RECOLOR}_grow_mask").set_value(2).run()
    at.button(key="lab5_go").click().run()
    assert errors(at) == "" and not at.exception
    (call,) = aws_env.calls
    assert call.model_id == f"us.{RECOLOR}"
    assert call.body["select_prompt"] == "coffee cup" and call.body["prompt"] == "glossy bright red"
    assert call.body["grow_mask"] == 2 and "search_prompt" not in call.body
    assert any("Stable Image Search and Recolor" in c for c in captions(at))
    at.radio(key="lab5_task").set_value(Task.INPAINT_BY_PROMPT).run()
    assert at.text_area(key="lab5_prompt").value == "a cup of green tea"
    assert at.button(key="lab5_go").label == "Replace"
    at.radio(key="lab5_task").set_value(Task.RECOLOR_BY_PROMPT).run()
    assert at.text_area(key="lab5_prompt").value == "glossy bright red"


def test_lab5_recolor_without_colours_is_refused_before_a_call(aws_env) -> None:
    at = open_app(LAB5)
    at.radio(key="lab5_task").set_value(Task.RECOLOR_BY_PROMPT).run()
    at.text_area(key="lab5_prompt").input("").run()
    at.button(key="lab5_go").click().run()
    assert "The description of the new colours is empty" in errors(at)
    assert aws_env.calls == []


def _small_result(store: HistoryStore, size: tuple[int, int] = (256, 192), prompt: str = "a red fox") -> str:
    """A lab 2 result in History (as the lab records it), small enough to upscale quickly."""
    data = encoded(scene(size))
    request = GenerationRequest(CORE, prompt, seed=7)
    result = GenerationResult(model=get_model(CORE), request=request,
                              images=[ImageOutput(data, "png", 7, *size)], latency_s=1.0, cost_usd=0.04,
                              region="us-west-2", request_body={"prompt": prompt, "seed": 7})
    return store.record(result, "lab2").id


def test_history_upscale_makes_a_new_entry_linked_to_its_source(aws_env, store) -> None:
    source_id = _small_result(store)
    at = open_app(HIST)
    model = at.selectbox(key=f"hist_{source_id}_up_model")
    assert model.value == FAST, "the cheapest upscaler that takes the image"
    assert "256×192 → 1024×768 (4×) · $0.030" in texts(at)
    assert at.button(key=f"hist_{source_id}_up_go").label == "Upscale · $0.03"
    model.set_value(CONSERVATIVE).run()
    assert "256×192 → up to 4K, about 1024×768 (the model picks the exact size) · $0.400" in texts(at)
    assert at.text_input(key=f"hist_{source_id}_up_prompt_{CONSERVATIVE}").value == "a red fox"
    assert at.slider(key=f"hist_{source_id}_up_{CONSERVATIVE}_creativity").value == 0.35
    at.selectbox(key=f"hist_{source_id}_up_model").set_value(FAST).run()
    at.button(key=f"hist_{source_id}_up_go").click().run()
    assert not at.exception and errors(at) == ""
    (call,) = aws_env.calls
    assert call.model_id == f"us.{FAST}" and set(call.body) == {"image", "output_format"}
    newest = store.recent(1)[0]
    assert newest.id != source_id and newest.task == "upscale" and newest.lab == "lab2"
    assert (newest.outputs[0].width, newest.outputs[0].height) == (1024, 768)
    assert newest.inputs[0].read_bytes() == store.get(source_id).outputs[0].read_bytes()
    assert newest.notes[0].startswith("Upscaled from the Lab 2 result “a red fox” (Stable Image Core, seed 7")
    assert newest.notes[0].endswith(f"History entry {source_id}): 256×192 → 1024×768.")
    assert newest.cost_usd == pytest.approx(0.03)
    assert "Upscaled to 1024×768 with Stable Image Fast Upscale" in "\n".join(s.value for s in at.success)
    at.run()  # History lists the new entry first, with its source named and no "Reuse in Lab 2"
    assert any(m.value == "**Upscaled**" for m in at.markdown)
    assert any(c.value.startswith("Upscaled from the Lab 2 result") for c in at.caption)
    assert f"hist_reuse_{newest.id}" not in [b.key for b in at.button]
    assert f"hist_reuse_{source_id}" in [b.key for b in at.button]


def test_history_refuses_an_image_too_big_for_fast_and_offers_conservative(aws_env, store) -> None:
    source_id = _small_result(store, (1280, 960), prompt="a harbour")
    at = open_app(HIST)
    model = at.selectbox(key=f"hist_{source_id}_up_model")
    assert model.value == CONSERVATIVE, "Fast takes at most 1 megapixel: the cheapest that fits is offered"
    model.set_value(FAST).run()
    assert at.button(key=f"hist_{source_id}_up_go").disabled
    assert any("takes images of at most 1.0 megapixels; this one is 1280×960 = 1.2 megapixels" in w.value
               for w in at.warning)
    at.button(key=f"hist_{source_id}_up_better").click().run()
    assert at.selectbox(key=f"hist_{source_id}_up_model").value == CONSERVATIVE
    assert not at.button(key=f"hist_{source_id}_up_go").disabled
    assert aws_env.calls == []


def test_a_failed_upscale_from_history_says_why_and_keeps_the_source(aws_env, store) -> None:
    source_id = _small_result(store)
    at = open_app(HIST)
    aws_env.fail_next("throttle")
    at.button(key=f"hist_{source_id}_up_go").click().run()
    assert "Bedrock is throttling requests" in errors(at)
    assert [e.id for e in store.recent()] == [source_id]


def test_upscale_under_a_lab_result_shows_the_new_entry_in_that_lab(aws_env, store) -> None:
    at = open_app(LAB5)
    at.radio(key="lab5_task").set_value(Task.RECOLOR_BY_PROMPT).run()
    at.button(key="lab5_go").click().run()
    (recolored,) = store.recent()
    key = f"lab5_run{recolored.id}_{recolored.outputs[0].id}"
    w, h = recolored.outputs[0].width, recolored.outputs[0].height
    assert at.selectbox(key=f"{key}_up_model").value == (FAST if w * h <= 1_048_576 else CONSERVATIVE)
    at.selectbox(key=f"{key}_up_model").set_value(CONSERVATIVE).run()
    at.text_input(key=f"{key}_up_prompt_{CONSERVATIVE}").input("a coffee cup, glossy red").run()
    at.button(key=f"{key}_up_go").click().run()
    assert errors(at) == "" and not at.exception
    assert aws_env.calls[-1].model_id == f"us.{CONSERVATIVE}"
    assert aws_env.calls[-1].body["prompt"] == "a coffee cup, glossy red"
    newest = store.recent(1)[0]
    assert newest.task == "upscale" and newest.lab == "lab5"
    assert any("Stable Image Conservative Upscale" in c for c in captions(at)), "the lab shows it as its newest run"
