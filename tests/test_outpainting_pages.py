"""AppTest of labs 4 and 6 against the fake endpoint (issue 15): a mask prompt and an object to keep do what
the page says on every model offered, and lab 6's DEFAULT vs PRECISE shows pixels changed inside the kept object."""

from __future__ import annotations

from concurrent.futures import Executor, Future

import pytest

from lib import jobs
from lib.ui import runs

from lib.catalog import MODELS, Task, get_model
from lib.services.outpainting import KEPT_LABEL, mask_prompt_reason, uses_mask_prompt
from test_edit_pages import TITAN_V2, lab4_keeping_the_cup
from test_pages import errors, open_app

LAB4, LAB6 = "pages/4_masking.py", "pages/6_replace_background.py"
INPAINT = "stability.stable-image-inpaint-v1:0"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"


def captions_text(at) -> str:
    return "\n".join(c.value for c in at.caption)


def has_text_input(at, key: str) -> bool:
    return any(w.key == key for w in at.text_input)


def metrics(at) -> dict[str, str]:
    """Each lab 6 metric's value, keyed by the mode heading above it (DEFAULT, PRECISE)."""
    return {heading: metric.value for heading, metric in zip(("DEFAULT", "PRECISE"), at.metric)}


def test_lab6_on_stability_hides_the_object_to_keep_and_says_why(aws_env):
    at = open_app(LAB6)
    model = get_model(at.selectbox(key="lab6_model").value)
    assert model.id == INPAINT  # the lab's default: a model Bedrock serves today
    assert not has_text_input(at, "lab6_object")
    assert mask_prompt_reason(model, Task.OUTPAINT_BY_PROMPT) in captions_text(at)
    assert "grow_mask 20" in captions_text(at)  # the DEFAULT mode, said for Stability
    at.radio(key="lab6_outmode").set_value("PRECISE").run()
    assert "puts the object's original pixels back exactly" in captions_text(at)
    at.button(key="lab6_go").click().run()
    assert errors(at) == ""
    assert [c.model_id for c in aws_env.calls] == [f"us.{REMOVE_BG}", f"us.{INPAINT}"]
    assert "search_prompt" not in aws_env.calls[1].body and aws_env.calls[1].body["grow_mask"] == 0
    notes = captions_text(at)
    assert f"{KEPT_LABEL}: 0 of " in notes and "put the kept object's original pixels back" in notes


def test_lab6_with_titan_sends_the_object_to_keep_as_its_mask_prompt(aws_env):
    at = open_app(LAB6)
    at.selectbox(key="lab6_model").set_value(TITAN_V2).run()
    assert at.text_input(key="lab6_object").value == "A car"
    at.text_input(key="lab6_object").input("House").run()
    assert "outPaintingMode DEFAULT" in captions_text(at)
    at.button(key="lab6_go").click().run()
    params = aws_env.calls[-1].body["outPaintingParams"]
    assert params["maskPrompt"] == "House" and params["outPaintingMode"] == "DEFAULT"
    assert f"{KEPT_LABEL}: not measured" in captions_text(at)  # Titan doesn't say which pixels it kept


def test_lab6_compare_shows_pixels_changed_inside_the_kept_object(aws_env):
    at = open_app(LAB6)
    at.button(key="lab6_compare_go").click().run()
    assert errors(at) == ""
    inpaints = [c.body for c in aws_env.calls if c.model_id == f"us.{INPAINT}"]
    assert [b["grow_mask"] for b in inpaints] == [20, 0] and inpaints[0]["seed"] == inpaints[1]["seed"]
    shown = metrics(at)
    assert [m.label for m in at.metric] == [KEPT_LABEL, KEPT_LABEL]
    assert [c.value for c in at.caption].count(KEPT_LABEL) == 2  # said above each number, never cut short
    assert shown["PRECISE"] == "0"
    assert int(shown["DEFAULT"].replace(",", "")) > 0
    assert "PRECISE keeps every pixel of the kept object, so its count is 0" in captions_text(at)


class EndsAfterFirstLook(Executor):
    """Holds a job's work until the page has looked for finished jobs once, then runs it: the comparison ends
    after the page's pick-up and before its results panel, the moment a fast model (or the fake) hits."""

    def __init__(self) -> None:
        self.held: list = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        self.held.append(lambda: future.set_result(fn(*args, **kwargs)))
        return future

    def release(self) -> None:
        while self.held:
            self.held.pop(0)()


def test_lab6_comparison_that_ends_mid_run_is_still_shown(aws_env, monkeypatch):
    executor = EndsAfterFirstLook()
    jobs.use_runner(jobs.JobRunner(executor=executor))  # the autouse inline_jobs fixture restores the runner
    real_take = runs.take_finished

    def take_then_finish(lab_key: str):
        taken = real_take(lab_key)
        executor.release()  # the job ends right after this look: too late for it
        return taken

    monkeypatch.setattr(runs, "take_finished", take_then_finish)
    at = open_app(LAB6)
    at.button(key="lab6_compare_go").click().run()
    assert errors(at) == ""
    shown = metrics(at)  # the page ran again for the job and drew the pair
    assert shown["PRECISE"] == "0" and int(shown["DEFAULT"].replace(",", "")) > 0


def test_lab6_without_modes_offers_no_comparison(aws_env):
    at = open_app(LAB6)
    at.selectbox(key="lab6_model").set_value("amazon.nova-2-omni-v1:0").run()
    assert not any(r.key == "lab6_outmode" for r in at.radio)
    assert not any(b.key == "lab6_compare_go" for b in at.button)
    assert "tells no outpainting modes apart" in captions_text(at)
    assert has_text_input(at, "lab6_object")  # it keeps what the words name


PROMPT_TASKS = {  # (painting mode, prompt text) → the task lab 4 asks for with a mask prompt
    ("INPAINTING", "embedded fireplace"): Task.INPAINT_BY_PROMPT,
    ("INPAINTING", ""): Task.ERASE_BY_PROMPT,
    ("OUTPAINTING", "living room"): Task.OUTPAINT_BY_PROMPT,
}


@pytest.mark.parametrize(("painting", "prompt"), list(PROMPT_TASKS))
def test_lab4_never_shows_a_mask_prompt_field_for_a_model_that_ignores_it(aws_env, painting, prompt):
    task = PROMPT_TASKS[(painting, prompt)]
    at = open_app(LAB4)
    at.radio(key="lab4_masking").set_value("Prompt").run()
    at.radio(key="lab4_painting").set_value(painting).run()
    at.text_area(key="lab4_prompt").input(prompt).run()
    offered = _ids(at)
    assert offered  # the task has models; those that ignore the words are left out of them
    assert [m for m in map(get_model, offered) if not uses_mask_prompt(m, task)] == []
    for model_id in offered:
        at.selectbox(key="lab4_model").set_value(model_id).run()
        model = get_model(model_id)
        assert uses_mask_prompt(model, task)
        assert has_text_input(at, "lab4_mask_prompt"), model.label
        assert f"{model.label} finds “" in captions_text(at)  # true for this model: it reads the words


def _ids(at) -> list[str]:
    """The model ids behind the lab 4 picker's options (shown by their picker labels)."""
    by_label = {m.picker_label(): m.id for m in MODELS}
    return [by_label.get(option, option) for option in at.selectbox(key="lab4_model").options]


def test_lab4_outpainting_by_prompt_leaves_stability_out_and_says_why(aws_env):
    at = open_app(LAB4)
    at.radio(key="lab4_masking").set_value("Prompt").run()
    at.radio(key="lab4_painting").set_value("OUTPAINTING").run()
    at.text_area(key="lab4_prompt").input("living room").run()
    assert INPAINT not in _ids(at)
    inpaint = get_model(INPAINT)
    assert f"Not offered for a mask prompt: {inpaint.label}. " \
           f"{mask_prompt_reason(inpaint, Task.OUTPAINT_BY_PROMPT)}" in captions_text(at)
    # The same model is offered for a drawn mask, where it keeps exactly what was marked.
    at.radio(key="lab4_masking").set_value("Image").run()
    assert INPAINT in _ids(at)


def test_lab4_outpainting_with_a_mask_measures_the_kept_cup(aws_env):
    at = lab4_keeping_the_cup(INPAINT)
    at.radio(key="lab4_outmode").set_value("PRECISE").run()
    assert "puts the object's original pixels back exactly" in captions_text(at)
    at.button(key="lab4_go").click().run()
    assert errors(at) == "" and aws_env.calls[-1].body["grow_mask"] == 0
    assert f"{KEPT_LABEL}: 0 of " in captions_text(at)


def test_lab6_refusal_on_stability_suggests_only_the_description(aws_env):
    at = open_app(LAB6)
    aws_env.fail_next("filter_prompt")
    at.button(key="lab6_go").click().run()
    assert "content filter" in errors(at)
    hint = "\n".join(i.value for i in at.info)
    assert "“House at a beach”" in hint and "object “House”" not in hint  # there is no object field to fill
