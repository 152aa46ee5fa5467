"""Every word in two languages (issue 17): the catalog is complete, the code marks its messages properly, and
each session and each job speaks its own language in one process."""

from __future__ import annotations

import ast
import os
import shutil
import string
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.i18n import (N_, _, current_language, extract_messages, format_datetime, format_number, format_seconds,
                      format_time, format_usd, language, ngettext, po_path, set_language, source_files, supported,
                      translate)
from lib.jobs import Job, JobRunner
from lib.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
KEYWORD_FUNCTIONS = ("_", "N_", "ngettext")


def korean_catalog():
    with po_path("ko").open("rb") as f:
        return read_po(f, locale="ko_KR")


def placeholders(text: str) -> set[str]:
    """The named fields of a str.format template ("{count} images" → {"count"})."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


# --- the catalog --------------------------------------------------------------------------------------------


def test_the_code_marks_its_messages():
    ids = {m.id for m in extract_messages(ROOT) if m.id}
    assert len(ids) > 100  # the converted home page, sidebar, jobs panel, lab titles and presets at least
    assert {"Bedrock Image Workshop", "Image caption", "Presenter mode", "Lab {number} — {title}"} <= ids


def test_every_message_in_the_code_has_a_korean_translation():
    po = korean_catalog()
    missing = []
    for message in extract_messages(ROOT):
        if not message.id:
            continue
        found = po.get(message.id)
        strings = () if found is None else (found.string if isinstance(found.string, tuple) else (found.string,))
        if found is None or found.fuzzy or not strings or not all(strings):
            where = ", ".join(path for path, _line in message.locations)
            missing.append(f"{message.id if isinstance(message.id, str) else message.id[0]!r} ({where})")
    assert missing == [], ("Messages without a Korean translation (run scripts/messages.py, then translate them "
                           "in locales/ko/LC_MESSAGES/messages.po):\n" + "\n".join(missing))


def test_every_translation_keeps_the_placeholders_of_its_message():
    wrong = []
    for message in korean_catalog():
        if not message.id or not message.string:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        strings = (message.string,) if isinstance(message.string, str) else tuple(message.string)
        expected = set().union(*(placeholders(i) for i in ids))
        for text in strings:
            try:
                got = placeholders(text)
            except ValueError as exc:  # an unbalanced brace: .format() would raise on the page
                wrong.append(f"{ids[0]!r}: {exc}")
                continue
            if got != expected:
                wrong.append(f"{ids[0]!r}: {sorted(expected)} in English, {sorted(got)} in {text!r}")
    assert wrong == []


def test_the_placeholder_check_sees_a_missing_and_a_renamed_placeholder():
    assert placeholders("{count} images of {who}") == {"count", "who"}
    assert placeholders("이미지 {count}개") != placeholders("{count} images of {who}")
    assert placeholders("{{literal}} {n}") == {"n"}


def _marking_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORD_FUNCTIONS:
            yield node


def marking_problems(source: str, where: str = "<code>") -> list[str]:
    """_(), N_() and ngettext() must get a whole message: not an f-string, a concatenation, a % or a .format()
    (the translation would be looked up for text that is never in the catalog, and Korean word order is lost).
    And `_` must not be rebound where it is used to translate (UnboundLocalError, or a silent no-op)."""
    tree = ast.parse(source)
    problems = []
    for call in _marking_calls(tree):
        texts = call.args[:2] if call.func.id == "ngettext" else call.args[:1]
        for arg in texts:
            if isinstance(arg, ast.JoinedStr):
                problems.append(f"{where}:{call.lineno}: {call.func.id}() of an f-string")
            elif isinstance(arg, ast.BinOp):
                problems.append(f"{where}:{call.lineno}: {call.func.id}() of a concatenation or % formatting")
            elif isinstance(arg, ast.Call):
                problems.append(f"{where}:{call.lineno}: {call.func.id}() of a call's result (format after translating)")
            elif isinstance(arg, ast.Constant) and not isinstance(arg.value, str):
                problems.append(f"{where}:{call.lineno}: {call.func.id}() of a {type(arg.value).__name__}")
    for scope in ast.walk(tree):
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        rebinds = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == "_"
                   and isinstance(n.ctx, ast.Store)]
        if rebinds and any(c.func.id == "_" for c in _marking_calls(scope)):
            problems.append(f"{where}:{rebinds[0].lineno}: `_` is assigned in a function that translates with _()")
    return problems


def test_no_message_is_built_before_it_is_translated():
    problems = []
    for path in source_files(ROOT):
        problems += marking_problems(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert problems == []


@pytest.mark.parametrize("code", [
    'x = _(f"{n} images")',
    'x = _("Lab " + str(n))',
    'x = _("%d images" % n)',
    'x = _("{n} images".format(n=n))',
    'x = ngettext("one", f"{n} many", n)',
    'x = N_("a" + "b")',
    'def f():\n    a, _ = pair\n    return _("Hello")',
])
def test_the_marking_check_catches(code):
    assert marking_problems(code)


def test_the_marking_check_lets_whole_messages_and_marked_constants_through():
    assert marking_problems('x = _("{count} images").format(count=n)\ny = _(LAB.name)\n'
                            'z = ngettext("{n} result", "{n} results", n).format(n=n)\n'
                            'def f():\n    for _i in range(3):\n        print(_("Hello"))') == []


# --- compiling ----------------------------------------------------------------------------------------------


def test_a_missing_or_stale_mo_is_compiled_from_the_po(tmp_path, monkeypatch):
    folder = tmp_path / "locales" / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(po_path("ko"), folder / "messages.po")
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    mo = folder / "messages.mo"
    assert not mo.exists()
    data = i18n._mo_bytes("ko")
    assert mo.read_bytes() == data and data
    po_text = (folder / "messages.po").read_text(encoding="utf-8")
    (folder / "messages.po").write_text(po_text.replace('msgstr "이미지 간단 묘사"', 'msgstr "간단 묘사 (고침)"'),
                                        encoding="utf-8")
    later = time.time() + 5
    os.utime(folder / "messages.po", (later, later))  # the .po edited after the .mo was built
    fresh = i18n._mo_bytes("ko")
    assert fresh != data and mo.read_bytes() == fresh
    import gettext
    import io

    assert gettext.GNUTranslations(io.BytesIO(fresh)).gettext("Image caption") == "간단 묘사 (고침)"
    os.utime(mo, (later + 5, later + 5))
    mo.write_bytes(fresh)
    assert i18n._mo_bytes("ko") == fresh  # up to date: read, not compiled again


def test_the_repository_keeps_no_compiled_catalog():
    assert "*.mo" in (ROOT / ".gitignore").read_text().splitlines()


# --- languages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code, expected", [("ko-KR", "ko"), ("ko_KR", "ko"), ("KO", "ko"), ("en-GB", "en"),
                                            ("en", "en"), ("fr-FR", None), ("", None), (None, None)])
def test_browser_locales_map_to_the_apps_languages(code, expected):
    assert supported(code) == expected


def test_the_deployment_default_comes_from_workshop_language(monkeypatch):
    assert load_settings({}).language is None
    assert load_settings({"WORKSHOP_LANGUAGE": "ko_KR"}).language == "ko"
    assert load_settings({"WORKSHOP_LANGUAGE": "auto"}).language is None
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "ko")
    assert i18n.deployment_language() == "ko"
    assert threading_language() == "ko"  # a thread with nothing set takes the deployment's language
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "fr")
    assert i18n.deployment_language() is None and threading_language() == "en"


def threading_language() -> str:
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(current_language()))
    thread.start()
    thread.join()
    return seen[0]


def test_a_korean_and_an_english_session_at_the_same_time_each_get_their_own_words():
    both_set = threading.Barrier(2, timeout=10)
    seen: dict[str, list[str]] = {}

    def session(lang: str) -> None:
        set_language(lang)  # what app.py does first in every script run
        both_set.wait()  # the other session has set its language too
        words = []
        for _round in range(200):
            words += [_("Image caption"), _("Lab {number} — {title}").format(number=8, title=_("Image understanding"))]
        seen[lang] = sorted(set(words))

    threads = [threading.Thread(target=session, args=(lang,)) for lang in ("ko", "en")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["ko"] == sorted({"이미지 간단 묘사", "랩 8 — 이미지 이해"})
    assert seen["en"] == sorted({"Image caption", "Lab 8 — Image understanding"})
    assert current_language() == "en"  # the test's own thread was never changed


def test_a_job_submitted_from_a_korean_session_makes_its_messages_in_korean():
    runner = JobRunner(max_workers=2)
    try:
        def work(job: Job) -> str:
            return _("{lab}: result ready — {what}").format(lab=_("Lab {number}").format(number=8), what="…")

        def broken(job: Job) -> str:
            raise RuntimeError("a bug")

        made: dict[str, Job] = {}

        def korean_session() -> None:  # the job is made in the session's script run, as lib/ui/jobs.submit does
            with language("ko"):
                made["ok"] = runner.submit(Job("a", "lab8", "answer", "Ask", "Claude", "k1"), work)[0]
                made["bug"] = runner.submit(Job("a", "lab8", "answer", "Ask", "Claude", "k2"), broken)[0]

        thread = threading.Thread(target=korean_session)
        thread.start()
        thread.join()
        english = runner.submit(Job("b", "lab8", "answer", "Ask", "Claude", "k3"), work)[0]  # this thread: English
        deadline = time.monotonic() + 30
        while any(j.running for j in (*made.values(), english)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert made["ok"].language == "ko" and made["ok"].result == "랩 8: 결과 준비됨 — …"
        assert made["bug"].error is not None
        assert made["bug"].error.title == "앱에서 문제가 발생했습니다"
        assert made["bug"].error.message == "앱 오류로 요청을 완료하지 못했습니다."
        assert made["bug"].error.hint.startswith("다시 시도해 보세요") and made["bug"].id in made["bug"].error.hint
        assert english.language == "en" and english.result == "Lab 8: result ready — …"
    finally:
        runner.shutdown()


def test_a_job_run_inline_leaves_the_callers_language_as_it_was():
    from conftest import InlineExecutor

    runner = JobRunner(executor=InlineExecutor())
    with language("en"):
        job = Job("a", "lab8", "answer", "Ask", "Claude", "k", language="ko")
        runner.submit(job, lambda j: _("Cancel"))
        assert job.result == "취소" and current_language() == "en"


def test_translate_n_and_plural_forms():
    assert N_("Image caption") == "Image caption"  # marked, not translated
    assert translate("Image caption", "ko") == "이미지 간단 묘사" and translate("Image caption", "en") == "Image caption"
    with language("ko"):
        assert ngettext("{count} result", "{count} results", 3) == "결과 {count}개"  # Korean: one form
        assert _("a message nobody wrote") == "a message nobody wrote"  # falls back to the English
    assert ngettext("{count} result", "{count} results", 1) == "{count} result"
    assert ngettext("{count} result", "{count} results", 2) == "{count} results"


# --- formatting ---------------------------------------------------------------------------------------------


def test_numbers_prices_and_times_follow_the_language():
    moment = datetime(2026, 12, 1, 14, 5)
    with language("en"):
        assert format_usd(0.0412) == "$0.041" and format_usd(1234.5, 2) == "$1,234.50"
        assert format_number(12345.678, 1) == "12,345.7" and format_number(3) == "3"
        assert format_time(moment) == "2:05\u202fPM"  # CLDR's narrow no-break space before PM
        assert format_seconds(4.25) == "4.2 s"
        assert "Dec" in format_datetime(moment, "medium")
    with language("ko"):
        assert format_usd(0.0412) == "US$0.041"
        assert format_time(moment) == "오후 2:05"
        assert format_seconds(4.0) == "4.0초"
        assert format_datetime(moment, "medium").startswith("2026. 12. 1.")


# --- lab 8's presets ----------------------------------------------------------------------------------------


def test_lab8_presets_have_the_study_notes_korean_names_and_send_english_unless_asked():
    from lib.vision import (FREE_TEXT_EXAMPLE, PRESETS, UNDERSTANDING_PRESETS, preset_for_prompt, preset_prompt)

    with language("ko"):
        assert [p.title for p in UNDERSTANDING_PRESETS] == [
            "이미지 간단 묘사", "이미지 상세 묘사", "이미지 분류", "객체 탐지", "주요 객체 식별", "이야기 생성",
            "질문에 대한 답변", "텍스트 추출", "텍스트 번역"]
        assert preset_prompt("Writing a story") == "Please write a fictional short story based on this image."
    assert preset_prompt("Writing a story", "ko") == FREE_TEXT_EXAMPLE == "이 이미지를 바탕으로 허구의 단편 소설을 써주세요."
    assert list(PRESETS) == [p.name for p in UNDERSTANDING_PRESETS] and PRESETS["Image caption"].startswith("Please")
    assert "<object>" in preset_prompt("Subject identification", "ko")
    assert preset_for_prompt(preset_prompt("Transcribing text", "ko")) == "Transcribing text"
    assert preset_for_prompt("Please transcribe any text found in this image.") == "Transcribing text"
    assert preset_for_prompt("something else") is None and preset_prompt("Other") == ""


# --- the app ------------------------------------------------------------------------------------------------


def app_texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "title")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_the_app_starts_in_the_deployments_language_and_the_sidebar_switches_it(isolated_env, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LANGUAGE", "ko")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Bedrock 이미지 워크숍"
    assert "랩 8 — 이미지 이해" in [link.proto.label for link in at.get("page_link")]
    assert at.sidebar.radio(key="backend").options == ["자동", "Amazon Bedrock", "이 컴퓨터"]  # values stay English
    switch = at.sidebar.radio(key="language_switch")
    assert switch.value == "ko" and list(switch.options) == ["English", "한국어"]
    # AppTest calls a widget's format_func again on the test's own thread when it reads the widgets of the last
    # run, so that thread speaks what the last run spoke (in a server only the script thread calls it).
    switch.set_value("en").run()
    with language("en"):
        assert at.title[0].value == "Bedrock Image Workshop" and "Lab 8 — Image understanding" in [
            link.proto.label for link in at.get("page_link")]
        assert at.session_state["language"] == "en" and at.session_state["backend"] == "Auto"
        at.run()  # the choice is kept for the session, over the deployment's default
        assert at.title[0].value == "Bedrock Image Workshop"
        at.sidebar.radio(key="language_switch").set_value("ko").run()
    assert at.title[0].value == "Bedrock 이미지 워크숍"


def test_without_a_browser_locale_or_a_setting_the_app_is_english(isolated_env, monkeypatch):
    monkeypatch.delenv("WORKSHOP_LANGUAGE", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Bedrock Image Workshop"
    assert at.sidebar.radio(key="language_switch").value == "en"
