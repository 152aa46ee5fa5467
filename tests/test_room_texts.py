"""Small texts that say what happened and what runs here: run titles, lab 6's modes, empty states."""

from __future__ import annotations

from types import SimpleNamespace

from lib.catalog import Task
from lib.ui.results import outpainting_mode, run_title
from test_pages import open_app


def entry(task: Task, prompt: str = "", model_id: str = "stability.stable-image-inpaint-v1:0",
          **request) -> SimpleNamespace:
    return SimpleNamespace(task=task.value, prompt=prompt, request=request, model_id=model_id)


def test_a_run_says_what_it_did_without_a_prompt():
    assert run_title(entry(Task.INPAINT, "a stool")) == "“a stool”"
    assert run_title(entry(Task.ERASE_BY_PROMPT, mask_prompt="spoon")) == "Removed “spoon”"
    assert run_title(entry(Task.ERASE)) == "Erased the marked area"
    assert run_title(entry(Task.TEXT_TO_IMAGE)) == "No prompt"


def test_only_outpainting_says_its_mode():
    assert outpainting_mode(entry(Task.OUTPAINT_BY_PROMPT, "at the beach", outpainting_mode="PRECISE")) == "PRECISE"
    assert outpainting_mode(entry(Task.OUTPAINT, "x")) == "DEFAULT"
    assert outpainting_mode(entry(Task.INPAINT, "x", outpainting_mode="PRECISE")) is None
    # A model with no outpainting modes to choose (Nova 2 Omni keeps the object as its instruction says).
    assert outpainting_mode(entry(Task.OUTPAINT_BY_PROMPT, "x", model_id="amazon.nova-2-omni-v1:0")) is None


def links(at) -> list[str]:
    return [e.proto.label for e in at.get("page_link")]


def test_empty_history_points_at_what_runs_here(isolated_env, monkeypatch):
    import lib.local.availability as availability

    monkeypatch.setattr(availability, "installed", lambda module: True)
    at = open_app("pages/history.py")
    assert "Nothing here yet" in "\n".join(i.value for i in at.info)
    assert [label for label in links(at) if label.startswith("Lab ")][-3:] == [
        "Lab 4 — Masking", "Lab 5 — Replace or remove an object", "Lab 7 — Inpainting with your own mask"]


def test_empty_history_with_bedrock_points_at_lab_2(aws_env):
    at = open_app("pages/history.py")
    assert "Lab 2 — Image generation" in links(at)


def test_a_lab_without_a_local_engine_says_what_runs_instead(isolated_env, monkeypatch):
    import lib.local.availability as availability

    monkeypatch.setattr(availability, "installed", lambda module: True)
    at = open_app("pages/6_replace_background.py")
    assert any("Nothing made here yet" in i.value for i in at.info)
    assert {"Lab 1 — Image search", "Lab 7 — Inpainting with your own mask"} <= set(links(at))
