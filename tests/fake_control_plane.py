r"""The Amazon Bedrock control plane and STS GetCallerIdentity, as the fake endpoint serves them.

FakeBedrock (tests/fake_bedrock.py) answers these next to bedrock-runtime on the same port, so an app points
``AWS_ENDPOINT_URL_BEDROCK``, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` and ``AWS_ENDPOINT_URL_STS`` at one URL.

Shapes follow botocore's service model (``botocore/data/bedrock/2023-04-20/service-2.json``, rest-json; STS
``query`` with XML answers) and the documented behaviour in ../shared/reference/bedrock-models.md §4 and §6.5:

- ``GET /foundation-models`` (ListFoundationModels; filters byProvider, byOutputModality, byInferenceType,
  byCustomizationType) and ``GET /foundation-models/{modelIdentifier}`` (GetFoundationModel). A model past its
  end of life is *absent* from the list; GetFoundationModel answers it with the documented end-of-life
  ResourceNotFoundException. A model not offered in the calling region is absent too, and GetFoundationModel
  says it could not resolve it.
- ``GET /inference-profiles`` (ListInferenceProfiles; ``type``, ``maxResults`` 1-1000 default 20, ``nextToken``)
  and ``GET /inference-profiles/{id}`` (GetInferenceProfile): SYSTEM_DEFINED geography profiles
  (``us.``, ``eu.``, ``apac.``, ``global.`` + model id), visible from the regions of their geography,
  with one ``models[].modelArn`` per destination region.
- ``GET /foundation-model-availability/{modelId}`` (GetFoundationModelAvailability): agreement, authorization,
  entitlement and region availability.
- ``GET /list-foundation-model-agreement-offers/{modelId}`` and ``POST /create-foundation-model-agreement``:
  one public offer per Marketplace model (rate card in USD); accepting it makes the agreement PENDING for
  ``agreement_delay_s`` and then AVAILABLE. One Stability Image Services subscription enrols all of them.
- ``GET /use-case-for-model-access``: Anthropic's first-use form, once per account.
- STS ``POST /`` ``Action=GetCallerIdentity``: the configured caller, or InvalidClientTokenId / ExpiredToken.

The region of a call is read from its SigV4 credential scope, so one fake serves every region.

States are set per model with ``set_model`` (lifecycle, agreement, authorization, profile-only, regions…).
Runtime calls (InvokeModel, Converse) are refused only for what a test *set*: the documented defaults (the
workshop's retired models are end of life) never change what the runtime fake answers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, unquote

Response = tuple[int, dict[str, str], bytes]

ACCOUNT = "111122223333"
DEFAULT_CALLER_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/WorkshopInstructor/instructor"
DEFAULT_CALLER_USER_ID = "AROAEXAMPLEINSTRUCTOR:instructor"

EOL_MESSAGE = ("This model version has reached the end of its life. Please refer to the AWS documentation for more "
               "details.")
LEGACY_MESSAGE = ("Access denied. This Model is marked by provider as Legacy and you have not been actively using "
                  "the model in the last 30 days.")
NOT_RESOLVED_MESSAGE = "Could not resolve the foundation model from the provided model identifier."
USE_CASE_MESSAGE = "Model use case details have not been submitted for this account"
MARKETPLACE_MESSAGE = (
    "Model access is denied due to IAM user or service role is not authorized to perform the required AWS "
    "Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this "
    "model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for "
    "this model cannot be completed at this time. If you recently fixed this issue, try again after 15 minutes.")
PENDING_MESSAGE = ("Your AWS Marketplace subscription for this model is being processed. If you recently subscribed, "
                   "try again after 15 minutes.")
NOT_AUTHORIZED_TEMPLATE = ("User: {arn} is not authorized to perform: bedrock:InvokeModel on resource: "
                           "arn:aws:bedrock:{region}::foundation-model/{model_id} because no identity-based policy "
                           "allows the bedrock:InvokeModel action")
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
PROFILE_NOT_FOUND_TEMPLATE = "Inference profile {profile_id} does not exist."
NEEDS_PROFILE_TEMPLATE = (
    "Invocation of model ID {model_id} with on-demand throughput isn\u2019t supported. "
    "Retry your request with the ID or ARN of an inference profile that contains this model."
)

GEOGRAPHIES: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-southeast-2", "ap-south-1"),
}
GEO_NAMES = {"us": "US", "eu": "EU", "apac": "APAC", "global": "Global"}
_US = GEOGRAPHIES["us"]


def geography_of(region: str) -> str | None:
    return next((geo for geo, regions in GEOGRAPHIES.items() if region in regions), None)


def _date(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc) if text else None


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Rate:
    """One line of a Marketplace rate card (ListFoundationModelAgreementOffers)."""

    dimension: str
    price: str  # USD, as the API writes it: a string
    unit: str
    description: str


def _per_image(price: str) -> tuple[Rate, ...]:
    return (Rate("ImageGeneration", price, "Images", f"${price} per image generated"),)


def _per_million(input_price: str, output_price: str) -> tuple[Rate, ...]:
    return (Rate("InputTokens", input_price, "MillionTokens", f"${input_price} per million input tokens"),
            Rate("OutputTokens", output_price, "MillionTokens", f"${output_price} per million output tokens"))


@dataclass
class FoundationModel:
    """One foundation model as the control plane knows it, plus this account's state for it."""

    model_id: str
    name: str
    provider: str
    regions: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    inference_types: tuple[str, ...]  # ON_DEMAND and/or INFERENCE_PROFILE (live answers use both)
    streaming: bool = False
    status: str = "ACTIVE"  # ACTIVE | LEGACY; past end_of_life it is end of life whatever this says
    start_of_life: str | None = None
    legacy_time: str | None = None
    end_of_life: str | None = None
    profiles: tuple[str, ...] = ()  # geographies with a SYSTEM_DEFINED profile: "us", "eu", "apac", "global"
    marketplace: tuple[Rate, ...] = ()  # a Marketplace offer (third-party model); () = no agreement needed
    agreement_group: str = ""  # models one subscription covers together
    anthropic_form: bool = False
    # This account's state (GetFoundationModelAvailability)
    agreement: str = "AVAILABLE"  # AVAILABLE | PENDING | NOT_AVAILABLE | ERROR
    agreement_error: str | None = None
    authorization: str = "AUTHORIZED"
    entitlement: str = "AVAILABLE"
    legacy_unused: bool = False  # Legacy and not used in the last 30 days: refused at run time
    pending_until: float | None = None

    def arn(self, region: str) -> str:
        return f"arn:aws:bedrock:{region}::foundation-model/{self.model_id}"

    def is_end_of_life(self, now: dt.datetime) -> bool:
        eol = _date(self.end_of_life)
        return self.status == "EOL" or (eol is not None and eol <= now)

    def summary(self, region: str) -> dict[str, Any]:
        lifecycle: dict[str, Any] = {"status": "LEGACY" if self.status in ("LEGACY", "EOL") else "ACTIVE"}
        for key, value in (("startOfLifeTime", self.start_of_life), ("legacyTime", self.legacy_time),
                           ("endOfLifeTime", self.end_of_life)):
            if value:
                lifecycle[key] = _iso(_date(value))  # type: ignore[arg-type]
        return {
            "modelArn": self.arn(region), "modelId": self.model_id, "modelName": self.name,
            "providerName": self.provider, "inputModalities": list(self.inputs),
            "outputModalities": list(self.outputs), "responseStreamingSupported": self.streaming,
            "customizationsSupported": [], "inferenceTypesSupported": list(self.inference_types),
            "modelLifecycle": lifecycle,
        }


def _stability_service(short: str, name: str, price: str) -> FoundationModel:
    return FoundationModel(f"stability.{short}", name, "Stability AI", _US, ("TEXT", "IMAGE"), ("IMAGE",),
                           ("INFERENCE_PROFILE",), profiles=("us",), marketplace=_per_image(price),
                           agreement_group="stability-image-services")


def documented_models() -> list[FoundationModel]:
    """The models of reference/bedrock-models.md §0-§3 and §6.1-§6.4, with their documented regions and states."""
    stability = ("Stability AI",)
    return [
        FoundationModel("stability.sd3-5-large-v1:0", "Stable Diffusion 3.5 Large", *stability, ("us-west-2",),
                        ("TEXT", "IMAGE"), ("IMAGE",), ("ON_DEMAND",), marketplace=_per_image("0.08")),
        FoundationModel("stability.stable-image-core-v1:1", "Stable Image Core", *stability, ("us-west-2",),
                        ("TEXT",), ("IMAGE",), ("ON_DEMAND",), marketplace=_per_image("0.04")),
        FoundationModel("stability.stable-image-ultra-v1:1", "Stable Image Ultra", *stability, ("us-west-2",),
                        ("TEXT",), ("IMAGE",), ("ON_DEMAND",), marketplace=_per_image("0.14")),
        _stability_service("stable-image-inpaint-v1:0", "Stable Image Inpaint", "0.07"),
        _stability_service("stable-outpaint-v1:0", "Stable Image Outpaint", "0.06"),
        _stability_service("stable-image-search-replace-v1:0", "Stable Image Search and Replace", "0.07"),
        _stability_service("stable-image-search-recolor-v1:0", "Stable Image Search and Recolor", "0.07"),
        _stability_service("stable-image-erase-object-v1:0", "Stable Image Erase Object", "0.07"),
        _stability_service("stable-image-remove-background-v1:0", "Stable Image Remove Background", "0.07"),
        _stability_service("stable-image-control-sketch-v1:0", "Stable Image Control Sketch", "0.07"),
        _stability_service("stable-image-control-structure-v1:0", "Stable Image Control Structure", "0.07"),
        _stability_service("stable-image-style-guide-v1:0", "Stable Image Style Guide", "0.07"),
        _stability_service("stable-style-transfer-v1:0", "Stable Image Style Transfer", "0.08"),
        _stability_service("stable-fast-upscale-v1:0", "Stable Image Fast Upscale", "0.03"),
        _stability_service("stable-conservative-upscale-v1:0", "Stable Image Conservative Upscale", "0.40"),
        _stability_service("stable-creative-upscale-v1:0", "Stable Image Creative Upscale", "0.60"),
        FoundationModel("amazon.nova-canvas-v1:0", "Nova Canvas", "Amazon", ("us-east-1", "eu-west-1", "ap-northeast-1"),
                        ("TEXT", "IMAGE"), ("IMAGE",), ("ON_DEMAND",), status="LEGACY",
                        legacy_time="2026-03-30", end_of_life="2026-09-30"),
        FoundationModel("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2", "Amazon",
                        ("us-east-1", "us-west-2"), ("TEXT", "IMAGE"), ("IMAGE",), ("ON_DEMAND",), status="LEGACY",
                        legacy_time="2025-12-30", end_of_life="2026-06-30"),
        FoundationModel("amazon.titan-image-generator-v1", "Titan Image Generator G1", "Amazon",
                        ("us-east-1", "us-west-2"), ("TEXT", "IMAGE"), ("IMAGE",), ("ON_DEMAND",), status="EOL"),
        FoundationModel("amazon.titan-embed-image-v1", "Titan Multimodal Embeddings G1", "Amazon",
                        ("us-east-1", "us-west-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2",
                         "eu-west-3", "ap-southeast-2", "ap-south-1", "sa-east-1"),
                        ("TEXT", "IMAGE"), ("EMBEDDING",), ("ON_DEMAND",)),
        FoundationModel("amazon.nova-2-multimodal-embeddings-v1:0", "Nova Multimodal Embeddings", "Amazon",
                        ("us-east-1",), ("TEXT", "IMAGE", "AUDIO", "VIDEO"), ("EMBEDDING",), ("ON_DEMAND",),
                        start_of_life="2025-10-28"),
        # §6.4: multilingual multimodal embeddings, bare id or the us./global. profiles.
        FoundationModel("cohere.embed-v4:0", "Embed v4", "Cohere", _US, ("TEXT", "IMAGE"), ("EMBEDDING",),
                        ("ON_DEMAND", "INFERENCE_PROFILE"), profiles=("us", "global"),
                        marketplace=(Rate("InputTokens", "0.12", "MillionTokens", "$0.12 per million input tokens"),)),
        FoundationModel("twelvelabs.marengo-embed-3-0-v1:0", "Marengo Embed 3.0", "TwelveLabs",
                        ("us-east-1", "eu-west-1", "ap-northeast-2"), ("TEXT", "IMAGE", "VIDEO", "AUDIO"),
                        ("EMBEDDING",), ("ON_DEMAND", "INFERENCE_PROFILE"), profiles=("us", "eu"),
                        marketplace=(Rate("ImageInput", "0.0001", "Images", "$0.0001 per input image"),
                                     Rate("TextQuery", "0.00007", "Queries", "$0.00007 per text query"))),
        FoundationModel("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "Anthropic",
                        _US + GEOGRAPHIES["eu"], ("TEXT", "IMAGE"), ("TEXT",), ("INFERENCE_PROFILE",), True,
                        profiles=("us", "eu", "global"), marketplace=_per_million("1.10", "5.50"),
                        anthropic_form=True),
        FoundationModel("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", "Anthropic", _US,
                        ("TEXT", "IMAGE"), ("TEXT",), ("INFERENCE_PROFILE",), True, profiles=("us", "global"),
                        marketplace=_per_million("3.30", "16.50"), anthropic_form=True),
        FoundationModel("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.6", "Anthropic", _US, ("TEXT", "IMAGE"),
                        ("TEXT",), ("INFERENCE_PROFILE",), True, profiles=("us", "global"),
                        marketplace=_per_million("3.30", "16.50"), anthropic_form=True),
        FoundationModel("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", "Anthropic",
                        ("us-east-1", "us-west-2"), ("TEXT", "IMAGE"), ("TEXT",), ("ON_DEMAND",), True, status="EOL",
                        anthropic_form=True),
        FoundationModel("amazon.nova-2-lite-v1:0", "Nova 2 Lite", "Amazon", _US + GEOGRAPHIES["eu"],
                        ("TEXT", "IMAGE", "VIDEO"), ("TEXT",), ("INFERENCE_PROFILE",), True, profiles=("us", "eu")),
        # §6.2, preview: image generation and editing through Converse (the fake refuses ConverseStream for it).
        FoundationModel("amazon.nova-2-omni-v1:0", "Nova 2 Omni (preview)", "Amazon", _US,
                        ("TEXT", "IMAGE", "VIDEO", "AUDIO"), ("TEXT", "IMAGE"), ("INFERENCE_PROFILE",),
                        profiles=("us", "global")),
        FoundationModel("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", ("us-east-1", "us-west-2"),
                        ("TEXT", "IMAGE", "VIDEO"), ("TEXT",), ("ON_DEMAND", "INFERENCE_PROFILE"), True,
                        profiles=("us", "eu", "apac")),
        FoundationModel("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", ("us-east-1", "us-west-2"),
                        ("TEXT", "IMAGE", "VIDEO"), ("TEXT",), ("ON_DEMAND", "INFERENCE_PROFILE"), True,
                        profiles=("us", "eu", "apac")),
        FoundationModel("meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct", "Meta", _US,
                        ("TEXT", "IMAGE"), ("TEXT",), ("INFERENCE_PROFILE",), True, profiles=("us",)),
    ]


@dataclass
class Caller:
    """Who STS says is calling; `failure` "invalid" or "expired" refuses the credentials instead."""

    arn: str = DEFAULT_CALLER_ARN
    user_id: str = DEFAULT_CALLER_USER_ID
    account: str = ACCOUNT
    failure: str | None = None


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def _json(status: int, payload: Any) -> Response:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def _error(error: ControlError) -> Response:
    return error.status, {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}, \
        json.dumps({"message": error.message}).encode()


def _validation(message: str) -> ControlError:
    return ControlError(400, "ValidationException", message)


def credential_scope(headers: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(access key id, region, service) from a SigV4 Authorization header."""
    auth = headers.get("authorization", "")
    marker = "Credential="
    if marker not in auth:
        return None, None, None
    parts = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
    if len(parts) < 5:
        return parts[0] if parts else None, None, None
    return parts[0], parts[2], parts[3]


class ControlPlane:
    """The state behind the control-plane answers; a test changes it with the methods below."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    # -- scripting -------------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.agreement_delay_s = 0.0  # how long an accepted offer stays PENDING
            self.models: dict[str, FoundationModel] = {m.model_id: m for m in documented_models()}
            self._overridden: set[str] = set()
            self.removed_profiles: set[tuple[str, str | None]] = set()  # (profile id, region or None for all)
            self.callers: dict[str, Caller] = {}
            self.default_caller = Caller()
            self.use_case_submitted = True
            self._use_case_set = False
            self.agreements_created: list[tuple[str, str]] = []  # (model id, offer token)
            self.calls: list[tuple[str, str, str | None]] = []  # (operation, subject, region)
            self.now: dt.datetime | None = None  # None: the real clock

    def today(self) -> dt.datetime:
        return self.now or dt.datetime.now(dt.timezone.utc)

    def set_model(self, model_id: str, **changes: Any) -> FoundationModel:
        """Change one model's facts or this account's state for it; runtime calls then follow the change.

        Convenient names: ``lifecycle="EOL"|"LEGACY"|"ACTIVE"`` (with ``end_of_life`` / ``legacy_time`` ISO
        dates), ``agreement="NOT_AVAILABLE"|"PENDING"|"AVAILABLE"|"ERROR"``, ``profile_only=True`` (the model is
        then served only through its geography profiles), ``legacy_unused=True``, ``regions=(...)``, or any
        FoundationModel field.
        """
        with self._lock:
            model = self.models[model_id]
            if "lifecycle" in changes:
                changes["status"] = changes.pop("lifecycle")
            if changes.pop("profile_only", False):
                changes["inference_types"] = ("INFERENCE_PROFILE",)
                if not (changes.get("profiles") or model.profiles):
                    changes["profiles"] = ("us",)
            self.models[model_id] = replace(model, **changes)
            self._overridden.add(model_id)
            return self.models[model_id]

    def remove_profile(self, profile_id: str, region: str | None = None) -> None:
        """A geography profile this account does not see (in `region`, or anywhere)."""
        with self._lock:
            self.removed_profiles.add((profile_id, region))

    def set_caller(self, access_key: str | None = None, **fields: Any) -> None:
        """Who STS says the caller is (for one access key, or for every key): arn, account, failure…"""
        with self._lock:
            if access_key is None:
                self.default_caller = replace(self.default_caller, **fields)
            else:
                self.callers[access_key] = replace(self.callers.get(access_key, Caller()), **fields)

    def set_use_case(self, submitted: bool) -> None:
        with self._lock:
            self.use_case_submitted = submitted
            self._use_case_set = True

    # -- lookups ---------------------------------------------------------------------------------------------
    def _caller(self, access_key: str | None) -> Caller:
        return self.callers.get(access_key or "", self.default_caller)

    def _model(self, identifier: str) -> FoundationModel | None:
        return self.models.get(unquote(identifier).rsplit("foundation-model/", 1)[-1])

    def _settle(self, model: FoundationModel) -> None:
        if model.agreement == "PENDING" and model.pending_until is not None and time.time() >= model.pending_until:
            model.agreement, model.pending_until = "AVAILABLE", None

    def _profiles(self, region: str) -> list[dict[str, Any]]:
        geo = geography_of(region)
        found = []
        for model in self.models.values():
            if self._model_gone(model, region, for_profile=True):
                continue
            for prefix in model.profiles:
                if prefix != "global" and prefix != geo:
                    continue
                profile_id = f"{prefix}.{model.model_id}"
                if (profile_id, None) in self.removed_profiles or (profile_id, region) in self.removed_profiles:
                    continue
                targets = [r for r in model.regions if prefix == "global" or r in GEOGRAPHIES.get(prefix, ())]
                if not targets:
                    continue
                found.append({
                    "inferenceProfileName": f"{GEO_NAMES[prefix]} {model.name}",
                    "description": f"Routes requests to {model.name} in {', '.join(targets)}.",
                    "createdAt": "2025-06-01T00:00:00Z", "updatedAt": "2025-06-01T00:00:00Z",
                    "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}",
                    "models": [{"modelArn": model.arn(r)} for r in targets],
                    "inferenceProfileId": profile_id, "status": "ACTIVE", "type": "SYSTEM_DEFINED",
                })
        return sorted(found, key=lambda p: p["inferenceProfileId"])

    def _model_gone(self, model: FoundationModel, region: str, *, for_profile: bool = False) -> bool:
        if model.is_end_of_life(self.today()):
            return True
        if for_profile:
            return geography_of(region) is None and not model.profiles
        return region not in model.regions

    # -- runtime ---------------------------------------------------------------------------------------------
    def runtime_refusal(self, model_id: str, headers: dict[str, str]) -> tuple[int, str, str] | None:
        """How Bedrock refuses a runtime call for what a test set (credentials, lifecycle, agreement…); None: go on."""
        access_key, region, _ = credential_scope(headers)
        with self._lock:
            caller = self._caller(access_key)
            if caller.failure == "invalid":
                return 403, "UnrecognizedClientException", INVALID_TOKEN_MESSAGE
            if caller.failure == "expired":
                return 403, "ExpiredTokenException", EXPIRED_TOKEN_MESSAGE
            name = unquote(model_id).rsplit("/", 1)[-1]
            prefix, _, base = name.partition(".") if name.split(".", 1)[0] in (*GEOGRAPHIES, "global") \
                else ("", "", name)
            model = self.models.get(base)
            if model is None:
                return None
            region = region or "us-east-1"
            if model.anthropic_form and self._use_case_set and not self.use_case_submitted:
                return 404, "ResourceNotFoundException", USE_CASE_MESSAGE
            if base not in self._overridden:
                return None
            self._settle(model)
            if model.is_end_of_life(self.today()):
                return 404, "ResourceNotFoundException", EOL_MESSAGE
            if model.legacy_unused:
                return 404, "ResourceNotFoundException", LEGACY_MESSAGE
            if not prefix and "ON_DEMAND" not in model.inference_types:
                return 400, "ValidationException", NEEDS_PROFILE_TEMPLATE.format(model_id=base)
            if model.authorization != "AUTHORIZED":
                return 403, "AccessDeniedException", NOT_AUTHORIZED_TEMPLATE.format(
                    arn=caller.arn, region=region, model_id=base)
            if model.agreement == "PENDING":
                return 403, "AccessDeniedException", PENDING_MESSAGE
            if model.agreement in ("NOT_AVAILABLE", "ERROR") or model.entitlement != "AVAILABLE":
                return 403, "AccessDeniedException", MARKETPLACE_MESSAGE
            return None

    # -- HTTP --------------------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, raw_body: bytes, headers: dict[str, str]) -> Response | None:
        """The answer to a control-plane or STS request; None when the path is not one of them."""
        path, _, query_text = raw_path.partition("?")
        query = {k: v[-1] for k, v in parse_qs(query_text, keep_blank_values=True).items()}
        access_key, region, service = credential_scope(headers)
        region = region or "us-east-1"
        try:
            if method == "POST" and path == "/" and (service == "sts" or b"GetCallerIdentity" in raw_body):
                return self._sts(raw_body, access_key)
            if service not in (None, "bedrock"):
                return None
            caller = self._caller(access_key)
            routes = self._route(method, path)
            if routes is None:
                return None
            operation, subject = routes
            with self._lock:
                self.calls.append((operation, subject, region))
            if caller.failure == "invalid":
                raise ControlError(403, "UnrecognizedClientException", INVALID_TOKEN_MESSAGE)
            if caller.failure == "expired":
                raise ControlError(403, "ExpiredTokenException", EXPIRED_TOKEN_MESSAGE)
            handler = getattr(self, f"_op_{operation}")
            return handler(region, unquote(subject), query, raw_body)
        except ControlError as error:
            return _error(error)

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, str] | None:
        for verb, prefix, operation in (
            ("GET", "/foundation-models/", "get_foundation_model"),
            ("GET", "/inference-profiles/", "get_inference_profile"),
            ("GET", "/foundation-model-availability/", "get_availability"),
            ("GET", "/list-foundation-model-agreement-offers/", "list_offers"),
        ):
            if method == verb and path.startswith(prefix) and len(path) > len(prefix):
                return operation, path[len(prefix):]
        exact = {("GET", "/foundation-models"): "list_foundation_models",
                 ("GET", "/inference-profiles"): "list_inference_profiles",
                 ("POST", "/create-foundation-model-agreement"): "create_agreement",
                 ("GET", "/use-case-for-model-access"): "get_use_case"}
        operation = exact.get((method, path.rstrip("/") or "/"))
        return (operation, "") if operation else None

    def _op_list_foundation_models(self, region: str, _subject: str, query: dict[str, str], _body: bytes) -> Response:
        unknown = set(query) - {"byProvider", "byCustomizationType", "byOutputModality", "byInferenceType"}
        if unknown:
            raise _validation(f"Unknown parameter: {sorted(unknown)[0]}")
        with self._lock:
            rows = [m for m in self.models.values() if not self._model_gone(m, region)]
        if provider := query.get("byProvider"):
            rows = [m for m in rows if m.provider.lower().replace(" ", "") == provider.lower().replace(" ", "")
                    or m.model_id.split(".", 1)[0] == provider.lower()]
        if modality := query.get("byOutputModality"):
            rows = [m for m in rows if modality in m.outputs]
        if kind := query.get("byInferenceType"):
            rows = [m for m in rows if kind in m.inference_types]
        if query.get("byCustomizationType"):
            rows = []  # none of these models can be customised
        return _json(200, {"modelSummaries": [m.summary(region) for m in rows]})

    def _op_get_foundation_model(self, region: str, subject: str, _query: dict[str, str], _body: bytes) -> Response:
        with self._lock:
            model = self._model(subject)
            if model is not None and model.is_end_of_life(self.today()):
                raise ControlError(404, "ResourceNotFoundException", EOL_MESSAGE)
            if model is None or region not in model.regions:
                raise ControlError(404, "ResourceNotFoundException", NOT_RESOLVED_MESSAGE)
            return _json(200, {"modelDetails": model.summary(region)})

    def _op_list_inference_profiles(self, region: str, _subject: str, query: dict[str, str], _body: bytes) -> Response:
        kind = query.get("type")
        if kind not in (None, "SYSTEM_DEFINED", "APPLICATION"):
            raise _validation(f"1 validation error detected: Value '{kind}' at 'typeEquals' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]")
        try:
            size = int(query.get("maxResults", "20"))
            start = int(query.get("nextToken", "0") or 0)
        except ValueError:
            raise _validation("The pagination token or page size is invalid.") from None
        if not 1 <= size <= 1000:
            raise _validation(f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
                              "constraint: Member must have value between 1 and 1000")
        with self._lock:
            profiles = [] if kind == "APPLICATION" else self._profiles(region)
        page = profiles[start:start + size]
        answer: dict[str, Any] = {"inferenceProfileSummaries": page}
        if start + size < len(profiles):
            answer["nextToken"] = str(start + size)
        return _json(200, answer)

    def _op_get_inference_profile(self, region: str, subject: str, _query: dict[str, str], _body: bytes) -> Response:
        profile_id = subject.rsplit("inference-profile/", 1)[-1]
        with self._lock:
            found = next((p for p in self._profiles(region) if p["inferenceProfileId"] == profile_id), None)
        if found is None:
            raise ControlError(404, "ResourceNotFoundException", PROFILE_NOT_FOUND_TEMPLATE.format(profile_id=profile_id))
        return _json(200, found)

    def _op_get_availability(self, region: str, subject: str, _query: dict[str, str], _body: bytes) -> Response:
        with self._lock:
            model = self._model(subject)
            if model is None or model.is_end_of_life(self.today()):
                raise ControlError(404, "ResourceNotFoundException", NOT_RESOLVED_MESSAGE)
            self._settle(model)
            agreement: dict[str, Any] = {"status": model.agreement if model.marketplace else "AVAILABLE"}
            if model.marketplace and model.agreement != "AVAILABLE":
                agreement["errorMessage"] = model.agreement_error or {
                    "NOT_AVAILABLE": "No agreement exists for this model in this account.",
                    "PENDING": "The agreement is being processed.",
                    "ERROR": "The agreement could not be created.",
                }[model.agreement]
            return _json(200, {
                "modelId": model.model_id, "agreementAvailability": agreement,
                "authorizationStatus": model.authorization, "entitlementAvailability": model.entitlement,
                "regionAvailability": "AVAILABLE" if region in model.regions else "NOT_AVAILABLE",
            })

    def _offer_token(self, model: FoundationModel) -> str:
        return "offer-token-" + hashlib.sha256(model.model_id.encode()).hexdigest()[:24]

    def _op_list_offers(self, region: str, subject: str, query: dict[str, str], _body: bytes) -> Response:
        if query.get("offerType") not in (None, "ALL", "PUBLIC"):
            raise _validation("offerType must be ALL or PUBLIC.")
        with self._lock:
            model = self._model(subject)
            if model is None or model.is_end_of_life(self.today()):
                raise ControlError(404, "ResourceNotFoundException", NOT_RESOLVED_MESSAGE)
            offers = []
            if model.marketplace:
                offers.append({
                    "offerId": "offer-" + hashlib.sha256(model.model_id.encode()).hexdigest()[:12],
                    "offerToken": self._offer_token(model),
                    "termDetails": {
                        "usageBasedPricingTerm": {"rateCard": [
                            {"dimension": r.dimension, "price": r.price, "description": r.description, "unit": r.unit}
                            for r in model.marketplace]},
                        "legalTerm": {"url": f"https://aws.amazon.com/marketplace/pp/{model.model_id}/eula"},
                        "supportTerm": {"refundPolicyDescription": "Usage-based charges are not refundable."},
                        "validityTerm": {"agreementDuration": "P10Y"},
                    },
                })
            return _json(200, {"modelId": model.model_id, "offers": offers})

    def _op_create_agreement(self, region: str, _subject: str, _query: dict[str, str], body: bytes) -> Response:
        try:
            args = json.loads(body or b"{}")
        except ValueError:
            raise _validation("The request body is not valid JSON.") from None
        if not isinstance(args, dict) or not args.get("offerToken") or not args.get("modelId"):
            raise _validation("offerToken and modelId are required.")
        with self._lock:
            model = self._model(args["modelId"])
            if model is None or model.is_end_of_life(self.today()):
                raise ControlError(404, "ResourceNotFoundException", NOT_RESOLVED_MESSAGE)
            if not model.marketplace or args["offerToken"] != self._offer_token(model):
                raise _validation("The offer token is not valid for this model.")
            group = [m for m in self.models.values()
                     if m is model or (model.agreement_group and m.agreement_group == model.agreement_group)]
            for each in group:
                if self.agreement_delay_s > 0:
                    each.agreement, each.pending_until = "PENDING", time.time() + self.agreement_delay_s
                else:
                    each.agreement, each.pending_until = "AVAILABLE", None
                each.agreement_error = None
                self._overridden.add(each.model_id)
            self.agreements_created.append((model.model_id, args["offerToken"]))
            return _json(202, {"modelId": model.model_id})

    def _op_get_use_case(self, region: str, _subject: str, _query: dict[str, str], _body: bytes) -> Response:
        if not self.use_case_submitted:
            raise ControlError(404, "ResourceNotFoundException", USE_CASE_MESSAGE)
        form = json.dumps({"companyName": "Workshop", "intendedUsers": "0", "useCases": "Teaching"}).encode()
        return _json(200, {"formData": base64.b64encode(form).decode()})

    # -- STS ---------------------------------------------------------------------------------------------------
    def _sts(self, raw_body: bytes, access_key: str | None) -> Response:
        args = {k: v[-1] for k, v in parse_qs(raw_body.decode("utf-8", "replace")).items()}
        request_id = hashlib.sha256(raw_body + str(time.time()).encode()).hexdigest()[:32]
        namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

        def fail(status: int, code: str, message: str) -> Response:
            xml = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
                   f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
            return status, {"Content-Type": "text/xml"}, xml.encode()

        if args.get("Action") != "GetCallerIdentity":
            return fail(400, "InvalidAction", f"Could not find operation {args.get('Action')} for version "
                                              f"{args.get('Version')}")
        with self._lock:
            caller = self._caller(access_key)
            self.calls.append(("get_caller_identity", access_key or "", None))
        if caller.failure == "invalid":
            return fail(403, "InvalidClientTokenId", INVALID_TOKEN_MESSAGE)
        if caller.failure == "expired":
            return fail(400, "ExpiredToken", EXPIRED_TOKEN_MESSAGE)
        xml = (f'<GetCallerIdentityResponse xmlns="{namespace}"><GetCallerIdentityResult>'
               f"<Arn>{caller.arn}</Arn><UserId>{caller.user_id}</UserId><Account>{caller.account}</Account>"
               f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId>"
               "</ResponseMetadata></GetCallerIdentityResponse>")
        return 200, {"Content-Type": "text/xml"}, xml.encode()

