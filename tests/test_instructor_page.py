"""AppTest: the instructor page for the laptop's instructor, the refusal for an attendee, the sidebar's
"signed in as", and the banner an attendee sees on a lab after the instructor's check."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from lib.caller import caller_watcher

INSTRUCTOR = "pages/instructor.py"
BACKGROUND = "pages/6_replace_background.py"


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "title")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def fresh_identity():
    caller_watcher().forget()
    yield caller_watcher()
    caller_watcher().wait_idle()
    caller_watcher().forget()


def test_sidebar_says_signed_in_as_only_after_sts_answers(aws_env, fresh_identity) -> None:
    at = open_app()
    fresh_identity.wait_idle()
    at.run()
    body = texts(at)
    assert "Signed in to AWS as role WorkshopInstructor (session instructor) · account 111122223333" in body
    assert "AWS credentials found (environment variables)" in body


def test_sidebar_names_expired_credentials_before_any_call(aws_env, fresh_identity) -> None:
    aws_env.control.set_caller(failure="expired")
    at = open_app()
    fresh_identity.wait_idle()
    at.run()
    body = texts(at)
    assert "but AWS refuses them: The AWS credentials have expired." in body and "Signed in" not in body
    assert not [c for c in aws_env.calls]  # no model call was needed to find out


def test_readiness_check_on_the_laptop_and_the_banner_it_leaves(aws_env, fresh_identity) -> None:
    aws_env.control.set_model("stability.stable-image-remove-background-v1:0", authorization="NOT_AUTHORIZED")
    aws_env.control.set_model("amazon.nova-2-omni-v1:0", authorization="NOT_AUTHORIZED")  # lab 6's other way
    at = open_app(INSTRUCTOR)
    assert "Instructor" in [t.value for t in at.title]
    at.button(key="instructor_check").click().run()  # the job runs inline in page tests
    at.run()
    assert not at.exception, at.exception
    body = texts(at)
    assert "Lab 6 is not ready: no model it offers can be called on this account." in body
    assert "Lab 7 is ready." in body and "Attendees are told to use lab 7 meanwhile." in body
    lab = open_app(BACKGROUND)
    assert any("Lab 6 can't run on this account today; use lab 7." in i.value for i in lab.info)


def test_pause_switch_and_dashboard(aws_env, fresh_identity) -> None:
    at = open_app(INSTRUCTOR)
    at.button(key="instructor_pause").click().run()
    assert any("All model calls are paused" in w.value for w in at.warning)
    lab = open_app("pages/2_image_generation.py")
    assert any("paused model calls for the class" in w.value for w in lab.warning)
    at.button(key="instructor_resume").click().run()
    assert any("Model calls are running" in s.value for s in at.success)
    assert "Attendees active (15 min)" in [m.label for m in at.metric]


def test_an_attendee_gets_a_polite_refusal(aws_env, fresh_identity, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_WORKSPACES", "browser")
    monkeypatch.setenv("WORKSHOP_INSTRUCTOR_PASSCODE", "teach")
    at = open_app(INSTRUCTOR)
    assert any("This page is for the instructor of the class" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "instructor_check"]
