"""Vision chat through ChatBedrockConverse: request shape, usage and cost, errors (botocore Stubber)."""

from __future__ import annotations

import copy
import io

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

import lib.converse as converse
from lib.catalog import CHAT_MODELS, get_chat_model
from lib.chat import ChatImage, Turn
from lib.errors import ModelUnavailable, Throttled
from lib.settings import load_settings

SETTINGS = load_settings({"WORKSHOP_REGION": "us-east-1"})
CLAUDE3 = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
REPLY = {"output": {"message": {"role": "assistant", "content": [{"text": "Two cats."}]}}, "stopReason": "end_turn",
         "usage": {"inputTokens": 1200, "outputTokens": 4, "totalTokens": 1204}, "metrics": {"latencyMs": 5}}


def png(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sent: list[dict] = []
    client.meta.events.register("before-parameter-build.bedrock-runtime.Converse",
                                lambda params, **_: sent.append(copy.deepcopy(params)))
    monkeypatch.setattr(converse, "runtime_client", lambda region, settings=None: client)
    with Stubber(client) as stubber:
        yield stubber, sent


def test_images_go_in_their_real_format_before_the_text(stubbed):
    stubber, sent = stubbed
    stubber.add_response("converse", copy.deepcopy(REPLY))
    turn = Turn("user", "Compare the two images:", (ChatImage(png(), "png", "a"), ChatImage(png((8, 8)), "png", "b")))
    result = converse.answer(CLAUDE3, [turn], SETTINGS)
    (params,) = sent
    assert params["modelId"] == CLAUDE3
    content = params["messages"][0]["content"]
    assert [list(block) for block in content] == [["image"], ["image"], ["text"]]
    assert content[0]["image"]["format"] == "png" and content[0]["image"]["source"]["bytes"] == png()
    assert content[2]["text"] == "Compare the two images:"
    assert params["inferenceConfig"] == {"maxTokens": 4096, "temperature": 0.0}
    assert result.text == "Two cats." and (result.input_tokens, result.output_tokens) == (1200, 4)
    assert result.cost_usd == pytest.approx((1200 * 3 + 4 * 15) / 1e6)


def test_profile_only_models_are_called_with_their_us_profile(stubbed):
    stubber, sent = stubbed
    stubber.add_response("converse", copy.deepcopy(REPLY))
    converse.answer(HAIKU, [Turn("user", "hi")], SETTINGS)
    assert sent[0]["modelId"] == f"us.{HAIKU}"


def test_needs_profile_error_offers_the_fix(stubbed):
    stubber, _ = stubbed
    stubber.add_client_error("converse", "ValidationException",
                             f"Invocation of model ID {HAIKU} with on-demand throughput isn’t supported. Retry your "
                             "request with the ID or ARN of an inference profile that contains this model.")
    with pytest.raises(ModelUnavailable) as info:
        converse.answer(HAIKU, [Turn("user", "hi")], SETTINGS)
    assert info.value.reason == "needs_inference_profile" and f"us.{HAIKU}" in info.value.hint


def test_throttle_is_translated(stubbed):
    stubber, _ = stubbed
    stubber.add_client_error("converse", "ThrottlingException", "Too many requests, please wait before trying again.",
                             http_status_code=429)
    with pytest.raises(Throttled):
        converse.answer(CLAUDE3, [Turn("user", "hi")], SETTINGS)


def test_history_is_trimmed_by_whole_exchanges_with_a_note():
    model = get_chat_model("amazon.nova-lite-v1:0")  # 5 images per request
    history = []
    for n in range(4):
        history += [Turn("user", f"q{n}", (ChatImage(png(), "png", f"{n}a"), ChatImage(png(), "png", f"{n}b"))),
                    Turn("assistant", "ok")]
    history.append(Turn("user", "and now?", (ChatImage(png(), "png", "new"),)))
    sent, notes = converse.prepare_history(model, history)
    assert sum(len(t.images) for t in sent) <= 5 and sent[-1].text == "and now?"
    assert sent[0].role == "user" and "Left out the 2 oldest exchanges" in notes[0]


def test_chat_catalog_rows_are_sane():
    for model in CHAT_MODELS:
        assert model.price.input_per_million > 0 and model.price.output_per_million > 0
        assert model.max_images >= 1 and model.max_image_edge >= 512 and model.regions
    assert get_chat_model(CLAUDE3).from_workshop and not get_chat_model(CLAUDE3).lifecycle.callable_today
    assert get_chat_model(HAIKU).inference_profile_prefix == "us"


def test_another_geography_calls_that_profile(stubbed):
    stubber, sent = stubbed
    stubber.add_response("converse", copy.deepcopy(REPLY))
    converse.answer(get_chat_model(HAIKU).in_geo("global"), [Turn("user", "hi")], SETTINGS)
    assert sent[0]["modelId"] == f"global.{HAIKU}"
    assert get_chat_model(HAIKU).in_geo("apac") == get_chat_model(HAIKU)  # no such profile: unchanged
