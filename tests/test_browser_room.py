"""Real browser: the app in a room — presenter mode at a projector's 1280×900, the home page and lab 4 on a
390×844 phone, the home page with and without AWS credentials, and no "Page not found" on any navigation.

Screenshots land in artifacts/ (room-*.png) for a person to open.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_support import chromium_page, chromium_path, shot, streamlit_server
from lib.labs import LABS, TOOLS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]
PROJECTOR, PHONE = (1280, 900), (390, 844)


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("room-data")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, data) as url:
        yield url


def loaded(page) -> None:
    """The page ran under st.navigation (its heading is there) and Streamlit found it."""
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_timeout(300)
    assert page.get_by_text("Page not found").count() == 0


def nav(page, title: str) -> None:
    """The sidebar's link, as an attendee changes page (the browser session stays)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", level=1).filter(has_text=title.split(". ", 1)[-1]).first.wait_for()
    assert page.get_by_text("Page not found").count() == 0


def width_of(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["width"]


def image_with_caption(page, text: str):
    return page.get_by_test_id("stImage").filter(
        has=page.get_by_test_id("stImageCaption").filter(has_text=text)).locator("img").first


def no_sideways_scroll(page) -> None:
    """Nothing in the main area is wider than the screen (a clipped table column, a cut-off canvas)."""
    overflow = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]');
        return {scroll: main.scrollWidth, client: main.clientWidth, page: document.documentElement.scrollWidth,
                screen: window.innerWidth};
    }""")
    assert overflow["scroll"] <= overflow["client"] + 1 and overflow["page"] <= overflow["screen"] + 1, overflow


def test_presenter_mode_at_a_projector_labs_2_4_6_8(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(PROJECTOR) as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share these two cores
        page.goto(f"{app_url}/image-generation")
        loaded(page)
        page.get_by_test_id("stSidebar").get_by_text("Presenter mode").click()
        page.wait_for_timeout(500)
        page.get_by_role("textbox", name="What you want to see in the image").fill("A lighthouse on a cliff at dawn")
        page.get_by_role("spinbutton", name="Number of images").fill("3")
        page.get_by_role("spinbutton", name="Number of images").press("Enter")
        page.get_by_role("button", name="Generate").click()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").nth(2).wait_for()
        first = image_with_caption(page, "Seed")
        first.scroll_into_view_if_needed()
        assert width_of(first) >= 400  # two a row at full width (was about 143 px, three in a narrow column)
        shot(page, "room-presenter-lab2")

        nav(page, "4. Masking")
        assert page.get_by_test_id("stSidebar").locator("label", has_text="Presenter mode").locator("input").is_checked()
        page.get_by_text("Rectangles", exact=True).click()
        page.get_by_role("combobox", name="Placements").click()
        page.get_by_role("option", name="Cup of coffee").click()
        page.keyboard.press("Escape")
        page.get_by_role("textbox", name="Prompt text:").fill("A cup of green tea")
        page.get_by_role("heading", name="Lab 4 · Masking").click()
        page.get_by_role("button", name="Generate").click()
        after = image_with_caption(page, "After ·")
        after.wait_for()
        before = image_with_caption(page, "Before ·")
        after.scroll_into_view_if_needed()
        assert width_of(after) >= 380 and abs(width_of(before) - width_of(after)) < 2  # side by side, same size
        shot(page, "room-presenter-lab4")

        nav(page, "6. Replace the background")
        page.get_by_role("button", name="Compare DEFAULT and PRECISE (same seed)").click()
        default = image_with_caption(page, "DEFAULT · Seed")
        default.wait_for()
        precise = image_with_caption(page, "PRECISE · Seed")
        seeds = [t.split("Seed ")[1].split(" ")[0] for t in page.get_by_test_id("stImageCaption").filter(
            has_text="· Seed").all_inner_texts()[:2]]
        assert seeds[0] == seeds[1]  # one seed for both, said on each
        default.scroll_into_view_if_needed()
        assert width_of(default) >= 380 and width_of(precise) >= 380  # was about 95 px
        shot(page, "room-presenter-lab6")

        nav(page, "8. Image understanding")
        page.get_by_role("button", name="Run all nine presets").click()
        table = page.get_by_test_id("stTable")
        table.wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stTable] tbody tr').length === 9")
        last = table.get_by_text("translate the text in this image to French", exact=False)
        last.scroll_into_view_if_needed()
        assert last.is_visible()  # every answer in full, not cut to one line
        shot(page, "room-presenter-lab8")


def test_home_and_lab_4_on_a_phone(fake_bedrock, tmp_path):
    with streamlit_server({"AWS_REGION": "us-east-1"}, tmp_path) as url, chromium_page(PHONE) as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share these two cores
        page.goto(url)
        loaded(page)
        page.get_by_text("Lab 1 — Image search").first.wait_for()
        no_sideways_scroll(page)
        shot(page, "room-phone-home")
        page.get_by_text("What works on Bedrock and what works offline", exact=False).click()
        block = page.get_by_text("Lab 9 · Multimodal chatbot", exact=True)
        block.scroll_into_view_if_needed()
        no_sideways_scroll(page)
        shot(page, "room-phone-home-details")  # the viewport (Streamlit scrolls inside the page), at the details

        page.goto(f"{url}/masking")
        loaded(page)
        canvas = page.locator("canvas").last  # the drawing canvas (a custom component, in a shadow root)
        canvas.wait_for()
        canvas.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = canvas.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] + 1, box  # the canvas fits
        x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4  # a stroke lands where it is drawn
        page.mouse.move(x0, y0)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(x0 + step * box["width"] * 0.02, y0 + step * 2)
        page.mouse.up()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
            ".some(e => /will change \\((?!0%)/.test(e.innerText))")
        no_sideways_scroll(page)
        canvas.scroll_into_view_if_needed()
        shot(page, "room-phone-lab4")


def test_home_with_and_without_credentials(app_url, fake_bedrock, tmp_path):
    with chromium_page(PROJECTOR) as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share these two cores
        page.goto(app_url)
        loaded(page)
        page.get_by_text("AWS credentials found", exact=False).wait_for()
        expect(page.get_by_text(re.compile(r"^cloud Amazon Bedrock$"))).to_have_count(len(LABS))  # a badge a card
        assert page.get_by_text("Replays from History").count() == 0
        assert page.get_by_text("What works on Bedrock and what works offline", exact=False).is_visible()
        expect(page.get_by_text(re.compile(r"^Lab \d — "))).to_have_count(len(LABS))  # every card drawn
        shot(page, "room-home-credentials")
    with streamlit_server({"AWS_REGION": "us-east-1"}, tmp_path) as url, chromium_page(PROJECTOR) as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share these two cores
        page.goto(url)
        loaded(page)
        page.get_by_text("AWS credentials not found").wait_for()
        page.get_by_text("No AWS credentials were found, so Bedrock can't be called", exact=False).wait_for()
        expect(page.get_by_text("Replays from History")).to_have_count(7)  # labs 2-7 and 9
        assert page.get_by_text("On this machine (no AWS account)").count() == 0 or not page.get_by_text(
            "On this machine (no AWS account)").first.is_visible()  # the details stay folded below the cards
        expect(page.get_by_text(re.compile(r"^Lab \d — "))).to_have_count(len(LABS))
        shot(page, "room-home-no-credentials")
        page.goto(f"{url}/image-generation")  # an empty state points at what runs here
        loaded(page)
        page.get_by_text("Nothing made here yet", exact=False).wait_for()
        shot(page, "room-lab2-empty-no-credentials")


def test_no_page_not_found_on_any_navigation(app_url):
    with chromium_page(PROJECTOR) as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share these two cores
        for path in ["", "/home", *(f"/{item.url_path}" for item in (*LABS, *TOOLS))]:
            page.goto(app_url + path)
            loaded(page)
        page.goto(app_url + "/home")
        loaded(page)
        assert page.get_by_role("heading", name="Bedrock Image Workshop").is_visible()
        for item in (*LABS, *TOOLS):
            nav(page, item.nav_title)
        page.get_by_test_id("stSidebarNav").get_by_text("Home", exact=True).click()
        page.get_by_role("heading", name="Bedrock Image Workshop").wait_for()
        page.get_by_text("Lab 7 — Inpainting with your own mask").click()  # a home-page card
        page.get_by_role("heading", name="Lab 7 · Inpainting with your own mask").wait_for()
        assert page.get_by_text("Page not found").count() == 0
