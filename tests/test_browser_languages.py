"""Real browser in Korean (issue 17): a browser whose language is ko-KR gets the app in Korean — home page, lab 8,
lab 9 — and the sidebar's switch turns the session to English and back, at a projector's 1280×900 and on a
390×844 phone. Screenshots land in artifacts/ (i18n-*.png): Hangul must show as letters, not boxes
(scripts/run_tests.sh installs Debian's fonts-noto-cjk).
"""

from __future__ import annotations

import pytest

from browser_support import ARTIFACTS, chromium_page, chromium_path, shot
from test_browser import app_url  # noqa: F401  (the app against the fake endpoint, started once per module)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]
PROJECTOR, PHONE = (1280, 900), (390, 844)


def view(page, name: str) -> None:
    """What the window shows, and the full page beside it."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-view.png"), full_page=False)
    shot(page, name)


def heading(page, text: str) -> None:
    page.get_by_role("heading", level=1).filter(has_text=text).first.wait_for()
    assert page.get_by_text("Page not found").count() == 0


def nav(page, title: str, heading_text: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    heading(page, heading_text)


def switch(page, language: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(language, exact=True).click()


def test_a_korean_browser_gets_korean_and_the_sidebar_switches_to_english_and_back(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share these cores
        page.goto(app_url)
        heading(page, "Bedrock 이미지 워크숍")
        assert page.evaluate("navigator.language") == "ko-KR"
        page.get_by_text("랩 8 — 이미지 이해").wait_for()
        page.get_by_text("Amazon Bedrock으로 이미지 AI를 직접 다뤄 보는 실습입니다", exact=False).wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("발표자 모드").wait_for()
        sidebar.get_by_text("한국어", exact=True).wait_for()
        view(page, "i18n-home-ko")

        nav(page, "8. 이미지 이해", "이미지 이해")
        page.get_by_text("비전 모델에게 이미지에 대해 물어봅니다", exact=False).wait_for()
        main = page.get_by_test_id("stMain")
        for name in ("이미지 간단 묘사", "이미지 상세 묘사", "이미지 분류", "객체 탐지", "주요 객체 식별", "이야기 생성",
                     "질문에 대한 답변", "텍스트 추출", "텍스트 번역"):  # the study notes' names
            main.get_by_text(name, exact=True).wait_for()
        prompt = page.get_by_role("textbox", name="프롬프트", exact=True)
        assert prompt.input_value() == "Please provide a brief caption for this image."  # English is sent by default
        main.get_by_text("이야기 생성", exact=True).click()
        page.wait_for_function("() => [...document.querySelectorAll('textarea')].some(t => t.value.startsWith("
                               "'Please write a fictional short story'))")
        main.get_by_text("한국어", exact=True).click()  # send the prompt in Korean
        page.wait_for_function("() => [...document.querySelectorAll('textarea')].some(t => t.value === "
                               "'이 이미지를 바탕으로 허구의 단편 소설을 써주세요.')")
        page.get_by_role("button", name="실행", exact=True).click()  # a job: its panel and answer in Korean
        answered = page.get_by_test_id("stCaptionContainer").filter(has_text="입력 토큰").first
        answered.wait_for()
        sent = [c for c in fake_bedrock.calls if c.operation.startswith("converse")][-1].body
        assert "이 이미지를 바탕으로 허구의 단편 소설을 써주세요." in str(sent)  # the Korean prompt was sent
        view(page, "i18n-lab8-ko")
        answered.scroll_into_view_if_needed()
        view(page, "i18n-lab8-ko-answer")

        nav(page, "9. 멀티모달 챗봇", "멀티모달 챗봇")
        page.get_by_text("여러 이미지에 대해 한 번에 대화하고", exact=False).wait_for()
        page.get_by_role("button", name="대화 지우기").wait_for()
        page.get_by_placeholder("여기에서 챗봇과 대화하세요").wait_for()
        view(page, "i18n-lab9-ko")

        switch(page, "English")  # the session turns English: this page at once, every page after it
        heading(page, "Multimodal chatbot")
        page.get_by_test_id("stSidebarNav").get_by_text("8. Image understanding", exact=True).wait_for()
        assert sidebar.get_by_text("Presenter mode").count() == 1 and sidebar.get_by_text("발표자 모드").count() == 0
        view(page, "i18n-lab9-en")
        nav(page, "8. Image understanding", "Image understanding")
        page.get_by_test_id("stMain").get_by_text("Writing a story", exact=True).wait_for()
        view(page, "i18n-lab8-en")
        nav(page, "Home", "Bedrock Image Workshop")  # kept across pages of the session
        page.get_by_text("Lab 8 — Image understanding").wait_for()
        view(page, "i18n-home-en")

        switch(page, "한국어")
        heading(page, "Bedrock 이미지 워크숍")
        page.get_by_text("랩 9 — 멀티모달 챗봇").wait_for()


def test_a_korean_phone_gets_korean_home_and_lab8(app_url):
    with chromium_page(PHONE, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(app_url)
        heading(page, "Bedrock 이미지 워크숍")
        page.get_by_text("랩 1 — 이미지 검색").wait_for()
        view(page, "i18n-home-ko-phone")
        page.goto(f"{app_url}/image-understanding")
        heading(page, "이미지 이해")
        page.get_by_test_id("stMain").get_by_text("이미지 간단 묘사", exact=True).wait_for()
        page.get_by_role("button", name="프리셋 9개 모두 실행").wait_for()
        view(page, "i18n-lab8-ko-phone")


def test_an_english_browser_gets_english(app_url):
    with chromium_page(PROJECTOR, locale="en-US") as page:
        page.set_default_timeout(60_000)
        page.goto(app_url)
        heading(page, "Bedrock Image Workshop")
        page.get_by_text("Lab 8 — Image understanding").wait_for()
        assert page.get_by_text("이미지 이해").count() == 0
