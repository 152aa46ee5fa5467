"""Every page in Korean shows no English UI text (issue 17).

Each page is rendered with WORKSHOP_LANGUAGE=ko and every string the browser would get (labels, options, help,
placeholders, captions, messages, buttons) is read from Streamlit's element protos. A run of three or more English
words fails the page, once these are taken out: model names and ids, the workshop's example prompts (offered in
English on purpose, next to their Korean twins: prompts are sent as typed), code in backticks, the text boxes'
own contents, and the proper names below. The list of what was found is the assertion message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from lib.catalog import CHAT_MODELS, EMBEDDING_MODELS, MODELS
from lib.presets import ENGLISH_EXAMPLES, SEARCH_SUGGESTIONS
from lib.vision import PRESETS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [None] + sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py") if p.name != "instructor.py")
# Proper names that stay as they are in Korean text (sources of the sample photos, products, API terms).
NAMES = ("Amazon Bedrock", "Pikolo Espresso Bar", "NASA Great Images", "Stefan van der Walt", "Rachel Michetti",
         "Eileen Collins", "Remove Background", "Search and Replace", "Search and Recolor", "Erase Object",
         "Stable Image", "Stability AI", "Nova Canvas", "Amazon Nova", "Amazon Titan", "Titan Image Generator",
         "Image Services", "AWS Management Console", "AWS CLI", "Model access", "Tux Paint", "scikit-image, scikit-learn, matplotlib")
# Fields that hold no words for the attendee: ids, keys, data, and what the text boxes hold (the attendee's words).
SKIP_FIELDS = {"id", "form_id", "key", "icon", "page_script_hash", "url_path", "css_class", "class_name", "data",
               "url", "page", "spec", "json", "arrow_data", "value", "default", "raw_value", "hash", "src",
               "fragment_id", "deprecated_text", "mime_type", "file_name", "format", "name"}
ENGLISH_RUN = re.compile(r"(?:[A-Za-z][A-Za-z'’-]*[ ,]+){2,}[A-Za-z][A-Za-z'’-]*")


def _strings(proto: Message, out: list[tuple[str, str]]) -> None:
    for field, value in proto.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == field.TYPE_STRING and field.name not in SKIP_FIELDS:
            out.extend((field.name, v) for v in values)
        elif field.type == field.TYPE_MESSAGE:
            for v in values:
                _strings(v, out)


def shown_strings(node, out: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    out = [] if out is None else out
    proto = getattr(node, "proto", None)
    if isinstance(proto, Message):
        _strings(proto, out)
    children = getattr(node, "children", None)
    for child in (children.values() if isinstance(children, dict) else []):
        shown_strings(child, out)
    return out


def _not_words() -> list[str]:
    names = {m.label for m in (*MODELS, *CHAT_MODELS, *EMBEDDING_MODELS)} | {m.id for m in (*MODELS, *CHAT_MODELS,
                                                                                          *EMBEDDING_MODELS)}
    # Lab 1's example query stays English for a model that reads English only (pages/1_image_search.py).
    content = set(ENGLISH_EXAMPLES) | set(SEARCH_SUGGESTIONS) | set(PRESETS.values()) | {"two cats on a sofa"}
    return sorted(names | content | set(NAMES), key=len, reverse=True)


NOT_WORDS = _not_words()


def english_runs(text: str) -> list[str]:
    """The runs of 3+ English words left in `text` once names, ids, examples and code are taken out."""
    text = re.sub(r"`[^`]*`|https?://\S+|:material/[a-z_]+:|<[^>]+>|\([a-z_.]+\)", " ", text)
    for known in NOT_WORDS:
        text = text.replace(known, " ")
    return ENGLISH_RUN.findall(text)


def untranslated(at: AppTest) -> list[str]:
    found = []
    for field, text in shown_strings(at._tree):
        if english_runs(text) and f"{field}: {text}" not in found:
            found.append(f"{field}: {text[:200]}")
    return found


def test_the_check_finds_english_and_lets_names_and_examples_through():
    assert english_runs("샘플 사진 Pick a suggested prompt…")
    assert not english_runs("Claude Haiku 4.5로 영어 번역 (약 US$0.0001)")
    assert not english_runs("예시: A cup of green tea — 커피잔")
    assert not english_runs("`aws configure` 를 실행하세요")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p or "home")
def test_every_page_in_korean_shows_no_english_ui_text(aws_env, monkeypatch, page):
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "ko")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    assert untranslated(at) == []
