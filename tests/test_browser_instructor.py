"""Real browser, the instructor's side of a class: the readiness check against the fake's control plane, spend
caps and the pause switch with two attendees, and a results pack carried from one data folder to another.

Each person is a separate browser context (own cookies, own workspace; WORKSHOP_WORKSPACES=browser); the
instructor signs in with the passcode and reaches the Instructor page through the sidebar, as in class.
Screenshots land in artifacts/instructor-*.png.
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
TITAN_EMBED = "amazon.titan-embed-image-v1"
ULTRA = "stability.stable-image-ultra-v1:1"
NOVA_PRO = "amazon.nova-pro-v1:0"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"
NOVA_OMNI = "amazon.nova-2-omni-v1:0"


def class_env(fake_bedrock, **extra: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_ENDPOINT_URL_BEDROCK": fake_bedrock.url,
            "AWS_ENDPOINT_URL_STS": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1",
            "WORKSHOP_WORKSPACES": "browser", "WORKSHOP_INSTRUCTOR_PASSCODE": PASSCODE, **extra}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def person(browser, height: int = 1000):
    context = browser.new_context(viewport={"width": 1400, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def wait_for_app(page) -> None:
    page.get_by_test_id("stSidebar").wait_for()
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_text("Connection").wait_for()
    assert page.get_by_text("Page not found").count() == 0


def nav(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", level=1).filter(has_text=title.split(". ", 1)[-1]).first.wait_for()


def sign_in_as_instructor(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("Instructor sign-in").click()
    box = page.get_by_label("Passcode")
    box.fill(PASSCODE)
    box.press("Enter")
    page.get_by_text("Instructor: you see every attendee's results.").wait_for()
    nav(page, "Instructor")


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def generate(page, prompt: str, count: int = 1) -> None:
    page.get_by_role("textbox", name="What you want to see in the image").fill(prompt)
    if count != 1:
        page.get_by_role("spinbutton", name="Number of images").fill(str(count))
        page.get_by_role("spinbutton", name="Number of images").press("Enter")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Generate", exact=True).click()


def invokes(fake) -> int:
    return sum(1 for c in fake.calls if c.operation == "invoke")


def test_readiness_verdicts_per_lab_and_the_banner_attendees_see(fake_bedrock, browser, tmp_path):
    fake_bedrock.reset()
    fake_bedrock.control.set_model(TITAN_EMBED, lifecycle="EOL")  # one model end of life
    fake_bedrock.control.set_model(ULTRA, agreement="NOT_AVAILABLE")  # one without its Marketplace agreement
    fake_bedrock.control.set_model(NOVA_PRO, profile_only=True)  # one that needs an inference profile
    fake_bedrock.control.set_model(REMOVE_BG, authorization="NOT_AUTHORIZED")  # lab 6's subject finder
    fake_bedrock.control.set_model(NOVA_OMNI, authorization="NOT_AUTHORIZED")  # and lab 6's instruction edit
    with streamlit_server(class_env(fake_bedrock), tmp_path) as url:
        teacher = person(browser, height=3200)  # tall: the whole verdict list in one screenshot
        sign_in_as_instructor(teacher, url)
        teacher.get_by_test_id("stSidebar").get_by_text(
            "Signed in to AWS as role WorkshopInstructor (session instructor) · account 111122223333").wait_for()
        teacher.get_by_text("Signed in as role WorkshopInstructor (session instructor) in account",
                            exact=False).first.wait_for()
        teacher.get_by_role("button", name="Run the readiness check").click()
        teacher.get_by_text("Lab 6 is not ready: no model it offers can be called on this account.").wait_for()
        for text in ("Lab 1 is ready with Amazon Nova Multimodal Embeddings, Cohere Embed v4 and TwelveLabs Marengo "
                     "Embed 3.0 only.",
                     "Lab 2 is ready with Stable Diffusion 3.5 Large and Stable Image Core only.",
                     "Lab 3 is ready with Stable Diffusion 3.5 Large", "Lab 7 is ready.",
                     "Attendees are told to use lab 7 meanwhile."):
            teacher.get_by_text(text, exact=False).first.wait_for()
        lab8 = teacher.get_by_test_id("stVerticalBlock").filter(
            has_text="8. Image understanding — Lab 8 is ready with").last
        assert "Amazon Nova Pro" not in lab8.get_by_text("Lab 8 is ready with", exact=False).first.inner_text()
        teacher.get_by_text(f"“us.{NOVA_PRO}”", exact=False).first.wait_for()  # the exact fix
        teacher.get_by_text("Titan Multimodal Embeddings G1: Use another model of this lab. Amazon Nova Multimodal "
                            "Embeddings, Cohere Embed v4 and TwelveLabs Marengo Embed 3.0 work here.",
                            exact=False).wait_for()
        teacher.get_by_text("Stable Image Ultra (us-west-2): $0.14 per image generated", exact=False).wait_for()
        teacher.wait_for_timeout(500)
        shot(teacher, "instructor-readiness")

        with teacher.expect_download() as info:
            teacher.get_by_role("button", name="Download as Markdown").click()
        markdown = open(info.value.path(), encoding="utf-8").read()
        assert "Lab 6 is not ready" in markdown and "Lab 2 is ready with Stable Diffusion 3.5 Large" in markdown

        # One smallest real call, its estimated cost on the button before the click.
        teacher.get_by_test_id("stMultiSelect").filter(has_text="Models to call").get_by_role("combobox").click()
        teacher.get_by_role("option", name="Stable Image Core").click()
        teacher.keyboard.press("Escape")
        before = invokes(fake_bedrock)
        teacher.get_by_role("button", name="Make 1 test call (est. $0.040)").click()
        teacher.get_by_text("1 test call made, 0 failed.").wait_for()
        assert invokes(fake_bedrock) == before + 1

        assert fake_bedrock.control.agreements_created == []  # nothing accepted without a click
        teacher.get_by_role("button", name="Create agreement for Stable Image Ultra").click()
        teacher.get_by_text("Agreement for Stable Image Ultra requested", exact=False).wait_for()
        assert [m for m, _ in fake_bedrock.control.agreements_created] == [ULTRA]

        attendee = person(browser)
        attendee.goto(url)
        wait_for_app(attendee)
        assert attendee.get_by_test_id("stSidebarNav").get_by_text("Instructor", exact=True).count() == 0
        nav(attendee, "6. Replace the background")
        attendee.get_by_text("Lab 6 can't run on this account today; use lab 7.", exact=False).wait_for()
        shot(attendee, "instructor-banner-lab6-attendee")
        nav(attendee, "7. Inpainting with your own mask")
        attendee.get_by_role("heading", name="Lab 7 · Inpainting with your own mask").wait_for()
        assert attendee.get_by_text("can't run on this account today", exact=False).count() == 0
        attendee.goto(f"{url}/instructor")  # the address, typed by hand
        attendee.get_by_text("This page is for the instructor of the class", exact=False).wait_for()
        assert attendee.get_by_role("button", name="Run the readiness check").count() == 0
        shot(attendee, "instructor-refused-attendee")
        for page in (teacher, attendee):
            assert page.get_by_text("Traceback").count() == 0


def test_caps_refuse_a_call_and_pause_stops_a_second_attendee(fake_bedrock, browser, tmp_path):
    fake_bedrock.reset()
    with streamlit_server(class_env(fake_bedrock, WORKSHOP_CAP_ATTENDEE_USD="0.10"), tmp_path) as url:
        ana = person(browser)
        ana.goto(f"{url}/image-generation")
        wait_for_app(ana)
        generate(ana, "Ana's red kite")  # $0.08 of her $0.10
        ana.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        before = invokes(fake_bedrock)
        generate(ana, "Ana's second kite")  # would be $0.16
        ana.get_by_text("Spend cap reached", exact=False).first.wait_for()
        ana.get_by_text("would take your spend past the attendee cap of $0.10", exact=False).first.wait_for()
        assert invokes(fake_bedrock) == before  # refused before it was sent
        ana.get_by_text("Spend cap reached", exact=False).first.scroll_into_view_if_needed()
        shot(ana, "instructor-cap-refused-attendee")

        teacher = person(browser, height=1800)
        sign_in_as_instructor(teacher, url)
        tab(teacher, "During class")
        teacher.get_by_label("Note for attendees (optional)").fill("short break")
        teacher.get_by_label("Note for attendees (optional)").press("Enter")
        teacher.get_by_role("button", name="Pause all model calls").click()
        teacher.get_by_text("All model calls are paused", exact=False).wait_for()

        ben = person(browser)
        ben.goto(f"{url}/image-generation")
        wait_for_app(ben)
        ben.get_by_text("The instructor has paused model calls for the class (short break).", exact=False).wait_for()
        before = invokes(fake_bedrock)
        generate(ben, "Ben's blue boat")
        ben.get_by_text("Model calls are paused", exact=False).first.wait_for()
        ben.get_by_text("Nothing was sent and nothing was charged", exact=False).first.wait_for()
        assert invokes(fake_bedrock) == before
        ben.get_by_text("Model calls are paused", exact=False).first.scroll_into_view_if_needed()
        shot(ben, "instructor-paused-attendee")

        nav(teacher, "History")  # and back: the page runs again with what Ben's refusal recorded
        nav(teacher, "Instructor")
        tab(teacher, "During class")
        teacher.get_by_text("Errors by kind", exact=False).wait_for()
        teacher.get_by_text("Spend per attendee", exact=False).wait_for()
        expect(teacher.get_by_test_id("stMetricValue").first).to_have_text("2")  # Ana and Ben were active
        teacher.wait_for_timeout(1500)  # the dataframes draw
        shot(teacher, "instructor-dashboard")
        teacher.get_by_role("button", name="Resume model calls").click()
        teacher.get_by_text("Model calls are running for the class.").wait_for()

        generate(ben, "Ben's blue boat")  # the same request again, now sent
        ben.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        assert invokes(fake_bedrock) == before + 1
        for page in (ana, ben, teacher):
            assert page.get_by_text("Traceback").count() == 0


def test_a_pack_exported_on_one_data_folder_replays_on_another(fake_bedrock, browser, tmp_path):
    fake_bedrock.reset()
    (tmp_path / "made").mkdir()
    (tmp_path / "class").mkdir()
    with streamlit_server(class_env(fake_bedrock), tmp_path / "made") as url:
        teacher = person(browser)
        sign_in_as_instructor(teacher, url)
        nav(teacher, "2. Image generation")
        generate(teacher, "A lighthouse at dusk", count=2)
        expect(teacher.get_by_test_id("stImageCaption").filter(has_text="Seed")).to_have_count(2)
        nav(teacher, "Instructor")
        tab(teacher, "Results packs")
        teacher.get_by_text("Everything listed (1 result, 0 answers)").click()
        teacher.get_by_role("button", name="Prepare the pack").click()
        with teacher.expect_download() as info:
            teacher.get_by_role("button", name="Download results pack (1 result, 0 answers", exact=False).click()
        pack = tmp_path / "pack.zip"
        info.value.save_as(str(pack))
        shot(teacher, "instructor-pack-export")

    calls_before = len(fake_bedrock.calls)
    no_credentials = {k: v for k, v in class_env(fake_bedrock).items() if not k.startswith("AWS_ACCESS_KEY")
                      and not k.startswith("AWS_SECRET")}
    with streamlit_server(no_credentials, tmp_path / "class") as url:
        teacher = person(browser)
        sign_in_as_instructor(teacher, url)
        tab(teacher, "Results packs")
        teacher.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(str(pack))
        teacher.get_by_role("button", name="Import the pack").click()
        teacher.get_by_text("Imported: 1 result, 0 chat answers added.", exact=False).wait_for()

        attendee = person(browser)
        attendee.goto(f"{url}/image-generation")
        wait_for_app(attendee)
        attendee.get_by_text("AWS credentials not found").wait_for()
        attendee.get_by_role("textbox", name="What you want to see in the image").fill("A lighthouse at dusk")
        attendee.get_by_role("spinbutton", name="Number of images").fill("2")
        attendee.get_by_role("spinbutton", name="Number of images").press("Enter")
        attendee.get_by_role("button", name="Replay the identical result", exact=False).click()
        attendee.get_by_text("Replayed from history").first.wait_for()
        expect(attendee.get_by_test_id("stImageCaption").filter(has_text="Seed")).to_have_count(2)  # the whole set
        attendee.mouse.move(5, 5)
        attendee.get_by_text("Replayed from history").first.scroll_into_view_if_needed()
        attendee.wait_for_timeout(800)
        shot(attendee, "instructor-pack-replayed-attendee")
        nav(attendee, "History")  # a pack's results are not the attendee's own
        attendee.get_by_text("Nothing", exact=False).first.wait_for()
        assert attendee.get_by_text("A lighthouse at dusk").count() == 0
        for page in (teacher, attendee):
            assert page.get_by_text("Traceback").count() == 0
    assert len(fake_bedrock.calls) == calls_before  # the second deployment called nothing
