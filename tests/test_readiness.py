"""The instructor's readiness check against the fake control plane: verdicts per lab, fixes, offers, identity,
test calls, the export; and the plain messages for each 2026 access refusal (reference §6.5)."""

from __future__ import annotations

import botocore.exceptions as bex
import pytest

from fake_control_plane import (EOL_MESSAGE, LEGACY_MESSAGE, MARKETPLACE_MESSAGE, PENDING_MESSAGE, USE_CASE_MESSAGE)
from lib import readiness
from lib.bedrock import translate_error
from lib.catalog import MODELS, get_chat_model, get_embedding_model, get_model
from lib.errors import AccessDenied, ModelUnavailable

TITAN_EMBED = "amazon.titan-embed-image-v1"
ULTRA = "stability.stable-image-ultra-v1:1"
NOVA_PRO = "amazon.nova-pro-v1:0"
INPAINT = "stability.stable-image-inpaint-v1:0"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"
# Every Stability Image Service in the catalog: one subscription enrols an account in all of them (reference §1.1).
SERVICES = [m.id for m in MODELS if m.provider == "Stability AI" and m.inference_profile_prefix == "us"]


@pytest.fixture
def control(aws_env, monkeypatch):
    """The fake serves bedrock, bedrock-runtime and STS; the app reaches it through the standard variables."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", aws_env.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    return aws_env.control


def verdict(report: readiness.ReadinessReport, number: int) -> readiness.LabVerdict:
    found = report.lab(number)
    assert found is not None
    return found


def test_a_ready_account_is_ready_everywhere(control) -> None:
    report = readiness.run_check("us-east-1")
    assert report.identity.ok and report.identity.account == "111122223333"
    assert report.identity.principal == "role WorkshopInstructor (session instructor)"
    assert [v.state for v in report.labs] == ["ready"] * 9, [(v.number, v.blocked_texts()) for v in report.labs]
    # The workshop's retired models are checked and named, but don't count against a lab.
    titan = report.model("amazon.titan-image-generator-v2:0")
    assert titan.lifecycle == "END_OF_LIFE" and not titan.usable and titan.retired
    lab2 = verdict(report, 2)
    assert lab2.retired == ["Amazon Nova Canvas", "Titan Image Generator G1 v2", "Titan Image Generator G1 (v1)"]
    assert lab2.blocked == [] and lab2.fixes == []
    # Where the app calls each model: Stability text-to-image in us-west-2, the image services through us.
    assert report.model(ULTRA).region == "us-west-2"
    inpaint = report.model(INPAINT)
    assert inpaint.profile == f"us.{INPAINT}" and inpaint.profile_regions == ["us-east-1", "us-east-2", "us-west-2"]
    assert all(v.banner() is None for v in report.labs)


def test_end_of_life_no_agreement_and_profile_only_give_the_right_verdicts(control) -> None:
    control.set_model(TITAN_EMBED, lifecycle="EOL")
    control.set_model(ULTRA, agreement="NOT_AVAILABLE")
    control.set_model(NOVA_PRO, profile_only=True)
    control.set_model(REMOVE_BG, authorization="NOT_AUTHORIZED")
    report = readiness.run_check("us-east-1")

    lab1 = verdict(report, 1)
    lab1_models = ["Amazon Nova Multimodal Embeddings", "Cohere Embed v4", "TwelveLabs Marengo Embed 3.0"]
    assert lab1.state == "partial" and lab1.usable == lab1_models
    assert lab1.headline == ("Lab 1 is ready with Amazon Nova Multimodal Embeddings, Cohere Embed v4 and TwelveLabs "
                             "Marengo Embed 3.0 only.")
    assert report.model(TITAN_EMBED).lifecycle == "END_OF_LIFE"

    lab2 = verdict(report, 2)
    assert lab2.state == "partial"
    assert lab2.usable == ["Stable Diffusion 3.5 Large", "Stable Image Core", "Amazon Nova 2 Omni"]
    ultra = report.model(ULTRA)
    assert ultra.agreement == "NOT_AVAILABLE" and ultra.offer is not None
    assert ultra.offer.cost_text() == "$0.14 per image generated"
    assert any("Create agreement" in fix for fix in lab2.fix_texts())

    lab8 = verdict(report, 8)
    assert lab8.state == "partial" and "Amazon Nova Pro" not in lab8.usable and "Claude Haiku 4.5" in lab8.usable
    assert any(f"“us.{NOVA_PRO}”" in fix and "inference_profile_prefix" in fix for fix in lab8.fix_texts())

    lab6 = verdict(report, 6)  # Stability's background replacement needs Remove Background, which IAM denies
    assert lab6.state == "partial" and lab6.usable == ["Amazon Nova 2 Omni"]  # Omni is asked in words, no helper
    assert lab6.banner() == "Lab 6 works with Amazon Nova 2 Omni only on this account today."
    assert any("needs Stable Image Remove Background" in why for why in lab6.blocked_texts())
    assert any("bedrock:InvokeModel" in fix for fix in lab6.fix_texts())
    assert verdict(report, 7).state == "ready"


def test_no_stability_subscription_stops_the_editing_labs_until_the_offer_is_accepted(control) -> None:
    for model_id in SERVICES:
        control.set_model(model_id, agreement="NOT_AVAILABLE")
    report = readiness.run_check("us-east-1")
    # Labs 4-6 still run on Nova 2 Omni (an Amazon model, no Marketplace agreement); a drawn mask needs Stability.
    assert [verdict(report, n).state for n in (4, 5, 6, 7)] == ["partial"] * 3 + ["not_ready"]
    assert verdict(report, 5).usable == ["Amazon Nova 2 Omni"]
    assert verdict(report, 7).banner() == "Lab 7 can't run on this account today; use lab 4."
    offer = report.model(INPAINT).offer
    assert offer and offer.token and offer.cost_text() == "$0.07 per image generated"

    control.agreement_delay_s = 60
    assert readiness.accept_offer(INPAINT, offer.token, "us-east-1") == INPAINT
    pending = readiness.run_check("us-east-1")
    assert pending.model(INPAINT).agreement == "PENDING"
    assert any(f.kind == "agreement_pending" and "15 minutes" in f.message for f in pending.model(INPAINT).findings)
    control.agreement_delay_s = 0
    control.set_model(INPAINT, agreement="AVAILABLE")
    for model_id in SERVICES:
        control.set_model(model_id, agreement="AVAILABLE")
    assert verdict(readiness.run_check("us-east-1"), 7).state == "ready"


def test_legacy_warns_without_blocking_and_a_missing_profile_blocks(control) -> None:
    control.set_model("amazon.nova-lite-v1:0", lifecycle="LEGACY", legacy_time="2026-11-01", end_of_life="2027-05-01")
    control.remove_profile("us.meta.llama4-maverick-17b-instruct-v1:0")
    report = readiness.run_check("us-east-1")
    lite = report.model("amazon.nova-lite-v1:0")
    assert lite.usable and lite.status_text() == "legacy since 2026-11-01, end of life 2027-05-01"
    maverick = report.model("meta.llama4-maverick-17b-instruct-v1:0")
    assert [f.kind for f in maverick.findings] == ["profile_missing"]
    assert verdict(report, 9).state == "partial"


def test_anthropic_first_use_form(control) -> None:
    control.set_use_case(False)
    report = readiness.run_check("us-east-1")
    haiku = report.model("anthropic.claude-haiku-4-5-20251001-v1:0")
    assert any(f.kind == "use_case_form" for f in haiku.findings)
    lab9 = verdict(report, 9)
    assert lab9.state == "partial" and "Claude Haiku 4.5" not in lab9.usable
    assert any("put-use-case-for-model-access" in fix for fix in lab9.fix_texts())


def test_expired_and_invalid_credentials_are_named(control) -> None:
    control.set_caller(failure="expired")
    report = readiness.run_check("us-east-1")
    assert not report.identity.ok and report.identity.problem == "The AWS credentials have expired."
    assert all(v.state == "unchecked" for v in report.labs)
    control.set_caller(failure="invalid")
    identity = readiness.caller_identity()
    assert "invalid" in identity.problem and "AWS_ACCESS_KEY_ID" in identity.fix


def test_report_round_trips_and_exports_markdown(control) -> None:
    control.set_model(ULTRA, agreement="NOT_AVAILABLE")
    report = readiness.run_check("us-east-1")
    again = readiness.ReadinessReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    text = report.markdown()
    assert text.startswith("# Workshop readiness — us-east-1")
    assert "| 2. Image generation | Lab 2 is ready with Stable Diffusion 3.5 Large, Stable Image Core and Amazon Nova " \
        "2 Omni only. |" in text
    assert "Accept its offer here" in text and "`us.stability.stable-image-inpaint-v1:0`" in text


def test_smoke_calls_cost_known_before_and_failures_block(control, aws_env) -> None:
    assert readiness.smoke_estimate(get_model(ULTRA)) == pytest.approx(0.14)
    assert readiness.smoke_estimate(get_model(INPAINT)) == pytest.approx(0.07)
    assert 0 < readiness.smoke_estimate(get_chat_model("anthropic.claude-haiku-4-5-20251001-v1:0")) < 0.01
    assert readiness.smoke_estimate(get_embedding_model(TITAN_EMBED)) < 0.0001

    report = readiness.run_check("us-east-1")
    ok = readiness.smoke_call(get_model(INPAINT))
    assert ok["ok"] and ok["cost_usd"] == pytest.approx(0.07)
    assert readiness.smoke_call(get_chat_model(NOVA_PRO))["ok"]
    assert readiness.smoke_call(get_embedding_model(TITAN_EMBED))["ok"]
    assert readiness.smoke_call(get_model(REMOVE_BG))["ok"]

    control.set_model(ULTRA, legacy_unused=True)  # the control plane can't see this one: only a real call tells
    failed = readiness.smoke_call(get_model(ULTRA))
    assert not failed["ok"] and "Legacy" in failed["message"]
    readiness.apply_smoke(report, ULTRA, failed)
    assert verdict(report, 2).state == "partial" and "Stable Image Ultra" not in verdict(report, 2).usable


# --- the runtime refusals of 2026, each in its own words ---------------------------------------------------


def refused(code: str, text: str, model=None):
    exc = bex.ClientError({"Error": {"Code": code, "Message": text}}, "InvokeModel")
    return translate_error(exc, model or get_model(ULTRA), "us-west-2")


def test_marketplace_subscription_refusal_says_what_to_do() -> None:
    err = refused("AccessDeniedException", MARKETPLACE_MESSAGE)
    assert isinstance(err, AccessDenied)
    assert err.message == "The AWS Marketplace subscription for Stable Image Ultra could not be completed in us-west-2."
    assert "aws-marketplace:Subscribe" in err.hint and "15 minutes" in err.hint


def test_subscription_in_progress_is_its_own_message() -> None:
    err = refused("AccessDeniedException", PENDING_MESSAGE)
    assert isinstance(err, AccessDenied) and "still being set up" in err.message and "15 minutes" in err.hint


def test_first_use_form_legacy_and_end_of_life_each_have_their_message() -> None:
    haiku = get_chat_model("anthropic.claude-haiku-4-5-20251001-v1:0")
    form = refused("ResourceNotFoundException", USE_CASE_MESSAGE, haiku)
    assert isinstance(form, AccessDenied) and "Anthropic use-case form" in form.message
    legacy = refused("ResourceNotFoundException", LEGACY_MESSAGE)
    assert isinstance(legacy, ModelUnavailable) and legacy.reason == "legacy"
    legacy_denied = refused("AccessDeniedException", LEGACY_MESSAGE)
    assert isinstance(legacy_denied, ModelUnavailable) and legacy_denied.reason == "legacy"
    eol = refused("ResourceNotFoundException", EOL_MESSAGE)
    assert isinstance(eol, ModelUnavailable) and eol.reason == "end_of_life"


def test_plain_access_denied_explains_first_use_enabling() -> None:
    err = refused("AccessDeniedException", "You don't have access to the model with the specified model ID.")
    assert "enabled on first use" in err.hint and "bedrock:InvokeModel" in err.hint


def test_model_not_offered_in_the_region() -> None:
    err = refused("ValidationException", "The provided model identifier is invalid.")
    assert isinstance(err, ModelUnavailable) and err.reason == "not_in_region"
    assert err.message == "Stable Image Ultra is not offered in us-west-2."
