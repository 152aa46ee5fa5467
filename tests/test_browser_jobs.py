"""Real browser: a paid call survives whatever the attendee clicks while it runs (lib/jobs.py).

The fake endpoint answers slowly (its `latency_s`), and the attendee types, clicks and changes page in
the meantime. Navigation uses the app's own sidebar links, so the browser session (and its jobs) stay.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from browser_support import chromium_page, chromium_path, shot, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]

SLOW_S = 4.0


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("jobs-data")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, data) as url:
        yield url


@pytest.fixture
def slow(fake_bedrock):
    fake_bedrock.reset()
    fake_bedrock.latency_s = SLOW_S
    yield fake_bedrock
    fake_bedrock.latency_s = 0.0
    fake_bedrock.reset()


def wait_for_app(page) -> None:
    page.get_by_test_id("stSidebar").wait_for()
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_text("Connection").wait_for()
    assert page.get_by_text("Page not found").count() == 0


def nav(page, title: str) -> None:
    """Change page the way an attendee does: the sidebar's link (the session and its jobs stay)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", level=1).filter(has_text=title.split(". ", 1)[-1]).first.wait_for()


def calls_with(fake, text: str) -> list:
    return [c for c in fake.calls if text in str(c.body)]


def no_traceback(page) -> None:
    assert page.get_by_text("Traceback").count() == 0
    assert page.get_by_text("Something went wrong on this page").count() == 0


def test_a_slow_generation_survives_typing_clicking_and_changing_page(app_url, slow):
    prompt = "A red fox asleep in fresh snow"
    with chromium_page((1280, 900)) as page:
        page.goto(f"{app_url}/image-generation")
        wait_for_app(page)
        box = page.get_by_role("textbox", name="What you want to see in the image")
        box.fill(prompt)
        page.get_by_role("button", name="Generate").click()
        panel = page.get_by_test_id("stMain").get_by_text("running for", exact=False).first
        panel.wait_for()
        panel.scroll_into_view_if_needed()
        shot(page, "jobs-lab2-running")
        # The attendee keeps going: presses Generate again, edits the prompt, tabs away, clicks, leaves.
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("Not sent again", exact=False).first.wait_for()
        box.fill(prompt + " under the northern lights")
        box.press("Tab")
        page.get_by_text("Prompt tips").click()
        expect(page.get_by_test_id("stSidebar").get_by_text("1 running")).to_be_visible()
        nav(page, "History")
        nav(page, "2. Image generation")
        caption = page.get_by_test_id("stImageCaption").filter(has_text="Seed").first
        caption.wait_for(timeout=30_000)
        no_traceback(page)
        shot(page, "jobs-lab2-result-after-interruptions")
        assert len(calls_with(slow, prompt)) == 1  # one paid call, whatever was clicked
        nav(page, "History")
        page.get_by_text(f"“{prompt}”").first.wait_for()


def test_cancel_stops_waiting_and_the_late_result_is_kept(app_url, slow):
    prompt = "A lighthouse in a storm, oil painting"
    with chromium_page((1280, 900)) as page:
        page.goto(f"{app_url}/image-generation")
        wait_for_app(page)
        page.get_by_role("textbox", name="What you want to see in the image").fill(prompt)
        page.get_by_role("button", name="Generate").click()
        page.get_by_role("button", name="Cancel").click()
        page.get_by_text("Cancelled:", exact=False).first.wait_for()
        late = page.get_by_text("its result arrived afterwards", exact=False)
        late.wait_for(timeout=30_000)
        late.scroll_into_view_if_needed()
        shot(page, "jobs-lab2-cancelled-result-arrived")
        page.get_by_role("button", name="Show it here").click()
        page.get_by_text("Arrived after cancel").first.wait_for()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        shot(page, "jobs-lab2-cancelled-result-shown")
        nav(page, "History")
        page.get_by_text(f"“{prompt}”").first.wait_for()
        no_traceback(page)
    assert len(calls_with(slow, prompt)) == 1


def png(mode: str = "RGB", size: tuple[int, int] = (96, 64)) -> bytes:
    buf = io.BytesIO()
    if mode == "I;16":
        img = Image.linear_gradient("L").resize(size).convert("I").point(lambda v: v * 200).convert("I;16")
    else:
        img = Image.new(mode, size, (30, 120, 200))
    img.save(buf, "PNG")
    return buf.getvalue()


def radio(page, label: str, option: str) -> None:
    page.get_by_test_id("stRadio").filter(has_text=label).get_by_text(option, exact=True).click()


def chat_messages(page):
    return page.get_by_test_id("stChatMessage")


def attach_files(page, *paths) -> None:
    """Files into the chat box's "+", waiting until each has uploaded (shown by name in the box)."""
    chat_input = page.get_by_test_id("stChatInput")
    chat_input.locator("input[type=file]").set_input_files([str(p) for p in paths])
    for path in paths:
        chat_input.get_by_text(path.name).first.wait_for()
    page.wait_for_timeout(500)


def send_chat(page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def test_a_chat_turn_survives_adding_an_image_and_the_next_turn_is_normal(app_url, slow):
    with chromium_page((1280, 900)) as page:
        page.goto(f"{app_url}/multimodal-chatbot")
        wait_for_app(page)
        send_chat(page, "Hello, what can you do?")
        page.get_by_text("running for", exact=False).first.wait_for()
        expect(page.get_by_test_id("stChatInputTextArea")).to_be_disabled()
        page.get_by_role("button", name="Add coffee").click()  # meanwhile: an image for the next message
        page.get_by_text("(attached)", exact=False).first.wait_for()
        shot(page, "jobs-lab9-pending-with-attachment")
        nav(page, "History")
        nav(page, "9. Multimodal chatbot")
        expect(chat_messages(page)).to_have_count(2, timeout=30_000)  # the question and its answer
        expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled()
        page.get_by_text("(attached)", exact=False).first.wait_for()  # the image waits for the next message
        slow.latency_s = 0.0
        send_chat(page, "What is in this picture?")
        expect(chat_messages(page)).to_have_count(4, timeout=30_000)
        no_traceback(page)
        shot(page, "jobs-lab9-next-turn")
    converse = [c for c in slow.calls if c.operation.startswith("converse")]
    assert len(converse) == 2
    first_turn_images = str(converse[0].body).count("'image'")
    assert first_turn_images == 0 and "'image'" in str(converse[1].body)


def test_a_bad_attachment_refuses_the_message_before_any_call(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    good, bad = tmp_path / "good.png", tmp_path / "notes.png"
    good.write_bytes(png())
    bad.write_bytes(b"this is a text file renamed to .png\n")
    with chromium_page((1280, 900)) as page:
        page.goto(f"{app_url}/multimodal-chatbot")
        wait_for_app(page)
        attach_files(page, good, bad)
        send_chat(page, "Compare these two")
        page.get_by_text("Not sent:", exact=False).first.wait_for()
        expect(page.get_by_test_id("stChatInputTextArea")).to_have_value("Compare these two")
        page.get_by_text("good.png (attached)").wait_for()
        shot(page, "lab9-bad-attachment-refused")
        assert fake_bedrock.calls == []  # nothing paid for a message without its image
        no_traceback(page)


def test_a_16_bit_png_displays_and_is_sent_in_labs_8_and_9(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    deep = tmp_path / "scan16.png"
    deep.write_bytes(png("I;16"))
    with chromium_page((1280, 900)) as page:
        page.goto(f"{app_url}/image-understanding")
        wait_for_app(page)
        radio(page, "Input image", "Upload")
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(deep))
        page.get_by_text("Sent as PNG", exact=False).wait_for()
        page.get_by_text("to 8-bit", exact=False).first.wait_for()
        page.get_by_role("button", name="Go").click()
        page.get_by_text("tokens in", exact=False).first.wait_for(timeout=30_000)
        no_traceback(page)
        shot(page, "image-modes-lab8-16bit")

        nav(page, "9. Multimodal chatbot")
        attach_files(page, deep)
        send_chat(page, "Describe this scan")
        expect(chat_messages(page)).to_have_count(2, timeout=30_000)
        no_traceback(page)
        shot(page, "image-modes-lab9-16bit")
    sent = [c for c in fake_bedrock.calls if c.operation.startswith("converse")]
    assert len(sent) == 2


def test_a_16_bit_png_is_a_lab_1_image_query(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    deep = tmp_path / "scan16.png"
    deep.write_bytes(png("I;16"))
    with chromium_page((1280, 900)) as page:
        page.goto(f"{app_url}/image-search")
        wait_for_app(page)
        page.get_by_text("The index is empty").wait_for()
        page.get_by_role("button", name="Build / update index").wait_for()
        page.get_by_text("Suggestions from the workshop").wait_for()
        page.get_by_role("button", name="Build / update index").click()
        page.get_by_text("Index up to date", exact=False).wait_for(timeout=60_000)
        radio(page, "Search by", "Image")
        radio(page, "Input image", "Upload")
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload image")
        uploader.locator("input[type=file]").set_input_files(str(deep))
        uploader.get_by_text("scan16.png").wait_for()
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_text("Results ·", exact=False).wait_for(timeout=30_000)
        no_traceback(page)
        shot(page, "image-modes-lab1-16bit")
