"""Amazon Nova 2 Omni (preview) as an image engine: the Converse request it sends and how it reads the answer.

Shapes from reference bedrock-models.md §6.2 ([3P] daekeun-ml/nova-2-omni-examples): one user turn with the
input image block (edits) before the instruction text; no seed, size, mask or negative-prompt field; the answer's
assistant content holds `{"image": {"format": "png"|"jpeg", "source": {"bytes": ...}}}` and maybe text. The
Stubber checks every request and answer against botocore's own Converse model; the fake endpoint
(tests/fake_bedrock.py) answers the same requests end to end.
"""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.stub import Stubber
from PIL import Image

import lib.bedrock
from lib.catalog import Task, get_model, models_for
from lib.engines.registry import engine_for
from lib.errors import ContentFiltered, InvalidInput, ModelUnavailable
from lib.generation.requests import EditRequest, GenerationRequest, VariationRequest, redact_body
from lib.services import images as service
from lib.settings import load_settings
from stub_support import png

OMNI = "amazon.nova-2-omni-v1:0"
PROFILE = "us.amazon.nova-2-omni-v1:0"
MODEL = get_model(OMNI)
ENGINE = engine_for(MODEL)
EAST = load_settings({"WORKSHOP_REGION": "us-east-1"})


def photo(size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (90, 140, 60)) -> bytes:
    return png(size, colour)


def answer(image: bytes | None = None, *, fmt: str = "png", text: str | None = "Here is your image.",
           stop: str = "end_turn") -> dict[str, Any]:
    """A Converse answer as Nova 2 Omni gives it (validated against botocore's output shape by the Stubber)."""
    content: list[dict[str, Any]] = [{"text": text}] if text else []
    if image is not None:
        content.append({"image": {"format": fmt, "source": {"bytes": image}}})
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": 30, "outputTokens": 1400, "totalTokens": 1430}, "metrics": {"latencyMs": 900}}


class ConverseStub:
    """One Stubber-wrapped bedrock-runtime client per region, in the place the engine takes its client from."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        monkeypatch.setattr(lib.bedrock, "runtime_client", lambda region, settings=None: self.client(region))

    def client(self, region: str) -> Any:
        if region not in self.clients:
            client = boto3.client("bedrock-runtime", region_name=region, aws_access_key_id="x",
                                  aws_secret_access_key="x")
            self.stubbers[region] = Stubber(client)
            self.stubbers[region].activate()
            self.clients[region] = client
        return self.clients[region]

    def expect(self, response: dict[str, Any], params: dict[str, Any] | None = None, region: str = "us-east-1") -> None:
        self.client(region)
        self.stubbers[region].add_response("converse", response, params)

    def refuse(self, code: str, message: str, region: str = "us-east-1") -> None:
        self.client(region)
        self.stubbers[region].add_client_error("converse", service_error_code=code, service_message=message,
                                               http_status_code=400)

    def done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def converse(monkeypatch: pytest.MonkeyPatch) -> ConverseStub:
    return ConverseStub(monkeypatch)


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


# --- the catalog row says what Omni takes, as data ----------------------------------------------------------


def test_the_row_is_a_seedless_sizeless_preview_called_through_the_us_profile():
    spec = MODEL.image
    assert MODEL.engine == "nova-omni" and MODEL.preview and MODEL.lifecycle.callable_today
    assert MODEL.inference_profile_prefix == "us" and set(MODEL.regions) == {"us-east-1", "us-east-2", "us-west-2"}
    assert spec.seed_max == 0 and spec.negative_max_chars == 0 and not spec.output_sizes and spec.ratio_in_prompt
    assert "16:9" in spec.aspect_ratios and spec.aspect_ratios[0] == "1:1"
    assert spec.edit_rule is not None and spec.edit_rule.max_pixels == 1024 * 1024
    assert MODEL.tasks == {Task.TEXT_TO_IMAGE, Task.VARIATION, Task.INPAINT_BY_PROMPT, Task.ERASE_BY_PROMPT,
                           Task.OUTPAINT_BY_PROMPT}  # no drawn-mask task: it takes no mask
    assert MODEL.picker_label() == "Amazon Nova 2 Omni (preview)"
    assert ENGINE.mask_polarity is None and ENGINE.outpainting_modes == () and ENGINE.operation == "converse"
    assert all(ENGINE.uses_mask_prompt(t) for t in (Task.INPAINT_BY_PROMPT, Task.ERASE_BY_PROMPT,
                                                    Task.OUTPAINT_BY_PROMPT))
    assert ENGINE.seeds(MODEL, 0, 3) == [0, 0, 0]


def test_lab5_removal_by_name_now_has_a_model_you_can_call():
    callable_now = [m.id for m in models_for(Task.ERASE_BY_PROMPT) if m.lifecycle.callable_today
                    and not m.runs_locally]
    assert callable_now == [OMNI]
    # Where a current model already teaches the lab, it stays the default: Omni comes after it.
    for task in (Task.TEXT_TO_IMAGE, Task.VARIATION, Task.INPAINT_BY_PROMPT, Task.OUTPAINT_BY_PROMPT):
        assert models_for(task)[0].id != OMNI


# --- the request: one user turn, the words written from the request --------------------------------------


def test_generation_asks_for_the_ratio_in_words_and_sends_no_seed_size_or_negative():
    req = GenerationRequest(OMNI, "A red fox in the snow. ", aspect_ratio="16:9")
    body = service.request_body(req, MODEL, 0)
    assert body == {"messages": [{"role": "user", "content": [
        {"text": "Create an image: A red fox in the snow in 16:9 aspect ratio."}]}],
        "inferenceConfig": {"maxTokens": 4096}}
    assert not all_keys(body) & {"seed", "width", "height", "negativeText", "negative_prompt", "mask",
                                 "maskImage", "additionalModelRequestFields"}
    assert service.sent_instruction(req) == "Create an image: A red fox in the snow in 16:9 aspect ratio."


@pytest.mark.parametrize(("task", "mask_prompt", "prompt", "words"), [
    (Task.INPAINT_BY_PROMPT, "cup", "a teapot", "Replace the cup with a teapot."),
    (Task.ERASE_BY_PROMPT, "coffee cup", "", "Remove the coffee cup and fill its place with what would be behind it."),
    (Task.OUTPAINT_BY_PROMPT, "house", "a sandy beach at sunset.",
     "Keep the house exactly as it is and change everything else to: a sandy beach at sunset."),
    (Task.OUTPAINT_BY_PROMPT, "A car", "Car at the beach",  # the workshop's lab 6 words: "the", not "the A"
     "Keep the car exactly as it is and change everything else to: Car at the beach."),
    (Task.INPAINT_BY_PROMPT, " the  red mug. ", "a teapot", "Replace the red mug with a teapot."),
])
def test_an_edit_sends_the_image_block_then_the_instruction(task, mask_prompt, prompt, words):
    image = photo()
    req = EditRequest(OMNI, task, image, mask_prompt=mask_prompt, prompt=prompt)
    body = service.request_body(req, MODEL, 0)
    (turn,) = body["messages"]
    assert turn["role"] == "user"
    picture, text = turn["content"]
    assert picture == {"image": {"format": "png", "source": {"bytes": image}}}  # raw bytes: boto3 encodes them
    assert text == {"text": f"{words} Answer with the new image, not with text."}
    assert service.sent_instruction(req) == text["text"]
    assert not all_keys(body) & {"seed", "mask", "maskPrompt", "outPaintingMode", "negative_prompt"}


def test_a_variation_says_how_to_vary_or_just_asks_for_one():
    image = photo()
    with_words = service.request_body(VariationRequest(OMNI, (image,), "as a watercolour"), MODEL, 0)
    assert with_words["messages"][0]["content"][1]["text"] == \
        "Make a variation of this image: as a watercolour. Answer with the new image, not with text."
    bare = service.request_body(VariationRequest(OMNI, (image,)), MODEL, 0)
    assert bare["messages"][0]["content"][1]["text"] == "Make a variation of this image. Answer with the new image, " \
                                                       "not with text."


def test_an_input_over_one_megapixel_is_downsized_before_it_is_sent():
    big = photo((2000, 1500))
    body = service.request_body(VariationRequest(OMNI, (big,)), MODEL, 0)
    sent = body["messages"][0]["content"][0]["image"]["source"]["bytes"]
    with Image.open(io.BytesIO(sent)) as img:
        assert img.width * img.height <= 1024 * 1024 and abs(img.width / img.height - 4 / 3) < 0.01
    prepared = service.prepare_edit_input(MODEL, Image.open(io.BytesIO(big)))  # what the labs do first
    assert prepared.size[0] * prepared.size[1] <= 1024 * 1024 and "1.0 MP" in prepared.notes[0]


def test_the_body_history_keeps_is_json_with_the_image_bytes_shortened():
    body = service.request_body(EditRequest(OMNI, Task.INPAINT_BY_PROMPT, photo(), mask_prompt="cup",
                                            prompt="a teapot"), MODEL, 0)
    kept = redact_body(body)
    assert kept["messages"][0]["content"][0]["image"]["source"]["bytes"].startswith("<bytes, ")
    assert json.loads(json.dumps(kept)) == kept


def test_what_omni_cant_take_is_refused_before_any_call(converse):
    with pytest.raises(ModelUnavailable, match="can't do inpaint"):
        service.edit(EditRequest(OMNI, Task.INPAINT, photo(), mask=photo()), EAST)
    with pytest.raises(InvalidInput, match="negative prompt"):
        service.generate(GenerationRequest(OMNI, "a fox", negative_prompt="fog"), EAST)
    with pytest.raises(InvalidInput, match="seed must be between 0 and 0"):
        service.generate(GenerationRequest(OMNI, "a fox", seed=7), EAST)
    with pytest.raises(InvalidInput, match="no aspect ratio 5:4"):
        service.generate(GenerationRequest(OMNI, "a fox", aspect_ratio="5:4"), EAST)
    with pytest.raises(InvalidInput, match="replacement prompt is empty"):
        service.edit(EditRequest(OMNI, Task.INPAINT_BY_PROMPT, photo(), mask_prompt="cup"), EAST)
    with pytest.raises(InvalidInput, match="mask prompt"):
        service.edit(EditRequest(OMNI, Task.ERASE_BY_PROMPT, photo()), EAST)
    converse.done()  # nothing was sent


# --- the call and its answer (Stubber: botocore validates both) ---------------------------------------------


def test_generation_calls_converse_on_the_profile_and_reads_the_image_block(converse):
    made = photo((1360, 768), (200, 80, 40))
    req = GenerationRequest(OMNI, "a lighthouse at dawn", aspect_ratio="16:9")
    converse.expect(answer(made), {"modelId": PROFILE, **service.request_body(req, MODEL, 0)})
    result = service.generate(req, EAST)
    converse.done()
    (image,) = result.images
    assert image.data == made and image.format == "png" and (image.width, image.height) == (1360, 768)
    assert image.seed == 0 and result.region == "us-east-1"
    assert result.cost_usd == pytest.approx(MODEL.price.per_image())
    assert any("aspect ratio 16:9 was asked for in the words" in n and "1360×768" in n for n in result.notes)
    assert any("30 input and 1,400 output tokens" in n for n in result.notes)


def test_n_images_are_n_calls_and_a_jpeg_block_is_read(converse):
    req = EditRequest(OMNI, Task.OUTPAINT_BY_PROMPT, photo(), mask_prompt="house", prompt="a beach", count=3)
    body = service.request_body(req, MODEL, 0)
    jpeg = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 20, 30)).save(jpeg, "JPEG")
    for n in range(3):
        converse.expect(answer(jpeg.getvalue() if n == 2 else photo(colour=(n * 40, 0, 0)),
                               fmt="jpeg" if n == 2 else "png"), {"modelId": PROFILE, **body})
    result = service.edit(req, EAST)
    converse.done()
    assert [img.format for img in result.images] == ["png", "png", "jpeg"]
    assert "3 calls ran in parallel." in " ".join(result.notes) and "seeds" not in " ".join(result.notes)
    assert any("The input was sent at 640×480" in n for n in result.notes)
    assert "90 input and 4,200 output tokens" in " ".join(result.notes)


@pytest.mark.parametrize("stop", ["content_filtered", "guardrail_intervened"])
def test_a_withheld_answer_is_the_content_filter(converse, stop):
    converse.expect(answer(None, text=None, stop=stop))
    with pytest.raises(ContentFiltered) as caught:
        service.generate(GenerationRequest(OMNI, "a lighthouse"), EAST)
    assert caught.value.stage == "output image" and "not shown" in caught.value.message


def test_words_without_a_picture_are_a_clear_error_quoting_the_model(converse):
    converse.expect(answer(None, text="I can describe a lighthouse, but here I will only talk about it."))
    with pytest.raises(InvalidInput) as caught:
        service.generate(GenerationRequest(OMNI, "what is a lighthouse?"), EAST)
    assert "answered without an image" in caught.value.message
    assert "“I can describe a lighthouse, but here I will only talk about it.”" in caught.value.message
    assert "Rephrase" in caught.value.hint


def test_running_out_of_tokens_before_the_picture_says_so(converse):
    converse.expect(answer(None, text="Here is", stop="max_tokens"))
    with pytest.raises(InvalidInput, match="4,096-token answer limit before the picture"):
        service.generate(GenerationRequest(OMNI, "a lighthouse"), EAST)


def test_one_failed_call_of_several_is_a_problem_not_a_failure(converse):
    converse.expect(answer(photo()))
    converse.refuse("ThrottlingException", "Too many requests, please wait before trying again.")
    result = service.generate(GenerationRequest(OMNI, "a lighthouse", count=2), EAST)
    assert len(result.images) == 1 and len(result.problems) == 1 and "Image 2 of 2" in result.problems[0]


def test_a_bare_id_refusal_is_translated(converse):
    converse.refuse("ValidationException", "Invocation of model ID amazon.nova-2-omni-v1:0 with on-demand "
                                           "throughput isn’t supported. Retry your request with the ID or ARN of an "
                                           "inference profile that contains this model.")
    with pytest.raises(ModelUnavailable):
        service.generate(GenerationRequest(OMNI, "a lighthouse"), EAST)


# --- end to end against the fake endpoint -------------------------------------------------------------------


def test_the_fake_draws_the_ratio_asked_for_in_words(aws_env):
    result = service.generate(GenerationRequest(OMNI, "a lighthouse at dawn", aspect_ratio="9:16"))
    (call,) = aws_env.calls
    assert call.model_id == PROFILE and call.operation == "converse"
    assert call.body["messages"][0]["content"] == [{"text": "Create an image: a lighthouse at dawn in 9:16 aspect "
                                                            "ratio."}]
    assert (result.images[0].width, result.images[0].height) == (768, 1360)


def test_the_fake_repaints_only_the_centre_for_an_edit(aws_env):
    image = photo((800, 600), (120, 120, 120))
    result = service.edit(EditRequest(OMNI, Task.INPAINT_BY_PROMPT, image, mask_prompt="cup", prompt="a teapot"))
    out = np.asarray(Image.open(io.BytesIO(result.images[0].data)).convert("RGB"))
    assert out.shape == (600, 800, 3)
    assert tuple(out[5, 5]) == (120, 120, 120) and tuple(out[300, 400]) != (120, 120, 120)
    sent = aws_env.calls[-1].body["messages"][0]["content"]
    assert sent[0]["image"]["format"] == "png" and sent[1]["text"].startswith("Replace the cup with a teapot.")


def test_the_fakes_filtered_answer_is_the_content_filter(aws_env):
    aws_env.fail_next("filter_output")
    with pytest.raises(ContentFiltered):
        service.generate(GenerationRequest(OMNI, "a lighthouse"))


# --- History, replay and the Code view ----------------------------------------------------------------------


@pytest.fixture
def store(aws_env, isolated_env):
    from lib.history import HistoryStore

    return HistoryStore(isolated_env / "data")


CODE_CASES = {
    "lab2-two-images": ("lab2", lambda: GenerationRequest(OMNI, "a lighthouse at dawn", aspect_ratio="16:9", count=2)),
    "lab5-replace": ("lab5", lambda: EditRequest(OMNI, Task.INPAINT_BY_PROMPT, photo((800, 600)), mask_prompt="cup",
                                                 prompt="a teapot")),
}


def cli_v2() -> bool:
    import subprocess

    found = subprocess.run(["aws", "--version"], capture_output=True, text=True)
    return (found.stdout + found.stderr).startswith("aws-cli/2")


def check_cli_messages(bundle, sent: list, tmp_path, fake_url: str) -> None:
    """Run the CLI script up to its call: the messages.json it writes is the conversation the app sent."""
    import subprocess

    from test_codegen import script_env

    folder = tmp_path / "cli"
    folder.mkdir()
    for name, data in bundle.files().items():
        (folder / name).write_bytes(data)
    head = bundle.script("cli").split("aws bedrock-runtime converse")[0]
    subprocess.run(["bash", "-c", head], cwd=folder, check=True, env=script_env(fake_url, tmp_path))
    assert json.loads((folder / "messages.json").read_text()) == sent  # the fake logs blobs as base64 too


@pytest.mark.parametrize("style", ["boto3", "cli"])
@pytest.mark.parametrize("case", list(CODE_CASES))
def test_the_code_of_a_result_is_a_converse_call_that_saves_the_same_image(case, style, store, aws_env, tmp_path):
    import shutil

    from lib.codegen import image_bundle
    from test_codegen import assert_clean, make_entry, pixels, run_script

    if style == "cli" and not (shutil.which("aws") and shutil.which("jq")):
        pytest.skip("needs the AWS CLI and jq")
    lab, build = CODE_CASES[case]
    entry = make_entry(store, lab, build())
    bundle = image_bundle(entry)
    assert bundle.notes == []  # the rebuilt body is the body History kept
    code = bundle.script(style)
    assert_clean(code)
    assert "no seed" in bundle.facts and "seed 0" not in code
    if style == "boto3":
        assert "client.converse(" in code and "invoke_model" not in code and 'MODEL_ID = "us.amazon.nova-2-omni' in code
        assert ('Path("input.png").read_bytes()' in code) is (lab == "lab5")  # raw bytes beside the script
        compile(bundle.script("boto3", notebook=True), "notebook cell", "exec")  # the notebook's cell is Python too
    else:
        assert "aws bedrock-runtime converse" in code and "--model-id us.amazon.nova-2-omni-v1:0" in code
    app_calls = list(aws_env.calls)
    if style == "cli" and lab == "lab5" and not cli_v2():
        # AWS CLI v1 sends a blob inside JSON as the text itself; v2 (what the script asks for) decodes the
        # base64. With v1 only the messages.json the script writes is checked, as for chat's CLI code.
        check_cli_messages(bundle, app_calls[-1].body["messages"], tmp_path, aws_env.url)
        return
    folder = run_script(bundle, style, tmp_path / "run", aws_env.url)
    script_calls = aws_env.calls[len(app_calls):]
    assert [c.operation for c in script_calls] == ["converse"] * len(entry.outputs)
    assert [json.dumps(c.body, sort_keys=True) for c in script_calls] == \
        [json.dumps(c.body, sort_keys=True) for c in app_calls]  # the very request the app sent, once per image
    for n, out in enumerate(entry.outputs, start=1):
        assert np.array_equal(pixels((folder / f"output-{n}.png").read_bytes()), pixels(out.read_bytes()))


def test_an_identical_omni_request_is_found_for_replay(store, aws_env):
    req = EditRequest(OMNI, Task.ERASE_BY_PROMPT, photo(), mask_prompt="cup")
    entry = store.record(service.edit(req), lab="lab5", inputs=[req.image], asked=req)
    found = store.find_identical(req)
    assert found is not None and found.id == entry.id
    assert found.body["messages"][0]["content"][1]["text"].startswith("Remove the cup")
    assert store.find_identical(EditRequest(OMNI, Task.ERASE_BY_PROMPT, photo(), mask_prompt="mug")) is None
