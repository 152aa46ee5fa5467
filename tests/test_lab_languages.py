"""Labs 2, 4 and 6 in Korean (issue 17): the pages speak Korean, a Korean prompt on a model that reads English only
gets a one-line note (and is sent as typed), and the kept-object measurement made in one language is read back
in the other."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from lib import masks
from lib.catalog import get_model
from lib.i18n import language
from lib.services.outpainting import KEPT_LABEL, kept_change_in, kept_note, kept_note_in
from lib.ui.prompt_language import has_hangul, reads_english_only

TITAN_V2 = "amazon.titan-image-generator-v2:0"
OMNI = "amazon.nova-2-omni-v1:0"
NOTE = "영어 프롬프트만 읽습니다"


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "title", "subheader")
                     for e in getattr(at, kind))


def korean_page(monkeypatch, page: str) -> AppTest:
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "ko")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_hangul_and_which_models_read_english_only():
    assert has_hangul("등대가 있는 새벽 바다") and not has_hangul("A lighthouse at dawn")
    assert reads_english_only(get_model(TITAN_V2)) and reads_english_only(get_model("stability.sd3-5-large-v1:0"))
    assert reads_english_only(get_model("amazon.nova-canvas-v1:0"))
    assert not reads_english_only(get_model(OMNI))  # Nova 2 Omni follows instructions in many languages


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_kept_object_measurement_is_read_back_in_either_language(lang):
    change = masks.KeptChange(1234, 1_048_576, 8)
    with language(lang):
        note = kept_note(change)
    assert kept_change_in(["other note", note]) == change
    assert kept_note_in([note]) == note
    with language("ko"):
        assert "유지한 객체 안에서 바뀐 픽셀" in kept_note(change)


def test_lab2_in_korean_notes_a_korean_prompt_on_titan_and_not_on_nova_2_omni(isolated_env, monkeypatch):
    at = korean_page(monkeypatch, "pages/2_image_generation.py")
    shown = texts(at)
    assert "이미지 파라미터" in shown and "결과" in shown and "Image parameters" not in shown
    at.selectbox(key="lab2_model").set_value(TITAN_V2).run()
    at.text_area(key="lab2_prompt").input("A lighthouse at dawn").run()
    assert NOTE not in texts(at)
    at.text_area(key="lab2_prompt").input("새벽의 등대").run()
    assert not at.exception, at.exception
    assert NOTE in texts(at)
    at.selectbox(key="lab2_model").set_value(OMNI).run()
    assert NOTE not in texts(at)


def test_lab4_and_lab6_in_korean(isolated_env, monkeypatch):
    at = korean_page(monkeypatch, "pages/4_masking.py")
    with language("ko"):  # AppTest reads format_func on this thread (see tests/test_i18n.py)
        assert list(at.radio(key="lab4_masking").options) == ["이미지", "프롬프트"]
    shown = texts(at)
    assert "결과" in shown and "Masking mode" not in shown
    at = korean_page(monkeypatch, "pages/6_replace_background.py")
    shown = texts(at)
    assert "결과" in shown and "Say what to keep" not in shown
    assert at.text_input(key="lab6_prompt").label == "유지할 객체와 추가할 배경을 포함한 설명:"
    assert "유지할 객체" in shown  # a field, or why the model needs none
