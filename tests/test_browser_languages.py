"""Real browser in Korean (issue 17): a browser whose language is ko-KR gets the app in Korean — home page, labs 1,
7, 8 and 9 — and the sidebar's switch turns the session to English and back, at a projector's 1280×900 and on a
390×844 phone. Lab 1: a Korean query on Titan (English only) names Cohere Embed v4, which builds its index and
finds the red cup for the Korean query sent as typed. Screenshots land in artifacts/ (i18n-*.png): Hangul must show as letters, not boxes
(scripts/run_tests.sh installs Debian's fonts-noto-cjk).
"""

from __future__ import annotations

import pytest

from browser_support import ARTIFACTS, chromium_page, chromium_path, shot
from test_browser import app_url  # noqa: F401  (the app against the fake endpoint, started once per module)
from test_browser_lab1_languages import COHERE, pick_model, top

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


KOREAN_QUERY = "빨간 컵"  # "a red cup"


def test_a_korean_session_gets_lab1_in_korean_and_a_korean_query_on_cohere_finds_the_red_cup(app_url, fake_bedrock):
    fake_bedrock.reset()
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/image-search")
        heading(page, "이미지 검색")
        main = page.get_by_test_id("stMain")
        main.get_by_text("인덱스가 비어 있습니다", exact=False).wait_for()
        main.get_by_text("이미지 추가하고 인덱스 만들기", exact=True).first.wait_for()
        for label in ("텍스트", "이미지", "텍스트 + 이미지"):  # the search modes
            main.get_by_text(label, exact=True).first.wait_for()
        main.get_by_text("워크숍의 검색 예시").wait_for()
        box = page.get_by_role("textbox", name="검색어", exact=True)
        assert box.get_attribute("placeholder") == "two cats on a sofa"  # Titan reads English: its example stays
        box.fill(KOREAN_QUERY)
        box.press("Enter")
        hint = page.get_by_text("Titan Multimodal Embeddings G1은(는) 영어만 읽으므로", exact=False)
        hint.wait_for()
        assert "Cohere Embed v4(으)로 바꾸고" in hint.inner_text()  # the page names the multilingual model
        top(page.get_by_role("heading", name="검색", exact=True))
        view(page, "i18n-lab1-ko-titan")

        pick_model(page, "Cohere Embed v4")
        page.get_by_text("인덱스 · Cohere Embed v4, 1024차원").wait_for()
        page.get_by_text("호출 한 번에 새 이미지를 최대 96장 임베딩합니다", exact=False).wait_for()
        assert page.get_by_text("영어만 읽으므로", exact=False).count() == 0  # Cohere reads Korean
        assert box.get_attribute("placeholder") == "소파 위의 고양이 두 마리"  # and its example is Korean

        page.get_by_role("button", name="인덱스 만들기 / 업데이트").click()
        page.get_by_text("인덱스가 최신 상태입니다", exact=False).wait_for(timeout=120_000)
        builds = [c for c in fake_bedrock.calls if c.model_id == f"us.{COHERE}"]
        assert len(builds) == 1 and len(builds[0].body["images"]) == 16  # the 16 sample photos, one call
        top(page.get_by_role("heading", level=1))
        view(page, "i18n-lab1-ko-index")  # the index panel: counts, size, last build, the build's report
        page.get_by_role("button", name="검색", exact=True).click()
        results = page.get_by_role("heading", name=f"결과 · “{KOREAN_QUERY}”")
        results.wait_for()
        first = page.get_by_test_id("stMarkdownContainer").filter(has_text="#1 · 점수").first
        first.wait_for()
        assert "커피잔" in first.inner_text()  # the sample photo of a red cup of coffee, under its Korean title
        assert page.get_by_text("잘 맞는 이미지가 없습니다", exact=False).count() == 0
        query = [c for c in fake_bedrock.calls if c.model_id == f"us.{COHERE}" and "texts" in c.body]
        assert len(query) == 1 and query[0].body["texts"] == [KOREAN_QUERY]  # sent as typed
        page.get_by_text("Amazon Bedrock의 Cohere Embed v4(으)로 순위를 매김").wait_for()
        page.get_by_role("button", name="비슷한 이미지 찾기").first.wait_for()
        top(results)
        view(page, "i18n-lab1-ko-results")
        page.get_by_role("button", name="비슷한 이미지 찾기").first.click()
        page.get_by_role("heading", name="결과 · “커피잔”와(과) 비슷한 이미지").wait_for()

        switch(page, "English")  # the same results, said in English: the query is kept as data, not as words
        heading(page, "Image search")
        page.get_by_role("heading", name="Results · Similar to “Coffee cup”").wait_for()
        page.get_by_text("Index · Cohere Embed v4, 1024 dimensions").wait_for()
        switch(page, "한국어")
        heading(page, "이미지 검색")


def test_a_korean_session_gets_lab7_in_korean(app_url):
    with chromium_page(PROJECTOR, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/inpainting")
        heading(page, "직접 만든 마스크로 인페인팅")
        main = page.get_by_test_id("stMain")
        page.get_by_role("textbox", name="표시한 영역에 그릴 것 (비워 두면 지웁니다)").wait_for()
        main.get_by_text("샘플 사진용 프롬프트").wait_for()
        main.get_by_text("입력 이미지").first.wait_for()
        for source in ("샘플 사진", "업로드", "기록에서"):  # where the photo comes from
            main.get_by_text(source, exact=True).first.wait_for()
        # The default sample photo under its Korean title, and its credit in Korean.
        main.get_by_text("커피잔 — CC0 — 사진가 Rachel Michetti. 출처: scikit-image 데이터 모듈", exact=False).wait_for()
        main.get_by_text("예상 비용: US$", exact=False).wait_for()
        page.get_by_role("button", name="생성", exact=True).wait_for()
        page.get_by_role("heading", name="결과", exact=True).wait_for()
        main.get_by_text("영역을 표시하고 그 자리에 넣을 것을 쓴 다음", exact=False).wait_for()
        view(page, "i18n-lab7-ko")
        page.get_by_role("button", name="생성", exact=True).scroll_into_view_if_needed()
        view(page, "i18n-lab7-ko-run")  # the mask editor, the cost and the button


def test_a_korean_phone_gets_lab1_and_lab7_in_korean(app_url):
    with chromium_page(PHONE, locale="ko-KR") as page:
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/image-search")
        heading(page, "이미지 검색")
        page.get_by_role("textbox", name="검색어", exact=True).wait_for()
        page.get_by_role("button", name="검색", exact=True).wait_for()
        view(page, "i18n-lab1-ko-phone")
        page.goto(f"{app_url}/inpainting")
        heading(page, "직접 만든 마스크로 인페인팅")
        page.get_by_role("textbox", name="표시한 영역에 그릴 것 (비워 두면 지웁니다)").wait_for()
        page.get_by_role("button", name="생성", exact=True).wait_for()
        view(page, "i18n-lab7-ko-phone")
