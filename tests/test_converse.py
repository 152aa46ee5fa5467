"""Vision chat through ChatBedrockConverse: request shape, usage and cost, errors (botocore Stubber)."""

from __future__ import annotations

import copy
import io

import boto3
import pytest
from botocore.exceptions import EventStreamError, ParamValidationError
from botocore.stub import Stubber
from PIL import Image

import lib.converse as converse
import lib.engines.converse as converse_engine
from lib.catalog import CHAT_MODELS, get_chat_model
from lib.chat import ChatImage, Turn
from lib.errors import AccessDenied, BackendUnavailable, ModelUnavailable, Throttled
from lib.settings import load_settings
from stub_support import EventStreamStubber

SETTINGS = load_settings({"WORKSHOP_REGION": "us-east-1"})
CLAUDE3 = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
REPLY = {"output": {"message": {"role": "assistant", "content": [{"text": "Two cats."}]}}, "stopReason": "end_turn",
         "usage": {"inputTokens": 1200, "outputTokens": 4, "totalTokens": 1204}, "metrics": {"latencyMs": 5}}


def png(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return buf.getvalue()


def stubbed_client(monkeypatch, operation: str) -> tuple[object, list[dict]]:
    """A bedrock-runtime client that lib.converse will use, recording the parameters of each `operation` call."""
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sent: list[dict] = []
    client.meta.events.register(f"before-parameter-build.bedrock-runtime.{operation}",
                                lambda params, **_: sent.append(copy.deepcopy(params)))
    monkeypatch.setattr(converse_engine, "runtime_client", lambda region, settings=None: client)
    return client, sent


@pytest.fixture
def stubbed(monkeypatch):
    client, sent = stubbed_client(monkeypatch, "Converse")
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
    for model in (m for m in CHAT_MODELS if not m.runs_locally):
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


# ConverseStream through botocore's Stubber (EventStreamStubber validates each event).

STREAM_EVENTS = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"delta": {"text": "Two "}, "contentBlockIndex": 0}},
    {"contentBlockDelta": {"delta": {"text": "cats."}, "contentBlockIndex": 0}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {"messageStop": {"stopReason": "end_turn"}},
    {"metadata": {"usage": {"inputTokens": 1500, "outputTokens": 3, "totalTokens": 1503}, "metrics": {"latencyMs": 9}}},
]


@pytest.fixture
def stream_stubbed(monkeypatch):
    client, sent = stubbed_client(monkeypatch, "ConverseStream")
    with EventStreamStubber(client) as stubber:
        yield stubber, sent
        stubber.assert_no_pending_responses()


def test_streamed_answer_arrives_in_chunks_with_tokens_and_cost(stream_stubbed):
    stubber, sent = stream_stubbed
    stubber.add_response("converse_stream", {"stream": copy.deepcopy(STREAM_EVENTS)})
    turn = Turn("user", "Compare the two images:", (ChatImage(png(), "png", "a"), ChatImage(png((8, 8)), "png", "b")))
    result, chunks = converse.stream_answer(CLAUDE3, [turn], SETTINGS)
    assert list(chunks) == ["Two ", "cats."]
    assert result.text == "Two cats." and (result.input_tokens, result.output_tokens) == (1500, 3)
    assert result.cost_usd == pytest.approx((1500 * 3 + 3 * 15) / 1e6)
    (params,) = sent
    assert params["modelId"] == CLAUDE3
    assert [list(block) for block in params["messages"][0]["content"]] == [["image"], ["image"], ["text"]]


def test_stream_start_errors_are_translated(stream_stubbed):
    stubber, _ = stream_stubbed
    stubber.add_client_error("converse_stream", "AccessDeniedException",
                             "You don't have access to the model with the specified model ID.", http_status_code=403)
    _, chunks = converse.stream_answer(CLAUDE3, [Turn("user", "hi")], SETTINGS)
    with pytest.raises(AccessDenied):
        list(chunks)


@pytest.mark.parametrize(("event_code", "expected"), [("throttlingException", Throttled),
                                                      ("modelStreamErrorException", BackendUnavailable)])
def test_errors_inside_the_stream_are_translated_after_the_partial_text(stream_stubbed, event_code, expected):
    stubber, _ = stream_stubbed
    failure = EventStreamError({"Error": {"Code": event_code, "Message": "stream broke"}}, "ConverseStream")
    stubber.add_response("converse_stream", {"stream": STREAM_EVENTS[:2] + [failure]})
    result, chunks = converse.stream_answer(CLAUDE3, [Turn("user", "hi")], SETTINGS)
    received = []
    with pytest.raises(expected):
        for chunk in chunks:
            received.append(chunk)
    assert received == ["Two "] and result.text == "Two "


def test_event_stream_stubber_still_rejects_a_malformed_event():
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(ParamValidationError):
        EventStreamStubber(client).add_response("converse_stream", {"stream": [{"contentBlockDelta": {"delta": 7}}]})
