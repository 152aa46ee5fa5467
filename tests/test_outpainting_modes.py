"""Lab 6's lesson on live models (issue 15): DEFAULT vs PRECISE, measured as pixels changed inside the kept object.

Unit tests of the measurement and the mask band (lib/masks.py), the Stability bodies of each mode and the
put-back that makes PRECISE exact whatever the model returns (botocore Stubber), and the whole path through the
fake endpoint: Remove Background, Inpaint, the note History keeps and the number lab 6 reads back.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

import lib.services.images as service
from lib import masks
from lib.catalog import Task, get_model
from lib.engines.registry import engine_for
from lib.errors import InvalidInput
from lib.generation.requests import EditRequest
from lib.history import HistoryStore
from lib.services.calls import compare_work
from lib.services.outpainting import (KEPT_LABEL, kept_change_in, kept_note, kept_note_in, mask_prompt_reason,
                                      outpainting_mode_help, outpainting_modes, uses_mask_prompt)
from stub_support import StubbedBedrock, b64png, stub  # noqa: F401  (stub is a fixture)
from test_edit_bodies import EAST, INPAINT, REMOVE_BG, SIZE, TITAN_V2

OMNI = "amazon.nova-2-omni-v1:0"
BOX = (100, 60, 120, 100)  # x, y, w, h of the kept object


def noise_photo(size: tuple[int, int] = SIZE) -> Image.Image:
    return Image.effect_noise(size, 80).convert("RGB").point(lambda v: min(200, v))  # never pure white


def png_of(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def kept_selection() -> Image.Image:
    return masks.rectangle(SIZE, *BOX)


def decoded(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


# --- the measurement and the mask band (pure) ---------------------------------------------------------------


def test_kept_pixels_changed_counts_only_the_kept_area_and_ignores_small_drift():
    photo = noise_photo()
    result = np.asarray(photo).astype(int)
    result[:, :50] = 255 - result[:, :50]  # outside the kept box: never counted
    result[60:70, 100:220] = np.clip(result[60:70, 100:220] + 100, 0, 255)  # 10 rows of the box: counted
    result[100:160, 100:220] = np.clip(result[100:160, 100:220] + 10, 0, 255)  # drift under the tolerance
    change = masks.kept_pixels_changed(photo, Image.fromarray(result.astype(np.uint8)), kept_selection())
    assert change.total == 120 * 100
    moved = np.abs(np.clip(np.asarray(photo)[60:70, 100:220].astype(int) + 100, 0, 255)
                   - np.asarray(photo)[60:70, 100:220]).max(axis=2) > masks.CHANGE_TOLERANCE
    assert change.changed == int(moved.sum()) and change.changed > 1000
    assert change.share == pytest.approx(change.changed / 12_000)
    assert masks.kept_pixels_changed(photo, photo, kept_selection()).changed == 0


def test_kept_pixels_changed_resizes_a_result_of_another_size():
    photo = Image.new("RGB", SIZE, (40, 80, 120))
    bigger = Image.new("RGB", (640, 640), (40, 80, 120))
    assert masks.kept_pixels_changed(photo, bigger, kept_selection()) == masks.KeptChange(0, 12_000)
    other = Image.new("RGB", (640, 640), (200, 10, 10))
    assert masks.kept_pixels_changed(photo, other, kept_selection()).changed == 12_000


def test_put_back_restores_the_kept_area_exactly_and_keeps_the_rest_of_the_result():
    photo = noise_photo()
    made = Image.new("RGB", SIZE, (0, 200, 0))
    restored = np.asarray(masks.put_back(photo, made, kept_selection()))
    x, y, w, h = BOX
    assert (restored[y:y + h, x:x + w] == np.asarray(photo)[y:y + h, x:x + w]).all()
    outside = np.ones(SIZE[::-1], bool)
    outside[y:y + h, x:x + w] = False
    assert (restored[outside] == (0, 200, 0)).all()
    assert masks.kept_pixels_changed(photo, Image.fromarray(restored), kept_selection()).changed == 0


def test_reach_into_fades_from_the_edge_into_the_kept_area():
    change = masks.invert(kept_selection())  # outpainting: everything but the box changes
    band = np.asarray(masks.reach_into(change, 16)).astype(int)
    x, y, w, h = BOX
    assert (band[np.asarray(change) == 255] == 255).all()  # the area to change stays fully white
    row = band[y + h // 2, x:x + 20]  # from the box's left edge inwards
    assert row[0] > 200 and row[15] < 30 and (row[16:] == 0).all()
    assert all(a >= b for a, b in zip(row, row[1:]))  # strength falls, never rises, inwards
    assert (band[y + 20:y + h - 20, x + 20:x + w - 20] == 0).all()  # the object's core is black (kept)
    assert masks.reach_into(change, 0) is change


def test_the_note_says_the_number_and_reads_back():
    change = masks.KeptChange(12_345, 67_890)
    note = kept_note(change)
    assert note.startswith(f"{KEPT_LABEL}: 12,345 of 67,890 (18.2%;")
    assert kept_change_in(["Remove Background found…", note]) == change
    assert kept_note_in(["x", note]) == note
    assert kept_change_in([f"{KEPT_LABEL}: not measured. Titan found the object itself."]) is None
    assert kept_change_in([]) is None


# --- what each engine says (pages read it; never a family) ---------------------------------------------------


def test_modes_and_mask_prompts_come_from_the_engine():
    stability, titan, omni = get_model(INPAINT), get_model(TITAN_V2), get_model(OMNI)
    assert outpainting_modes(stability) == outpainting_modes(titan) == ("DEFAULT", "PRECISE")
    assert outpainting_modes(omni) == ()
    assert "put" in outpainting_mode_help(stability, "PRECISE") and "grow_mask 0" in \
        outpainting_mode_help(stability, "PRECISE")
    assert "grow_mask 20" in outpainting_mode_help(stability, "DEFAULT")
    assert "outPaintingMode PRECISE" in outpainting_mode_help(titan, "PRECISE")
    assert not uses_mask_prompt(stability, Task.OUTPAINT_BY_PROMPT)
    assert "can't be told which object to keep" in mask_prompt_reason(stability, Task.OUTPAINT_BY_PROMPT)
    assert uses_mask_prompt(titan, Task.OUTPAINT_BY_PROMPT) and uses_mask_prompt(omni, Task.OUTPAINT_BY_PROMPT)
    assert uses_mask_prompt(get_model("stability.stable-image-search-replace-v1:0"), Task.INPAINT_BY_PROMPT)
    assert not uses_mask_prompt(titan, Task.OUTPAINT)  # a drawn mask: there are no words to use


def test_an_unknown_mode_is_refused_before_any_call(stub: StubbedBedrock):
    with pytest.raises(InvalidInput, match="DEFAULT or PRECISE"):
        service.edit(EditRequest(model_id=INPAINT, task=Task.OUTPAINT, image=png_of(noise_photo()),
                                 mask=png_of(kept_selection()), prompt="a beach", outpainting_mode="EXACT"), EAST)
    assert stub.sent == []


# --- Stability: the bodies of the two modes, and PRECISE's put-back ----------------------------------------


def outpaint(mode: str, **extra) -> EditRequest:
    return EditRequest(model_id=INPAINT, task=Task.OUTPAINT, image=png_of(noise_photo()),
                       mask=png_of(kept_selection()), prompt="a beach", outpainting_mode=mode, seed=9, **extra)


def stability_flat(colour=(0, 220, 0)) -> dict:
    """An answer that repainted EVERYTHING (a model may touch the area it was told to keep)."""
    return {"seeds": [9], "finish_reasons": [None], "images": [b64png(SIZE, colour)]}


def test_stability_default_reaches_into_the_object_with_a_soft_band_and_grows_20(stub: StubbedBedrock):
    stub.add_json("us-east-1", stability_flat())
    result = service.edit(outpaint("DEFAULT"), EAST)
    body = stub.sent[0].body
    assert body["grow_mask"] == 20
    mask = decoded(body["mask"]).astype(int)
    x, y, w, h = BOX
    assert mask[5, 5] == 255  # the background: repainted at full strength
    edge = mask[y + h // 2, x:x + 17]
    assert 0 < edge[8] < 255 and edge[0] > edge[8] > edge[15]  # grey = partial, fading into the object
    assert mask[y + h // 2, x + w // 2] == 0  # the object's core: kept
    # Nothing was put back: the model's answer stands, and the note counts the kept pixels it changed.
    assert (pixels(result.images[0].data) == (0, 220, 0)).all()
    change = kept_change_in(result.notes)
    assert change is not None and change.total == 12_000 and change.changed > 11_000
    assert any(n.startswith("DEFAULT: the mask reached 16 px") for n in result.notes)


def test_stability_precise_keeps_every_kept_pixel_whatever_the_model_returned(stub: StubbedBedrock):
    stub.add_json("us-east-1", stability_flat())
    req = outpaint("PRECISE", output_format="jpeg")
    result = service.edit(req, EAST)
    body = stub.sent[0].body
    assert body["grow_mask"] == 0 and body["output_format"] == "jpeg"
    assert set(np.unique(decoded(body["mask"]))) == {0, 255}  # a hard edge
    out = pixels(result.images[0].data)
    photo = pixels(req.image)
    x, y, w, h = BOX
    assert (out[y:y + h, x:x + w] == photo[y:y + h, x:x + w]).all()  # the kept object: exactly the photo
    assert (out[:y] == (0, 220, 0)).all()  # the rest: what the model painted
    assert result.images[0].format == "png"  # saved losslessly, so the kept pixels stay exact
    assert kept_change_in(result.notes) == masks.KeptChange(0, 12_000)
    assert any("put the kept object's original pixels back" in n for n in result.notes)
    assert any("Saved as PNG, not JPEG" in n for n in result.notes)


def test_stability_inpainting_is_unchanged_by_the_outpainting_modes(stub: StubbedBedrock):
    stub.add_json("us-east-1", stability_flat())
    result = service.edit(EditRequest(model_id=INPAINT, task=Task.INPAINT, image=png_of(noise_photo()),
                                      mask=png_of(kept_selection()), prompt="a stool", seed=3), EAST)
    assert stub.sent[0].body["grow_mask"] == 5  # Stability's own default
    assert set(np.unique(decoded(stub.sent[0].body["mask"]))) == {0, 255}
    assert not any(KEPT_LABEL in n for n in result.notes)  # nothing is kept, so nothing is measured


def test_stability_background_precise_puts_back_the_subject_remove_background_found(stub: StubbedBedrock):
    cutout = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    cutout.paste((200, 10, 10, 255), BOX[:2] + (BOX[0] + BOX[2], BOX[1] + BOX[3]))
    stub.add_json("us-east-1", {"seeds": [0], "finish_reasons": [None],
                                "images": [base64.b64encode(png_of(cutout)).decode()]})
    stub.add_json("us-east-1", stability_flat((250, 0, 250)))
    photo = png_of(noise_photo())
    result = service.edit(EditRequest(model_id=INPAINT, task=Task.OUTPAINT_BY_PROMPT, image=photo,
                                      prompt="Car at the beach", outpainting_mode="PRECISE", seed=4), EAST)
    assert [c.params["modelId"] for c in stub.sent] == [f"us.{REMOVE_BG}", f"us.{INPAINT}"]
    x, y, w, h = BOX
    assert (pixels(result.images[0].data)[y:y + h, x:x + w] == pixels(photo)[y:y + h, x:x + w]).all()
    assert kept_change_in(result.notes) == masks.KeptChange(0, 12_000)


# --- through the fake endpoint: the pair lab 6 compares --------------------------------------------------------


def test_compare_on_stability_default_changes_the_object_precise_does_not(aws_env, tmp_path):
    """Lab 6's compare on its default model: the same seed, two results, two numbers in History's notes."""
    from fake_bedrock import background_subject_mask

    photo = noise_photo((400, 300))
    store = HistoryStore(tmp_path)
    request = EditRequest(model_id=INPAINT, task=Task.OUTPAINT_BY_PROMPT, image=png_of(photo),
                          prompt="Car at the beach", seed=21)
    work = compare_work(service.edit, request, store, "lab6", outpainting_modes(get_model(INPAINT)), owner="local")

    class _Job:
        id, lab, key, what, model_label, cancelled, partial = "j1", "lab6", "k", "compare", "Inpaint", False, None

    default_id, precise_id = work(_Job())
    default, precise = store.get(default_id), store.get(precise_id)
    grows = [c.body["grow_mask"] for c in aws_env.calls if c.model_id == f"us.{INPAINT}"]
    seeds = {c.body["seed"] for c in aws_env.calls if c.model_id == f"us.{INPAINT}"}
    assert grows == [20, 0] and seeds == {21}
    kept = background_subject_mask(400, 300)  # what the fake's Remove Background keeps: an ellipse
    counted = {}
    for entry in (default, precise):
        out = pixels(entry.outputs[0].read_bytes())
        moved = np.abs(out - np.asarray(photo).astype(int)).max(axis=2) > masks.CHANGE_TOLERANCE
        counted[entry.id] = int((moved & kept).sum())
        assert kept_change_in(entry.notes) == masks.KeptChange(counted[entry.id], int(kept.sum()))
    assert counted[precise_id] == 0
    assert counted[default_id] > 0.2 * kept.sum()  # the rim of the object was repainted


def test_titan_modes_differ_by_the_models_own_band_and_a_mask_prompt_is_not_measured(aws_env):
    photo = png_of(noise_photo())
    counts = {}
    for mode in ("DEFAULT", "PRECISE"):
        result = service.edit(EditRequest(model_id=TITAN_V2, task=Task.OUTPAINT, image=photo,
                                          mask=png_of(kept_selection()), prompt="a beach", outpainting_mode=mode,
                                          seed=5))
        counts[mode] = kept_change_in(result.notes)
    assert counts["PRECISE"] == masks.KeptChange(0, 12_000)
    assert counts["DEFAULT"].changed > 0  # outPaintingMode DEFAULT also repaints a band inside the mask's edge
    by_words = service.edit(EditRequest(model_id=TITAN_V2, task=Task.OUTPAINT_BY_PROMPT, image=photo,
                                        mask_prompt="A car", prompt="Car at the beach", seed=5))
    assert kept_change_in(by_words.notes) is None
    assert f"{KEPT_LABEL}: not measured" in kept_note_in(by_words.notes)


def test_engines_say_it_without_a_branch_on_the_family():
    engine = engine_for(get_model(INPAINT))
    req = outpaint("DEFAULT")
    assert engine.mask_reach_px(req) == 16 and not engine.puts_back_kept_object(req)
    precise = outpaint("PRECISE")
    assert engine.mask_reach_px(precise) == 0 and engine.puts_back_kept_object(precise)
    titan = engine_for(get_model(TITAN_V2))
    assert titan.mask_reach_px(req) == 0 and not titan.puts_back_kept_object(precise)
