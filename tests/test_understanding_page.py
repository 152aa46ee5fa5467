"""AppTest for lab 8 (image understanding) against the fake endpoint's Converse / ConverseStream."""

from __future__ import annotations

from test_pages import errors, open_app

LAB8 = "pages/8_image_understanding.py"


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_preset_answer_streams_with_tokens_and_cost(aws_env):
    at = open_app(LAB8)
    at.button(key="lab8_go").click().run()
    assert errors(at) == ""
    assert "I see 1 image. Image 1 is 512×512 PNG." in markdown(at)
    assert any("tokens in" in c.value and "est. $" in c.value for c in at.caption)
    call = aws_env.calls[-1]
    assert call.operation == "converse_stream" and call.model_id == "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert call.body["messages"][0]["content"][0]["image"]["format"] == "png"


def test_choosing_a_preset_fills_the_prompt_and_korean_free_text_works(aws_env):
    at = open_app(LAB8)
    at.radio(key="lab8_preset").set_value("Translating text").run()
    assert at.text_area(key="lab8_prompt").value == "Please translate the text in this image to French."
    at.text_area(key="lab8_prompt").input("이 사진을 설명해 주세요").run()
    at.button(key="lab8_go").click().run()
    assert errors(at) == "" and "이 사진을 설명해 주세요" in markdown(at)


def test_jpeg_sample_is_sent_as_jpeg_not_a_hard_coded_type(aws_env):
    at = open_app(LAB8)
    at.selectbox(key="lab8_input_sample").set_value("grace_hopper").run()
    at.button(key="lab8_go").click().run()
    assert aws_env.calls[-1].body["messages"][0]["content"][0]["image"]["format"] == "jpeg"


def test_run_all_presets_gives_a_table_of_nine_answers(aws_env):
    at = open_app(LAB8)
    at.button(key="lab8_all").click().run()
    assert errors(at) == ""
    table = at.dataframe[0].value
    assert len(table) == 9 and list(table["Preset"])[0] == "Image caption"
    assert sum(c.operation == "converse" for c in aws_env.calls) == 9


def test_throttle_and_missing_access_are_explained(aws_env):
    at = open_app(LAB8)
    aws_env.fail_next("throttle")
    at.button(key="lab8_go").click().run()
    assert "throttling" in errors(at).lower()
    aws_env.fail_next("deny")
    at.button(key="lab8_go").click().run()
    assert "no access" in errors(at)


def test_profile_geography_can_be_chosen(aws_env):
    at = open_app(LAB8)
    at.radio(key="lab8_model_geo_anthropic.claude-haiku-4-5-20251001-v1:0").set_value("global").run()
    at.button(key="lab8_go").click().run()
    assert errors(at) == ""
    assert aws_env.calls[-1].model_id == "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_without_credentials_the_local_engine_answers_presets_and_explains_the_rest(isolated_env):
    import pytest

    from lib.local.understanding import missing_packages

    if missing_packages():
        pytest.skip("local engines not installed (WORKSHOP_CLOUD_ONLY=1)")
    at = open_app(LAB8)
    assert "runs on the local engine" in "\n".join(i.value for i in at.info)
    at.radio(key="lab8_preset").set_value("Image classification").run()
    at.button(key="lab8_go").click().run()
    assert "People" in markdown(at) and any("on this machine" in c.value for c in at.caption)
    at.radio(key="lab8_preset").set_value("Writing a story").run()
    at.button(key="lab8_go").click().run()
    assert "no language model" in errors(at)
