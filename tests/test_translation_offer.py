"""Issue 17: a Korean prompt on a model that reads English only gets an offer to translate it first, with a chat
model the page names; the translation is shown, and the boxes change only when the attendee takes it.
Against the fake endpoint: its Converse answer repeats the question (tests/fake_bedrock.py), so what the box
receives is exactly what the chat model answered."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from lib.catalog import CHAT_MODELS, get_chat_model
from lib.history import HistoryStore
from lib.jobs import Job
from lib.services.translation import INSTRUCTION, Translation, cleaned, translate_work, translator
from lib.settings import load_settings
from lib.ui.prompt_language import not_english
from test_lab_languages import korean_page

TITAN_V2 = "amazon.titan-image-generator-v2:0"
OMNI = "amazon.nova-2-omni-v1:0"
KOREAN = "새벽의 등대"


def korean_lab2(monkeypatch) -> AppTest:
    at = korean_page(monkeypatch, "pages/2_image_generation.py")
    at.selectbox(key="lab2_model").set_value(TITAN_V2).run()
    at.text_area(key="lab2_prompt").input(KOREAN).run()
    assert not at.exception, at.exception
    return at


def buttons(at: AppTest) -> dict[str, object]:
    return {b.key: b for b in at.button}


def test_what_is_worth_translating():
    assert not_english(KOREAN) and not_english("夜の灯台") and not_english("маяк")
    assert not not_english("A lighthouse at dawn") and not not_english("Café crème, 3 cups") and not not_english("")


def test_the_answer_is_cleaned_of_markers_and_quotes():
    assert cleaned(' "A lighthouse at dawn" ') == "A lighthouse at dawn"
    assert cleaned("<text>A lighthouse at dawn</text>\n") == "A lighthouse at dawn"
    assert cleaned("“A lighthouse”") == "A lighthouse"


def test_the_translator_is_the_attendees_chat_model_when_it_can_be_called():
    assert translator("amazon.nova-lite-v1:0").id == "amazon.nova-lite-v1:0"
    first = next(m for m in CHAT_MODELS if not m.runs_locally and m.lifecycle.callable_today)
    assert translator(None) == first
    assert translator("local.vision-stand-in") == first  # the offline stand-in doesn't translate
    assert translator("no.such-model") == first  # a stale id in the session


def test_the_job_translates_each_box_and_keeps_the_answer(aws_env):
    store = HistoryStore(load_settings().data_dir)
    model = get_chat_model("amazon.nova-lite-v1:0")
    work = translate_work(model, {"lab2_prompt": KOREAN, "lab2_negative": ""}, store, "lab2", owner="me")
    done: Translation = work(Job("me", "lab2_translate", "translate", "Translate", model.label, "k"))
    calls = [c for c in aws_env.calls if c.model_id.endswith(model.id)]
    assert len(calls) == 1  # the empty box is not sent
    asked = calls[0].body["messages"][0]["content"][0]["text"]
    assert asked == INSTRUCTION.format(text=KOREAN)
    source, english = done.texts["lab2_prompt"]
    assert source == KOREAN and english and "lab2_negative" not in done.texts
    assert done.cost_usd > 0 and done.model_label == model.label
    kept = store.recent_answers(5, lab="lab2")
    assert [a.text for a in kept] == [calls_answer(aws_env, model.id)]  # paid for, so kept in History
    assert cleaned(kept[0].text) == english


def calls_answer(fake, model_id: str) -> str:
    """What the fake answered to the one Converse call made to `model_id` (its answer repeats the question)."""
    call = next(c for c in fake.calls if c.model_id.endswith(model_id))
    text = call.body["messages"][0]["content"][0]["text"]
    return f'I see 0 images. You asked: "{" ".join(text.split())}".'


def test_lab2_offers_the_translation_then_puts_it_in_the_box_on_a_click(aws_env, monkeypatch):
    at = korean_lab2(monkeypatch)
    offer = buttons(at)["lab2_translate_go"]
    assert any("Claude" in c.value or "Amazon" in c.value for c in at.caption if "번역합니다" in c.value)  # names the translator
    assert not offer.disabled
    offer.click().run()
    assert not at.exception, at.exception
    converse = [c for c in aws_env.calls if "messages" in c.body]
    assert len(converse) == 1 and KOREAN in json.dumps(converse[0].body, ensure_ascii=False)
    use = buttons(at)["lab2_translation_use"]
    shown = "\n".join(m.value for m in at.markdown)
    assert "번역한 영어" in shown  # the translation is shown before anything changes
    assert at.text_area(key="lab2_prompt").value == KOREAN
    use.click().run()
    english = at.text_area(key="lab2_prompt").value
    assert english != KOREAN and english in shown  # the box holds exactly what was shown
    assert not [c for c in aws_env.calls if c.model_id.endswith(TITAN_V2)]  # nothing was generated on its own


def test_an_edit_after_the_translation_makes_it_stale(aws_env, monkeypatch):
    at = korean_lab2(monkeypatch)
    buttons(at)["lab2_translate_go"].click().run()
    assert "lab2_translation_use" in buttons(at)
    at.text_area(key="lab2_prompt").input("바닷가의 등대").run()
    assert "lab2_translation_use" not in buttons(at) and "lab2_translate_go" in buttons(at)


def test_no_offer_for_a_model_that_reads_korean(aws_env, monkeypatch):
    at = korean_lab2(monkeypatch)
    at.selectbox(key="lab2_model").set_value(OMNI).run()
    assert "lab2_translate_go" not in buttons(at)


def test_without_credentials_the_offer_says_what_it_needs(isolated_env, monkeypatch):
    at = korean_lab2(monkeypatch)
    assert buttons(at)["lab2_translate_go"].disabled
    assert any("AWS 자격 증명이 필요합니다" in c.value for c in at.caption)


def test_a_throttled_translation_says_so_and_keeps_the_box(aws_env, monkeypatch):
    at = korean_lab2(monkeypatch)
    aws_env.fail_next("throttle")
    buttons(at)["lab2_translate_go"].click().run()
    assert at.error and at.text_area(key="lab2_prompt").value == KOREAN
    assert "lab2_translation_use" not in buttons(at)


def test_lab7_notes_a_korean_prompt_on_an_english_only_model_and_offers_the_translation(aws_env, monkeypatch):
    at = korean_page(monkeypatch, "pages/7_inpainting.py")
    at.text_input(key="lab7_prompt").input("작은 은색 포크").run()
    assert not at.exception, at.exception
    assert "lab7_translate_go" in buttons(at)
    at.text_input(key="lab7_prompt").input("A small silver fork").run()
    assert "lab7_translate_go" not in buttons(at)


@pytest.mark.parametrize(("page", "box"), [("pages/3_image_variation.py", "lab3_prompt"),
                                           ("pages/5_replace_object.py", "lab5_object")])
def test_labs_3_and_5_offer_the_translation_too(aws_env, monkeypatch, page, box):
    at = korean_page(monkeypatch, page)
    at.text_input(key=box).input("커피잔").run()
    assert not at.exception, at.exception
    lab = box.split("_")[0]
    buttons(at)[f"{lab}_translate_go"].click().run()
    buttons(at)[f"{lab}_translation_use"].click().run()
    assert at.text_input(key=box).value != "커피잔"  # the translation is in the box
