"""Lab 1 in a real browser (Debian's Chromium through Playwright, the fake endpoint): a Korean query on an
English-only model is told which model reads it; Cohere Embed v4 builds its index over the sample photos in
one batched call and finds a Korean query's photo."""

from __future__ import annotations

import pytest

from browser_support import chromium_page, chromium_path, shot
from test_browser import app_url  # noqa: F401  (the app against the fake endpoint, started once per module)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]

COHERE = "cohere.embed-v4:0"
QUERY = "빨간 컵"  # "a red cup"


def top(locator) -> None:
    """Scroll Streamlit's main column so `locator` is at the top of the 1280×900 window."""
    locator.evaluate("element => element.scrollIntoView({block: 'start'})")


def pick_model(page, label: str) -> None:
    """Choose lab 1's embedding model by its label (the picker in view first: a scroll closes an open dropdown)."""
    top(page.locator(".st-key-lab1_model"))
    page.locator(".st-key-lab1_model input[role=combobox]").click()
    page.get_by_role("option", name=label, exact=True).click()


def test_a_korean_query_is_steered_to_cohere_which_builds_in_one_call_and_finds_the_red_cup(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(viewport=(1280, 900)) as page:
        page.goto(f"{app_url}/image-search")
        page.get_by_test_id("stSidebar").wait_for()
        page.get_by_text("The index is empty").wait_for()

        box = page.get_by_role("textbox", name="Search for")
        box.fill(QUERY)
        box.press("Enter")
        hint = page.get_by_text("Titan Multimodal Embeddings G1 reads English only", exact=False)
        hint.wait_for()
        assert "Switch to Cohere Embed v4" in hint.inner_text()
        top(page.get_by_role("heading", name="Search", exact=True))
        shot(page, "lab1-korean-on-titan")

        pick_model(page, "Cohere Embed v4")
        page.get_by_text("Index · Cohere Embed v4, 1024 dimensions").wait_for()
        page.get_by_text("embeds up to 96 new images per call", exact=False).wait_for()
        assert page.get_by_text("reads English only", exact=False).count() == 0  # Cohere reads Korean
        caption = page.get_by_text("`cohere.embed-v4:0`", exact=False).or_(
            page.get_by_text("queries: many languages", exact=False)).first
        caption.wait_for()
        assert "text price not in the app's table" in caption.inner_text()
        shot(page, "lab1-cohere-picked")

        page.get_by_role("button", name="Build / update index").click()
        page.get_by_text("Index up to date", exact=False).wait_for(timeout=60_000)
        builds = [c for c in fake_bedrock.calls if c.model_id == f"us.{COHERE}"]
        assert len(builds) == 1 and len(builds[0].body["images"]) == 16  # the 16 sample photos, one call
        assert builds[0].body["input_type"] == "search_document" and builds[0].body["output_dimension"] == 1024

        assert page.get_by_role("textbox", name="Search for").input_value() == QUERY  # kept across the switch
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_role("heading", name=f"Results · “{QUERY}”").wait_for()
        first = page.get_by_test_id("stMarkdownContainer").filter(has_text="#1 · score").first
        first.wait_for()
        assert "coffee" in first.inner_text().lower()  # the sample photo of a red cup of coffee
        assert page.get_by_text("Nothing matches", exact=False).count() == 0
        query = [c for c in fake_bedrock.calls if c.model_id == f"us.{COHERE}" and "texts" in c.body]
        assert len(query) == 1 and query[0].body["texts"] == [QUERY]
        assert query[0].body["input_type"] == "search_query"
        top(page.get_by_role("heading", name=f"Results · “{QUERY}”"))
        shot(page, "lab1-korean-on-cohere")
