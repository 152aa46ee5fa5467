"""AppTest: the Code view is under every kind of result — an image (lab 2), a search (lab 1, and its Find
similar), an answer and the nine presets (lab 8) — and History's notebook export sees this session's steps."""

from __future__ import annotations

from test_pages import errors, generate, open_app
from test_search_page import built

CODE = "Code: make this yourself"


def code_blocks(at) -> list[str]:
    """The code in every Code view on the page (each style is one st.code)."""
    views = [e for e in at.expander if e.label == CODE]
    return [c.value for view in views for c in view.code]


def test_an_image_result_shows_its_code_in_every_style(aws_env):
    at = generate(open_app("pages/2_image_generation.py"), "A lighthouse at dawn")
    assert errors(at) == ""
    blocks = code_blocks(at)
    assert len(blocks) == 2  # boto3 and the AWS CLI
    assert "invoke(MODEL_ID, body)" in blocks[0] and '"prompt": "A lighthouse at dawn"' in blocks[0]
    assert "aws bedrock-runtime invoke-model" in blocks[1]
    assert any(b.label == "Download as a folder (zip)" for b in at.get("download_button"))


def test_a_search_shows_its_build_and_search_code(aws_env):
    at = built(aws_env)
    at.text_input(key="lab1_query").input("red").run()
    at.button(key="lab1_go").click().run()
    blocks = code_blocks(at)
    assert len(blocks) == 3  # boto3, LangChain, the AWS CLI (the query's call)
    assert '"inputText": "red"' in blocks[0] and "vectors @ query" in blocks[0]
    assert "FAISS.from_embeddings(" in blocks[1]
    sha_key = next(b.key for b in at.button if b.key and b.key.startswith("lab1_similar_"))
    at.button(key=sha_key).click().run()
    blocks = code_blocks(at)
    assert "skip = {" in blocks[0] and "inputText" not in blocks[0].split("# 2.")[1]  # no query call


def test_an_answer_and_the_nine_presets_show_their_code(aws_env):
    at = open_app("pages/8_image_understanding.py")
    at.button(key="lab8_go").click().run()
    assert errors(at) == ""
    blocks = code_blocks(at)
    assert "client.converse_stream(" in blocks[0] and "Please provide a brief caption" in blocks[0]
    assert "ChatBedrockConverse(" in blocks[1] and "aws bedrock-runtime converse" in blocks[2]
    at.button(key="lab8_all").click().run()
    blocks = code_blocks(at)
    assert any("for name, prompt in PRESETS.items():" in b for b in blocks)


def test_history_exports_this_sessions_steps(aws_env):
    at = generate(open_app("pages/2_image_generation.py"), "A lighthouse at dawn")
    at.switch_page("pages/history.py").run()
    assert errors(at) == ""
    export = next(e for e in at.expander if e.label == "Export as a Jupyter notebook")
    assert "1 step so far" in str(export.radio[0].proto)
    button = next(b for b in at.get("download_button") if b.label == "Download the notebook (zip)")
    assert not button.disabled
