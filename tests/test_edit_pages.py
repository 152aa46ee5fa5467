"""AppTest for the editing labs 4–7 against the fake endpoint (which keeps pixels outside the repainted area)."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from conftest import png_bytes
from test_pages import captions, errors, open_app

LAB4, LAB5, LAB6, LAB7 = ("pages/4_masking.py", "pages/5_replace_object.py", "pages/6_replace_background.py",
                          "pages/7_inpainting.py")
TITAN_V2 = "amazon.titan-image-generator-v2:0"


def infos(at) -> str:
    return "\n".join(i.value for i in at.info)


def b64_array(text: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))))


def place_cup(at, key: str):
    at.radio(key=f"{key}_mask_method").set_value("Rectangles").run()
    at.multiselect(key=f"{key}_mask_presets").set_value(["Cup of coffee"]).run()
    return at


def test_lab7_placed_rectangle_inpaints_only_that_area(aws_env):
    at = open_app(LAB7)
    at.selectbox(key="lab7_suggestion").set_value("A sleeping cat").run()
    assert at.text_input(key="lab7_prompt").value == "A sleeping cat"
    place_cup(at, "lab7")
    assert any("inpainting repaints the marked area" in c for c in captions(at))
    at.button(key="lab7_go").click().run()
    assert errors(at) == ""
    (call,) = aws_env.calls
    assert call.model_id == "us.stability.stable-image-inpaint-v1:0"
    mask = b64_array(call.body["mask"])
    h, w = mask.shape
    assert mask[int(h * 0.3), int(w * 0.5)] == 255 and mask[h - 2, 2] == 0  # white = the cup, to change
    assert any("Stable Image Inpaint" in c and "Seed" in c for c in captions(at))


def test_lab7_empty_prompt_erases_with_erase_object(aws_env):
    at = place_cup(open_app(LAB7), "lab7")
    at.button(key="lab7_go").click().run()
    assert errors(at) == ""
    assert aws_env.calls[-1].model_id == "us.stability.stable-image-erase-object-v1:0"
    assert "prompt" not in aws_env.calls[-1].body


def test_lab7_without_a_mask_says_so_before_calling(aws_env):
    at = open_app(LAB7)
    at.text_input(key="lab7_prompt").input("A stool").run()
    assert "Nothing is marked yet" in infos(at)
    at.button(key="lab7_go").click().run()
    assert "marks nothing" in errors(at) and aws_env.calls == []


def test_lab7_uploaded_alpha_mask_is_repaired_with_a_message(aws_env):
    at = open_app(LAB7)
    at.radio(key="lab7_mask_method").set_value("Mask file").run()
    # The coffee photo is fitted to 600×400 for Stability; a same-size mask drawn in its alpha channel:
    mask = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    mask.paste((0, 0, 0, 255), (200, 50, 400, 250))
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    at.file_uploader(key="lab7_mask_file").set_value(("mask.png", buf.getvalue(), "image/png")).run()
    assert "Removed the alpha channel" in infos(at)
    assert any("17% of the image" in c for c in captions(at))


def test_lab7_wrong_size_mask_names_both_sizes(aws_env):
    at = open_app(LAB7)
    at.radio(key="lab7_mask_method").set_value("Mask file").run()
    at.file_uploader(key="lab7_mask_file").set_value(("m.png", png_bytes((64, 64), (0, 0, 0)), "image/png")).run()
    assert "64×64 but the image is 600×400" in errors(at)


COZY = "A cup of coffee on a table in a cozy living room"  # an example that keeps the cup (lib/presets.py)


def lab4_keeping_the_cup(model_id: str):
    """Lab 4 set to outpaint around the placed cup (the cozy-room example) with `model_id`."""
    at = open_app(LAB4)
    at.selectbox(key="lab4_example").set_value(COZY).run()
    at.radio(key="lab4_painting").set_value("OUTPAINTING").run()
    at.selectbox(key="lab4_model").set_value(model_id).run()
    return place_cup(at, "lab4")


def test_lab4_overlay_follows_the_painting_mode_and_titan_gets_black(aws_env):
    at = lab4_keeping_the_cup(TITAN_V2)
    assert any("outpainting keeps the marked area and repaints the rest" in c for c in captions(at))
    at.button(key="lab4_go").click().run()
    assert errors(at) == ""
    body = aws_env.calls[-1].body
    assert body["taskType"] == "OUTPAINTING" and body["outPaintingParams"]["text"] == COZY
    mask = b64_array(body["outPaintingParams"]["maskImage"])
    h, w = mask.shape[:2]
    assert tuple(mask[int(h * 0.3), int(w * 0.5)]) == (0, 0, 0)  # black = the masked (kept) cup


def test_lab4_prompt_mode_sends_a_mask_prompt(aws_env):
    at = open_app(LAB4)
    at.radio(key="lab4_masking").set_value("Prompt").run()
    at.selectbox(key="lab4_model").set_value(TITAN_V2).run()
    at.text_input(key="lab4_mask_prompt").input("cup").run()
    at.text_area(key="lab4_prompt").input("embedded fireplace").run()
    at.button(key="lab4_go").click().run()
    params = aws_env.calls[-1].body["inPaintingParams"]
    assert params["maskPrompt"] == "cup" and "maskImage" not in params


def test_lab5_replace_uses_search_and_replace_and_removal_explains_the_models(aws_env):
    at = open_app(LAB5)
    assert at.text_input(key="lab5_object").value == "coffee cup"
    at.button(key="lab5_go").click().run()
    assert errors(at) == ""
    body = aws_env.calls[-1].body
    assert aws_env.calls[-1].model_id == "us.stability.stable-image-search-replace-v1:0"
    assert body["search_prompt"] == "coffee cup" and body["prompt"] == "a cup of green tea"
    at.text_area(key="lab5_prompt").input("").run()
    # Removal by name runs on a model you can call today (Nova 2 Omni, asked in words), no longer only on retired ones.
    assert at.selectbox(key="lab5_model").value == "amazon.nova-2-omni-v1:0"
    assert "No model you can call on Bedrock today" not in infos(at)
    assert at.button(key="lab5_go").label == "Remove"


def test_lab6_compare_runs_default_and_precise_with_one_seed(aws_env):
    at = open_app(LAB6)
    at.selectbox(key="lab6_model").set_value(TITAN_V2).run()
    at.button(key="lab6_compare_go").click().run()
    assert errors(at) == ""
    bodies = [c.body for c in aws_env.calls]
    assert [b["outPaintingParams"]["outPaintingMode"] for b in bodies] == ["DEFAULT", "PRECISE"]
    assert bodies[0]["imageGenerationConfig"]["seed"] == bodies[1]["imageGenerationConfig"]["seed"]
    assert bodies[0]["outPaintingParams"]["maskPrompt"] == "A car"
    assert any(m.value == "#### DEFAULT" for m in at.markdown) and any(m.value == "#### PRECISE" for m in at.markdown)
    seed = bodies[0]["imageGenerationConfig"]["seed"]
    shown = [c for img in at.image for c in img.captions]
    assert f"DEFAULT · Seed {seed} · Titan Image Generator G1 v2" in shown and any(c.startswith("PRECISE · Seed") for c in shown)
    earlier = [e.label for e in at.expander if e.label.startswith("Earlier")]
    assert earlier and "DEFAULT" in earlier[0]  # the earlier of the two runs says which mode it was


def test_lab6_refusal_suggests_the_workshop_rewrite(aws_env):
    at = open_app(LAB6)
    aws_env.fail_next("filter_input")
    at.selectbox(key="lab6_model").set_value(TITAN_V2).run()
    at.button(key="lab6_go").click().run()
    assert "content filter" in errors(at)
    assert "“House” and description “House at a beach”" in infos(at)


def test_lab4_extend_keeps_the_original_pixels_in_a_bigger_canvas(aws_env):
    at = open_app(LAB4)
    at.button(key="lab4_extend_go").click().run()
    assert errors(at) == ""
    call = aws_env.calls[-1]
    assert call.model_id == "us.stability.stable-outpaint-v1:0"
    assert call.body["left"] == 128 and call.body["right"] == 128
    assert any("Stable Image Outpaint" in c and "Seed" in c for c in captions(at))


def test_edit_result_keeps_every_pixel_outside_the_mask(aws_env):
    """End to end through lib: the fake repaints only what the mask marks, so this proves the region sent."""
    import lib.services.images as service
    from lib import masks
    from lib.catalog import Task
    from lib.generation.requests import EditRequest

    photo = Image.effect_noise((320, 320), 60).convert("RGB")
    buf = io.BytesIO()
    photo.save(buf, "PNG")
    selection = masks.rectangle((320, 320), 40, 60, 100, 80)
    sel_buf = io.BytesIO()
    selection.save(sel_buf, "PNG")
    for model_id in (TITAN_V2, "stability.stable-image-inpaint-v1:0"):
        result = service.edit(EditRequest(model_id=model_id, task=Task.INPAINT, image=buf.getvalue(),
                                          mask=sel_buf.getvalue(), prompt="a stool", outpainting_mode="PRECISE",
                                          seed=5))
        out = np.asarray(Image.open(io.BytesIO(result.images[0].data)).convert("RGB"))
        inside = np.asarray(selection) == 255
        assert (out[~inside] == np.asarray(photo)[~inside]).all(), model_id
        assert (out[inside] != np.asarray(photo)[inside]).any(), model_id


def test_lab7_mask_for_the_original_upload_is_fitted_with_the_photo(aws_env):
    at = open_app(LAB7)
    at.radio(key="lab7_input_source").set_value("Upload").run()
    at.file_uploader(key="lab7_input_upload").set_value(
        ("wide.png", png_bytes((5000, 1600), (90, 90, 200)), "image/png")).run()
    assert "Cropped from 5000×1600" in infos(at)
    at.radio(key="lab7_mask_method").set_value("Mask file").run()
    mask = Image.new("L", (5000, 1600), 255)
    mask.paste(0, (0, 0, 2500, 1600))
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    at.file_uploader(key="lab7_mask_file").set_value(("mask.png", buf.getvalue(), "image/png")).run()
    assert "Fitted the mask together with the photo: 5000×1600" in infos(at)
    assert any("(50% of the image)" in c for c in captions(at))
