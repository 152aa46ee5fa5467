"""Real browser: Amazon Nova 2 Omni (preview) generates in lab 2 and edits by instruction in lab 5.

The app runs as in class (scripts/serve.py) against the fake endpoint, which answers Omni's Converse call with an
image block (a generation drawn from the prompt at the ratio the words ask for; an edit repaints the centre).
Screenshots at 1280×900 go to artifacts/ for a person to look at.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from browser_support import ARTIFACTS, chromium_page, chromium_path, idle
from test_browser import app_url, wait_for_app  # noqa: F401  (the app against the fake endpoint, once per module)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]

OMNI_LABEL = "Amazon Nova 2 Omni (preview)"
PROFILE = "us.amazon.nova-2-omni-v1:0"
RESULT_TIMEOUT_MS = 30_000


def view(page, name: str) -> None:
    """What a person sees in a 1280×900 window, scrolled to the element last brought into view."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_lab(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    idle(page)


def pick_omni(page, key: str) -> None:
    page.locator(f".st-key-{key} input[role=combobox]").click()
    page.get_by_role("option", name=OMNI_LABEL, exact=True).click()
    page.get_by_text("Preview on Bedrock: it may change or go away", exact=False).wait_for()
    idle(page)
    assert page.locator(f".st-key-{key} input[role=combobox]").input_value() == OMNI_LABEL
    assert page.locator("span.stMarkdownBadge", has_text="Preview").first.is_visible()  # the badge beside the pick


def commit(page, label: str, text: str, *, multiline: bool = False) -> None:
    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    if multiline:
        box.press("Control+Enter")
    else:
        box.press("Enter")
    idle(page)


def newest_omni_caption(page) -> str:
    caption = page.get_by_test_id("stImageCaption").filter(has_text="No seed · Amazon Nova 2 Omni").first
    caption.wait_for(timeout=RESULT_TIMEOUT_MS)
    return caption.inner_text()


def test_lab2_generates_with_nova_2_omni(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(viewport=(1280, 900)) as page:
        open_lab(page, f"{app_url}/image-generation")
        pick_omni(page, "lab2_model")
        # No seed, no negative prompt: each says why; the ratio goes into the words.
        page.get_by_text("No seed: Amazon Nova 2 Omni takes none", exact=False).wait_for()
        page.get_by_text("No negative prompt: Amazon Nova 2 Omni takes none", exact=False).wait_for()
        assert page.get_by_role("spinbutton", name="Seed", exact=False).count() == 0
        ratio = page.get_by_role("combobox", name="Aspect ratio")
        ratio.click()
        if ratio.get_attribute("aria-expanded") != "true":  # in the narrow column a click may not open it
            page.keyboard.press("ArrowDown")
        page.get_by_role("option", name="16:9", exact=True).click()
        idle(page)
        commit(page, "What you want to see in the image", "A lighthouse on a cliff at dawn", multiline=True)
        instruction = page.get_by_text("Create an image: A lighthouse on a cliff at dawn in 16:9 aspect ratio.")
        instruction.wait_for()
        instruction.scroll_into_view_if_needed()
        view(page, "omni-lab2-instruction")

        page.get_by_role("button", name="Generate", exact=True).click()
        caption = newest_omni_caption(page)
        assert "$0.004" in caption
        (call,) = fake_bedrock.calls
        assert call.model_id == PROFILE and call.operation == "converse"
        assert call.body["messages"][0]["content"] == [
            {"text": "Create an image: A lighthouse on a cliff at dawn in 16:9 aspect ratio."}]
        page.get_by_text("the image came back 1360×768", exact=False).wait_for()
        assert page.get_by_role("button", name="Reuse seed").count() == 0
        page.get_by_test_id("stImageCaption").filter(has_text="No seed · Amazon Nova 2 Omni").first \
            .scroll_into_view_if_needed()
        view(page, "omni-lab2-result")


def test_lab5_replaces_the_cup_with_a_teapot_on_nova_2_omni(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(viewport=(1280, 900)) as page:
        open_lab(page, f"{app_url}/replace-object")
        commit(page, "Object to add (leave blank to remove)", "a teapot", multiline=True)
        pick_omni(page, "lab5_model")
        words = "Replace the coffee cup with a teapot. Answer with the new image, not with text."
        instruction = page.get_by_text(words)
        instruction.wait_for()
        instruction.scroll_into_view_if_needed()
        view(page, "omni-lab5-instruction")

        page.get_by_role("button", name="Replace", exact=True).click()
        newest_omni_caption(page)
        call = fake_bedrock.calls[-1]
        assert call.model_id == PROFILE
        picture, text = call.body["messages"][0]["content"]
        assert text == {"text": words} and picture["image"]["format"] in ("png", "jpeg")
        import base64

        with Image.open(io.BytesIO(base64.b64decode(picture["image"]["source"]["bytes"]))) as sent:
            assert sent.width * sent.height <= 1024 * 1024  # about 1 megapixel at most
        page.get_by_text("The input was sent at", exact=False).first.wait_for()
        page.get_by_test_id("stImageCaption").filter(has_text="No seed · Amazon Nova 2 Omni").first \
            .scroll_into_view_if_needed()
        view(page, "omni-lab5-result")
