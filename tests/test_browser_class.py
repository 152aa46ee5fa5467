"""Real browser, a class on one app: two attendees and an instructor; then two app servers on one
PostgreSQL (+pgvector) and S3 (moto), all started by the tests themselves.

Each attendee is a separate browser context (its own cookies = its own workspace, WORKSHOP_WORKSPACES=browser).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import CHROMIUM_ARGS, chromium_path, shot, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]

PASSCODE = "teach-2026"
PIXEL = "http://127.0.0.1:9/pixel.png"


def class_env(fake_bedrock, **extra: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1",
            "WORKSHOP_WORKSPACES": "browser", "WORKSHOP_INSTRUCTOR_PASSCODE": PASSCODE, **extra}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def attendee(browser, requests: list[str] | None = None):
    """A new browser context: its own cookie jar, so its own workspace. Records every URL it fetches."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    return page


def wait_for_app(page) -> None:
    page.get_by_test_id("stSidebar").wait_for()
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_text("Connection").wait_for()
    assert page.get_by_text("Page not found").count() == 0


def settled(page) -> None:
    """Let thumbnails, tables and buttons finish drawing before a screenshot."""
    page.get_by_role("button", name="Zip").first.wait_for()
    page.wait_for_timeout(800)


def nav(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", level=1).filter(has_text=title.split(". ", 1)[-1]).first.wait_for()


def generate(page, url: str, prompt: str) -> None:
    page.goto(f"{url}/image-generation")
    wait_for_app(page)
    page.get_by_role("textbox", name="What you want to see in the image").fill(prompt)
    page.get_by_role("button", name="Generate").click()
    page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()


def test_two_attendees_see_only_their_own_and_the_instructor_sees_both(fake_bedrock, browser, tmp_path):
    fake_bedrock.reset()
    fetched: list[str] = []
    with streamlit_server(class_env(fake_bedrock), tmp_path) as url:
        ana, ben = attendee(browser), attendee(browser, fetched)
        generate(ana, url, f"Ana's red kite ![x]({PIXEL})")
        generate(ben, url, "Ben's blue boat")

        nav(ben, "History")
        ben.get_by_text("Ben's blue boat").first.wait_for()
        assert ben.get_by_text("Ana's red kite").count() == 0
        ben.get_by_text("Signed in to AWS (the class's account)").wait_for()  # not the instructor's role and account
        assert ben.get_by_text("111122223333", exact=False).count() == 0
        settled(ben)
        shot(ben, "class-history-attendee-ben")
        # Lab 3's "From history" offers Ben only his own image.
        nav(ben, "3. Image variation")
        ben.get_by_test_id("stRadio").filter(has_text="Input image").get_by_text("From history", exact=True).click()
        ben.get_by_text("Ben's blue boat", exact=False).first.wait_for()
        assert ben.get_by_text("Ana's red kite", exact=False).count() == 0

        teacher = attendee(browser, fetched)
        teacher.goto(f"{url}/history")
        wait_for_app(teacher)
        teacher.get_by_text("Instructor sign-in").click()
        box = teacher.get_by_label("Passcode")
        box.fill(PASSCODE)
        box.press("Enter")
        teacher.get_by_text("The class: results and estimated spend per attendee").wait_for()
        teacher.get_by_text("Ben's blue boat").first.wait_for()
        teacher.get_by_text("Ana's red kite", exact=False).first.wait_for()  # the instructor sees both
        settled(teacher)
        shot(teacher, "class-history-instructor")

        nav(ana, "History")
        ana.get_by_text("Ana's red kite", exact=False).first.wait_for()
        assert ana.get_by_text("Ben's blue boat").count() == 0
        # The prompt's Markdown image is shown as text: its characters are on the page, no <img> fetched it.
        ana.get_by_text(f"![x]({PIXEL})", exact=False).first.wait_for()
        ana.get_by_role("button", name="Delete").first.click()
        expect(ana.get_by_text("Ana's red kite", exact=False)).to_have_count(0)
        shot(ana, "class-history-attendee-ana-after-delete")
        nav(teacher, "3. Image variation")
        nav(teacher, "History")
        teacher.get_by_text("Ben's blue boat").first.wait_for()
        assert teacher.get_by_text("Ana's red kite", exact=False).count() == 0  # deleted by its owner

        # A reload keeps Ben's workspace (the cookie), so his History is still his.
        ben.reload()
        wait_for_app(ben)
        nav(ben, "History")
        ben.get_by_text("Ben's blue boat").first.wait_for()
        for page in (ana, ben, teacher):
            assert page.get_by_text("Traceback").count() == 0
    assert not [u for u in fetched if u.startswith(PIXEL)]  # nobody's browser fetched the attendee's pixel


def test_lab1_folder_field_refuses_paths_outside_the_allowed_roots(fake_bedrock, browser, tmp_path):
    fake_bedrock.reset()
    with streamlit_server(class_env(fake_bedrock), tmp_path) as url:
        page = attendee(browser)
        page.goto(f"{url}/image-search")
        wait_for_app(page)
        page.get_by_role("button", name="Build / update index").wait_for()
        folder = page.get_by_role("textbox", name="Local folder on the machine running the app")
        for typed in ("~/.aws", "/proc/self/cwd", "../..", f"{tmp_path}/../.."):
            folder.fill(typed)
            folder.press("Enter")
            page.get_by_role("button", name="Build / update index").click()
            page.get_by_text(f"“{typed}” is outside the folders this app may read", exact=False).first.wait_for()
            if typed == "~/.aws":
                shot(page, "class-lab1-folder-refused")
        assert page.get_by_text("Traceback").count() == 0
    assert fake_bedrock.calls == []  # refused before anything was read or embedded


def test_two_servers_on_one_postgres_and_s3_behave_as_one(fake_bedrock, browser, tmp_path, postgres_url,
                                                         s3_endpoint):
    from real_engines import make_bucket

    fake_bedrock.reset()
    make_bucket(s3_endpoint, "two-servers")
    shared = {"WORKSHOP_DATABASE_URL": postgres_url, "WORKSHOP_BLOB_URL": "s3://two-servers/class",
              "AWS_ENDPOINT_URL_S3": s3_endpoint}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with streamlit_server(class_env(fake_bedrock, **shared), tmp_path / "one") as one, \
            streamlit_server(class_env(fake_bedrock, **shared), tmp_path / "two") as two:
        page = attendee(browser)  # one browser: the same workspace cookie on both servers (same host)
        generate(page, one, "Made on server one")
        page.goto(f"{two}/history")
        wait_for_app(page)
        page.get_by_text("Made on server one").first.wait_for()
        page.get_by_test_id("stExpander").get_by_text("Open", exact=True).first.click()
        page.get_by_role("button", name="Download all (1) as zip").wait_for()  # the image's bytes, from S3
        shot(page, "two-servers-history-on-two")
        page.get_by_role("button", name="Delete").first.click()
        expect(page.get_by_text("Made on server one")).to_have_count(0)
        page.goto(f"{one}/history")
        wait_for_app(page)
        page.get_by_text("Nothing here yet", exact=False).wait_for()
        assert page.get_by_text("Made on server one").count() == 0
    assert len([c for c in fake_bedrock.calls if "Made on server one" in str(c.body)]) == 1
