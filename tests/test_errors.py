"""Every failure becomes a WorkshopError with a plain title, message, hint and the raw detail.

Service errors are raised by a real boto3 client through botocore's Stubber with the
codes and texts Bedrock really uses (workshop-labs.md §10e, bedrock-models.md §1.2, §3.1).
"""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any

import botocore.exceptions as bex
import pytest

import lib.services.images as service
from lib.bedrock import invoke_json, translate_error
from lib.catalog import (
    ChatModel,
    Lifecycle,
    Status,
    get_chat_model,
    get_embedding_model,
    get_model,
    working_alternative,
)
from lib.errors import (
    AccessDenied,
    BackendUnavailable,
    ContentFiltered,
    InvalidInput,
    ModelUnavailable,
    Throttled,
    WorkshopError,
)
from lib.generation.requests import GenerationRequest
from lib.settings import load_settings
from stub_support import StubbedBedrock, b64png, stub  # noqa: F401  (stub is a fixture)

TITAN_V2 = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
INPAINT = "stability.stable-image-inpaint-v1:0"
ERASE_OBJECT = "stability.stable-image-erase-object-v1:0"
CLAUDE_3_SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
TITAN_EMBED = "amazon.titan-embed-image-v1"
EAST = load_settings({"WORKSHOP_REGION": "us-east-1"})

INPUT_FILTER = ("This request has been blocked by our content filters. Our filters automatically flagged this "
                "prompt because it may conflict our AUP or AWS Responsible AI Policy. Please adjust your text "
                "prompt to submit a new request.")
OUTPUT_FILTER = ("This request has been blocked by our content filters. Our filters automatically flagged the "
                 "generated image(s) because they may conflict our AUP or AWS Responsible AI Policy. Please "
                 "adjust your text prompt to submit a new request.")
NEEDS_PROFILE = ("Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput "
                 "isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that "
                 "contains this model.")
MALFORMED = ("Malformed input request: #/textToImageParams/text: expected maxLength: 512, actual: 536, please "
             "reformat your input and try again.")


def raised_by_service(stub: StubbedBedrock, code: str, message: str, status: int, *,
                      model_id: str = SD35, region: str = "us-west-2") -> WorkshopError:
    """Queue a service error, make one InvokeModel call through invoke_json, return what it raised."""
    stub.add_error(region, code, message, status)
    with pytest.raises(WorkshopError) as info:
        invoke_json(get_model(model_id), model_id, region, {"prompt": "p"}, EAST)
    assert isinstance(info.value.__cause__, bex.ClientError)  # the original stays chained
    stub.assert_all_used()
    return info.value


def assert_error(err: WorkshopError, cls: type[WorkshopError], title: str, message_part: str,
                 hint_part: str, detail: str) -> None:
    """The class, its title, key phrases of message and hint, and the raw text kept in `detail`."""
    assert type(err) is cls
    assert err.title == title
    assert message_part in err.message, err.message
    assert hint_part in err.hint, err.hint
    assert err.detail == detail
    assert str(err) == f"{err.message} {err.hint}"


# --- ClientError codes ------------------------------------------------------------------------------

def test_throttling(stub: StubbedBedrock) -> None:
    text = "Too many requests, please wait before trying again."
    err = raised_by_service(stub, "ThrottlingException", text, 429)
    assert_error(err, Throttled, "Bedrock is throttling requests",
                 "Bedrock is throttling calls to Stable Diffusion 3.5 Large in us-west-2",
                 "Wait a few seconds", text)
    assert err.retryable


def test_throttling_daily_token_quota(stub: StubbedBedrock) -> None:
    text = "Too many tokens per day, please wait before trying again."
    err = raised_by_service(stub, "ThrottlingException", text, 429)
    assert_error(err, Throttled, "Bedrock is throttling requests", "daily token quota", "Service Quotas", text)


@pytest.mark.parametrize(("text", "stage", "message"), [
    (INPUT_FILTER, "prompt", "The prompt was blocked by the content filter."),
    (OUTPUT_FILTER, "output image", "The generated image was blocked by the content filter"),
])
def test_content_filter_validation_exception(stub: StubbedBedrock, text: str, stage: str, message: str) -> None:
    err = raised_by_service(stub, "ValidationException", text, 400)
    assert_error(err, ContentFiltered, "Blocked by the content filter", message, "Rephrase the prompt", text)
    assert isinstance(err, ContentFiltered) and err.stage == stage
    assert "Nothing was lost" in err.hint


def test_access_denied(stub: StubbedBedrock) -> None:
    text = "You don't have access to the model with the specified model ID."
    err = raised_by_service(stub, "AccessDeniedException", text, 403)
    assert_error(err, AccessDenied, "No access to this model",
                 "Your AWS account has no access to Stable Diffusion 3.5 Large in us-west-2", "Model access", text)
    assert "AWS Marketplace" in err.hint


@pytest.mark.parametrize(("text", "cls", "reason", "message", "hint"), [
    ("This model version has reached the end of its life. Please refer to the AWS documentation for more "
     "details.", ModelUnavailable, "end_of_life", "has reached its end of life", "marked “available”"),
    ("Access denied. This Model is marked by provider as Legacy and you have not been actively using the model "
     "in the last 30 days.", ModelUnavailable, "legacy", "is a Legacy model", "marked “available”"),
])
def test_resource_not_found_lifecycle(stub: StubbedBedrock, text: str, cls: type[WorkshopError], reason: str,
                                      message: str, hint: str) -> None:
    err = raised_by_service(stub, "ResourceNotFoundException", text, 404, model_id=NOVA, region="us-east-1")
    assert_error(err, cls, "This model can't be called", message, hint, text)
    assert isinstance(err, ModelUnavailable) and err.reason == reason
    assert "Amazon Nova Canvas" in err.message


END_OF_LIFE = ("This model version has reached the end of its life. Please refer to the AWS documentation for more "
               "details.")


def end_of_life_hint(model: Any) -> str:
    """The hint translate_error gives when Bedrock says `model` has reached its end of life."""
    err = translate_error(bex.ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": END_OF_LIFE}},
                                          "InvokeModel"), model, "us-east-1")
    assert isinstance(err, ModelUnavailable) and err.reason == "end_of_life"
    assert model.label in err.message
    return err.hint


def test_end_of_life_image_model_names_a_working_image_model_for_its_task() -> None:
    assert "Stable Diffusion 3.5 Large works for the same lab" in end_of_life_hint(get_model(TITAN_V2))
    # SD 3.5 Large itself retired: it must not suggest itself, but another text-to-image model.
    retired_sd35 = replace(get_model(SD35), lifecycle=Lifecycle(Status.END_OF_LIFE))
    hint = end_of_life_hint(retired_sd35)
    assert "Stable Image Core works for the same lab" in hint and "Stable Diffusion" not in hint
    # Inpaint also replaces backgrounds, which Nova 2 Omni does by instruction: it is named for that lab.
    retired_inpaint = replace(get_model(INPAINT), lifecycle=Lifecycle(Status.END_OF_LIFE))
    assert "Amazon Nova 2 Omni works for the same lab" in end_of_life_hint(retired_inpaint)
    # An erase-by-mask model has no working replacement on Bedrock: name none rather than a wrong one.
    retired_erase = replace(get_model(ERASE_OBJECT), lifecycle=Lifecycle(Status.END_OF_LIFE))
    assert end_of_life_hint(retired_erase) == "Pick a model marked “available”."


def test_end_of_life_chat_model_names_a_working_chat_model() -> None:
    hint = end_of_life_hint(get_chat_model(CLAUDE_3_SONNET))  # lab 8 and 9's original model
    assert "Claude Haiku 4.5 works for the same lab" in hint and "Stable Diffusion" not in hint
    alternative = working_alternative(get_chat_model(CLAUDE_3_SONNET))
    assert isinstance(alternative, ChatModel) and alternative.lifecycle.callable_today
    assert not alternative.runs_locally


def test_end_of_life_embedding_model_names_a_working_embedding_model() -> None:
    retired_titan = replace(get_embedding_model(TITAN_EMBED), lifecycle=Lifecycle(Status.END_OF_LIFE))
    hint = end_of_life_hint(retired_titan)  # lab 1
    assert "Amazon Nova Multimodal Embeddings works for the same lab" in hint
    assert "build the index again" in hint and "Stable Diffusion" not in hint


def test_resource_not_found_use_case_not_submitted(stub: StubbedBedrock) -> None:
    text = "Model use case details have not been submitted for this account"
    err = raised_by_service(stub, "ResourceNotFoundException", text, 404)
    assert_error(err, AccessDenied, "No access to this model", "needs the Anthropic use-case form", "Model access",
                 text)


def test_resource_not_found_otherwise_means_not_in_region(stub: StubbedBedrock) -> None:
    text = "Could not resolve the foundation model from the provided model identifier."
    err = raised_by_service(stub, "ResourceNotFoundException", text, 404)
    assert_error(err, ModelUnavailable, "This model can't be called", "is not offered in us-west-2",
                 "another model or region", text)
    assert isinstance(err, ModelUnavailable) and err.reason == "not_in_region"


@pytest.mark.parametrize("text", [NEEDS_PROFILE, NEEDS_PROFILE.replace("\u2019", "'")])
def test_on_demand_not_supported_needs_an_inference_profile(stub: StubbedBedrock, text: str) -> None:
    err = raised_by_service(stub, "ValidationException", text, 400)
    assert_error(err, ModelUnavailable, "This model can't be called", "only be called through an inference profile",
                 f"“us.{SD35}”", text)
    assert isinstance(err, ModelUnavailable) and err.reason == "needs_inference_profile"


def test_inference_profile_suggestion_uses_the_catalog_prefix() -> None:
    model = replace(get_model(SD35), inference_profile_prefix="eu")
    err = translate_error(bex.ClientError({"Error": {"Code": "ValidationException", "Message": NEEDS_PROFILE}},
                                          "InvokeModel"), model, "eu-west-1")
    assert isinstance(err, ModelUnavailable) and f"“eu.{SD35}”" in err.hint
    anonymous = translate_error(bex.ClientError({"Error": {"Code": "ValidationException",
                                                           "Message": NEEDS_PROFILE}}, "InvokeModel"))
    assert isinstance(anonymous, ModelUnavailable) and "us.<model id>" in anonymous.hint
    assert "this model" in anonymous.message


def test_malformed_input_is_invalid_input(stub: StubbedBedrock) -> None:
    err = raised_by_service(stub, "ValidationException", MALFORMED, 400, model_id=TITAN_V2, region="us-east-1")
    assert_error(err, InvalidInput, "Check your input", "Titan Image Generator G1 v2 refused the request: Malformed",
                 "Adjust", MALFORMED)
    assert "expected maxLength: 512, actual: 536" in err.message


@pytest.mark.parametrize(("code", "text", "status"), [
    ("InternalServerException", "The server encountered an internal error.", 500),
    ("ServiceUnavailableException", "Bedrock is unable to process your request.", 503),
    ("ModelTimeoutException", "Model has timed out in processing the request.", 408),
])
def test_server_side_errors_are_backend_unavailable(stub: StubbedBedrock, code: str, text: str,
                                                    status: int) -> None:
    err = raised_by_service(stub, code, text, status)
    assert_error(err, BackendUnavailable, "Amazon Bedrock is not reachable", "had a temporary problem in us-west-2",
                 "Try again", text)
    assert err.retryable


def test_expired_token(stub: StubbedBedrock) -> None:
    text = "The security token included in the request is expired"
    err = raised_by_service(stub, "ExpiredTokenException", text, 403)
    assert_error(err, BackendUnavailable, "Amazon Bedrock is not reachable", "rejected your credentials",
                 "aws sso login", text)


def test_unknown_code_keeps_the_code_and_text(stub: StubbedBedrock) -> None:
    text = "Something new went wrong."
    err = raised_by_service(stub, "BrandNewException", text, 400)
    assert_error(err, BackendUnavailable, "Amazon Bedrock is not reachable",
                 "Bedrock returned BrandNewException: Something new went wrong.", "Try again", text)


def test_throttle_through_the_service_raises_throttled_after_one_call(stub: StubbedBedrock) -> None:
    stub.add_error("us-east-1", "ThrottlingException", "Too many requests, please wait before trying again.", 429)
    with pytest.raises(Throttled):
        service.generate(GenerationRequest(model_id=TITAN_V2, prompt="p", seed=1), EAST)
    assert len(stub.sent) == 1


# --- failures before any answer ----------------------------------------------------------------------------

def test_no_credentials_translation() -> None:
    err = translate_error(bex.NoCredentialsError(), get_model(SD35), "us-west-2")
    assert_error(err, BackendUnavailable, "Amazon Bedrock is not reachable",
                 "AWS credentials were not found", "aws configure", "Unable to locate credentials")


def test_no_credentials_from_a_real_client(isolated_env: Any) -> None:
    """No keys anywhere: botocore fails while signing, before any connection is made."""
    with pytest.raises(BackendUnavailable) as info:
        invoke_json(get_model(SD35), SD35, "us-west-2", {"prompt": "p"})
    assert isinstance(info.value.__cause__, bex.NoCredentialsError)
    assert "credentials were not found" in info.value.message


def test_endpoint_connection_error_translation() -> None:
    exc = bex.EndpointConnectionError(endpoint_url="https://bedrock-runtime.us-west-2.amazonaws.com/model/x/invoke")
    err = translate_error(exc, get_model(SD35), "us-west-2")
    assert_error(err, BackendUnavailable, "Amazon Bedrock is not reachable",
                 "Could not connect to Amazon Bedrock in us-west-2", "network connection", str(exc))
    assert "bedrock-runtime.us-west-2.amazonaws.com" in err.detail


def test_endpoint_connection_error_from_a_real_client(isolated_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A closed port on 127.0.0.1 stands in for an unreachable Bedrock."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{port}")
    with pytest.raises(BackendUnavailable) as info:
        invoke_json(get_model(SD35), SD35, "us-west-2", {"prompt": "p"})
    assert isinstance(info.value.__cause__, bex.EndpointConnectionError)
    assert info.value.message == "Could not connect to Amazon Bedrock in us-west-2."


def test_read_timeout_translation() -> None:
    exc = bex.ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-west-2.amazonaws.com/model/x/invoke")
    err = translate_error(exc, get_model(SD35), "us-west-2")
    assert_error(err, BackendUnavailable, "Amazon Bedrock is not reachable",
                 "Stable Diffusion 3.5 Large took too long to answer", "fewer or smaller images", str(exc))


def test_other_exceptions_are_backend_unavailable_and_workshop_errors_pass_through() -> None:
    err = translate_error(RuntimeError("boom"))
    assert isinstance(err, BackendUnavailable)
    assert "RuntimeError" in err.message and err.detail == "boom"
    original = InvalidInput("bad", "fix")
    assert translate_error(original) is original


def test_reply_that_is_not_json(stub: StubbedBedrock) -> None:
    from stub_support import sbody

    stub.client("us-west-2")
    stub.stubbers["us-west-2"].add_response("invoke_model", {"body": sbody(b"<html>502 Bad Gateway</html>"),
                                                             "contentType": "text/html"})
    with pytest.raises(BackendUnavailable) as info:
        invoke_json(get_model(SD35), SD35, "us-west-2", {"prompt": "p"}, EAST)
    assert "not JSON" in info.value.message
    assert info.value.detail.startswith("<html>502")


# --- errors inside a 200 answer -----------------------------------------------------------------------------

def titan_call(stub: StubbedBedrock, payload: dict) -> WorkshopError:
    """Run a Titan text-to-image call whose 200 answer is `payload`; return what was raised."""
    stub.add_json("us-east-1", payload)
    with pytest.raises(WorkshopError) as info:
        service.generate(GenerationRequest(model_id=TITAN_V2, prompt="p", seed=1), EAST)
    return info.value


@pytest.mark.parametrize(("text", "stage"), [
    (OUTPUT_FILTER, "output image"),
    ("Content in the all of the generated image(s) has been blocked by our content filters.", "output image"),
    (INPUT_FILTER, "prompt"),
    ("The input image was flagged: it may conflict our AUP or AWS Responsible AI Policy.", "input image"),
])
def test_titan_error_field_content_filter(stub: StubbedBedrock, text: str, stage: str) -> None:
    err = titan_call(stub, {"images": [], "error": text})
    assert isinstance(err, ContentFiltered)
    assert err.stage == stage and err.detail == text
    assert err.title == "Blocked by the content filter" and "Rephrase" in err.hint


def test_titan_error_field_not_about_filters_is_invalid_input(stub: StubbedBedrock) -> None:
    text = "Image dimensions are not supported for this task."
    err = titan_call(stub, {"images": [b64png()], "error": text})  # the error wins over any image
    assert type(err) is InvalidInput
    assert err.message == f"Titan Image Generator G1 v2 refused the request: {text}"
    assert err.detail == text


@pytest.mark.parametrize("payload", [{"images": [], "error": None}, {"error": None}, {}])
def test_titan_without_images_is_backend_unavailable(stub: StubbedBedrock, payload: dict) -> None:
    err = titan_call(stub, payload)
    assert type(err) is BackendUnavailable
    assert "answered without any image" in err.message


def stability_call(stub: StubbedBedrock, payload: dict) -> WorkshopError:
    """Run a one-image SD3.5 call whose 200 answer is `payload`; return what was raised."""
    stub.add_json("us-west-2", payload)
    with pytest.raises(WorkshopError) as info:
        service.generate(GenerationRequest(model_id=SD35, prompt="p", seed=1), EAST)
    return info.value


@pytest.mark.parametrize(("reason", "stage", "message"), [
    ("Filter reason: prompt", "prompt", "The prompt was blocked by the content filter."),
    ("Filter reason: output image", "output image",
     "The generated image was blocked by the content filter, so it is not shown."),
    ("Filter reason: input image", "input image", "The input image was blocked by the content filter."),
])
def test_stability_filter_finish_reasons(stub: StubbedBedrock, reason: str, stage: str, message: str) -> None:
    err = stability_call(stub, {"seeds": [1], "finish_reasons": [reason]})  # filtered answers may lack images
    assert isinstance(err, ContentFiltered)
    assert err.stage == stage and err.message == message and err.detail == reason


def test_stability_inference_error(stub: StubbedBedrock) -> None:
    err = stability_call(stub, {"seeds": [1], "finish_reasons": ["Inference error"], "images": []})
    assert type(err) is BackendUnavailable
    assert "Inference error" in err.message and err.detail == "Inference error"
    assert err.retryable


def test_stability_success_without_image(stub: StubbedBedrock) -> None:
    err = stability_call(stub, {"seeds": [1], "finish_reasons": [None], "images": []})
    assert type(err) is BackendUnavailable and "without an image" in err.message


def test_access_denied_mentioning_blocked_is_not_a_content_filter() -> None:
    exc = bex.ClientError({"Error": {"Code": "AccessDeniedException",
                                 "Message": "Access has been blocked by an explicit deny in a service control policy"}},
                      "InvokeModel")
    assert isinstance(translate_error(exc), AccessDenied)
