"""Real browser in Korean through every page (issue 17): a ko-KR browser opens the home page, the nine labs,
History and (signed in with the passcode) the Instructor page, at a projector's 1280×900 and on a 390×844 phone,
and finds no English UI text in what the page shows (model names, ids, numbers, code and the workshop's English
example prompts aside: the same rule as tests/test_korean_pages.py, here on the page's visible text). Labs 3 and 5
also run once in Korean and show their result. Screenshots land in artifacts/ko-walk-*.png.
"""

from __future__ import annotations

import pytest

from browser_support import browser_marks, chromium_page, fake_aws_env, shot, streamlit_server
from lib.i18n import translate
from lib.labs import LABS, TOOLS
from test_korean_pages import english_runs

pytestmark = browser_marks()
PROJECTOR, PHONE = (1280, 900), (390, 844)
PASSCODE = "korean-walk"


def ko(message: str) -> str:
    return translate(message, "ko")


@pytest.fixture(scope="module")
def served(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("ko-walk-data")
    env = {**fake_aws_env(fake_bedrock.url), "AWS_ENDPOINT_URL_STS": fake_bedrock.url,
           "AWS_ENDPOINT_URL_BEDROCK": fake_bedrock.url, "WORKSHOP_WORKSPACES": "browser",
           "WORKSHOP_INSTRUCTOR_PASSCODE": PASSCODE}
    with streamlit_server(env, data) as url:
        yield url


def settle(page) -> None:
    """The page's first runs are over (the sign-in check's rerun included) and its heading is Korean."""
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    page.wait_for_timeout(1500)
    assert page.get_by_text("Page not found").count() == 0


# The text a person sees: every text node of the app whose element is drawn, has a size and a font size (Streamlit's
# uploader words are set to size 0 in Korean and drawn in Korean instead, lib/ui/language.py; its "Skip to main
# content" link for screen readers is clipped to nothing until focused).
VISIBLE_TEXT = """() => {
  const root = document.querySelector('[data-testid=stAppViewContainer]');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const lines = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement, text = node.textContent.trim();
    if (!text || !el || el.closest('svg, style, script, [data-testid=stIconMaterial]')) continue;
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden' || parseFloat(style.fontSize) === 0
        || box.width <= 1 || box.height <= 1 || !el.checkVisibility({opacityProperty: true})) continue;
    lines.push(text);
  }
  return lines;
}"""


def english_on(page) -> list[str]:
    """Lines of the app's visible text that hold English words (see tests/test_korean_pages.py)."""
    return [line for line in page.evaluate(VISIBLE_TEXT) if english_runs(line)]


def walk(page, url: str, name: str) -> dict[str, list[str]]:
    found = {}
    for item in (*LABS, *(t for t in TOOLS if not t.instructor_only)):
        page.goto(f"{url}/{item.url_path}")
        settle(page)
        found[item.url_path] = english_on(page)
        shot(page, f"ko-walk-{name}-{item.url_path}")
    page.goto(url)
    settle(page)
    found["home"] = english_on(page)
    shot(page, f"ko-walk-{name}-home")
    return {where: lines for where, lines in found.items() if lines}


@pytest.mark.parametrize(("viewport", "name"), [(PROJECTOR, "projector"), (PHONE, "phone")])
def test_every_page_in_a_korean_browser_shows_korean(served, viewport, name):
    with chromium_page(viewport, locale="ko-KR") as page:
        page.set_default_timeout(60_000)  # the offline engines' warm-up may share the CPUs
        assert walk(page, served, name) == {}


def test_the_instructor_page_in_korean(served):
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(served)
        settle(page)
        page.get_by_text(ko("Instructor sign-in")).click()
        box = page.get_by_label(ko("Passcode"))
        box.fill(PASSCODE)
        box.press("Enter")
        page.get_by_text(ko("Instructor: you see every attendee's results.")).wait_for()
        page.get_by_test_id("stSidebarNav").get_by_text(ko("Instructor"), exact=True).click()  # same session
        for name in ("Before class", "During class", "Results packs"):
            page.get_by_role("tab", name=ko(name)).click()
            settle(page)
            shot(page, f"ko-walk-instructor-{name.lower().replace(' ', '-')}")
            assert english_on(page) == [], name


def test_labs_3_and_5_run_in_korean_and_show_their_result(served, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        for path, button in (("image-variation", ko("Generate variations")), ("replace-object", ko("Replace"))):
            page.goto(f"{served}/{path}")
            settle(page)
            if path == "image-variation":  # its default model needs a prompt: a Korean one, sent as typed
                box = page.get_by_role("textbox", name=ko("How to vary the image"))
                box.fill("수채화로 그린 같은 장면")
                box.press("Enter")
                page.wait_for_timeout(1000)
            page.get_by_role("button", name=button, exact=True).click()
            caption = page.get_by_test_id("stImageCaption").filter(has_text=ko("Seed {seed} · {model}").split(" ")[0])
            caption.first.wait_for()
            page.wait_for_timeout(500)
            shot(page, f"ko-walk-result-{path}")
            assert english_on(page) == []


def test_streamlits_own_uploader_words_are_drawn_in_korean(served):
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{served}/image-variation")
        settle(page)
        page.get_by_text(ko("Upload"), exact=True).first.click()
        zone = page.get_by_test_id("stFileUploaderDropzone").first
        zone.wait_for()
        after = zone.evaluate("""z => [
            getComputedStyle(z.querySelector('[data-testid=stMarkdownContainer] p'), '::after').content,
            getComputedStyle(z.querySelector('[data-testid=stFileUploaderDropzoneInstructions] span'), '::after').content]""")
        assert after == [f'"{ko("Upload")}"', '"' + ko("Up to {megabytes} MB per file").format(megabytes=20) + '"']
        shot(page, "ko-walk-uploader")
        assert english_on(page) == []
