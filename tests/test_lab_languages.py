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


def test_examples_come_in_both_languages_and_a_korean_one_picks_the_english_ones_photo():
    from lib.presets import (GENERATION_PRESETS, MASKING_EXAMPLES, both_languages, english_of, in_language,
                             photo_for)

    with language("ko"):
        shown = both_languages(MASKING_EXAMPLES)
    assert shown[:2] == ("녹차 한 잔", "A cup of green tea")  # the session's language first
    assert len(shown) == 2 * len(MASKING_EXAMPLES)
    assert both_languages(("A blue car",)) == ("A blue car", "파란 자동차")
    for text in MASKING_EXAMPLES:
        korean = in_language(text, "ko")
        assert korean != text and english_of(korean) == text
        assert photo_for(korean) == photo_for(text)
    build_up = next(p for p in GENERATION_PRESETS if p.negative)
    assert build_up.prompt_in("en") == build_up.prompt and build_up.negative_in("ko") == "청진기"


def test_lab2_fills_an_example_in_the_language_asked(isolated_env, monkeypatch):
    at = korean_page(monkeypatch, "pages/2_image_generation.py")
    at.radio(key="lab2_preset_lang").set_value("ko").run()
    at.selectbox(key="lab2_preset").set_value("Build-up 7 — + negative prompt").run()
    assert at.text_area(key="lab2_prompt").value.startswith("의사를 그린 그림")
    at.radio(key="lab2_preset_lang").set_value("en").run()
    assert at.text_area(key="lab2_prompt").value.startswith("Painting of a doctor")
