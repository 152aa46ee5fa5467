"""The one place that calls Bedrock's runtime: client factory, InvokeModel, error translation.

(Whether credentials resolve is lib/services/credentials.py's, which pages ask.)

Clients are cached per (region, profile, endpoint, retry policy) and shared by
every browser session: boto3 clients are thread-safe, and building one per call
(as the original workshop did) costs ~50 ms and loses the retry state.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
import botocore.exceptions as bex
from botocore.config import Config

from lib.catalog import EmbeddingModel, ModelInfo, working_alternative
from lib.errors import (
    CREDENTIALS_FIX,
    AccessDenied,
    BackendUnavailable,
    ContentFiltered,
    InvalidInput,
    ModelUnavailable,
    Throttled,
    WorkshopError,
)
from lib.settings import Settings, load_settings

CONTENT_FILTER_MARKERS = ("content filters", "AUP or AWS Responsible AI", "Responsible AI Policy", "has been blocked")
ON_DEMAND_MARKERS = ("on-demand throughput isn’t supported", "on-demand throughput isn't supported",
                     "inference profile that contains this model")
THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException",
                  "ProvisionedThroughputExceededException"}
SERVER_CODES = {"InternalServerException", "ServiceUnavailableException", "ModelNotReadyException",
                "ModelTimeoutException", "ModelErrorException", "ModelStreamErrorException"}
BAD_CREDENTIAL_CODES = {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
                        "ExpiredToken", "InvalidClientTokenId"}

def session(profile: str | None) -> boto3.Session:
    return boto3.Session(profile_name=profile) if profile else boto3.Session()


@lru_cache(maxsize=16)
def _cached_client(region: str, profile: str | None, endpoint_url: str | None, max_attempts: int,
                   connect_timeout: float, read_timeout: float) -> Any:
    config = Config(
        region_name=region,
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},  # first try included
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=20,  # N concurrent Stability calls share one client
    )
    # endpoint_url is part of the key only so tests that move the fake endpoint get a
    # fresh client; boto3 itself reads AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
    return session(profile).client("bedrock-runtime", config=config)


_client_lock = threading.Lock()


def runtime_client(region: str, settings: Settings | None = None) -> Any:
    """The shared bedrock-runtime client for `region` (built once, even under parallel first calls)."""
    s = settings or load_settings()
    with _client_lock:
        return _cached_client(region, s.profile, s.endpoint_url, s.max_attempts, s.connect_timeout_s,
                              s.read_timeout_s)


def s3_client(settings: Settings | None = None) -> Any:
    """An S3 client for lab 1's s3:// sources (built per use: listing is rare, and tests can mock S3 with moto)."""
    s = settings or load_settings()
    config = Config(region_name=s.region, retries={"mode": "adaptive", "total_max_attempts": s.max_attempts},
                    connect_timeout=s.connect_timeout_s, read_timeout=s.read_timeout_s, max_pool_connections=20)
    return session(s.profile).client("s3", config=config)


def clear_client_cache() -> None:
    """Forget cached clients (after the user changes profile or credentials)."""
    _cached_client.cache_clear()


@dataclass(frozen=True)
class InvokeResult:
    payload: dict[str, Any]
    latency_s: float
    region: str


def invoke_json(model: ModelInfo | EmbeddingModel, invoke_id: str, region: str, body: dict[str, Any],
                settings: Settings | None = None) -> InvokeResult:
    """InvokeModel with a JSON body; every failure comes back as a WorkshopError."""
    client = runtime_client(region, settings)
    started = time.perf_counter()
    try:
        response = client.invoke_model(modelId=invoke_id, body=json.dumps(body),
                                       contentType="application/json", accept="application/json")
        raw = response["body"].read()
    except Exception as exc:  # noqa: BLE001 - translated, never swallowed
        raise translate_error(exc, model, region) from exc
    latency = time.perf_counter() - started
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise BackendUnavailable(f"{model.label} sent a reply that is not JSON.", "Try again.",
                                 detail=raw[:200].decode("utf-8", "replace")) from exc
    return InvokeResult(payload=payload, latency_s=latency, region=region)


def translate_error(exc: BaseException, model: ModelInfo | EmbeddingModel | None = None, region: str | None = None) -> WorkshopError:
    """Turn a boto3/botocore failure into a plain message with the fix."""
    if isinstance(exc, WorkshopError):
        return exc
    name = model.label if model else "this model"
    where = f" in {region}" if region else ""
    if isinstance(exc, (bex.NoCredentialsError, bex.PartialCredentialsError, bex.ProfileNotFound)):
        return BackendUnavailable("AWS credentials were not found, so Bedrock can't be called.", CREDENTIALS_FIX,
                                  detail=str(exc))
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError)):
        return BackendUnavailable(f"Could not connect to Amazon Bedrock{where}.",
                                  "Check your network connection and the region, then try again.", detail=str(exc))
    if isinstance(exc, bex.ReadTimeoutError):
        return BackendUnavailable(f"{name} took too long to answer.",
                                  "Try again; fewer or smaller images are faster.", detail=str(exc))
    if isinstance(exc, bex.ClientError):
        return _translate_client_error(exc, model, name, where)
    if isinstance(exc, bex.BotoCoreError):
        return BackendUnavailable(f"Calling Bedrock failed: {exc}", "Try again.", detail=str(exc))
    return BackendUnavailable(f"Calling {name} failed unexpectedly ({type(exc).__name__}).", "Try again.",
                              detail=str(exc))


def _translate_client_error(exc: bex.ClientError, model: ModelInfo | EmbeddingModel | None, name: str, where: str) -> WorkshopError:
    err = exc.response.get("Error", {})
    code = err.get("Code", "")
    code = code[:1].upper() + code[1:]  # errors inside a ConverseStream are named "throttlingException" etc.
    text = err.get("Message", "") or str(exc)
    low = text.lower()

    if code in THROTTLE_CODES:
        if "per day" in low:
            return Throttled(f"{name} has hit your account's daily token quota{where}.",
                             "Wait until tomorrow, use another model, or ask AWS for a higher quota "
                             "(Service Quotas → Amazon Bedrock).", detail=text)
        return Throttled(f"Bedrock is throttling calls to {name}{where}; automatic retries did not get through.",
                         "Wait a few seconds and try again, or ask for fewer images at once.", detail=text)
    if code in ("ValidationException", "") and any(m.lower() in low for m in CONTENT_FILTER_MARKERS):
        return content_filter_error(text)
    if any(m.lower() in low for m in ON_DEMAND_MARKERS):
        geo = "us"
        if model and model.inference_profile_prefix:
            geo = model.inference_profile_prefix
        suggestion = f"{geo}.{model.id}" if model else "us.<model id>"
        return ModelUnavailable(f"{name} can only be called through an inference profile.",
                                f"Use the profile id “{suggestion}” (or eu./global. for other geographies).",
                                reason="needs_inference_profile", detail=text)
    if code == "AccessDeniedException":
        return _access_denied(text, low, name, where)
    if code in BAD_CREDENTIAL_CODES:
        return BackendUnavailable("AWS rejected your credentials (expired or invalid).",
                                  "Refresh them (e.g. `aws sso login`) and reload the page.", detail=text)
    if code == "ResourceNotFoundException":
        if "end of its life" in low or "end of life" in low:
            alternative = working_alternative(model) if model else None
            hint = "Pick a model marked “available”"
            if alternative is None:
                hint += "."
            elif isinstance(model, EmbeddingModel):
                hint += (f" — {alternative.label} works for the same lab (build the index again with it: "
                         "vectors of different models can't be compared).")
            else:
                hint += f" — {alternative.label} works for the same lab."
            return ModelUnavailable(f"{name} has reached its end of life on Bedrock.", hint, reason="end_of_life",
                                    detail=text)
        if "legacy" in low:
            return ModelUnavailable(f"{name} is a Legacy model and your account has not used it recently, so "
                                    "Bedrock no longer serves it to you.",
                                    "Pick a model marked “available”.", reason="legacy", detail=text)
        if "use case" in low:
            return _use_case_error(name, text)
        return ModelUnavailable(f"{name} is not offered{where}.", "Pick another model or region.",
                                reason="not_in_region", detail=text)
    if code in SERVER_CODES:
        return BackendUnavailable(f"{name} had a temporary problem{where}.", "Try again in a moment.", detail=text)
    if code == "ValidationException" and "model identifier is invalid" in low:
        return ModelUnavailable(f"{name} is not offered{where}.", "Pick another model, or run the class in a region "
                                "that offers it.", reason="not_in_region", detail=text)
    if code == "ValidationException":
        return InvalidInput(f"{name} refused the request: {_short(text)}",
                            "Adjust the highlighted setting and try again.", detail=text)
    return BackendUnavailable(f"Bedrock returned {code or 'an error'}: {_short(text)}", "Try again.", detail=text)


MARKETPLACE_MARKERS = ("aws marketplace", "aws-marketplace", "marketplace subscription")


def _use_case_error(name: str, text: str) -> AccessDenied:
    return AccessDenied(f"{name} needs the Anthropic use-case form (its first-use form), which this account has not "
                        "submitted yet.",
                        "Submit it once for the account (Bedrock console → Model catalog → an Anthropic model; it "
                        "replaced the old “Model access” request), then retry. Other models work meanwhile.",
                        detail=text)


def _access_denied(text: str, low: str, name: str, where: str) -> WorkshopError:
    """AccessDeniedException has several causes since serverless models are enabled on first use (2026)."""
    if "legacy" in low:
        return ModelUnavailable(f"{name} is a Legacy model and your account has not used it recently, so "
                                "Bedrock no longer serves it to you.", "Pick a model marked “available”.",
                                reason="legacy", detail=text)
    if "use case" in low:
        return _use_case_error(name, text)
    if any(m in low for m in MARKETPLACE_MARKERS):
        if "being processed" in low or ("recently" in low and "not authorized" not in low):
            return AccessDenied(f"The AWS Marketplace subscription for {name} is still being set up.",
                                "A third-party model's subscription completes in the background after its first "
                                "use: calls can be refused for up to 15 minutes. Try again in a few minutes.",
                                detail=text)
        return AccessDenied(f"The AWS Marketplace subscription for {name} could not be completed{where}.",
                            "Bedrock subscribes on the first call, which needs aws-marketplace:Subscribe and "
                            "ViewSubscriptions for the caller and a payment method on the account; after fixing, "
                            "allow up to 15 minutes. The instructor can also accept the model's offer on the "
                            "Instructor page.", detail=text)
    return AccessDenied(f"Your AWS account has no access to {name}{where}.",
                        "Serverless models are enabled on first use (the console's old “Model access” page is "
                        "retired): check that IAM allows bedrock:InvokeModel on it and no SCP denies it; a "
                        "third-party model (Stability, Anthropic) also needs its AWS Marketplace subscription.",
                        detail=text)


def content_filter_error(text: str, stage: str | None = None) -> ContentFiltered:
    """The message for a blocked prompt, input image or output image."""
    low = text.lower()
    if stage is None:
        if "output image" in low or "generated image" in low:
            stage = "output image"
        elif "input image" in low:
            stage = "input image"
        else:
            stage = "prompt"
    what = {
        "prompt": "The prompt was blocked by the content filter.",
        "input image": "The input image was blocked by the content filter.",
        "output image": "The generated image was blocked by the content filter, so it is not shown.",
    }.get(stage, "The request was blocked by the content filter.")
    hint = ("Rephrase the prompt: describe what you want to see, avoid names of real people, violence or "
            "brands, and try again. Nothing was lost — your prompt and earlier results are still here.")
    return ContentFiltered(what, hint, stage=stage, detail=text)


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
