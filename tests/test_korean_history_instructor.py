"""History and the instructor's page in Korean (issue 17): no English UI text, History's count in Korean, the
readiness findings and the downloadable report in the session's language (kept as message ids in the report, so
the same report reads in English in an English session), and credential problems in the app's own words."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import readiness
from lib.caller import caller_watcher
from lib.i18n import language
from lib.services.credentials import credential_status
from test_korean_pages import english_runs, untranslated
from test_pages import open_app

HISTORY = "pages/history.py"
INSTRUCTOR = "pages/instructor.py"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"
OMNI = "amazon.nova-2-omni-v1:0"
ULTRA = "stability.stable-image-ultra-v1:1"
NOVA_PRO = "amazon.nova-pro-v1:0"


@pytest.fixture
def korean(monkeypatch):
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "ko")


@pytest.fixture
def fresh_identity():
    caller_watcher().forget()
    yield caller_watcher()
    caller_watcher().wait_idle()
    caller_watcher().forget()


@pytest.fixture
def control(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", aws_env.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    return aws_env.control


def texts(at: AppTest) -> str:
    """The page's words, without the Markdown escapes of lib/text.plain."""
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success", "title")
                     for e in getattr(at, kind)).replace("\\", "")


def ui_text(at: AppTest) -> list[str]:
    """English left on the page, the generated code aside (its comments are the script's own, in English in every
    session); the code view's captions around it are in the session's language (lib/codegen.py `shown_facts`)."""
    return [t for t in untranslated(at) if not t.startswith("code_text:")]


def test_history_in_korean_with_a_result_and_its_count(aws_env, korean, fresh_identity) -> None:
    empty = open_app(HISTORY, timeout=90)
    assert untranslated(empty) == []
    assert "아직 아무것도 없습니다" in texts(empty)
    assert "결과 0개와 답변, 예상 비용 US$0.000" in [c.value for c in empty.caption]

    lab2 = open_app("pages/2_image_generation.py", timeout=90)
    lab2.text_area(key="lab2_prompt").input("언덕 위를 나는 빨간 연").run()
    lab2.button(key="lab2_go").click().run()
    assert not lab2.exception, lab2.exception

    at = open_app(HISTORY, timeout=90)
    assert ui_text(at) == []
    captions = [c.value for c in at.caption]
    assert any(c.startswith("결과 1개와 답변, 예상 비용 US$") for c in captions), captions
    assert any(b.label == "랩 2에서 다시 쓰기" for b in at.button)
    assert "답변 (랩 8과 9)" in [t.label for t in at.tabs]


def test_instructor_page_and_its_readiness_verdicts_in_korean(aws_env, korean, fresh_identity) -> None:
    aws_env.control.set_model(REMOVE_BG, authorization="NOT_AUTHORIZED")
    aws_env.control.set_model(OMNI, authorization="NOT_AUTHORIZED")
    at = open_app(INSTRUCTOR, timeout=90)
    assert untranslated(at) == []
    at.button(key="instructor_check").click().run()  # the job runs inline in page tests
    at.run()
    assert not at.exception, at.exception
    body = texts(at)
    assert "랩 6은(는) 준비되지 않았습니다" in body and "랩 7은(는) 준비되었습니다." in body
    assert "IAM이나 조직 정책이 이 자격 증명으로 Stable Image Remove Background을(를) 호출하지 못하게 합니다." in body
    assert untranslated(at) == []


def test_the_readiness_report_is_put_in_words_where_it_is_read(control) -> None:
    control.set_model(ULTRA, agreement="NOT_AVAILABLE")
    control.set_model(NOVA_PRO, profile_only=True)
    control.set_model(REMOVE_BG, authorization="NOT_AUTHORIZED")
    report = readiness.run_check("us-east-1")  # checked on worker threads, in no session's language
    stored = readiness.ReadinessReport.from_dict(report.to_dict())  # as the shared database keeps it

    with language("ko"):
        text = stored.markdown()
        lab6 = stored.lab(6)
        blocked, fixes, headline = lab6.blocked_texts(), stored.lab(8).fix_texts(), lab6.headline
    assert text.startswith("# 워크숍 준비 상태 — us-east-1")
    assert "## 랩 2 · 이미지 생성" in text and "## 모델" in text
    assert "- 해결 방법: Stable Image Ultra: 여기서 오퍼를 수락하거나(계약 만들기)" in text
    assert headline == "랩 6은(는) Amazon Nova 2 Omni(으)로만 준비되었습니다."
    assert any("(Stable Image Remove Background 필요)" in why for why in blocked), blocked
    assert any("lib/catalog.py의 해당 행에 inference_profile_prefix=\"us\"를 설정" in fix for fix in fixes), fixes
    # What is left in English is AWS's own text (the offer's rate card), names, ids and code.
    leftovers = [run for line in text.splitlines() for run in english_runs(line)]
    assert leftovers == ["per image generated"] * len(leftovers) and len(leftovers) <= 2, leftovers

    english = stored.markdown()  # the same stored report, read in an English session
    assert english.startswith("# Workshop readiness — us-east-1")
    assert "| 2. Image generation | Lab 2 is ready with Stable Diffusion 3.5 Large" in english
    assert "Accept its offer here (Create agreement)" in english


def test_sts_answers_in_the_sidebar_in_korean(aws_env, korean, fresh_identity) -> None:
    aws_env.control.set_caller(failure="expired")
    at = open_app(timeout=90)
    fresh_identity.wait_idle()
    at.run()
    body = texts(at)
    assert "하지만 AWS가 이 자격 증명을 거부합니다: AWS 자격 증명이 만료되었습니다." in body
    assert "자격 증명을 갱신하고(`aws sso login` 또는 새 임시 키) 페이지를 새로 고치세요." in body


def test_partial_credentials_are_said_in_the_apps_words(isolated_env, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")  # no secret key: botocore's PartialCredentialsError
    status = credential_status()
    assert not status.found
    assert status.problem_text() == ("Only part of the AWS credentials is set in the environment: "
                                     "AWS_SECRET_ACCESS_KEY is missing.")
    with language("ko"):
        assert status.problem_text() == "환경 변수에 AWS 자격 증명의 일부만 설정되어 있습니다: AWS_SECRET_ACCESS_KEY이(가) 없습니다."
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "ko")
    lab = open_app("pages/2_image_generation.py", timeout=90)
    warned = "\n".join(w.value for w in lab.warning)
    assert "AWS_SECRET_ACCESS_KEY이(가) 없습니다" in warned and "Partial credentials" not in warned
    assert untranslated(lab) == []
