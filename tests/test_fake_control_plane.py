"""The fake's Bedrock control plane and STS answer the shapes botocore's service model describes.

Every answer is fetched through a real boto3 client pointed at the fake, then its raw body is checked
member by member against the operation's output shape in botocore's model (names, types, required
members, enum values), so the fake can't drift from what the app will meet on AWS.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fake_bedrock import FakeBedrock
from fake_control_plane import EOL_MESSAGE, MARKETPLACE_MESSAGE, NEEDS_PROFILE_TEMPLATE

# Live answers carry values the documented enums lack (reference §4 "Gotchas"): parse enums as open strings.
OPEN_ENUM_VALUES = {"InferenceType": {"INFERENCE_PROFILE"}, "ModelModality": {"AUDIO", "VIDEO", "SPEECH"}}
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
INPAINT = "stability.stable-image-inpaint-v1:0"
ULTRA = "stability.stable-image-ultra-v1:1"
NOVA_PRO = "amazon.nova-pro-v1:0"
COHERE = "cohere.embed-v4:0"
MARENGO = "twelvelabs.marengo-embed-3-0-v1:0"
OMNI = "amazon.nova-2-omni-v1:0"
SONNET_46 = "anthropic.claude-sonnet-4-6"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBedrock]:
    with FakeBedrock() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeBedrock) -> None:
    fake.reset()


def client(fake: FakeBedrock, service: str, region: str = "us-east-1", key: str = "testing") -> Any:
    made = boto3.client(service, region_name=region, endpoint_url=fake.url, aws_access_key_id=key,
                        aws_secret_access_key="testing", config=NO_RETRIES)
    made.raw_bodies = []  # type: ignore[attr-defined]
    if service != "bedrock-runtime":  # reading a streamed body here would leave nothing for the caller
        made.meta.events.register("after-call.*.*", lambda http_response, **_: made.raw_bodies.append(
            http_response.content))
    return made


def check_shape(value: Any, shape: Any, path: str = "$") -> None:
    """`value` (raw JSON) fits botocore's `shape`: known members only, required ones present, right types."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected an object"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path}: members the model lacks: {sorted(unknown)}"
        for name in shape.required_members:
            assert name in value, f"{path}: required member {name} missing"
        for name, item in value.items():
            check_shape(item, shape.members[name], f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected a list"
        for n, item in enumerate(value):
            check_shape(item, shape.member, f"{path}[{n}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected a string"
        if shape.enum:
            allowed = set(shape.enum) | OPEN_ENUM_VALUES.get(shape.name, set())
            assert value in allowed, f"{path}: {value!r} not in {sorted(allowed)}"
        if shape.metadata.get("min") is not None:
            assert len(value) >= shape.metadata["min"], f"{path}: shorter than {shape.metadata['min']}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer"
    elif kind == "timestamp":
        assert isinstance(value, (str, int, float)), f"{path}: expected a timestamp"
    elif kind == "blob":
        assert isinstance(value, str), f"{path}: expected base64 text"
    else:  # map, float, document: none in these answers
        raise AssertionError(f"{path}: unexpected shape type {kind}")


def call_and_check(bedrock: Any, operation: str, **kwargs: Any) -> dict:
    """Call through boto3 (which must parse it) and check the raw body against the output shape."""
    parsed = getattr(bedrock, operation)(**kwargs)
    model = bedrock.meta.service_model.operation_model(bedrock.meta.method_to_api_mapping[operation])
    check_shape(json.loads(bedrock.raw_bodies[-1]), model.output_shape)
    return parsed


def test_list_and_get_foundation_models_fit_the_model(fake: FakeBedrock) -> None:
    west = client(fake, "bedrock", "us-west-2")
    listed = call_and_check(west, "list_foundation_models")["modelSummaries"]
    ids = {m["modelId"] for m in listed}
    assert {"stability.sd3-5-large-v1:0", ULTRA, INPAINT, "amazon.titan-embed-image-v1"} <= ids
    # End of life drops out of the list entirely (reference §4); Nova Canvas is not offered in us-west-2 at all.
    assert not ids & {"amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2:0",
                      "anthropic.claude-3-sonnet-20240229-v1:0", "amazon.nova-canvas-v1:0"}
    inpaint = next(m for m in listed if m["modelId"] == INPAINT)
    assert inpaint["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert inpaint["modelArn"] == f"arn:aws:bedrock:us-west-2::foundation-model/{INPAINT}"

    details = call_and_check(west, "get_foundation_model", modelIdentifier=ULTRA)["modelDetails"]
    assert details["modelLifecycle"]["status"] == "ACTIVE" and details["providerName"] == "Stability AI"
    by_arn = call_and_check(west, "get_foundation_model", modelIdentifier=details["modelArn"])
    assert by_arn["modelDetails"]["modelId"] == ULTRA

    images = call_and_check(west, "list_foundation_models", byOutputModality="IMAGE",
                            byProvider="Stability AI")["modelSummaries"]
    assert images and all(m["providerName"] == "Stability AI" and "IMAGE" in m["outputModalities"] for m in images)


def test_end_of_life_and_not_offered_are_told_apart(fake: FakeBedrock) -> None:
    east = client(fake, "bedrock", "us-east-1")
    with pytest.raises(ClientError) as eol:
        east.get_foundation_model(modelIdentifier="amazon.titan-image-generator-v2:0")
    assert eol.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert eol.value.response["Error"]["Message"] == EOL_MESSAGE
    with pytest.raises(ClientError) as absent:
        east.get_foundation_model(modelIdentifier=ULTRA)  # us-west-2 only
    assert absent.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "Could not resolve" in absent.value.response["Error"]["Message"]


def test_lifecycle_dates_of_a_legacy_model(fake: FakeBedrock) -> None:
    fake.control.set_model("amazon.nova-lite-v1:0", lifecycle="LEGACY", legacy_time="2026-11-01",
                           end_of_life="2027-05-01")
    east = client(fake, "bedrock")
    details = call_and_check(east, "get_foundation_model", modelIdentifier="amazon.nova-lite-v1:0")["modelDetails"]
    lifecycle = details["modelLifecycle"]
    assert lifecycle["status"] == "LEGACY"
    assert lifecycle["endOfLifeTime"].year == 2027 and lifecycle["legacyTime"].month == 11


def test_inference_profiles_list_paginate_and_get(fake: FakeBedrock) -> None:
    east = client(fake, "bedrock", "us-east-1")
    first = call_and_check(east, "list_inference_profiles", typeEquals="SYSTEM_DEFINED", maxResults=5)
    assert len(first["inferenceProfileSummaries"]) == 5 and first["nextToken"]
    every = [p for page in east.get_paginator("list_inference_profiles").paginate(typeEquals="SYSTEM_DEFINED")
             for p in page["inferenceProfileSummaries"]]
    ids = {p["inferenceProfileId"] for p in every}
    assert {f"us.{INPAINT}", "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "global.anthropic.claude-haiku-4-5-20251001-v1:0", f"us.{NOVA_PRO}"} <= ids
    assert not any(i.startswith("eu.") for i in ids)  # a geography's profiles are seen from its own regions
    profile = call_and_check(east, "get_inference_profile", inferenceProfileIdentifier=f"us.{INPAINT}")
    assert profile["type"] == "SYSTEM_DEFINED" and profile["status"] == "ACTIVE"
    assert {m["modelArn"].split(":")[3] for m in profile["models"]} == {"us-east-1", "us-east-2", "us-west-2"}
    assert call_and_check(east, "list_inference_profiles", typeEquals="APPLICATION")["inferenceProfileSummaries"] == []

    fake.control.remove_profile(f"us.{INPAINT}")
    with pytest.raises(ClientError) as missing:
        east.get_inference_profile(inferenceProfileIdentifier=f"us.{INPAINT}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad:
        east.list_inference_profiles(maxResults=1001)
    assert bad.value.response["Error"]["Code"] == "ValidationException"


def test_availability_offers_and_agreement(fake: FakeBedrock) -> None:
    east = client(fake, "bedrock", "us-east-1")
    ready = call_and_check(east, "get_foundation_model_availability", modelId=INPAINT)
    assert ready["agreementAvailability"]["status"] == "AVAILABLE"
    assert (ready["authorizationStatus"], ready["entitlementAvailability"], ready["regionAvailability"]) == (
        "AUTHORIZED", "AVAILABLE", "AVAILABLE")

    fake.control.set_model(INPAINT, agreement="NOT_AVAILABLE")
    blocked = call_and_check(east, "get_foundation_model_availability", modelId=INPAINT)
    assert blocked["agreementAvailability"]["status"] == "NOT_AVAILABLE"
    assert blocked["agreementAvailability"]["errorMessage"]

    offers = call_and_check(east, "list_foundation_model_agreement_offers", modelId=INPAINT)["offers"]
    assert len(offers) == 1
    rate = offers[0]["termDetails"]["usageBasedPricingTerm"]["rateCard"][0]
    assert (rate["price"], rate["unit"]) == ("0.07", "Images")
    assert call_and_check(east, "list_foundation_model_agreement_offers", modelId=NOVA_PRO)["offers"] == []

    fake.control.agreement_delay_s = 60
    created = call_and_check(east, "create_foundation_model_agreement", modelId=INPAINT,
                             offerToken=offers[0]["offerToken"])
    assert created["modelId"] == INPAINT
    pending = east.get_foundation_model_availability(modelId=INPAINT)["agreementAvailability"]["status"]
    assert pending == "PENDING"
    # One Stability Image Services subscription enrols every service (reference §1.1).
    erase = east.get_foundation_model_availability(modelId="stability.stable-image-erase-object-v1:0")
    assert erase["agreementAvailability"]["status"] == "PENDING"
    with pytest.raises(ClientError) as wrong:
        east.create_foundation_model_agreement(modelId=INPAINT, offerToken="not-the-token")
    assert wrong.value.response["Error"]["Code"] == "ValidationException"


def test_use_case_form(fake: FakeBedrock) -> None:
    east = client(fake, "bedrock")
    assert call_and_check(east, "get_use_case_for_model_access")["formData"]
    fake.control.set_use_case(False)
    with pytest.raises(ClientError) as missing:
        east.get_use_case_for_model_access()
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_sts_get_caller_identity_and_refused_credentials(fake: FakeBedrock) -> None:
    sts = client(fake, "sts")
    who = sts.get_caller_identity()
    assert who["Account"] == "111122223333" and ":assumed-role/WorkshopInstructor/" in who["Arn"]
    shape = sts.meta.service_model.operation_model("GetCallerIdentity").output_shape
    assert set(who) - {"ResponseMetadata"} == set(shape.members)

    fake.control.set_caller("EXPIREDKEY", failure="expired")
    fake.control.set_caller("BADKEY", failure="invalid")
    with pytest.raises(ClientError) as expired:
        client(fake, "sts", key="EXPIREDKEY").get_caller_identity()
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"
    with pytest.raises(ClientError) as invalid:
        client(fake, "sts", key="BADKEY").get_caller_identity()
    assert invalid.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as runtime:  # the same keys are refused by every Bedrock call
        client(fake, "bedrock-runtime", key="EXPIREDKEY").invoke_model(
            modelId="amazon.titan-embed-image-v1", body=json.dumps({"inputText": "x"}))
    assert runtime.value.response["Error"]["Code"] == "ExpiredTokenException"


def test_runtime_calls_follow_what_a_test_set(fake: FakeBedrock) -> None:
    runtime = client(fake, "bedrock-runtime", "us-west-2")
    body = json.dumps({"prompt": "a lighthouse"})
    assert runtime.invoke_model(modelId=ULTRA, body=body)["body"].read()  # the documented defaults refuse nothing

    fake.control.set_model(ULTRA, agreement="NOT_AVAILABLE")
    with pytest.raises(ClientError) as denied:
        runtime.invoke_model(modelId=ULTRA, body=body)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["Error"]["Message"] == MARKETPLACE_MESSAGE

    fake.control.set_model(ULTRA, lifecycle="EOL")
    with pytest.raises(ClientError) as eol:
        runtime.invoke_model(modelId=ULTRA, body=body)
    assert eol.value.response["Error"]["Message"] == EOL_MESSAGE

    fake.control.set_model(NOVA_PRO, profile_only=True)
    chat = client(fake, "bedrock-runtime", "us-east-1")
    messages = [{"role": "user", "content": [{"text": "hello"}]}]
    with pytest.raises(ClientError) as needs:
        chat.converse(modelId=NOVA_PRO, messages=messages)
    assert needs.value.response["Error"]["Message"] == NEEDS_PROFILE_TEMPLATE.format(model_id=NOVA_PRO)
    assert chat.converse(modelId=f"us.{NOVA_PRO}", messages=messages)["output"]["message"]["content"]
    listed = client(fake, "bedrock").get_foundation_model(modelIdentifier=NOVA_PRO)["modelDetails"]
    assert listed["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]

    fake.control.set_use_case(False)
    with pytest.raises(ClientError) as form:
        chat.converse(modelId="us.anthropic.claude-haiku-4-5-20251001-v1:0", messages=messages)
    assert "use case details have not been submitted" in form.value.response["Error"]["Message"]


def test_cohere_embed_v4_row_profiles_and_agreement(fake: FakeBedrock) -> None:
    east = client(fake, "bedrock", "us-east-1")
    details = call_and_check(east, "get_foundation_model", modelIdentifier=COHERE)["modelDetails"]
    assert (details["providerName"], details["outputModalities"]) == ("Cohere", ["EMBEDDING"])
    assert details["inferenceTypesSupported"] == ["ON_DEMAND", "INFERENCE_PROFILE"]
    assert details["modelLifecycle"]["status"] == "ACTIVE"
    for prefix in ("us", "global"):
        profile = call_and_check(east, "get_inference_profile", inferenceProfileIdentifier=f"{prefix}.{COHERE}")
        assert profile["models"] and all(COHERE in m["modelArn"] for m in profile["models"])
    offers = call_and_check(east, "list_foundation_model_agreement_offers", modelId=COHERE)["offers"]
    assert offers[0]["termDetails"]["usageBasedPricingTerm"]["rateCard"][0]["price"] == "0.12"

    runtime = client(fake, "bedrock-runtime", "us-east-1")
    body = json.dumps({"input_type": "search_query", "texts": ["a red car"]})
    assert json.loads(runtime.invoke_model(modelId=f"global.{COHERE}", body=body)["body"].read())["embeddings"]
    fake.control.set_model(COHERE, agreement="NOT_AVAILABLE")
    with pytest.raises(ClientError) as denied:
        runtime.invoke_model(modelId=COHERE, body=body)
    assert denied.value.response["Error"] == {"Code": "AccessDeniedException", "Message": MARKETPLACE_MESSAGE}


def test_marengo_embed_3_row_regions_and_profiles(fake: FakeBedrock) -> None:
    seoul = call_and_check(client(fake, "bedrock", "ap-northeast-2"), "get_foundation_model", modelIdentifier=MARENGO)
    assert seoul["modelDetails"]["providerName"] == "TwelveLabs"
    assert "VIDEO" in seoul["modelDetails"]["inputModalities"]
    with pytest.raises(ClientError) as absent:
        client(fake, "bedrock", "us-west-2").get_foundation_model(modelIdentifier=MARENGO)
    assert absent.value.response["Error"]["Code"] == "ResourceNotFoundException"
    ireland = client(fake, "bedrock", "eu-west-1")
    profile = call_and_check(ireland, "get_inference_profile", inferenceProfileIdentifier=f"eu.{MARENGO}")
    assert [m["modelArn"].split(":")[3] for m in profile["models"]] == ["eu-west-1"]
    east = client(fake, "bedrock", "us-east-1")
    assert call_and_check(east, "get_inference_profile", inferenceProfileIdentifier=f"us.{MARENGO}")["models"]
    with pytest.raises(ClientError):
        east.get_inference_profile(inferenceProfileIdentifier=f"global.{MARENGO}")
    rates = call_and_check(east, "list_foundation_model_agreement_offers", modelId=MARENGO)["offers"][0]
    assert {r["unit"] for r in rates["termDetails"]["usageBasedPricingTerm"]["rateCard"]} == {"Images", "Queries"}

    fake.control.set_model(MARENGO, lifecycle="EOL")
    runtime = client(fake, "bedrock-runtime", "us-east-1")
    with pytest.raises(ClientError) as eol:
        body = json.dumps({"inputType": "text", "text": {"inputText": "a"}})
        runtime.invoke_model(modelId=f"us.{MARENGO}", body=body)
    assert eol.value.response["Error"]["Message"] == EOL_MESSAGE


def test_nova_2_omni_and_claude_sonnet_4_6_rows(fake: FakeBedrock) -> None:
    west = client(fake, "bedrock", "us-west-2")
    omni = call_and_check(west, "get_foundation_model", modelIdentifier=OMNI)["modelDetails"]
    assert omni["outputModalities"] == ["TEXT", "IMAGE"] and omni["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert omni["responseStreamingSupported"] is False
    assert call_and_check(west, "list_foundation_model_agreement_offers", modelId=OMNI)["offers"] == []
    sonnet = call_and_check(west, "get_foundation_model", modelIdentifier=SONNET_46)["modelDetails"]
    assert (sonnet["providerName"], sonnet["modelLifecycle"]["status"]) == ("Anthropic", "ACTIVE")
    ids = {p["inferenceProfileId"] for page in west.get_paginator("list_inference_profiles").paginate()
           for p in page["inferenceProfileSummaries"]}
    assert {f"us.{OMNI}", f"global.{OMNI}", f"us.{SONNET_46}", f"global.{SONNET_46}"} <= ids
    assert f"eu.{SONNET_46}" not in ids

    runtime = client(fake, "bedrock-runtime", "us-west-2")
    messages = [{"role": "user", "content": [{"text": "hello"}]}]
    with pytest.raises(ClientError) as bare:
        runtime.converse(modelId=SONNET_46, messages=messages)
    assert bare.value.response["Error"]["Message"] == NEEDS_PROFILE_TEMPLATE.format(model_id=SONNET_46)
    assert runtime.converse(modelId=f"global.{SONNET_46}", messages=messages)["stopReason"] == "end_turn"
    fake.control.set_use_case(False)
    with pytest.raises(ClientError) as form:
        runtime.converse(modelId=f"us.{SONNET_46}", messages=messages)
    assert form.value.response["Error"]["Code"] == "ResourceNotFoundException"
    fake.control.set_model(OMNI, lifecycle="EOL")
    with pytest.raises(ClientError) as eol:
        runtime.converse(modelId=f"us.{OMNI}", messages=messages)
    assert eol.value.response["Error"]["Message"] == EOL_MESSAGE


def test_control_plane_through_the_standard_endpoint_variables(fake: FakeBedrock, monkeypatch) -> None:
    """The app reaches the fake only through AWS_ENDPOINT_URL_BEDROCK / AWS_ENDPOINT_URL_STS."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", fake.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = boto3.Session(region_name="us-west-2")
    assert session.client("bedrock").list_foundation_models()["modelSummaries"]
    assert session.client("sts").get_caller_identity()["Account"] == "111122223333"
    assert ("list_foundation_models", "", "us-west-2") in fake.control.calls
