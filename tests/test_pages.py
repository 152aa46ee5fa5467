"""AppTest: every page renders; each lab's happy, filtered, throttled and no-credentials paths.

The app reaches the fake endpoint only through AWS_ENDPOINT_URL_BEDROCK_RUNTIME (see conftest).
"""

from __future__ import annotations


from streamlit.testing.v1 import AppTest

from conftest import ROOT, png_bytes
from lib.history import HistoryStore
from lib.labs import LABS

GEN = "pages/2_image_generation.py"
VAR = "pages/3_image_variation.py"
HIST = "pages/history.py"
TITAN_V2 = "amazon.titan-image-generator-v2:0"
SD35 = "stability.sd3-5-large-v1:0"


def open_app(page: str | None = None, timeout: float = 60) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "title")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def captions(at: AppTest) -> list[str]:
    return [c for img in at.image for c in img.captions]


def follow(at: AppTest, page: str) -> AppTest:
    """Keep AppTest on the page the app switched to.

    AppTest does not track st.switch_page across later runs, so we tell it; the
    session state the app handed over is kept. The browser test covers real navigation.
    """
    return at.switch_page(page).run()


def generate(at: AppTest, prompt: str = "A lighthouse at dawn", *, model: str | None = None, count: int = 1) -> AppTest:
    if model:
        at.selectbox(key="lab2_model").set_value(model).run()
    at.text_area(key="lab2_prompt").input(prompt).run()
    at.number_input(key="lab2_count").set_value(count).run()
    at.button(key="lab2_go").click().run()
    assert not at.exception, at.exception
    return at


# --- no credentials -----------------------------------------------------------------------

def test_home_renders_without_credentials_and_lists_only_built_labs(isolated_env):
    at = open_app()
    assert at.title[0].value == "Bedrock Image Workshop"
    assert "AWS credentials not found" in errors(at)
    body = texts(at)
    assert "us-east-1" in body  # region in the sidebar
    lab2 = [e.proto.page for e in at.get("page_link") if e.proto.label.startswith("Lab 2 — ")]
    assert lab2 == ["image-generation"]  # page links are not text elements: read the link itself
    links = [e.proto.label for e in at.get("page_link")]
    # A laptop's single user is also its instructor, so the Instructor page is listed too.
    assert links == [f"Lab {item.number} — {item.title}" for item in LABS] + ["History", "Instructor"]
    assert [item.number for item in LABS] == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_every_page_renders_without_credentials_with_the_fix(isolated_env):
    for item in LABS:
        at = open_app(item.page)
        assert not at.exception, item.page
        # A lab with a local engine says so in an info box instead of a warning (and still names the fix).
        message = "\n".join(w.value for w in [*at.warning, *at.info])
        assert "no aws credentials were found" in message.lower().replace("**", ""), item.page
        assert "aws configure" in message
        if "offline" in message or "local" in message:  # labs 1, 7 and 8 have a local engine to run instead
            continue
        if item.number == 9:
            assert not at.chat_input(key="lab9_input").disabled  # earlier answers replay (tests/test_replay.py)
        else:
            assert at.button(key=f"{item.key}_go").disabled
    assert not open_app(HIST).exception


def test_sidebar_never_shows_the_secret(aws_env):
    at = open_app()
    body = texts(at)
    assert "AWS credentials found (environment variables)" in body
    assert "testing" not in body  # the dummy secret


# --- lab 2 ---------------------------------------------------------------------------------

def test_generation_happy_path_records_seed_model_time_and_cost(aws_env):
    at = generate(open_app(GEN), count=2)
    assert errors(at) == ""
    caps = captions(at)
    assert len(caps) == 2
    assert all("Stable Diffusion 3.5 Large" in c and "$0.080" in c and "Seed" in c for c in caps)
    seeds = sorted(call.body["seed"] for call in aws_env.calls)  # the calls run concurrently
    assert len(seeds) == 2 and seeds[1] == seeds[0] + 1
    assert all(f"Seed {s}" in " ".join(caps) for s in seeds)
    assert [b.label for b in at.get("download_button")].count("Download") == 2
    entries = HistoryStore(aws_env_data(at)).recent()
    assert len(entries) == 1 and len(entries[0].outputs) == 2


def aws_env_data(at: AppTest):
    import os
    from pathlib import Path
    return Path(os.environ["WORKSHOP_DATA_DIR"])


def test_workshop_preset_fills_prompt_and_negative(aws_env):
    at = open_app(GEN)
    at.selectbox(key="lab2_preset").set_value("Build-up 7 — + negative prompt").run()
    assert at.text_area(key="lab2_prompt").value.startswith("Painting of a doctor")
    assert at.text_input(key="lab2_negative").value == "Stethoscope"


def test_titan_request_uses_the_workshop_shape(aws_env):
    at = generate(open_app(GEN), "A doctor", model=TITAN_V2, count=3)
    assert errors(at) == ""
    (call,) = aws_env.calls
    assert call.body["taskType"] == "TEXT_IMAGE"
    assert call.body["textToImageParams"] == {"text": "A doctor"}
    config = call.body["imageGenerationConfig"]
    assert config["numberOfImages"] == 3 and config["cfgScale"] == 8.0 and (config["width"], config["height"]) == (1024, 1024)
    assert len(captions(at)) == 3


def test_content_filter_keeps_prompt_and_earlier_results(aws_env):
    at = generate(open_app(GEN), "A friendly robot")
    assert len(captions(at)) == 1
    aws_env.fail_next("filter_output")
    at.text_area(key="lab2_prompt").input("A second try").run()
    at.button(key="lab2_go").click().run()
    assert "content filter" in errors(at)
    assert "Rephrase the prompt" in errors(at)
    assert at.text_area(key="lab2_prompt").value == "A second try"
    assert len(captions(at)) == 1  # the earlier result is still shown


def test_titan_error_field_becomes_a_filter_message(aws_env):
    at = open_app(GEN)
    aws_env.fail_next("filter_output")
    generate(at, model=TITAN_V2)
    assert "generated image was blocked by the content filter" in errors(at)


def test_throttle_is_explained(aws_env):
    at = open_app(GEN)
    aws_env.fail_next("throttle")
    generate(at)
    assert "throttling" in errors(at).lower()
    assert "Wait a few seconds" in errors(at)


def test_end_of_life_model_explains_and_suggests_a_current_one(aws_env):
    at = open_app(GEN)
    at.selectbox(key="lab2_model").set_value(TITAN_V2).run()
    assert any("reached end of life on 2026-06-30" in w.value for w in at.warning)
    aws_env.fail_next("eol")
    generate(at)
    assert "end of life" in errors(at) and "Stable Diffusion 3.5 Large" in errors(at)


def test_missing_model_access_is_explained(aws_env):
    at = open_app(GEN)
    aws_env.fail_next("deny")
    generate(at)
    assert "no access" in errors(at) and "Model access" in errors(at)


def test_over_long_prompt_is_refused_before_any_call(aws_env):
    at = open_app(GEN)
    at.selectbox(key="lab2_model").set_value(TITAN_V2).run()
    generate(at, "x" * 600)
    assert "600 characters" in errors(at) and "at most 512" in errors(at)
    assert aws_env.calls == []
    assert any("88 too many" in c.value for c in at.caption)


def test_reuse_seed_fills_the_seed_box(aws_env):
    at = generate(open_app(GEN))
    seed = aws_env.calls[0].body["seed"]
    at.button(key=next(b.key for b in at.button if b.label == "Reuse seed")).click().run()
    assert at.checkbox(key="lab2_random_seed").value is False
    assert at.number_input(key="lab2_seed").value == seed
    at.button(key="lab2_go").click().run()
    assert aws_env.calls[-1].body["seed"] == seed


# --- lab 3 ---------------------------------------------------------------------------------

def test_send_to_variation_then_vary(aws_env):
    at = generate(open_app(GEN))
    at.button(key=next(b.key for b in at.button if b.label == "Send to image variation")).click().run()
    assert not at.exception
    assert at.title[0].value == "Lab 3 · Image variation"
    follow(at, VAR)
    assert at.radio(key="lab3_input_source").value == "From history"
    assert any("sent as" in c for c in captions(at))
    at.text_input(key="lab3_prompt").input("The same scene at night").run()
    at.button(key="lab3_go").click().run()
    assert errors(at) == ""
    last = aws_env.calls[-1]
    assert last.body["mode"] == "image-to-image" and last.body["strength"] == 0.6
    assert sum("$0.080" in c for c in captions(at)) == 1


def test_variation_with_titan_takes_several_inputs_and_notes_changes(aws_env):
    at = open_app(VAR)
    at.selectbox(key="lab3_model").set_value(TITAN_V2).run()
    at.multiselect(key="lab3_input_samples").set_value(["chelsea", "camera"]).run()
    notes = "\n".join(i.value for i in at.info)
    assert "Converted from L to 8-bit RGB" in notes  # the greyscale photo
    at.button(key="lab3_go").click().run()
    assert errors(at) == ""
    body = aws_env.calls[-1].body
    assert body["taskType"] == "IMAGE_VARIATION"
    assert len(body["imageVariationParams"]["images"]) == 2
    assert body["imageVariationParams"]["similarityStrength"] == 0.7


def test_sd35_variation_requires_a_prompt(aws_env):
    at = open_app(VAR)
    at.button(key="lab3_go").click().run()
    assert "prompt is empty" in errors(at)
    assert aws_env.calls == []


def test_corrupt_upload_gets_a_message_and_nothing_breaks(aws_env):
    at = open_app(VAR)
    at.radio(key="lab3_input_source").set_value("Upload").run()
    at.file_uploader(key="lab3_input_upload").set_value(("notes.png", b"this is not an image", "image/png")).run()
    assert not at.exception
    assert "is not an image" in errors(at)
    assert at.button(key="lab3_go").disabled


def test_alpha_upload_is_flattened_with_a_note(aws_env):
    at = open_app(VAR)
    at.radio(key="lab3_input_source").set_value("Upload").run()
    at.file_uploader(key="lab3_input_upload").set_value(
        ("cut-out.png", png_bytes((300, 300), (10, 200, 10, 0), "RGBA"), "image/png")).run()
    assert "Removed the transparency" in "\n".join(i.value for i in at.info)


# --- history -------------------------------------------------------------------------------

def test_history_empty_state(aws_env):
    at = open_app(HIST)
    assert "Nothing here yet" in "\n".join(i.value for i in at.info)


def test_history_reopens_and_reuses_a_result(aws_env):
    generate(open_app(GEN), "A red kite over hills")
    at = open_app(HIST)
    assert "A red kite over hills" in texts(at)
    at.button(key=next(b.key for b in at.button if b.label == "Reuse in Lab 2")).click().run()
    assert not at.exception
    assert at.title[0].value == "Lab 2 · Image generation"
    follow(at, GEN)
    assert at.text_area(key="lab2_prompt").value == "A red kite over hills"
    assert at.checkbox(key="lab2_random_seed").value is False
    assert at.number_input(key="lab2_seed").value == aws_env.calls[0].body["seed"]


def test_variation_content_filter_keeps_inputs_and_prompt(aws_env):
    at = open_app(VAR)
    at.text_input(key="lab3_prompt").input("A cat in a spacesuit").run()
    aws_env.fail_next("filter_prompt")
    at.button(key="lab3_go").click().run()
    assert "The prompt was blocked by the content filter" in errors(at)
    assert at.text_input(key="lab3_prompt").value == "A cat in a spacesuit"
    assert any("Chelsea the cat" in c for c in captions(at))  # the input is still there
    at.button(key="lab3_go").click().run()  # and retrying works
    assert errors(at) == ""
    assert any("Seed" in c for c in captions(at))


def test_variation_throttle_is_explained(aws_env):
    at = open_app(VAR)
    at.text_input(key="lab3_prompt").input("The same scene at night").run()
    aws_env.fail_next("throttle")
    at.button(key="lab3_go").click().run()
    assert "throttling" in errors(at).lower()


def test_huge_upload_is_refused_with_the_limit(aws_env, monkeypatch):
    monkeypatch.setenv("WORKSHOP_MAX_UPLOAD_MB", "1")
    at = open_app(VAR)
    at.radio(key="lab3_input_source").set_value("Upload").run()
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 10)
    at.file_uploader(key="lab3_input_upload").set_value(("big.png", big, "image/png")).run()
    assert "the limit is 1.0 MB" in errors(at)
    assert not at.exception


def _picker_caption(at: AppTest, model_id: str) -> bool:
    return any(c.value.startswith(f"`{model_id}` ·") for c in at.caption)


def test_model_picker_follows_the_task_and_remembers_each_lists_pick(aws_env):
    """Lab 7: the prompt switches erase ↔ inpaint; the picker holds a valid model and each list keeps its pick."""
    from lib.catalog import Task, models_for

    erase, inpaint = models_for(Task.ERASE)[0], models_for(Task.INPAINT)[0]
    erase_label, erase, inpaint = erase.label, erase.id, inpaint.id
    at = open_app("pages/7_inpainting.py")
    assert at.selectbox(key="lab7_model").value == erase and _picker_caption(at, erase)
    at.text_input(key="lab7_prompt").input("A sleeping cat").run()
    assert at.selectbox(key="lab7_model").value == inpaint == at.session_state["lab7_model"]
    assert _picker_caption(at, inpaint)
    at.selectbox(key="lab7_model").set_value(TITAN_V2).run()  # Titan v2 can erase too
    at.text_input(key="lab7_prompt").input("").run()
    assert at.selectbox(key="lab7_model").value == erase == at.session_state["lab7_model"]  # the erase list's pick
    assert _picker_caption(at, erase)
    not_shown = [c.value for c in at.caption if c.value.startswith("Not shown")]
    assert not_shown and erase_label not in not_shown[0].split(":", 1)[1].rstrip(".").split(", ")
    at.text_input(key="lab7_prompt").input("A sleeping cat").run()
    assert at.selectbox(key="lab7_model").value == TITAN_V2  # the inpaint list's pick, back again
    assert not at.exception, at.exception


def test_model_picker_keeps_a_model_set_in_code_when_the_task_changes(aws_env):
    """A value written under the picker's key (History's "open in lab") stands when it fits the new task."""
    at = open_app("pages/7_inpainting.py")
    at.text_input(key="lab7_prompt").input("A sleeping cat").run()
    at.text_input(key="lab7_prompt").input("").run()  # the inpaint list now remembers its first model
    at.session_state["lab7_model"] = TITAN_V2
    at.text_input(key="lab7_prompt").input("A fox").run()
    assert at.selectbox(key="lab7_model").value == TITAN_V2 and _picker_caption(at, TITAN_V2)
    assert not at.exception, at.exception
