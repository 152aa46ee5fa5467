"""Real browser (Debian's Chromium through Playwright) against `streamlit run` and the fake endpoint: a Search and
Recolor in lab 5, and an Upscale from History (at 1280×900, and its popover on a 390×844 phone); a second click
while the upscale runs sends nothing twice. Screenshots go to artifacts/ for a person to open."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from browser_support import ARTIFACTS, chromium_page, chromium_path
from test_browser import app_url  # noqa: F401  (the app against the fake endpoint, once per module)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]
DESKTOP, PHONE = (1280, 900), (390, 844)
RECOLOR = "us.stability.stable-image-search-recolor-v1:0"
FAST = "us.stability.stable-fast-upscale-v1:0"


@pytest.fixture(scope="module", autouse=True)
def first_visit(app_url):  # noqa: F811
    """The server's first session waits for its one-off checks and reruns when they answer; a widget drawn from
    session state may then come up empty in that session (lab 5's object box, before this change too). Visit once
    first, so the tests' sessions are ordinary ones."""
    with chromium_page(DESKTOP) as page:
        page.goto(app_url)
        wait_for_page(page)
        page.wait_for_timeout(2000)


def wait_for_page(page) -> None:
    """The page ran under app.py's navigation (the sidebar is there, folded away on a phone)."""
    page.get_by_test_id("stSidebar").wait_for(state="attached")
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_text("Connection").wait_for(state="attached")


def view(page, name: str) -> None:
    """What the screen shows (not the whole page), into artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def recolor(page, url: str, colours: str = "glossy bright red") -> None:
    """Lab 5: recolour the coffee cup (Search and Recolor), and wait for the result."""
    page.goto(f"{url}/replace-object")
    wait_for_page(page)
    expect(page.get_by_role("textbox", name="Object to find")).to_have_value("coffee cup")  # the first run is done
    page.get_by_test_id("stRadio").filter(has_text="What to do with the object").get_by_text(
        "Recolor", exact=True).click()
    page.get_by_role("button", name="Recolor", exact=True).wait_for()
    box = page.get_by_role("textbox", name="Its new colours (e.g. “matte navy blue”)")
    expect(box).to_have_value("glossy bright red")
    if colours != "glossy bright red":
        box.fill(colours)
        box.press("Tab")
    page.get_by_text("Finds the object named by its select prompt", exact=False).wait_for()


def entry_card(page, title: str):
    """The History entry titled `title` (the part with its title and buttons)."""
    return page.get_by_test_id("stVerticalBlock").filter(has_text=title).filter(
        has=page.get_by_role("button", name="Upscale")).last


def test_search_and_recolor_in_lab5(app_url, fake_bedrock):  # noqa: F811
    fake_bedrock.reset()
    with chromium_page(DESKTOP) as page:
        recolor(page, app_url)
        view(page, "lab5-recolor-settings")
        page.get_by_role("button", name="Recolor", exact=True).click()
        page.get_by_test_id("stImageCaption").filter(has_text="Stable Image Search and Recolor").first.wait_for()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.scroll_into_view_if_needed()
        view(page, "lab5-recolor-result")
    (call,) = [c for c in fake_bedrock.calls if c.model_id == RECOLOR]
    assert call.body["select_prompt"] == "coffee cup" and call.body["prompt"] == "glossy bright red"
    assert call.body["grow_mask"] == 5 and "search_prompt" not in call.body


def test_upscale_from_history_once_even_when_clicked_again(app_url, fake_bedrock):  # noqa: F811
    fake_bedrock.reset()
    with chromium_page(DESKTOP) as page:
        recolor(page, app_url, "deep teal")  # the source: a lab 5 result (600×400, the coffee photo's size)
        page.get_by_role("button", name="Recolor", exact=True).click()
        page.get_by_test_id("stImageCaption").filter(has_text="Stable Image Search and Recolor").first.wait_for()

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="History").click()
        page.wait_for_url("**/history")
        card = entry_card(page, "“deep teal”")
        card.get_by_role("button", name="Upscale").click()
        popover = page.get_by_test_id("stPopoverBody")
        popover.get_by_text("600×400 → 2400×1600 (4×) · $0.030").wait_for()
        expect(popover.get_by_role("button", name="Upscale · $0.03")).to_be_enabled()
        view(page, "history-upscale-popover")

        fake_bedrock.latency_s = 8.0  # the call takes a while: a second click meanwhile must not send it again
        try:
            popover.get_by_role("button", name="Upscale · $0.03").click()
            page.get_by_text("running for", exact=False).first.wait_for()
            view(page, "history-upscale-running")
            if not page.get_by_test_id("stPopoverBody").is_visible():
                entry_card(page, "“deep teal”").get_by_role("button", name="Upscale").click()
            page.get_by_test_id("stPopoverBody").get_by_role("button", name="Upscale · $0.03").click()
            page.get_by_text("Already running", exact=False).wait_for()
        finally:
            fake_bedrock.latency_s = 0.0
        page.get_by_text("Upscaled to 2400×1600 with Stable Image Fast Upscale", exact=False).wait_for(timeout=60_000)
        page.keyboard.press("Escape")
        source = page.get_by_text("Upscaled from the Lab 5 result “deep teal”", exact=False).first
        source.wait_for()
        source.scroll_into_view_if_needed()
        view(page, "history-upscaled")

        code = page.get_by_test_id("stCode").filter(has_text="MODEL_ID =").first  # newest first: the upscale's
        summary = page.get_by_text("Code: make this yourself").first
        for _ in range(3):  # a rerun that moves the entries may fold an expander just opened: open it again
            if not summary.is_visible():
                page.get_by_text("Open", exact=True).first.click()
                summary.wait_for(timeout=5_000)
            if not code.is_visible():
                summary.click()
            try:
                code.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                continue
        assert 'MODEL_ID = "us.stability.stable-fast-upscale-v1:0"' in code.inner_text()
        assert '"output_format": "png"' in code.inner_text() and '"prompt"' not in code.inner_text()
    upscales = [c for c in fake_bedrock.calls if c.model_id == FAST]
    assert len(upscales) == 1 and set(upscales[0].body) == {"image", "output_format"}


def test_upscale_action_on_a_phone(app_url, fake_bedrock):  # noqa: F811
    fake_bedrock.reset()
    with chromium_page(DESKTOP) as page:
        recolor(page, app_url, "sunny yellow")
        page.get_by_role("button", name="Recolor", exact=True).click()
        page.get_by_test_id("stImageCaption").filter(has_text="Stable Image Search and Recolor").first.wait_for()
    with chromium_page(PHONE) as page:
        page.goto(f"{app_url}/history")
        wait_for_page(page)
        card = entry_card(page, "“sunny yellow”")
        card.get_by_role("button", name="Delete").wait_for()
        page.get_by_test_id("stImage").first.wait_for()  # the thumbnails are drawn
        card.get_by_role("button", name="Upscale").scroll_into_view_if_needed()
        card.get_by_role("button", name="Upscale").click()
        popover = page.get_by_test_id("stPopoverBody")
        popover.get_by_text("600×400 → 2400×1600 (4×) · $0.030").wait_for()
        box = popover.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] + 1, box
        page.wait_for_timeout(500)
        view(page, "history-upscale-phone")
        popover.get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name="Conservative Upscale · $0.40").click()
        conservative = page.get_by_test_id("stPopoverBody")
        conservative.get_by_text("600×400 → up to 4K, about 2400×1600", exact=False).wait_for()
        expect(conservative.get_by_role("textbox", name="Describe the image")).to_have_value("sunny yellow")
        expect(conservative.get_by_role("button", name="Upscale · $0.40")).to_be_enabled()
        page.wait_for_timeout(300)
        view(page, "history-upscale-phone-conservative")
    assert [c for c in fake_bedrock.calls if c.model_id.startswith("us.stability.stable-") and "upscale" in c.model_id] == []
