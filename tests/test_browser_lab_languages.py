"""Real browser in Korean (issue 17): labs 2, 4 and 6 in a ko-KR browser, at a projector's 1280×900 and on a 390×844
phone. Lab 2 fills a workshop example in Korean, says that Nova Canvas reads English prompts only, and sends the Korean
prompt as typed; lab 4 offers its examples in both languages; lab 6 fills its example in Korean. Screenshots land in
artifacts/ (i18n-lab2-ko*.png, i18n-lab4-ko*.png, i18n-lab6-ko*.png) for a person to look at.
"""

from __future__ import annotations

import pytest

from browser_support import chromium_page, chromium_path, idle
from test_browser import app_url  # noqa: F401  (the app against the fake endpoint, started once per module)
from test_browser_languages import PHONE, PROJECTOR, heading, view

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]
CANVAS = "Amazon Nova Canvas"  # reads English prompts only


def choose(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} input[role=combobox]").click()
    page.get_by_role("option", name=option).first.click()
    idle(page)


def test_lab2_in_korean_fills_a_korean_example_notes_english_only_and_sends_it_as_typed(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/image-generation")
        heading(page, "이미지 생성")
        main = page.get_by_test_id("stMain")
        main.get_by_text("이미지 파라미터").wait_for()
        main.get_by_text("워크숍 예시로 시작하기").wait_for()
        main.get_by_text("예시 프롬프트 언어").wait_for()
        choose(page, "lab2_model", CANVAS)
        main.get_by_text("한국어", exact=True).click()  # the example in Korean
        idle(page)
        choose(page, "lab2_preset", "쌓아 가기 7 — + 네거티브 프롬프트")
        box = page.get_by_role("textbox", name="이미지에 담고 싶은 것")
        assert box.input_value().startswith("의사를 그린 그림, 인상주의 스타일")
        assert page.get_by_role("textbox", name="이미지에 없어야 할 것 (네거티브 프롬프트)").input_value() == "청진기"
        note = main.get_by_text("영어 프롬프트만 읽습니다", exact=False).first
        note.wait_for()
        assert CANVAS in note.inner_text()
        main.get_by_text("예상 비용:", exact=False).first.wait_for()
        view(page, "i18n-lab2-ko")
        page.get_by_role("button", name="생성", exact=True).click()
        page.get_by_test_id("stImage").first.wait_for(timeout=120_000)
        idle(page)
        sent = [c for c in fake_bedrock.calls if "nova-canvas" in c.model_id][-1].body
        assert sent["textToImageParams"]["text"].startswith("의사를 그린 그림")  # sent as typed
        assert sent["textToImageParams"]["negativeText"] == "청진기"
        view(page, "i18n-lab2-ko-result")


def test_lab4_and_lab6_in_korean_offer_examples_in_both_languages(app_url):
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/masking")
        heading(page, "마스킹")
        main = page.get_by_test_id("stMain")
        main.get_by_text("마스킹 모드:").wait_for()
        main.get_by_text("페인팅 모드:").wait_for()
        page.locator(".st-key-lab4_example input[role=combobox]").click()
        page.get_by_role("option", name="녹차 한 잔", exact=False).first.wait_for()
        page.get_by_role("option", name="A cup of green tea", exact=False).first.wait_for()
        page.keyboard.press("Escape")
        idle(page)
        main.get_by_text("마스크 만드는 방법").wait_for()
        view(page, "i18n-lab4-ko")

        page.goto(f"{app_url}/replace-background")
        heading(page, "배경")
        main = page.get_by_test_id("stMain")
        choose(page, "lab6_example", "해변의 자동차")
        assert page.get_by_role("textbox", name="유지할 객체와 추가할 배경을 포함한 설명:").input_value() == "해변의 자동차"
        main.get_by_text("아웃페인팅 모드", exact=False).first.wait_for()
        view(page, "i18n-lab6-ko")


@pytest.mark.parametrize("path, title, name", [("image-generation", "이미지 생성", "lab2"), ("masking", "마스킹", "lab4"),
                                               ("replace-background", "배경", "lab6")])
def test_labs_2_4_and_6_on_a_korean_phone(app_url, path, title, name):
    with chromium_page(PHONE, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/{path}")
        heading(page, title)
        page.get_by_role("heading", name="결과", exact=True).wait_for()
        idle(page)
        view(page, f"i18n-{name}-ko-phone")
