"""Labs 3, 5 and 9 in Korean (issue 17): the pages, the result gallery and the Upscale action speak Korean, the
workshop's examples are offered in English and in Korean, and the one picked is sent exactly as shown."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from lib.catalog import CHAT_MODELS, MODELS, VARIATION_KINDS, Task
from lib.i18n import language, translate
from lib.presets import CHAT_SUGGESTIONS, REPLACE_SUGGESTIONS, VARIATION_PROMPTS, english_of, photo_for
from lib.ui.results import run_title
from lib.ui.service_controls import KIND_WORDS
from test_korean_pages import english_runs
from test_lab_languages import NOTE, korean_page

LAB3, LAB5, LAB9 = "pages/3_image_variation.py", "pages/5_replace_object.py", "pages/9_multimodal_chatbot.py"


def lab_words(at: AppTest, prefix: str) -> list[str]:
    """The labels, help and placeholders of the lab's own widgets (keys `prefix…`), and the page's subheaders."""
    said: list[str] = [s.value for s in at.subheader]
    for kind in ("text_input", "text_area", "selectbox", "radio", "slider", "button", "multiselect", "pills"):
        for widget in getattr(at, kind):
            if (widget.key or "").startswith(prefix):
                said += [widget.label, widget.help, getattr(widget.proto, "placeholder", "")]
    return [text for text in said if text]


def shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "subheader", "success")
                     for e in getattr(at, kind))


def test_the_kinds_of_variation_marked_here_are_the_catalogs_and_all_have_korean():
    assert set(KIND_WORDS) == {text for pair in VARIATION_KINDS.values() for text in pair}
    for text in KIND_WORDS:
        assert translate(text, "ko") != text, text
    for text in (*VARIATION_PROMPTS, *REPLACE_SUGGESTIONS, *CHAT_SUGGESTIONS):
        korean = translate(text, "ko")
        assert korean != text and english_of(korean) == text
        assert photo_for(korean) == photo_for(text)  # a Korean suggestion picks the English one's photo


def test_lab3_in_korean_has_no_english_labels_and_sends_a_korean_suggestion_as_picked(aws_env, monkeypatch):
    at = korean_page(monkeypatch, LAB3)
    words = lab_words(at, "lab3_")
    assert "변형 종류" in words and "이미지를 변형할 방법" in words and "결과" in words
    assert [w for w in words if english_runs(w)] == []
    with language("ko"):  # AppTest reads format_func on this thread
        assert at.radio(key="lab3_task").options[:3] == ["비슷한 이미지", "스케치에서", "구조에서"]
        options = at.selectbox(key="lab3_suggestion").options
    assert "입력의 대상과 느낌을 유지합니다" in shown(at)
    assert "같은 장면을 수채화로" in options and "The same scene as a watercolor painting" in options
    assert options.index("같은 장면을 수채화로") < options.index("The same scene as a watercolor painting")
    with language("ko"):
        at.selectbox(key="lab3_suggestion").set_value("같은 장면을 수채화로").run()
    assert at.text_input(key="lab3_prompt").value == "같은 장면을 수채화로"
    assert NOTE in shown(at)  # SD3.5 reads English only: said, and the prompt still goes as typed
    at.button(key="lab3_go").click().run()
    assert not at.exception and not at.error
    assert aws_env.calls[-1].body["prompt"] == "같은 장면을 수채화로"
    # The result gallery and its actions in Korean.
    labels = [b.label for b in at.button] + [d.label for d in at.get("download_button")]
    assert "다운로드" in labels and "시드 다시 쓰기" in labels and "이미지 변형 랩으로 보내기" in labels
    assert any(label.startswith("모두 zip으로 다운로드") for label in labels)
    assert any(label.startswith("업스케일 · US$") for label in labels)
    assert any(e.label == "Bedrock에 보낸 요청" for e in at.expander)
    # The English suggestion stays English.
    with language("ko"):
        at.selectbox(key="lab3_suggestion").set_value("The same scene as a watercolor painting").run()
    assert at.text_input(key="lab3_prompt").value == "The same scene as a watercolor painting"


def test_lab5_in_korean_has_no_english_labels_and_its_korean_example_is_sent_as_picked(aws_env, monkeypatch):
    at = korean_page(monkeypatch, LAB5)
    words = lab_words(at, "lab5_")
    assert "찾을 객체" in words and "객체에 할 작업" in words and "추가할 객체 (비워 두면 제거)" in words
    assert [w for w in words if english_runs(w)] == []
    with language("ko"):
        assert at.radio(key="lab5_task").options == ["교체 또는 제거", "색 바꾸기"]
        assert at.selectbox(key="lab5_example").options == ["커피잔 → 녹차 한 잔", "coffee cup → a cup of green tea"]
        suggestions = at.selectbox(key="lab5_suggestion").options
        assert any(s.startswith("숟가락") for s in suggestions) and any(s.startswith("spoon") for s in suggestions)
        at.selectbox(key="lab5_example").set_value("ko").run()
    assert at.text_input(key="lab5_object").value == "커피잔"
    assert at.text_area(key="lab5_prompt").value == "녹차 한 잔"
    assert at.button(key="lab5_go").label == "교체"
    at.button(key="lab5_go").click().run()
    assert not at.exception and not at.error
    body = aws_env.calls[-1].body
    assert body["search_prompt"] == "커피잔" and body["prompt"] == "녹차 한 잔"
    # A Korean suggestion fills the object box as shown and picks the photo that shows it.
    with language("ko"):
        at.selectbox(key="lab5_suggestion").set_value("빨간 자동차").run()
    assert at.text_input(key="lab5_object").value == "빨간 자동차"
    assert at.selectbox(key="lab5_input_sample").value == "gallery_street"
    # Recolouring: the example gives the new colours, in the language picked.
    at.radio(key="lab5_task").set_value(Task.RECOLOR_BY_PROMPT).run()
    assert at.button(key="lab5_go").label == "색 바꾸기"
    with language("ko"):
        at.selectbox(key="lab5_example").set_value("en").run()
    assert (at.text_input(key="lab5_object").value, at.text_area(key="lab5_prompt").value) == (
        "coffee cup", "glossy bright red")


def test_lab9_offers_its_suggestions_in_korean_too_and_sends_them_as_picked(aws_env, monkeypatch):
    at = korean_page(monkeypatch, LAB9)
    options = at.pills(key="lab9_suggestion").options
    assert "두 이미지를 비교해 주세요:" in options and "Compare the two images:" in options
    at.button(key="lab9_add_rocket").click().run()
    at.pills(key="lab9_suggestion").set_value("어느 쪽이 더 재미있어 보이나요?").run()
    assert aws_env.calls[-1].body["messages"][0]["content"][-1]["text"] == "어느 쪽이 더 재미있어 보이나요?"


@pytest.mark.parametrize(("lang", "removed", "upscaled"), [("en", "Removed “spoon”", "Upscaled"),
                                                            ("ko", "“spoon” 제거함", "업스케일됨")])
def test_run_titles_in_either_language(lang, removed, upscaled):
    def entry(task: Task, prompt: str = "", **request) -> SimpleNamespace:
        return SimpleNamespace(task=task.value, prompt=prompt, request=request)

    with language(lang):
        assert run_title(entry(Task.ERASE_BY_PROMPT, mask_prompt="spoon")) == removed
        assert run_title(entry(Task.UPSCALE)) == upscaled
        assert run_title(entry(Task.INPAINT, "a stool")) == "“a stool”"  # the prompt as typed


def test_a_replayed_result_says_so_in_korean_with_when_and_by_what(aws_env, monkeypatch):
    from test_replay import drop_credentials

    at = korean_page(monkeypatch, LAB3)
    at.text_input(key="lab3_prompt").input("수채화로").run()
    at.button(key="lab3_go").click().run()
    model = at.selectbox(key="lab3_model").value
    calls = len(aws_env.calls)
    drop_credentials(monkeypatch)
    at = korean_page(monkeypatch, LAB3)
    at.text_input(key="lab3_prompt").input("수채화로").run()
    at.button(key="lab3_replay").click().run()
    assert len(aws_env.calls) == calls and any("기록에서 재생됨" in m.value for m in at.markdown)
    said = next(c.value for c in at.caption if c.value.startswith("이 결과는"))
    assert "동일한 요청에 대해 만든 것으로" in said and any(m.id == model and m.label in said for m in MODELS)


def test_a_replayed_chat_answer_says_so_in_korean(aws_env, monkeypatch):
    from test_replay import drop_credentials

    at = korean_page(monkeypatch, LAB9)
    at.button(key="lab9_add_rocket").click().run()
    at.pills(key="lab9_suggestion").set_value("어느 쪽이 더 재미있어 보이나요?").run()
    model = next(m for m in CHAT_MODELS if m.id == at.selectbox(key="lab9_model").value)
    drop_credentials(monkeypatch)
    at = korean_page(monkeypatch, LAB9)
    at.button(key="lab9_add_rocket").click().run()
    at.pills(key="lab9_suggestion").set_value("어느 쪽이 더 재미있어 보이나요?").run()
    said = next(c.value for c in at.caption if c.value.startswith("이 답변은"))
    assert model.label in said and "Bedrock을 호출하지 않았고" in said
