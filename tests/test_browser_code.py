"""Real browser: the Code view under a lab 2 result and a lab 9 answer — read it, copy it, download it as a
folder and run what was downloaded; History exports the session as a notebook."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from browser_support import chromium_page, chromium_path, shot, streamlit_server
from test_codegen import script_env

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("browser-code-data")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, data) as url:
        yield url


def wait_for_app(page) -> None:
    page.get_by_test_id("stSidebar").wait_for()
    page.get_by_role("heading", level=1).first.wait_for()


def open_code(page, index: int = 0):
    """Open the index-th Code view; its expander."""
    expander = page.get_by_test_id("stExpander").filter(has_text="Code: make this yourself").nth(index)
    expander.get_by_text("Code: make this yourself").click()
    expander.get_by_test_id("stCode").first.wait_for()
    return expander


def copy_code(page, expander) -> str:
    """Press the code block's copy button (it shows on hover) and read the clipboard."""
    block = expander.get_by_test_id("stCode").first
    block.hover()
    block.get_by_role("button").first.click()
    return page.evaluate("navigator.clipboard.readText()")


def download_and_run(page, expander, tmp_path: Path, fake_url: str, style: str = "boto3") -> Path:
    with page.expect_download() as info:
        expander.get_by_role("button", name="Download as a folder (zip)").click()
    data = Path(info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path)
        folder = tmp_path / zf.namelist()[0].split("/")[0]
    script = next(folder.glob(f"*_{style}.py"))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, script.name], cwd=folder, env=script_env(fake_url, home),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return folder


def test_lab2_code_view_copy_download_and_run(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    with chromium_page() as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
        page.goto(f"{app_url}/image-generation")
        wait_for_app(page)
        page.get_by_role("textbox", name="What you want to see in the image").fill("A lighthouse on a cliff at dawn")
        page.get_by_role("button", name="Generate").click()
        page.get_by_test_id("stImageCaption").filter(has_text="Seed").first.wait_for()
        expander = open_code(page)
        expander.get_by_role("tab", name="boto3").wait_for()
        expander.get_by_role("tab", name="AWS CLI").wait_for()
        shown = expander.get_by_test_id("stCode").first.inner_text()
        assert 'client = boto3.client("bedrock-runtime", region_name="us-west-2")' in shown
        assert "A lighthouse on a cliff at dawn" in shown
        expander.scroll_into_view_if_needed()
        shot(page, "code-lab2-boto3")
        copied = copy_code(page, expander)
        assert copied.strip() == shown.strip() or "invoke(MODEL_ID, body)" in copied
        assert "testing" not in copied and "127.0.0.1" not in copied

        expander.get_by_role("tab", name="AWS CLI").click()
        cli = expander.get_by_test_id("stCode").nth(1)
        cli.wait_for()
        assert "aws bedrock-runtime invoke-model" in cli.inner_text()
        expander.scroll_into_view_if_needed()
        shot(page, "code-lab2-cli")

        calls = len(fake_bedrock.calls)
        folder = download_and_run(page, expander, tmp_path / "lab2", fake_bedrock.url)
        assert (folder / "output-1.png").exists() and (folder / "README.md").exists()
        assert fake_bedrock.calls[-1].body == fake_bedrock.calls[calls - 1].body  # the app's body, sent again


def test_lab9_code_view_copy_download_run_and_notebook(app_url, fake_bedrock, tmp_path):
    fake_bedrock.reset()
    with chromium_page() as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
        page.goto(f"{app_url}/multimodal-chatbot")
        wait_for_app(page)
        page.get_by_role("button", name="Add", exact=False).first.click()
        page.get_by_text("(attached)", exact=False).first.wait_for()
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("What color is the car?")
        box.press("Enter")
        answer = page.get_by_test_id("stChatMessage").filter(has_text="I see 1 image").first
        answer.wait_for()
        expander = open_code(page)
        shown = expander.get_by_test_id("stCode").first.inner_text()
        assert "client.converse_stream(" in shown and "What color is the car?" in shown
        assert '.read_bytes()' in shown  # the image is a file beside the script
        expander.get_by_role("tab", name="LangChain").click()
        lc = expander.get_by_test_id("stCode").nth(1)
        lc.wait_for()
        assert "ChatBedrockConverse(" in lc.inner_text()
        expander.scroll_into_view_if_needed()
        shot(page, "code-lab9-langchain")
        expander.get_by_role("tab", name="boto3").click()
        copied = copy_code(page, expander)
        assert "converse_stream" in copied

        folder = download_and_run(page, expander, tmp_path / "lab9", fake_bedrock.url, style="langchain")
        text = answer.inner_text()
        assert (folder / "answer.md").read_text(encoding="utf-8").strip() in text

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="History").click()  # same session
        page.wait_for_url("**/history")
        export = page.get_by_test_id("stExpander").filter(has_text="Export as a Jupyter notebook")
        export.get_by_text("Export as a Jupyter notebook").click()
        export.get_by_text("This session").wait_for()
        export.get_by_role("button", name="Download the notebook (zip)").wait_for()
        page.wait_for_timeout(500)  # the expander's opening animation
        shot(page, "code-history-notebook")
        with page.expect_download() as info:
            export.get_by_role("button", name="Download the notebook (zip)").click()
        with zipfile.ZipFile(info.value.path()) as zf:
            nb = json.loads(zf.read("workshop-notebook/workshop.ipynb"))
        steps = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert len(steps) >= 1
        assert any("converse_stream" in "".join(c["source"]) for c in steps)
