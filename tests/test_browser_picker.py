"""Real browser: the model picker shows the model the page uses, also after the prompt changes the task.

Labs 4, 5 and 7 pick their task from whether the prompt is empty (erase vs inpaint), and the picker's option list
follows the task. The dropdown's text, the caption under it, the "Not shown" line, the call and the result must all
name the same model at every step — in the browser, because the frontend keeps its own copy of the selection.
"""

from __future__ import annotations

import pytest

from browser_support import chromium_page, chromium_path, shot, streamlit_server
from lib.catalog import MODELS, ModelInfo, Task, takes_seed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]

BY_LABEL = {m.picker_label(): m for m in MODELS}
RESULT_TIMEOUT_MS = 30_000  # the run may finish in a background job and show up a moment later


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("picker-data")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, data) as url:
        yield url


def wait_for_app(page) -> None:
    page.get_by_test_id("stSidebar").wait_for()
    page.get_by_role("heading", level=1).first.wait_for()
    page.get_by_text("Connection").wait_for()


def settle(page, task: Task) -> None:
    """Wait until the rerun for `task` has drawn the picker and the script has finished.

    A Bedrock model's caption is followed by "Not shown, because they can't <task>: …"; a local one has no such
    line, only "Runs on this machine".
    """
    page.wait_for_function(
        """task => {
            const caps = [...document.querySelectorAll('[data-testid=stCaptionContainer]')].map(e => e.innerText);
            const line = caps.find(t => t.startsWith("Not shown, because they can't"));
            return line ? line.startsWith(`Not shown, because they can't ${task}:`)
                        : caps.some(t => t.startsWith('Runs on this machine'));
        }""", arg=task.value)
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    page.wait_for_timeout(300)


def shown_model(page, key: str) -> ModelInfo:
    text = page.locator(f".st-key-{key} input[role=combobox]").input_value()
    assert text in BY_LABEL, f"the dropdown shows {text!r}, which is no model's label"
    return BY_LABEL[text]


def check_picker(page, key: str, task: Task) -> ModelInfo:
    """The dropdown's text is the model named in the caption under it, and the "Not shown" line leaves it out."""
    model = shown_model(page, key)
    assert model.supports(task), f"the dropdown shows {model.label}, which can't {task.value}"
    caption = page.locator(f".st-key-{key} + [data-testid=stElementContainer]").inner_text().strip()
    if model.runs_locally:
        assert caption.startswith("Runs on this machine"), (model.label, caption)
    else:
        assert caption.startswith(f"{model.id} ·"), f"dropdown: {model.label} ({model.id}); caption: {caption}"
    not_shown = page.get_by_text("Not shown, because they can't")
    if model.runs_locally and not_shown.count() == 0:
        return model
    line = not_shown.inner_text()
    assert line.startswith(f"Not shown, because they can't {task.value}:"), line
    hidden = [name.strip().rstrip(".") for name in line.split(":", 1)[1].split(",")]
    assert model.label not in hidden, f"the dropdown shows {model.label}, and the line says it is not shown: {line}"
    return model


NEWEST_RESULT = """() => {
    const caps = [...document.querySelectorAll('[data-testid=stImageCaption]')]
        .filter(e => e.offsetParent !== null && /^(Seed \\d+|No seed) · | · on this machine · /.test(e.innerText));
    return caps.length ? caps[0].innerText : null;
}"""


def run_and_check_result(page, fake, button: str, model: ModelInfo) -> None:
    """Press the lab's button; the newest result (and the call the fake got) is the displayed model's."""
    before = page.evaluate(NEWEST_RESULT)
    calls = len(fake.calls)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_function(f"prev => {{ const t = ({NEWEST_RESULT})(); return t !== null && t !== prev; }}",
                           arg=before, timeout=RESULT_TIMEOUT_MS)
    text = page.evaluate(NEWEST_RESULT)
    if model.runs_locally:
        assert text.startswith(f"{model.label} · on this machine"), (model.label, text)
        assert len(fake.calls) == calls
    else:
        seeded = text.startswith("Seed ") if takes_seed(model.id) else text.startswith("No seed · ")
        assert seeded and f" · {model.label} · " in text, (model.label, text)
        assert fake.calls[-1].model_id.endswith(model.id), (model.id, fake.calls[-1].model_id)


def place_cup_rectangle(page) -> None:
    page.get_by_text("Rectangles", exact=True).click()
    page.get_by_role("combobox", name="Placements").click()
    page.get_by_role("option", name="Cup of coffee").click()
    page.keyboard.press("Escape")
    page.get_by_role("heading", level=1).first.click()  # close the dropdown
    page.get_by_text("Tinted = will change (", exact=False).first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
        ".some(e => /will change \\((?!0%)/.test(e.innerText))")


def set_prompt(page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    page.get_by_role("heading", level=1).first.click()  # commit by leaving the box: Streamlit reruns


def pick(page, key: str, label: str) -> None:
    page.locator(f".st-key-{key} input[role=combobox]").click()
    page.get_by_role("option", name=label, exact=True).click()


def test_lab7_picker_follows_the_prompt(app_url, fake_bedrock):
    fake_bedrock.reset()
    key, prompt = "lab7_model", "What to paint in the marked area (leave empty to erase it)"
    with chromium_page() as page:
        page.goto(f"{app_url}/inpainting")
        wait_for_app(page)
        place_cup_rectangle(page)
        settle(page, Task.ERASE)
        erase = check_picker(page, key, Task.ERASE)
        run_and_check_result(page, fake_bedrock, "Generate", erase)
        shot(page, "picker-lab7-erase")

        set_prompt(page, prompt, "A sleeping cat")
        settle(page, Task.INPAINT)
        shot(page, "picker-lab7-after-task-change")
        inpaint = check_picker(page, key, Task.INPAINT)
        run_and_check_result(page, fake_bedrock, "Generate", inpaint)
        shot(page, "picker-lab7-inpaint-result")

        set_prompt(page, prompt, "")
        settle(page, Task.ERASE)
        assert check_picker(page, key, Task.ERASE) == erase  # back where the user was
        shot(page, "picker-lab7-back-to-erase")

        # The user picks the offline eraser; typing a prompt must not leave it on display, clearing brings it back.
        telea = next(m for m in BY_LABEL.values() if m.runs_locally and "Telea" in m.label)
        if telea.picker_label() in [o.strip() for o in _options(page, key)]:
            pick(page, key, telea.picker_label())
            page.get_by_text("Runs on this machine", exact=False).first.wait_for()
            settle(page, Task.ERASE)
            assert check_picker(page, key, Task.ERASE) == telea
            run_and_check_result(page, fake_bedrock, "Generate", telea)
            set_prompt(page, prompt, "A sleeping cat")
            settle(page, Task.INPAINT)
            shot(page, "picker-lab7-from-telea-to-inpaint")
            run_and_check_result(page, fake_bedrock, "Generate", check_picker(page, key, Task.INPAINT))
            set_prompt(page, prompt, "")
            settle(page, Task.ERASE)
            assert check_picker(page, key, Task.ERASE) == telea
            shot(page, "picker-lab7-back-to-telea")


def _options(page, key: str) -> list[str]:
    page.locator(f".st-key-{key} input[role=combobox]").click()
    page.get_by_role("option").first.wait_for()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    page.get_by_role("heading", level=1).first.click()
    return options


def test_lab4_picker_follows_the_prompt(app_url, fake_bedrock):
    fake_bedrock.reset()
    key, prompt = "lab4_model", "Prompt text:"
    with chromium_page() as page:
        page.goto(f"{app_url}/masking")
        wait_for_app(page)
        place_cup_rectangle(page)
        settle(page, Task.ERASE)
        erase = check_picker(page, key, Task.ERASE)
        run_and_check_result(page, fake_bedrock, "Generate", erase)

        set_prompt(page, prompt, "A glass of orange juice")
        settle(page, Task.INPAINT)
        shot(page, "picker-lab4-after-task-change")
        run_and_check_result(page, fake_bedrock, "Generate", check_picker(page, key, Task.INPAINT))

        set_prompt(page, prompt, "")
        settle(page, Task.ERASE)
        assert check_picker(page, key, Task.ERASE) == erase
        shot(page, "picker-lab4-back-to-erase")
        run_and_check_result(page, fake_bedrock, "Generate", erase)


def test_lab5_picker_follows_the_prompt(app_url, fake_bedrock):
    fake_bedrock.reset()
    key, prompt = "lab5_model", "Object to add (leave blank to remove)"
    with chromium_page() as page:
        page.goto(f"{app_url}/replace-object")
        wait_for_app(page)
        settle(page, Task.INPAINT_BY_PROMPT)  # the lab starts with a replacement filled in
        replace = check_picker(page, key, Task.INPAINT_BY_PROMPT)
        run_and_check_result(page, fake_bedrock, "Replace", replace)

        set_prompt(page, prompt, "")
        settle(page, Task.ERASE_BY_PROMPT)
        shot(page, "picker-lab5-after-task-change")
        run_and_check_result(page, fake_bedrock, "Remove", check_picker(page, key, Task.ERASE_BY_PROMPT))

        set_prompt(page, prompt, "a teapot")
        settle(page, Task.INPAINT_BY_PROMPT)
        assert check_picker(page, key, Task.INPAINT_BY_PROMPT) == replace
        shot(page, "picker-lab5-back-to-replace")
        run_and_check_result(page, fake_bedrock, "Replace", replace)
