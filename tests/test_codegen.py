"""lib/codegen.py: the code shown under every result runs, against the fake endpoint, and makes the same result.

Each case makes a result the way its lab does (the app's own service, recorded in History as the lab records
it), generates its code, and runs that code in a fresh Python (or bash) with only dummy credentials, a
region and AWS_ENDPOINT_URL_BEDROCK_RUNTIME: boto3 finds the fake by itself. The script's files must equal
the app's (images pixel for pixel, answers word for word, search rankings in the same order).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from PIL import Image

from lib import codegen
from lib.catalog import Task, call_target, get_chat_model
from lib.chat import ChatImage, Turn
from lib.codegen import CodeBundle, SearchHit, chat_bundle, image_bundle, search_bundle
from lib.services import images as service
from lib.generation.requests import EditRequest, GenerationRequest, VariationRequest
from lib.history import LOCAL_OWNER, HistoryStore
from lib.masks import rectangle

TITAN_V1 = "amazon.titan-image-generator-v1"
TITAN_V2 = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
INPAINT = "stability.stable-image-inpaint-v1:0"
ERASE = "stability.stable-image-erase-object-v1:0"
SEARCH_REPLACE = "stability.stable-image-search-replace-v1:0"
OUTPAINT = "stability.stable-outpaint-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA_LITE = "amazon.nova-2-lite-v1:0"
TITAN_EMBED = "amazon.titan-embed-image-v1"
NOVA_EMBED = "amazon.nova-2-multimodal-embeddings-v1:0"


# --- helpers ------------------------------------------------------------------------------------------


def photo(size: tuple[int, int] = (512, 512), seed: int = 0, fmt: str = "PNG",
          colour: tuple[int, int, int] | None = None) -> bytes:
    """A photo-like image (gradient and noise), or one flat colour."""
    if colour is not None:
        img = Image.new("RGB", size, colour)
    else:
        rng = np.random.default_rng(seed)
        x = np.linspace(0, 255, size[0])[None, :, None]
        y = np.linspace(0, 255, size[1])[:, None, None]
        arr = np.concatenate([np.broadcast_to(x, (size[1], size[0], 1)), np.broadcast_to(y, (size[1], size[0], 1)),
                              rng.integers(0, 60, (size[1], size[0], 1))], axis=2)
        img = Image.fromarray(arr.astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def selection(size: tuple[int, int] = (512, 512)) -> bytes:
    buf = io.BytesIO()
    rectangle(size, 150, 180, 200, 160).save(buf, "PNG")
    return buf.getvalue()


def script_env(fake_url: str, home: Path) -> dict[str, str]:
    """Only what an attendee's shell would have: dummy credentials, a region, the endpoint override."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_url}


def run_script(bundle: CodeBundle, style: str, where: Path, fake_url: str) -> Path:
    """Unpack the bundle's download (as an attendee would), run one script in it; the folder it ran in."""
    where.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(codegen.bundle_zip(bundle))) as zf:
        zf.extractall(where)
    folder = where / bundle.stem
    script = folder / bundle.script_name(style)
    assert script.read_text() == bundle.script(style)
    command = ["bash", script.name] if style == "cli" else [sys.executable, script.name]
    home = where / "home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run(command, cwd=folder, env=script_env(fake_url, home), capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, f"{style} failed:\n{proc.stdout}\n{proc.stderr}\n--- script ---\n{script.read_text()}"
    return folder


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGBA"))


def assert_clean(code: str) -> None:
    """No credentials, account ids, local paths or inlined megabytes in generated code."""
    assert "testing" not in code and "aws_access_key_id" not in code.lower() and "AKIA" not in code
    assert "/tmp" not in code and "/work" not in code and "/root" not in code and "/home" not in code
    assert "127.0.0.1" not in code and "endpoint_url" not in code
    assert not any(len(line) > 400 for line in code.splitlines()), "a long line: inlined data?"


# --- labs 2-7: one History entry per case, made the way the lab makes it --------------------------------


@pytest.fixture
def store(aws_env, isolated_env) -> HistoryStore:
    return HistoryStore(isolated_env / "data")


def _inputs(req: Any) -> list[bytes] | None:
    """What each lab keeps in History with a result: variation inputs; an edit's image and its mask."""
    if isinstance(req, VariationRequest):
        return list(req.images)
    if isinstance(req, EditRequest):
        return [req.image, *([req.mask] if req.mask else [])]
    return None


def _fit(model_id: str, data: bytes, editing: bool = True) -> bytes:
    from lib.catalog import get_model
    from lib.imaging import decode_image

    prepare = service.prepare_edit_input if editing else service.prepare_input
    return prepare(get_model(model_id), decode_image(data).image).data


IMAGE_CASES: dict[str, tuple[str, Callable[[], Any]]] = {
    "lab2-titan-two-images": ("lab2", lambda: GenerationRequest(
        TITAN_V2, "a red fox in the snow", negative_prompt="fog", count=2, width=512, height=512, seed=7)),
    "lab2-stability-two-calls": ("lab2", lambda: GenerationRequest(
        CORE, 'a lighthouse, sign reading "OPEN"', count=2, aspect_ratio="16:9", seed=11, output_format="jpeg")),
    "lab3-titan-two-inputs": ("lab3", lambda: VariationRequest(
        TITAN_V1, (_fit(TITAN_V1, photo(seed=1), False), _fit(TITAN_V1, photo(seed=2), False)), "at night",
        strength=0.6, width=512, height=512, seed=3)),
    "lab3-sd35-image-to-image": ("lab3", lambda: VariationRequest(
        SD35, (_fit(SD35, photo(seed=4), False),), "a watercolour", strength=0.5, seed=5)),
    "lab4-titan-mask-image": ("lab4", lambda: EditRequest(
        TITAN_V2, Task.INPAINT, _fit(TITAN_V2, photo()), mask=selection(), prompt="a vase of flowers", seed=21)),
    "lab4-stability-inpaint": ("lab4", lambda: EditRequest(
        INPAINT, Task.INPAINT, _fit(INPAINT, photo()), mask=selection(), prompt="a teapot", seed=22)),
    "lab4-nova-outpaint-by-prompt": ("lab4", lambda: EditRequest(
        NOVA, Task.OUTPAINT_BY_PROMPT, _fit(NOVA, photo()), mask_prompt="cup", prompt="a cup on a beach",
        outpainting_mode="PRECISE", seed=23)),
    "lab4-extend": ("lab4", lambda: EditRequest(
        OUTPAINT, Task.EXTEND, _fit(OUTPAINT, photo(size=(320, 256))), extend=(64, 32, 0, 16), prompt="more sky",
        seed=24)),
    "lab5-titan-replace": ("lab5", lambda: EditRequest(
        TITAN_V2, Task.INPAINT_BY_PROMPT, _fit(TITAN_V2, photo()), mask_prompt="Pink curtains",
        prompt="Green curtains", seed=31)),
    "lab5-search-and-replace": ("lab5", lambda: EditRequest(
        SEARCH_REPLACE, Task.INPAINT_BY_PROMPT, _fit(SEARCH_REPLACE, photo()), mask_prompt="cup", prompt="teapot",
        seed=32)),
    "lab6-titan-background": ("lab6", lambda: EditRequest(
        TITAN_V2, Task.OUTPAINT_BY_PROMPT, _fit(TITAN_V2, photo()), mask_prompt="A car", prompt="Car at the beach",
        negative_prompt="people", seed=41)),
    "lab6-stability-two-calls": ("lab6", lambda: EditRequest(
        INPAINT, Task.OUTPAINT_BY_PROMPT, _fit(INPAINT, photo()), mask_prompt="House", prompt="House at a beach",
        outpainting_mode="PRECISE", seed=42)),
    "lab6-stability-default": ("lab6", lambda: EditRequest(  # the mask reaches into the subject (grey band)
        INPAINT, Task.OUTPAINT_BY_PROMPT, _fit(INPAINT, photo()), prompt="House at a beach", seed=43)),
    "lab4-stability-outpaint-precise": ("lab4", lambda: EditRequest(  # the kept pixels are put back after the call
        INPAINT, Task.OUTPAINT, _fit(INPAINT, photo()), mask=selection(), prompt="a beach", outpainting_mode="PRECISE",
        output_format="jpeg", seed=44)),
    "lab7-titan-erase": ("lab7", lambda: EditRequest(
        TITAN_V1, Task.ERASE, _fit(TITAN_V1, photo()), mask=selection(), seed=51)),
    "lab7-erase-object": ("lab7", lambda: EditRequest(
        ERASE, Task.ERASE, _fit(ERASE, photo()), mask=selection(), seed=52)),
}


def make_entry(store: HistoryStore, lab: str, req: Any):
    call = {GenerationRequest: service.generate, VariationRequest: service.vary, EditRequest: service.edit}[type(req)]
    result = call(req)
    return store.record(result, lab=lab, inputs=_inputs(req), asked=req)


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_image_code_runs_and_makes_the_same_images(case: str, store, aws_env, tmp_path: Path) -> None:
    lab, build = IMAGE_CASES[case]
    entry = make_entry(store, lab, build())
    bundle = image_bundle(entry)
    assert bundle.notes == []  # the rebuilt body matched the body History kept
    assert bundle.lab == lab and bundle.lesson
    calls_before = len(aws_env.calls)
    app_calls = [c for c in aws_env.calls]
    folder = run_script(bundle, "boto3", tmp_path / "run", aws_env.url)
    code = bundle.script("boto3")
    assert_clean(code)
    assert f'region_name="{entry.region}"' in code
    # The script sent exactly what the app sent (same bodies, same model ids), in the same number of calls.
    script_calls = aws_env.calls[calls_before:]
    assert sorted(json.dumps(c.body, sort_keys=True) for c in script_calls) == \
        sorted(json.dumps(c.body, sort_keys=True) for c in app_calls)
    assert sorted(c.model_id for c in script_calls) == sorted(c.model_id for c in app_calls)
    for n, out in enumerate(entry.outputs, start=1):
        made = next(folder.glob(f"output-{n}.*"))
        assert np.array_equal(pixels(made.read_bytes()), pixels(out.read_bytes())), f"output {n} differs"
    assert not list(folder.glob(f"output-{len(entry.outputs) + 1}.*"))


def test_an_inference_profile_is_called_as_the_profile(store, aws_env) -> None:
    entry = make_entry(store, "lab4", IMAGE_CASES["lab4-stability-inpaint"][1]())
    code = image_bundle(entry).script("boto3")
    assert 'MODEL_ID = "us.stability.stable-image-inpaint-v1:0"  # the "us." cross-region inference profile' in code
    stability = image_bundle(make_entry(store, "lab2", IMAGE_CASES["lab2-stability-two-calls"][1]())).script()
    assert 'region_name="us-west-2"' in stability  # where the app really called it (not AWS_REGION)
    assert "for number, seed in enumerate([11, 12], start=1):" in stability


def test_images_are_files_beside_the_script(store, aws_env) -> None:
    entry = make_entry(store, "lab4", IMAGE_CASES["lab4-titan-mask-image"][1]())
    bundle = image_bundle(entry)
    code = bundle.script("boto3")
    assert 'b64_file("input.png")' in code and 'b64_file("mask.png")' in code
    files = bundle.files()
    assert set(files) == {"input.png", "mask.png"}
    with Image.open(io.BytesIO(files["mask.png"])) as mask:  # the mask as sent: black = repaint (Titan)
        assert mask.getpixel((250, 250))[:3] == (0, 0, 0) and mask.getpixel((5, 5))[:3] == (255, 255, 255)
    names = zipfile.ZipFile(io.BytesIO(codegen.bundle_zip(bundle))).namelist()
    stem = bundle.stem
    assert set(names) == {f"{stem}/{stem}_boto3.py", f"{stem}/{stem}_cli.sh", f"{stem}/input.png",
                          f"{stem}/mask.png", f"{stem}/README.md"}
    readme = zipfile.ZipFile(io.BytesIO(codegen.bundle_zip(bundle))).read(f"{stem}/README.md").decode()
    assert f"`pip install boto3`, then `python {stem}_boto3.py`" in readme


def test_a_local_result_has_no_code(store, aws_env) -> None:
    pytest.importorskip("cv2")
    req = EditRequest("local.opencv-inpaint-telea", Task.ERASE, photo(), mask=selection())
    entry = make_entry(store, "lab7", req)
    with pytest.raises(codegen.CodeUnavailable, match="offline engine"):
        image_bundle(entry)


@pytest.mark.skipif(not (shutil.which("aws") and shutil.which("jq")), reason="needs the AWS CLI and jq")
@pytest.mark.parametrize("case", ["lab2-titan-two-images", "lab2-stability-two-calls", "lab4-titan-mask-image",
                                  "lab5-search-and-replace"])
def test_cli_code_makes_the_same_images(case: str, store, aws_env, tmp_path: Path) -> None:
    lab, build = IMAGE_CASES[case]
    entry = make_entry(store, lab, build())
    bundle = image_bundle(entry)
    folder = run_script(bundle, "cli", tmp_path / "run", aws_env.url)
    assert_clean(bundle.script("cli"))
    for n, out in enumerate(entry.outputs, start=1):
        made = next(folder.glob(f"output-{n}.*"))
        assert np.array_equal(pixels(made.read_bytes()), pixels(out.read_bytes()))


# --- labs 8 and 9: chat turns ----------------------------------------------------------------------------


def _answer(model_id: str, history: list[Turn]) -> tuple[str, str, str]:
    """(answer, invoke id, region) the app gets for `history`, streamed as labs 8 and 9 stream it."""
    from lib.converse import stream_answer

    result, chunks = stream_answer(model_id, history)
    text = "".join(chunks)
    return text, call_target(result.model, result.region)[1], result.region


def _lab8_history() -> list[Turn]:
    return [Turn("user", "Please provide a brief caption for this image.",
                 (ChatImage(photo(size=(400, 300)), "png", "Astronaut"),))]


def _lab9_history() -> tuple[list[Turn], str]:
    first = [Turn("user", "What colour is the car?", (ChatImage(photo(size=(300, 200), fmt="JPEG"), "jpeg",
                                                                 "house and car"),))]
    answer, _, _ = _answer(NOVA_LITE, first)
    second = Turn("user", "Compare the two images: which one is larger?",
                  (ChatImage(photo(size=(500, 400), seed=9), "png", "miniature house"),))
    return [*first, Turn("assistant", answer), second], answer


@pytest.mark.parametrize("style", ["boto3", "langchain"])
@pytest.mark.parametrize("lab", ["lab8", "lab9"])
def test_chat_code_gets_the_same_answer(lab: str, style: str, aws_env, tmp_path: Path) -> None:
    model_id, history = (HAIKU, _lab8_history()) if lab == "lab8" else (NOVA_LITE, _lab9_history()[0])
    answer, invoke_id, region = _answer(model_id, history)
    bundle = chat_bundle(history, answer, model_id=model_id, invoke_id=invoke_id, region=region, lab=lab)
    assert bundle.styles == ("boto3", "langchain", "cli")
    code = bundle.script(style)
    assert_clean(code)
    assert f'"{invoke_id}"' in code and f'"{region}"' in code
    folder = run_script(bundle, style, tmp_path / style, aws_env.url)
    assert (folder / "answer.md").read_text(encoding="utf-8") == answer
    if style == "boto3":
        assert "client.converse_stream(" in code
        assert 'Path("image.png").read_bytes()' in code or 'Path("image.jpg").read_bytes()' in code
        assert aws_env.calls[-1].operation == "converse_stream"
    else:
        assert "ChatBedrockConverse(" in code and "max_tokens=" in code


@pytest.mark.parametrize("style", ["boto3", "langchain"])
def test_lab8_presets_code_gets_the_same_answers(style: str, store, aws_env, tmp_path: Path) -> None:
    """"Run all nine presets" as one loop: each preset's answer as the app got it (three presets here)."""
    from lib.services.calls import presets_work
    from lib.vision import PRESETS

    chosen = {name: PRESETS[name] for name in ("Image caption", "Image classification", "Transcribing text")}
    turn = _lab8_history()[0]
    work = presets_work(get_chat_model(HAIKU), turn, store, "lab8", chosen, owner=LOCAL_OWNER)

    from lib.jobs import Job

    rows = work(Job(owner=LOCAL_OWNER, lab="lab8", kind="presets", what="presets", model_label="", key="presets"))
    assert all(r.answered_by is not None for r in rows)
    by = rows[0].answered_by
    bundle = codegen.presets_bundle([(r.preset, r.sent, r.answer) for r in rows], model_id=by.model_id,
                                    invoke_id=by.invoke_id, region=by.region)
    code = bundle.script(style)
    assert_clean(code)
    assert "for name, prompt in PRESETS.items():" in code and code.count("Please categorize") == 1
    folder = run_script(bundle, style, tmp_path / style, aws_env.url)
    assert json.loads((folder / "answers.json").read_text(encoding="utf-8")) == {r.preset: r.answer for r in rows}


def test_a_later_turn_sends_the_whole_conversation(aws_env) -> None:
    history, first_answer = _lab9_history()
    answer, invoke_id, region = _answer(NOVA_LITE, history)
    bundle = chat_bundle(history, answer, model_id=NOVA_LITE, invoke_id=invoke_id, region=region, lab="lab9")
    code = bundle.script("boto3")
    assert code.count('"role": "user"') == 2 and code.count('"role": "assistant"') == 1
    assert json.dumps(first_answer, ensure_ascii=False) in code  # as a Python string literal
    assert set(bundle.files()) == {"image.jpg", "image-2.png"}
    assert invoke_id == "us.amazon.nova-2-lite-v1:0"


@pytest.mark.skipif(not (shutil.which("aws") and shutil.which("jq")), reason="needs the AWS CLI and jq")
def test_chat_cli_builds_the_same_messages(aws_env, tmp_path: Path) -> None:
    """The CLI script's messages.json holds the same conversation (the CLI v2 call itself needs CLI v2)."""
    history = _lab8_history()
    answer, invoke_id, region = _answer(HAIKU, history)
    bundle = chat_bundle(history, answer, model_id=HAIKU, invoke_id=invoke_id, region=region, lab="lab8")
    script = bundle.script("cli")
    assert "aws bedrock-runtime converse" in script and "--inference-config" in script
    folder = tmp_path / "cli"
    folder.mkdir()
    for name, data in bundle.files().items():
        (folder / name).write_bytes(data)
    head = script.split("aws bedrock-runtime converse")[0]
    subprocess.run(["bash", "-c", head], cwd=folder, check=True, env=script_env(aws_env.url, tmp_path))
    messages = json.loads((folder / "messages.json").read_text())
    import base64

    assert base64.b64decode(messages[0]["content"][0]["image"]["source"]["bytes"]) == history[0].images[0].data
    assert messages[0]["content"][1] == {"text": history[0].text}


# --- lab 1: build an index and search it -------------------------------------------------------------------


def _photos() -> list[tuple[str, bytes]]:
    return [("red-car.png", photo(size=(200, 150), colour=(220, 30, 30))),
            ("blue sea.jpg", photo(size=(160, 160), colour=(20, 40, 220), fmt="JPEG")),
            ("green field.png", photo(size=(180, 120), colour=(30, 200, 40))),
            ("grey.png", photo(size=(100, 100), seed=3))]


def _app_ranking(model_id: str, dimension: int, text: str | None, image: bytes | None,
                 photos: list[tuple[str, bytes]], k: int, min_score: float, similar: str | None = None) -> list[str]:
    """The app's own ranking: its embedder for the photos and the query, cosine, best first."""
    from lib.catalog import EmbeddingPurpose
    from lib.search.embeddings import EmbeddingInput, MultimodalEmbeddings

    embedder = MultimodalEmbeddings(model_id, dimension)
    vectors = {name: embedder.embed(EmbeddingInput(image=data)).vector for name, data in photos}
    if similar:
        query = vectors[similar]
    elif text and image:
        query = embedder.embed_text_and_image(text, image).vector
    else:
        query = embedder.embed(EmbeddingInput(text=text, image=image, purpose=EmbeddingPurpose.RETRIEVAL)).vector
    scored = sorted(((float(v @ query), n) for n, v in vectors.items() if n != similar), reverse=True)
    return [Path(n).stem.replace(" ", "-") for s, n in scored if s >= min_score][:k]


SEARCH_CASES = {
    "titan-text": dict(model_id=TITAN_EMBED, dimension=256, text="a red  car", image=None),
    "titan-text-and-image": dict(model_id=TITAN_EMBED, dimension=384, text="something blue",
                                 image=photo(size=(90, 90), colour=(30, 30, 200))),
    "nova-image": dict(model_id=NOVA_EMBED, dimension=1024, text=None, image=photo(size=(90, 90), colour=(40, 210, 40))),
    "nova-text-and-image": dict(model_id=NOVA_EMBED, dimension=256, text="red", image=photo(size=(64, 64), seed=5)),
    "titan-similar": dict(model_id=TITAN_EMBED, dimension=1024, text=None, image=None, similar="red-car.png"),
}


@pytest.mark.parametrize("style", ["boto3", "langchain"])
@pytest.mark.parametrize("case", list(SEARCH_CASES))
def test_search_code_builds_an_index_and_ranks_like_the_app(case: str, style: str, aws_env, tmp_path: Path) -> None:
    spec = dict(SEARCH_CASES[case])
    similar = spec.pop("similar", None)
    photos = _photos()
    k, min_score = 3, -1.0
    expected = _app_ranking(spec["model_id"], spec["dimension"], spec["text"], spec["image"], photos, k, min_score,
                            similar)
    hits = [SearchHit(name, 0.5, (lambda d=data: d)) for name, data in photos if name != similar]
    similar_hit = next((SearchHit(name, 1.0, (lambda d=data: d)) for name, data in photos if name == similar), None)
    bundle = search_bundle(model_id=spec["model_id"], dimension=spec["dimension"], preferred_region="us-east-1",
                           text=spec["text"], image=spec["image"], similar_to=similar_hit, k=k, min_score=min_score,
                           hits=hits)
    code = bundle.script(style)
    assert_clean(code)
    folder = run_script(bundle, style, tmp_path / style, aws_env.url)
    results = json.loads((folder / "results.json").read_text())
    assert [r["photo"] for r in results] == expected
    if style == "langchain":
        assert "FAISS.from_embeddings(" in code
    if spec["image"] is not None:
        assert 'query.png' in code and (folder / "query.png").exists()


def test_search_body_is_the_apps_body(aws_env) -> None:
    """The query body in the code is the one the app sends (text fitted as the app fits it)."""
    bundle = search_bundle(model_id=TITAN_EMBED, dimension=256, preferred_region="eu-west-1", text="  two   cats ",
                           hits=[SearchHit("cat.png", 0.3, lambda: photo(size=(64, 64)))])
    code = bundle.script("boto3")
    assert 'query = embed({"inputText": "two cats", "embeddingConfig": {"outputEmbeddingLength": 256}})' in code
    assert 'region_name="eu-west-1"' in code
    nova = search_bundle(model_id=NOVA_EMBED, dimension=384, preferred_region="eu-west-1", text="cats", hits=[])
    assert 'region_name="us-east-1"' in nova.script()  # Nova embeddings live in us-east-1 only: where the app calls
    assert '"embeddingPurpose": "GENERIC_RETRIEVAL"' in nova.script()


@pytest.mark.skipif(not (shutil.which("aws") and shutil.which("jq")), reason="needs the AWS CLI and jq")
def test_search_cli_embeds_the_query(aws_env, tmp_path: Path) -> None:
    bundle = search_bundle(model_id=TITAN_EMBED, dimension=256, preferred_region="us-east-1", text="cats",
                           image=photo(size=(64, 64)), hits=[])
    folder = run_script(bundle, "cli", tmp_path / "cli", aws_env.url)
    assert len(json.loads((folder / "query-vector.json").read_text())["embedding"]) == 256


# --- notebooks ------------------------------------------------------------------------------------------------


def test_notebook_of_a_session_opens_validates_and_runs(store, aws_env, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    entries = [make_entry(store, lab, build()) for lab, build in
               (IMAGE_CASES["lab2-titan-two-images"], IMAGE_CASES["lab4-stability-inpaint"],
                IMAGE_CASES["lab6-stability-two-calls"])]
    bundles, skipped = codegen.entry_bundles(entries)
    assert skipped == []
    history, _ = _lab9_history()
    answer, invoke_id, region = _answer(NOVA_LITE, history)
    bundles.append(chat_bundle(history, answer, model_id=NOVA_LITE, invoke_id=invoke_id, region=region, lab="lab9"))
    photos = _photos()
    bundles.append(search_bundle(model_id=TITAN_EMBED, dimension=256, preferred_region="us-east-1", text="red",
                                 hits=[SearchHit(n, 0.4, (lambda d=d: d)) for n, d in photos], k=2))

    data = codegen.notebook_zip(bundles, "My session")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path)
    root = tmp_path / "workshop-notebook"
    nb = nbformat.read(root / "workshop.ipynb", as_version=4)
    nbformat.validate(nb)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code_cells) == 5 and len(markdown) == 6
    assert "Lab 6 · Replace the background" in markdown[3].source and "Remove Background" in markdown[3].source
    # Opened, it already shows what the app got: the images and the answer.
    assert any("image/png" in o.get("data", {}) for o in code_cells[0].outputs)
    assert any(answer in o.get("text", "") for o in code_cells[3].outputs)
    assert (root / "step02" / "mask.png").exists() and (root / "step02" / "input.png").exists()
    for cell in code_cells:
        assert_clean(cell.source)

    client = NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(root)}})
    client.execute()  # raises CellExecutionError on any error
    assert (root / "step01" / "output-1.png").exists() and (root / "step01" / "output-2.png").exists()
    assert (root / "step04" / "answer.md").read_text(encoding="utf-8") == answer
    assert json.loads((root / "step05" / "results.json").read_text())[0]["photo"] == "red-car"
    assert any("image/png" in o.get("data", {}) for o in nb.cells[2].outputs)  # displayed again when run


def test_history_notebook_skips_what_has_no_code(store, aws_env) -> None:
    entry = make_entry(store, "lab2", IMAGE_CASES["lab2-titan-two-images"][1]())
    data = codegen.history_notebook([entry])
    assert "workshop-notebook/workshop.ipynb" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    with pytest.raises(codegen.CodeUnavailable):
        codegen.history_notebook([])


def test_an_edit_whose_mask_history_lacks_says_so(store, aws_env) -> None:
    """A result recorded before edits kept their masks: no code, and the reason (never a wrong body)."""
    req = IMAGE_CASES["lab7-titan-erase"][1]()
    result = service.edit(req)
    entry = store.record(result, lab="lab7", inputs=[req.image], asked=req)
    with pytest.raises(codegen.CodeUnavailable, match="mask of this result was not kept"):
        image_bundle(entry)
