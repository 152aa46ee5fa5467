"""AppTest for lab 9 (multimodal chatbot) against the fake Converse / ConverseStream endpoint."""

from __future__ import annotations


from conftest import png_bytes
from test_pages import errors, open_app

LAB9 = "pages/9_multimodal_chatbot.py"


def chat_texts(at) -> list[str]:
    return [m.value for m in at.markdown if not m.value.startswith(("#", "**Region"))]


def test_two_attached_images_compared_and_the_conversation_kept(aws_env):
    at = open_app(LAB9)
    at.button(key="lab9_add_chelsea").click().run()
    at.button(key="lab9_add_coffee").click().run()
    at.chat_input(key="lab9_input").set_value("Compare the two images:").run()
    assert errors(at) == ""
    first = aws_env.calls[-1].body["messages"]
    assert len(first) == 1 and [list(b) for b in first[0]["content"]] == [["image"], ["image"], ["text"]]
    assert any("Image 2 is larger." in t for t in chat_texts(at))  # the coffee photo (600×400) is bigger
    at.chat_input(key="lab9_input").set_value("Which one is larger?").run()
    second = aws_env.calls[-1].body["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]  # the images of turn 1 are still there
    assert len(second[0]["content"]) == 3
    assert any("tokens in" in c.value for c in at.caption)


def test_uploaded_files_ride_with_the_message(aws_env):
    at = open_app(LAB9)
    at.chat_input(key="lab9_input").upload("a.png", png_bytes((64, 64)), "image/png").set_value("What is it?").run()
    content = aws_env.calls[-1].body["messages"][0]["content"]
    assert content[0]["image"]["format"] == "png"


def test_failed_turn_is_rolled_back_and_can_be_retried(aws_env):
    at = open_app(LAB9)
    at.chat_input(key="lab9_input").set_value("Hello").run()
    aws_env.fail_next("throttle")
    at.chat_input(key="lab9_input").set_value("Second question").run()
    assert "throttling" in errors(at).lower()
    retry = at.button(key="lab9_retry_go")
    assert "Second question" in retry.label
    assert at.chat_input(key="lab9_input").value == "Second question"  # back in the box
    retry.click().run()
    roles = [m["role"] for m in aws_env.calls[-1].body["messages"]]
    assert roles == ["user", "assistant", "user"]  # no dangling user turn from the failure
    assert errors(at) == ""


def test_rejected_image_is_removed_with_a_message_and_the_chat_goes_on(aws_env):
    at = open_app(LAB9)
    at.button(key="lab9_add_chelsea").click().run()
    aws_env.fail_next("reject_image")
    at.chat_input(key="lab9_input").set_value("What is this?").run()
    assert errors(at)
    assert any("Removed “Chelsea the cat”" in i.value for i in at.info)
    at.chat_input(key="lab9_input").set_value("Say hi").run()
    assert errors(at) == ""
    messages = aws_env.calls[-1].body["messages"]
    assert all("image" not in block for m in messages for block in m["content"])


def test_suggestion_sends_and_clear_and_export(aws_env):
    at = open_app(LAB9)
    at.button(key="lab9_add_rocket").click().run()
    at.pills(key="lab9_suggestion").set_value("Which one looks more fun?").run()
    assert aws_env.calls[-1].body["messages"][0]["content"][-1]["text"] == "Which one looks more fun?"
    data = at.download_button(key="lab9_export").proto.url  # the zip is served by URL in AppTest
    assert data
    at.button(key="lab9_clear").click().run()
    assert not any("I see" in t for t in chat_texts(at))
