"""AppTest: Amazon Nova 2 Omni (preview) in labs 2–6 against the fake endpoint.

What the pages must do for a model asked in words, all from its catalog row (no page names the model): mark it
as a preview, hide the seed and the negative prompt with the reason, offer aspect ratios without pixel sizes,
show the instruction that will be sent, and show a result without a seed to reuse.
"""

from __future__ import annotations

from test_pages import captions, errors, open_app, texts

LAB2, LAB3, LAB4, LAB5, LAB6 = ("pages/2_image_generation.py", "pages/3_image_variation.py", "pages/4_masking.py",
                                "pages/5_replace_object.py", "pages/6_replace_background.py")
HIST = "pages/history.py"
OMNI = "amazon.nova-2-omni-v1:0"
PROFILE = "us.amazon.nova-2-omni-v1:0"
AS_AN_IMAGE = "Answer with the new image, not with text."


def code_blocks(at) -> list[str]:
    return [c.value for c in at.code]


def sent_text(call) -> str:
    return call.body["messages"][0]["content"][-1]["text"]


def sent_image(call) -> dict:
    return call.body["messages"][0]["content"][0]["image"]


def test_lab2_generates_with_omni_asking_for_the_ratio_in_words(aws_env):
    at = open_app(LAB2)
    picker = at.selectbox(key="lab2_model")
    assert "Amazon Nova 2 Omni (preview)" in picker.options
    picker.set_value(OMNI).run()
    body = texts(at)
    assert "Preview on Bedrock: it may change or go away without the usual notice." in body
    assert "Its price here is an estimate from its token prices." in body
    assert any("-badge[" in m.value and "Preview" in m.value for m in at.markdown)  # st.badge is Markdown
    # No seed and no negative prompt, each with its one-line reason; the count stays.
    assert [w.key for w in at.number_input] == ["lab2_count"] and not [w for w in at.text_input
                                                                        if w.key == "lab2_negative"]
    assert "No seed: Amazon Nova 2 Omni takes none" in body and "No negative prompt: Amazon Nova 2 Omni takes none" in body
    ratios = at.selectbox(key=f"lab2_{OMNI}_aspect")
    assert ratios.options[:3] == ["1:1", "16:9", "9:16"]  # no pixel size promised: it is asked for in words
    ratios.set_value("16:9").run()
    at.text_area(key="lab2_prompt").input("A lighthouse at dawn").run()
    assert "Create an image: A lighthouse at dawn in 16:9 aspect ratio." in code_blocks(at)
    at.button(key="lab2_go").click().run()
    assert errors(at) == ""
    (call,) = aws_env.calls
    assert call.model_id == PROFILE and call.operation == "converse"
    assert sent_text(call) == "Create an image: A lighthouse at dawn in 16:9 aspect ratio."
    (caption,) = captions(at)
    assert caption.startswith("No seed · Amazon Nova 2 Omni · ") and "$0.004" in caption
    assert not [b for b in at.button if "_seed_" in (b.key or "")]  # nothing to reuse
    assert "the image came back 1360×768" in texts(at)
    assert any("client.converse(" in code and 'MODEL_ID = "us.amazon.nova-2-omni-v1:0"' in code
               for code in code_blocks(at))  # the Code view: a Converse call that saves the returned image


def test_history_shows_no_seed_and_reopens_an_omni_result(aws_env):
    at = open_app(LAB2)
    at.selectbox(key="lab2_model").set_value(OMNI).run()
    at.selectbox(key=f"lab2_{OMNI}_aspect").set_value("9:16").run()
    at.text_area(key="lab2_prompt").input("A red kite over the sea").run()
    at.button(key="lab2_go").click().run()
    at = open_app(HIST)
    line = next(c.value for c in at.caption if "Amazon Nova 2 Omni" in c.value)
    assert "seed" not in line.lower()
    at.button(key=next(b.key for b in at.button if b.label == "Reuse in Lab 2")).click().run()
    assert not at.exception
    at.switch_page(LAB2).run()
    assert at.selectbox(key="lab2_model").value == OMNI
    assert at.selectbox(key=f"lab2_{OMNI}_aspect").value == "9:16"
    assert "Create an image: A red kite over the sea in 9:16 aspect ratio." in code_blocks(at)
    at.selectbox(key="lab2_model").set_value("stability.sd3-5-large-v1:0").run()
    assert at.checkbox(key="lab2_random_seed").value is True  # Omni's stored 0 is no seed to fix


def test_lab3_variation_with_omni_shows_the_instruction(aws_env):
    at = open_app(LAB3)
    at.selectbox(key="lab3_model").set_value(OMNI).run()
    assert not [w for w in at.text_input if w.key == "lab3_negative"]
    at.text_input(key="lab3_prompt").input("as a watercolour").run()
    words = f"Make a variation of this image: as a watercolour. {AS_AN_IMAGE}"
    assert words in code_blocks(at)
    at.button(key="lab3_go").click().run()
    assert errors(at) == ""
    call = aws_env.calls[-1]
    assert sent_text(call) == words and sent_image(call)["format"] in ("png", "jpeg")
    assert any("The input was sent at" in t for t in [c.value for c in at.caption])


def test_lab4_prompt_masking_on_omni_says_the_mask_prompt_in_words(aws_env):
    at = open_app(LAB4)
    at.radio(key="lab4_masking").set_value("Prompt").run()
    at.text_area(key="lab4_prompt").input("a teapot").run()
    at.selectbox(key="lab4_model").set_value(OMNI).run()
    at.text_input(key="lab4_mask_prompt").input("cup").run()
    words = f"Replace the cup with a teapot. {AS_AN_IMAGE}"
    assert words in code_blocks(at)
    at.button(key="lab4_go").click().run()
    assert errors(at) == ""
    assert sent_text(aws_env.calls[-1]) == words


def test_lab5_replace_and_remove_by_name_on_omni(aws_env):
    at = open_app(LAB5)
    at.selectbox(key="lab5_model").set_value(OMNI).run()
    replace_words = f"Replace the coffee cup with a cup of green tea. {AS_AN_IMAGE}"
    assert replace_words in code_blocks(at)
    at.button(key="lab5_go").click().run()
    assert errors(at) == ""
    call = aws_env.calls[-1]
    assert call.model_id == PROFILE and sent_text(call) == replace_words and sent_image(call)["source"]["bytes"]
    assert any(c.startswith("No seed · Amazon Nova 2 Omni") for c in captions(at))

    at.text_area(key="lab5_prompt").input("").run()  # removal: Omni is the model you can call today
    assert at.selectbox(key="lab5_model").value == OMNI and at.button(key="lab5_go").label == "Remove"
    remove_words = f"Remove the coffee cup and fill its place with what would be behind it. {AS_AN_IMAGE}"
    assert remove_words in code_blocks(at)
    at.button(key="lab5_go").click().run()
    assert errors(at) == "" and sent_text(aws_env.calls[-1]) == remove_words


def test_lab6_new_background_on_omni_hides_the_negative_prompt(aws_env):
    at = open_app(LAB6)
    at.selectbox(key="lab6_model").set_value(OMNI).run()
    assert not [w for w in at.text_input if w.key == "lab6_negative"]
    assert "No negative prompt: Amazon Nova 2 Omni takes none" in texts(at)
    # The workshop's defaults ("A car", "Car at the beach"): the article gives way to "the".
    words = f"Keep the car exactly as it is and change everything else to: Car at the beach. {AS_AN_IMAGE}"
    assert words in code_blocks(at)
    at.button(key="lab6_go").click().run()
    assert errors(at) == ""
    call = aws_env.calls[-1]
    assert call.model_id == PROFILE and sent_text(call) == words
    assert "additionalModelRequestFields" not in call.body


def test_switching_back_to_a_seeded_model_brings_the_fields_back(aws_env):
    at = open_app(LAB2)
    at.selectbox(key="lab2_model").set_value(OMNI).run()
    at.selectbox(key="lab2_model").set_value("stability.sd3-5-large-v1:0").run()
    assert at.text_input(key="lab2_negative") is not None and at.number_input(key="lab2_seed") is not None
    assert not [c for c in at.code if c.value.startswith("Create an image:")]  # only a model asked in words has one
