"""Real browser: Debian's Chromium driven by Playwright against `streamlit run` and the fake endpoint."""

from __future__ import annotations

import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from browser_support import chromium_page, chromium_path, idle, shot, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("browser-data")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, data) as url:
        yield url


def wait_for_app(page) -> None:
    page.get_by_test_id("stSidebar").wait_for()
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_text("Connection").wait_for()  # app.py's sidebar: the page ran under st.navigation
    assert page.get_by_text("Page not found").count() == 0
    idle(page)  # the lab's own part is drawn after the sidebar: a click before its run ends can be lost


def test_generate_see_download_and_send_to_variation(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    with chromium_page() as page:
        page.goto(f"{app_url}/image-generation")
        wait_for_app(page)
        shot(page, "lab2-empty")
        page.get_by_role("textbox", name="What you want to see in the image").fill("A lighthouse on a cliff at dawn")
        page.get_by_role("button", name="Generate").click()
        image = page.get_by_test_id("stImage").first
        image.wait_for()
        assert "Seed" in page.get_by_test_id("stImageCaption").first.inner_text()
        shot(page, "lab2-result")

        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download", exact=True).first.click()
        saved = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(saved)
        with Image.open(saved) as img:
            assert img.format == "PNG" and img.size == (1024, 1024)

        with page.expect_download() as zip_info:
            page.get_by_role("button", name="Download all (1) as zip").click()
        zip_path = tmp_path / "all.zip"
        zip_info.value.save_as(zip_path)
        assert "result.json" in zipfile.ZipFile(zip_path).namelist()

        page.get_by_role("button", name="Send to image variation").first.click()
        page.wait_for_url("**/image-variation")
        page.get_by_text("sent as", exact=False).first.wait_for()
        assert page.get_by_role("heading", name="Lab 3 · Image variation").is_visible()
        shot(page, "lab3-from-history")

        page.get_by_role("textbox", name="How to vary the image").fill("The same scene at night")
        page.get_by_role("textbox", name="How to vary the image").press("Enter")
        page.get_by_role("button", name="Generate variations").click()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        shot(page, "lab3-result")

        fake_bedrock.fail_next("throttle")
        page.get_by_role("button", name="Generate variations").click()
        page.get_by_text("Bedrock is throttling requests").wait_for()
        expect(page.get_by_test_id("stImageCaption").filter(has_text="Seed")).to_have_count(1)  # result kept
        shot(page, "lab3-throttled")
    assert [c.body.get("mode") for c in fake_bedrock.calls][-2:] == ["image-to-image"] * 2


def test_content_filter_message_in_the_browser(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page() as page:
        page.goto(f"{app_url}/image-generation")
        wait_for_app(page)
        page.get_by_role("textbox", name="What you want to see in the image").fill("Something the filter dislikes")
        fake_bedrock.fail_next("filter_prompt")
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("blocked by the content filter", exact=False).first.wait_for()
        assert page.get_by_role("textbox", name="What you want to see in the image").input_value() == "Something the filter dislikes"
        shot(page, "lab2-filtered")


def test_pages_without_credentials_explain_the_fix(fake_bedrock, tmp_path):
    with streamlit_server({"AWS_REGION": "us-east-1"}, tmp_path) as url, chromium_page() as page:
        for path, name in (("", "home-no-credentials"), ("/image-generation", "lab2-no-credentials"),
                           ("/image-variation", "lab3-no-credentials"), ("/history", "history-empty")):
            page.goto(url + path)
            wait_for_app(page)
            page.get_by_text("AWS credentials not found").wait_for()
            assert page.get_by_text("Traceback").count() == 0
            if path.startswith("/image"):
                page.get_by_text("aws configure", exact=False).first.wait_for()
            if path == "":  # a newcomer without an AWS account sees on each card what runs here
                page.get_by_text("Replays from History").first.wait_for()
            shot(page, name)


def test_draw_a_stroke_inpaint_and_see_the_result(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page() as page:
        page.goto(f"{app_url}/inpainting")
        wait_for_app(page)
        page.get_by_role("textbox", name="What to paint in the marked area").fill("A sleeping cat")
        page.get_by_role("textbox", name="What to paint in the marked area").press("Enter")
        canvas = page.locator("canvas").last
        canvas.wait_for()
        page.wait_for_timeout(1000)
        box = canvas.bounding_box()
        assert box and box["width"] > 100
        x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
        page.mouse.move(x0, y0)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(x0 + step * box["width"] * 0.02, y0 + step * 2)
        page.mouse.up()
        page.get_by_text("Tinted = will change").wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
            ".some(e => /will change \\((?!0%)/.test(e.innerText))")
        shot(page, "lab7-drawn-mask")
        page.get_by_role("button", name="Generate").click()
        result = page.get_by_test_id("stImageCaption").filter(has_text="Seed").first
        result.wait_for()
        result.scroll_into_view_if_needed()
        shot(page, "lab7-result")
    call = fake_bedrock.calls[-1]
    assert call.model_id == "us.stability.stable-image-inpaint-v1:0"


def test_upload_an_alpha_mask_and_see_the_repair_message(app_url, tmp_path):
    mask = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    mask.paste((0, 0, 0, 255), (200, 50, 400, 250))
    path = tmp_path / "alpha-mask.png"
    mask.save(path)
    with chromium_page() as page:
        page.goto(f"{app_url}/inpainting")
        wait_for_app(page)
        page.get_by_text("Mask file", exact=True).click()
        page.locator("[data-testid='stFileUploader'] input[type=file]").last.set_input_files(str(path))
        page.get_by_text("Removed the alpha channel", exact=False).wait_for()
        shot(page, "lab7-alpha-mask-repaired")


def test_editing_labs_overlay_result_and_error_states(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page() as page:
        # Lab 4: outpainting with a placed rectangle — the overlay tints everything but the cup.
        page.goto(f"{app_url}/masking")
        wait_for_app(page)
        shot(page, "lab4-empty")
        page.get_by_text("OUTPAINTING", exact=True).click()
        idle(page)  # the mask choices are redrawn for outpainting: a click before that can land on the old ones
        page.get_by_text("Rectangles", exact=True).click()
        idle(page)
        page.get_by_role("combobox", name="Placements").click()
        page.get_by_role("option", name="Cup of coffee").click()
        page.keyboard.press("Escape")
        page.get_by_role("heading", name="Lab 4 · Masking").click()  # close the dropdown
        page.get_by_text("(74% of the image): outpainting keeps the marked area", exact=False).wait_for()
        shot(page, "lab4-overlay-outpainting")
        page.get_by_role("textbox", name="Prompt text:").fill("A cozy living room")
        page.get_by_role("heading", name="Lab 4 · Masking").click()
        page.get_by_role("button", name="Generate").click()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        shot(page, "lab4-result")
        fake_bedrock.fail_next("throttle")
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("Bedrock is throttling requests").wait_for()
        page.get_by_text("Bedrock is throttling requests").scroll_into_view_if_needed()
        shot(page, "lab4-throttled")

        # Lab 5: replace the cup (Search and Replace), see the result.
        page.goto(f"{app_url}/replace-object")
        wait_for_app(page)
        page.get_by_role("button", name="Replace", exact=True).click()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        shot(page, "lab5-result")
        fake_bedrock.fail_next("deny")
        page.get_by_role("button", name="Replace", exact=True).click()
        page.get_by_text("No access to this model").wait_for()
        shot(page, "lab5-no-access")

        # Lab 7: pressing Generate before marking anything is refused before any call.
        calls_before = len(fake_bedrock.calls)
        page.goto(f"{app_url}/inpainting")
        wait_for_app(page)
        page.get_by_role("textbox", name="What to paint in the marked area").fill("a stool")
        page.get_by_role("textbox", name="What to paint in the marked area").press("Enter")
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("The mask marks nothing").wait_for()
        assert len(fake_bedrock.calls) == calls_before
        shot(page, "lab7-no-mask")

        # Lab 6: a refusal gets the workshop's rewrite suggestion.
        page.goto(f"{app_url}/replace-background")
        wait_for_app(page)
        fake_bedrock.fail_next("filter_prompt")
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("House at a beach", exact=False).wait_for()
        shot(page, "lab6-refused")
        page.get_by_role("button", name="Compare DEFAULT and PRECISE (same seed)").click()
        page.get_by_text("PRECISE", exact=True).first.wait_for()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").nth(1).wait_for()
        shot(page, "lab6-compare")


def test_understanding_and_chat_stream_answers_in_the_browser(app_url, fake_bedrock):
    fake_bedrock.reset()
    fake_bedrock.stream_delay_s = 0.05  # the answer really arrives in pieces
    try:
        with chromium_page() as page:
            page.goto(f"{app_url}/image-understanding")
            wait_for_app(page)
            shot(page, "lab8-empty")
            page.get_by_role("button", name="Go").click()
            page.get_by_text("I see 1 image.", exact=False).wait_for()
            page.get_by_test_id("stCaptionContainer").filter(has_text="tokens in").first.wait_for()
            shot(page, "lab8-answer")
            fake_bedrock.fail_next("needs_profile")
            page.get_by_role("button", name="Go").click()
            page.get_by_text("can only be called through an inference profile", exact=False).wait_for()
            shot(page, "lab8-needs-profile")

            page.goto(f"{app_url}/multimodal-chatbot")
            wait_for_app(page)
            shot(page, "lab9-empty")
            page.get_by_role("button", name="Add chelsea the cat").click()
            page.get_by_text("Chelsea the cat (attached)").wait_for()
            page.get_by_role("button", name="Add coffee cup").click()
            page.get_by_text("Coffee cup (attached)").wait_for()
            box = page.get_by_placeholder("Chat with your bot here")
            box.fill("Compare the two images:")
            box.press("Enter")
            page.get_by_text("Image 2 is larger.", exact=False).wait_for()
            page.get_by_test_id("stCaptionContainer").filter(has_text="tokens in").first.wait_for()
            shot(page, "lab9-compared")
            fake_bedrock.fail_next("throttle")
            box.fill("And which is more fun?")
            box.press("Enter")
            page.get_by_role("button", name="Retry: “And which is more fun?”").wait_for()
            assert page.get_by_placeholder("Chat with your bot here").input_value() == "And which is more fun?"
            shot(page, "lab9-throttled")
    finally:
        fake_bedrock.stream_delay_s = 0
    compare = next(c for c in fake_bedrock.calls if c.operation == "converse_stream"
                   and c.body["messages"][0]["content"][-1].get("text") == "Compare the two images:")
    assert len(compare.body["messages"][0]["content"]) == 3  # two images and the question


def radio(page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit radio group labelled `label`."""
    page.get_by_test_id("stRadio").filter(has_text=label).get_by_text(option, exact=True).click()


def test_image_search_builds_then_finds_by_text_and_by_uploaded_image(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    fake_bedrock.latency_s = 0.05  # the progress bar is visible for a moment
    upload = tmp_path / "red-square.png"
    Image.new("RGB", (300, 300), (220, 30, 30)).save(upload)
    try:
        with chromium_page() as page:
            page.goto(f"{app_url}/image-search")
            wait_for_app(page)
            page.get_by_text("The index is empty").wait_for()
            page.get_by_role("button", name="Build / update index").wait_for()
            page.get_by_text("Suggestions from the workshop").wait_for()
            shot(page, "lab1-empty")
            page.get_by_role("button", name="Build / update index").click()
            page.get_by_text("Index up to date", exact=False).wait_for(timeout=60_000)
            shot(page, "lab1-built")

            page.get_by_role("textbox", name="Search for").fill("something red")
            page.get_by_role("textbox", name="Search for").press("Enter")
            page.get_by_role("button", name="Search", exact=True).click()
            page.get_by_text("#1 · score", exact=False).first.wait_for()
            ranked = page.get_by_text("· score", exact=False).all_inner_texts()
            scores = [float(t.split("score ")[1].split()[0]) for t in ranked]
            assert 3 <= len(scores) <= 8 and scores == sorted(scores, reverse=True) and min(scores) >= 0
            shot(page, "lab1-text-results")

            radio(page, "Search by", "Image")
            radio(page, "Input image", "Upload")
            uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload image")
            uploader.wait_for()
            uploader.locator("input[type=file]").set_input_files(str(upload))
            page.get_by_text("red-square.png").first.wait_for()
            shot(page, "lab1-image-query")
            page.get_by_role("button", name="Search", exact=True).click()
            page.get_by_role("heading", name="Results · image “red-square.png”").wait_for()
            shot(page, "lab1-image-results")

            fake_bedrock.fail_next("throttle", model_prefix="amazon.titan-embed")
            radio(page, "Search by", "Text")
            page.get_by_role("textbox", name="Search for").fill("blue")
            page.get_by_role("textbox", name="Search for").press("Enter")
            page.get_by_role("button", name="Search", exact=True).click()
            page.get_by_text("Bedrock is throttling requests").wait_for()
            shot(page, "lab1-throttled")
    finally:
        fake_bedrock.latency_s = 0
    uploads = [c for c in fake_bedrock.calls if c.model_id == "amazon.titan-embed-image-v1"
               and "inputImage" in c.body and "inputText" not in c.body]
    assert len(uploads) >= 12  # the samples while building, then the uploaded query image


@pytest.mark.skipif(__import__("lib.search.local_embeddings", fromlist=["x"]).local_engine_problem() is not None,
                    reason="local engines not installed (WORKSHOP_CLOUD_ONLY=1)")
def test_without_aws_every_lab_runs_locally_replays_or_explains(fake_bedrock, tmp_path):
    """A newcomer's walk with no AWS account: each lab shows a local result, a replay, or what it needs."""
    prompt, question = "A lighthouse on a cliff at dawn", "What is in this picture?"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, tmp_path) as url, chromium_page() as page:  # earlier, an instructor with AWS
        page.goto(f"{url}/image-generation")
        wait_for_app(page)
        page.get_by_role("textbox", name="What you want to see in the image").fill(prompt)
        page.get_by_role("button", name="Generate").click()
        page.get_by_test_id("stImage").first.wait_for()
        page.goto(f"{url}/multimodal-chatbot")
        wait_for_app(page)
        page.get_by_role("button", name="Add chelsea the cat").click()
        page.get_by_text("Chelsea the cat (attached)").wait_for()
        page.get_by_test_id("stChatInputTextArea").fill(question)
        page.get_by_test_id("stChatInputTextArea").press("Enter")
        page.get_by_test_id("stCaptionContainer").filter(has_text="tokens in").first.wait_for()  # not the code view
    calls = len(fake_bedrock.calls)

    with streamlit_server({"AWS_REGION": "us-east-1"}, tmp_path) as url, chromium_page() as page:
        def visit(path: str) -> None:
            page.goto(url + path)
            wait_for_app(page)
            page.get_by_text("AWS credentials not found").wait_for()

        def no_traceback() -> None:
            assert page.get_by_text("Traceback").count() == 0

        visit("/image-search")  # lab 1: the local search engine
        page.get_by_text("runs on the local search engine", exact=False).wait_for()
        page.get_by_role("button", name="Build / update index").click()
        page.get_by_text("Index up to date", exact=False).wait_for(timeout=120_000)
        page.get_by_role("textbox", name="Search for").fill("a cat")
        page.get_by_role("textbox", name="Search for").press("Enter")
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_text("#1 · score", exact=False).first.wait_for()
        text = page.get_by_test_id("stMain").inner_text()
        assert "Chelsea the cat" in text[text.index("#1 · score"):][:80]
        page.locator("[data-testid=stImage] img").first.wait_for()
        no_traceback()
        shot(page, "lab1-local-no-credentials")

        visit("/image-generation")  # lab 2: the identical request is replayed, a new one is explained
        page.get_by_role("textbox", name="What you want to see in the image").fill(prompt)
        page.keyboard.press("Control+Enter")
        page.get_by_role("button", name="Replay the identical result", exact=False).click()
        page.get_by_text("Replayed from history").first.wait_for()
        page.get_by_text("Bedrock was not called and nothing was charged", exact=False).first.wait_for()
        page.locator("[data-testid=stImage] img").first.wait_for()
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                               ".every(img => img.complete && img.naturalWidth > 0)")
        shot(page, "lab2-replayed-no-credentials")
        page.get_by_role("textbox", name="What you want to see in the image").fill(prompt + " in fog")
        page.keyboard.press("Control+Enter")
        page.get_by_text("Nothing identical in History", exact=False).wait_for()
        no_traceback()

        visit("/image-variation")  # lab 3: no local engine, nothing recorded: the fix
        page.get_by_text("aws configure", exact=False).first.wait_for()
        no_traceback()
        shot(page, "lab3-no-credentials")

        visit("/masking")  # lab 4: a mask prompt, found and erased on this machine
        page.get_by_text("Erasing still works offline", exact=False).wait_for()
        radio(page, "Masking mode:", "Prompt")
        # The sample photo and the picker's move to the local eraser come after the offline engines' warm-up,
        # which a busy CI machine runs on the same CPUs: the same 60 s as the steps below.
        page.get_by_role("textbox", name="Item to mask").wait_for(timeout=60_000)
        page.get_by_role("textbox", name="Item to mask").fill("cup")
        page.get_by_role("textbox", name="Item to mask").press("Enter")
        page.get_by_text("Experimental: matched to", exact=False).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("on this machine ·", exact=False).first.wait_for(timeout=60_000)
        no_traceback()
        shot(page, "lab4-local-erase-by-prompt")

        visit("/replace-object")  # lab 5: remove the named object offline
        page.get_by_role("textbox", name="Object to add (leave blank to remove)").fill("")
        page.get_by_role("textbox", name="Object to add (leave blank to remove)").press("Tab")
        page.get_by_text("Experimental: matched to", exact=False).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Remove").click()
        page.get_by_text("on this machine ·", exact=False).first.wait_for(timeout=60_000)
        no_traceback()
        shot(page, "lab5-local-removal")

        visit("/replace-background")  # lab 6: no local engine, nothing identical recorded: said so
        page.get_by_text("Nothing identical in History", exact=False).wait_for()
        no_traceback()
        shot(page, "lab6-no-credentials")

        visit("/inpainting")  # lab 7: erase a placed rectangle on this machine
        radio(page, "Make the mask by", "Rectangles")
        page.get_by_test_id("stMultiSelect").filter(has_text="Placements").click()
        page.get_by_role("option", name="Cup of coffee").click()
        page.keyboard.press("Escape")
        page.get_by_text("Tinted = will change", exact=False).first.wait_for()
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("on this machine ·", exact=False).first.wait_for(timeout=60_000)
        no_traceback()
        shot(page, "lab7-local-erase")

        visit("/image-understanding")  # lab 8: the local engine's answer
        page.get_by_text("runs on the local engine", exact=False).wait_for()
        page.get_by_role("button", name="Go").click()
        page.get_by_text("A photo of a", exact=False).wait_for(timeout=60_000)
        page.get_by_text("on this machine, no tokens", exact=False).wait_for()
        no_traceback()
        shot(page, "lab8-local-no-credentials")

        visit("/multimodal-chatbot")  # lab 9: the same conversation is replayed, a new question explained
        page.get_by_role("button", name="Add chelsea the cat").click()
        page.get_by_text("Chelsea the cat (attached)").wait_for()
        page.get_by_test_id("stChatInputTextArea").fill(question)
        page.get_by_test_id("stChatInputTextArea").press("Enter")
        page.get_by_text("Replayed from history").first.wait_for()
        page.get_by_test_id("stChatInputTextArea").fill("Is it a happy cat?")
        page.get_by_test_id("stChatInputTextArea").press("Enter")
        page.get_by_text("needs Amazon Bedrock", exact=False).wait_for()
        no_traceback()
        shot(page, "lab9-replayed-no-credentials")

        visit("/history")
        page.get_by_text(prompt, exact=False).first.wait_for()
        no_traceback()
    assert len(fake_bedrock.calls) == calls  # nothing reached the endpoint without credentials
