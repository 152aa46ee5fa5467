"""Before class: can this account run each lab today? The control-plane pre-flight, per lab and per model.

For each chosen region, each lab's Bedrock models are checked where the app will call them (catalog
`call_target`: Stability text-to-image in us-west-2, Nova embeddings in us-east-1…), with the calls of
reference/bedrock-models.md §4:

1. ListFoundationModels (once per region); a model missing from it is looked up with GetFoundationModel, which
   tells end of life from "not offered here". ACTIVE / LEGACY and the lifecycle dates come from the summary.
2. The id the app invokes: a bare id needs ON_DEMAND among `inferenceTypesSupported`; a profile id
   (``us.…``) must be among the region's system-defined inference profiles (ListInferenceProfiles, then
   GetInferenceProfile).
3. GetFoundationModelAvailability: authorization, entitlement, region, and the Marketplace agreement. A
   missing agreement comes with its offer (ListFoundationModelAgreementOffers: token and rate card), which
   the instructor may accept with an explicit click (`accept_offer`).
4. Anthropic models: the account's first-use form (GetUseCaseForModelAccess).

A model is usable when nothing blocks it. A lab is *ready* when every model it offers is usable (the
workshop's retired models, already end of life in the catalog, don't count against it), *ready with X only*
when some are, *not ready* when none is, each with the exact fix. Optionally `smoke_call` makes the smallest
real call per model, with its estimated cost known before (`smoke_estimate`).

Nothing here imports Streamlit; the report is plain data (JSON for the shared database, Markdown to export).

Languages: a report is kept in the shared database and read by every instructor (and its verdicts by every
attendee's banner), whatever language each reads, and the check runs on worker threads. So its words are kept as
message ids (English, marked with N_()) with their values (`Finding.args`; a verdict's lines as `said()`
messages) and translated where they are shown (`say`, `Finding.text`, `LabVerdict.blocked_texts`, `markdown`).
A report saved before this kept plain English, which is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

import botocore.exceptions as bex
from botocore.config import Config

from lib.catalog import (CHAT_MODELS, EMBEDDING_MODELS, ChatModel, EmbeddingModel,
                         ModelInfo, Status, Task, call_target, get_model, models_for)
from lib.i18n import N_, _
from lib.labs import LABS
from lib.settings import Settings, load_settings

AnyModel = ModelInfo | ChatModel | EmbeddingModel

LAB_TASKS: dict[int, tuple[Task, ...]] = {
    2: (Task.TEXT_TO_IMAGE,),
    3: (Task.VARIATION, Task.CONTROL_SKETCH, Task.CONTROL_STRUCTURE, Task.STYLE_GUIDE, Task.STYLE_TRANSFER),
    4: (Task.INPAINT, Task.OUTPAINT, Task.ERASE, Task.INPAINT_BY_PROMPT, Task.ERASE_BY_PROMPT,
        Task.OUTPAINT_BY_PROMPT, Task.EXTEND),
    5: (Task.INPAINT_BY_PROMPT, Task.ERASE_BY_PROMPT, Task.RECOLOR_BY_PROMPT),
    6: (Task.OUTPAINT_BY_PROMPT,),
    7: (Task.INPAINT, Task.ERASE),
}
# Where an attendee can go instead when a lab can't run: the nearest labs first.
NEARBY_LABS: dict[int, tuple[int, ...]] = {1: (), 2: (3,), 3: (2,), 4: (7, 5), 5: (7, 4), 6: (7, 4, 5), 7: (4, 5),
                                           8: (9,), 9: (8,)}
READ_PERMISSIONS = ("bedrock:ListFoundationModels", "bedrock:GetFoundationModel", "bedrock:ListInferenceProfiles",
                    "bedrock:GetInferenceProfile", "bedrock:GetFoundationModelAvailability",
                    "bedrock:ListFoundationModelAgreementOffers")
USE_CASE_FIX = N_("Submit Anthropic's first-use form once for the account: Bedrock console → Model catalog → an "
                  "Anthropic model → “Submit use case details” (or `aws bedrock put-use-case-for-model-access`).")


# --- words kept in a report, translated where shown -----------------------------------------------------------


def said(text: str, **args: Any) -> dict[str, Any]:
    """A message to keep in a report: an English message id (marked with N_()) and the values of its placeholders.

    A value is shown as it is (a model name, a region, AWS's own text), unless it is itself a `said()` message,
    `{"join": [names]}` ("A, B and C") or `{"parts": [values], "sep": "; "}`, which are put in words first."""
    return {"text": text, "args": args}


def _fill(template: str, args: dict[str, Any] | None) -> str:
    """`template` (a message id) in the current language, its placeholders filled with `args` put in words."""
    if not template:
        return ""  # gettext's "" is the catalog's header
    text = _(template)
    if not args:
        return text
    try:
        return text.format(**{name: _value(value) for name, value in args.items()})
    except (KeyError, IndexError, ValueError):  # braces in a text that is no template (AWS's, a hint)
        return text


def _value(value: Any) -> str:
    if isinstance(value, dict):
        if "join" in value:
            return _join([_value(v) for v in value["join"]])
        if "parts" in value:
            return str(value.get("sep", "; ")).join(_value(v) for v in value["parts"])
        return _fill(str(value.get("text", "")), value.get("args"))
    return "" if value is None else str(value)


def say(message: Any) -> str:
    """A message kept in a report (a `said()` dict, or a message id; an old report's English) in the current
    language."""
    if isinstance(message, dict):
        return _value(message)
    return _fill(str(message), None) if message else ""


# --- what a lab offers --------------------------------------------------------------------------------------


def helpers_for(model: ModelInfo, lab_number: int) -> tuple[ModelInfo, ...]:
    """Models a lab's use of `model` also calls (e.g. Stability's background replacement finds the subject first)."""
    from lib.services.images import helper_models

    found: list[ModelInfo] = []
    for task in LAB_TASKS.get(lab_number, ()):
        if model.supports(task):
            found += [helper for helper in helper_models(model, task) if helper not in found]
    return tuple(found)


def lab_models(lab_number: int) -> list[AnyModel]:
    """The Bedrock models a lab's pickers offer (offline engines left out: they need no account)."""
    if lab_number == 1:
        found: list[AnyModel] = [m for m in EMBEDDING_MODELS if not m.runs_locally]
    elif lab_number in (8, 9):
        found = [m for m in CHAT_MODELS if not m.runs_locally]
    else:
        found = []
        for task in LAB_TASKS[lab_number]:
            for model in models_for(task):
                if not model.runs_locally and model not in found:
                    found.append(model)
    return found


def retired_in_catalog(model: AnyModel) -> bool:
    """The workshop's originals the catalog already marks end of life: kept for their request shape only."""
    return model.lifecycle.status is Status.END_OF_LIFE


def model_kind(model: AnyModel) -> str:
    if isinstance(model, ChatModel):
        return "chat"
    if isinstance(model, EmbeddingModel):
        return "embedding"
    return "image"


# --- results ------------------------------------------------------------------------------------------------


@dataclass
class Finding:
    kind: str  # end_of_life, legacy, not_offered, needs_profile, profile_missing, no_agreement, agreement_pending,
    #            agreement_error, not_authorized, not_entitled, use_case_form, check_failed, smoke_failed
    blocking: bool
    message: str  # a message id (English), filled with `args` where shown: `text()`
    fix: str = ""  # the same, `fix_text()`
    args: dict[str, Any] = field(default_factory=dict)  # the placeholders' values of `message` and `fix`

    def text(self) -> str:
        """What is wrong, in the current language."""
        return _fill(self.message, self.args)

    def fix_text(self) -> str:
        """What to do about it, in the current language ("" when nothing)."""
        return _fill(self.fix, self.args)

    def said(self) -> dict[str, Any]:
        return said(self.message, **self.args)

    def said_fix(self) -> dict[str, Any]:
        return said(self.fix, **self.args)


@dataclass
class RateLine:
    dimension: str
    price: str
    unit: str
    description: str

    def text(self) -> str:
        return self.description or _("${price} per {unit}").format(price=self.price, unit=self.unit)

    def said(self) -> Any:
        return self.description or said(N_("${price} per {unit}"), price=self.price, unit=self.unit)


@dataclass
class Offer:
    token: str
    rates: list[RateLine]
    legal_url: str = ""

    def cost_text(self) -> str:
        return "; ".join(r.text() for r in self.rates) or _("no usage-based price listed")

    def said(self) -> dict[str, Any]:
        """`cost_text()` kept for a report: put in words where shown."""
        if not self.rates:
            return said(N_("no usage-based price listed"))
        return {"parts": [r.said() for r in self.rates], "sep": "; "}


@dataclass
class ModelCheck:
    model_id: str
    label: str
    kind: str
    region: str
    invoke_id: str
    lifecycle: str = "UNKNOWN"  # ACTIVE | LEGACY | END_OF_LIFE | NOT_OFFERED | UNKNOWN
    legacy_since: str | None = None
    end_of_life: str | None = None
    inference_types: list[str] = field(default_factory=list)
    profile: str | None = None  # the inference profile the app calls, when it calls one
    profile_regions: list[str] = field(default_factory=list)
    agreement: str | None = None
    authorization: str | None = None
    entitlement: str | None = None
    region_availability: str | None = None
    offer: Offer | None = None
    findings: list[Finding] = field(default_factory=list)
    retired: bool = False  # already end of life in the catalog
    smoke: dict[str, Any] | None = None  # {"ok", "message", "cost_usd", "at"} after a real call

    @property
    def usable(self) -> bool:
        return not any(f.blocking for f in self.findings)

    def status_text(self) -> str:
        if self.lifecycle == "END_OF_LIFE":
            return (_("end of life ({date})").format(date=self.end_of_life) if self.end_of_life
                    else _("end of life"))
        if self.lifecycle == "LEGACY":
            parts = [_("legacy since {date}").format(date=self.legacy_since) if self.legacy_since else _("legacy")]
            if self.end_of_life:
                parts.append(_("end of life {date}").format(date=self.end_of_life))
            return ", ".join(parts)
        if self.lifecycle == "ACTIVE":
            return _("active")
        return _("not offered here") if self.lifecycle == "NOT_OFFERED" else _("unknown")


@dataclass
class LabVerdict:
    number: int
    title: str  # the lab's name in English (a message id): `_(title)` where shown
    state: str  # ready | partial | not_ready | unchecked
    usable: list[str]
    blocked: list[Any]  # "label: why", as `said()` messages: `blocked_texts()`
    fixes: list[Any]  # "label: fix", the same: `fix_texts()`
    instead: int | None = None  # a lab to use instead when this one can't run
    retired: list[str] = field(default_factory=list)  # the workshop's originals, end of life as the catalog says

    @property
    def headline(self) -> str:
        if self.state == "ready":
            return _("Lab {number} is ready.").format(number=self.number)
        if self.state == "partial":
            return _("Lab {number} is ready with {models} only.").format(number=self.number, models=_join(self.usable))
        if self.state == "unchecked":
            return _("Lab {number} could not be checked.").format(number=self.number)
        return _("Lab {number} is not ready: no model it offers can be called on this account.").format(
            number=self.number)

    def blocked_texts(self) -> list[str]:
        """Each model it can't use and why, in the current language."""
        return [say(why) for why in self.blocked]

    def fix_texts(self) -> list[str]:
        """The fixes, in the current language."""
        return [say(fix) for fix in self.fixes]

    def banner(self) -> str | None:
        """What an attendee sees on the lab: nothing when ready."""
        if self.state == "not_ready" and self.instead:
            return _("Lab {number} can't run on this account today; use lab {instead}.").format(
                number=self.number, instead=self.instead)
        if self.state == "not_ready":
            return _("Lab {number} can't run on this account today.").format(number=self.number)
        if self.state == "partial":
            return _("Lab {number} works with {models} only on this account today.").format(
                number=self.number, models=_join(self.usable))
        return None


@dataclass
class Identity:
    ok: bool
    account: str = ""
    arn: str = ""
    problem: str = ""  # a message id (English) filled with `args`, or the text an exception gave: `problem_text()`
    fix: str = ""  # a message id: `fix_text()`
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def principal(self) -> str:
        return describe_principal(self.arn)

    def problem_text(self) -> str:
        return _fill(self.problem, self.args)

    def fix_text(self) -> str:
        return _fill(self.fix, self.args)


@dataclass
class ReadinessReport:
    checked_at: float
    region: str
    identity: Identity
    labs: list[LabVerdict]
    models: list[ModelCheck]

    def lab(self, number: int) -> LabVerdict | None:
        return next((v for v in self.labs if v.number == number), None)

    def model(self, model_id: str, region: str | None = None) -> ModelCheck | None:
        return next((m for m in self.models if m.model_id == model_id and (region is None or m.region == region)),
                    None)

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.checked_at))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReadinessReport":
        models = []
        for m in data.get("models", []):
            m = dict(m)
            m["findings"] = [Finding(**f) for f in m.get("findings", [])]
            offer = m.get("offer")
            m["offer"] = Offer(offer["token"], [RateLine(**r) for r in offer.get("rates", [])],
                               offer.get("legal_url", "")) if offer else None
            models.append(ModelCheck(**m))
        return cls(checked_at=float(data["checked_at"]), region=data["region"], identity=Identity(**data["identity"]),
                   labs=[LabVerdict(**v) for v in data.get("labs", [])], models=models)

    def markdown(self) -> str:
        """The report to download, in the current language."""
        if self.identity.ok:
            who = _("{principal} in account {account}").format(principal=self.identity.principal,
                                                               account=self.identity.account)
        else:
            who = _("not confirmed ({problem})").format(problem=self.identity.problem_text())
        lines = [_("# Workshop readiness — {region}").format(region=self.region), "",
                 _("Checked {when} as {who}.").format(when=self.when, who=who), ""]
        if not self.identity.ok and self.identity.fix:
            lines += [_("**Fix:** {fix}").format(fix=self.identity.fix_text()), ""]
        lab_word, verdict_word = _("Lab"), _("Verdict")
        lines += [f"| {lab_word} | {verdict_word} |", "|---|---|"]
        lines += [f"| {v.number}. {_md_cell(_(v.title))} | {_md_cell(v.headline)} |" for v in self.labs]
        for v in self.labs:
            lines += ["", "## " + _("Lab {number} · {title}").format(number=v.number, title=_(v.title)), "",
                      f"**{v.headline}**"]
            if v.usable:
                lines.append("- " + _("Works: {models}").format(models=_join(v.usable)))
            for why in v.blocked_texts():
                lines.append("- " + _("Can't use: {what}").format(what=why))
            for fix in v.fix_texts():
                lines.append("- " + _("Fix: {fix}").format(fix=fix))
            if v.retired:
                lines.append("- " + _("End of life, as expected (kept for the workshop's request shape): "
                                      "{models}").format(models=_join(v.retired)))
            if v.instead:
                lines.append("- " + _("Meanwhile, attendees can use lab {number}.").format(number=v.instead))
        heads = [_("Model"), _("Region"), _("Called as"), _("Lifecycle"), _("Access"), _("Problems")]
        lines += ["", "## " + _("Models"), "", "| " + " | ".join(heads) + " |", "|---|---|---|---|---|---|"]
        for m in self.models:
            access = m.agreement or "?"
            if m.authorization and m.authorization != "AUTHORIZED":
                access += f", {m.authorization}"
            problems = "; ".join(f.text() for f in m.findings) or _("none")
            if m.smoke:
                outcome = _("ok") if m.smoke.get("ok") else say(m.smoke.get("message"))
                problems = " · ".join([problems, _("test call: {outcome}").format(outcome=outcome)])
            lines.append(f"| {m.label} | {m.region} | `{m.invoke_id}` | {m.status_text()} | {access} | "
                         f"{_md_cell(problems)} |")
        return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def describe_principal(arn: str) -> str:
    """A person's words for an ARN: "role WorkshopInstructor (session alice)", "user bob", "the root user"."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else arn
    parts = resource.split("/")
    if parts[0] == "assumed-role" and len(parts) >= 3:
        return _("role {role} (session {session})").format(role=parts[1], session=parts[2])
    if parts[0] == "user" and len(parts) >= 2:
        return _("user {name}").format(name=parts[-1])
    if parts[0] == "role" and len(parts) >= 2:
        return _("role {name}").format(name=parts[-1])
    if parts[0] == "federated-user" and len(parts) >= 2:
        return _("federated user {name}").format(name=parts[1])
    if resource == "root":
        return _("the root user")
    return resource or _("an unknown principal")


# --- AWS clients --------------------------------------------------------------------------------------------


def aws_client(service: str, region: str, settings: Settings | None = None) -> Any:
    """A short-lived client for the control plane or STS (standard endpoint variables apply: AWS_ENDPOINT_URL_BEDROCK,
    AWS_ENDPOINT_URL_STS). No adaptive retries: a pre-flight wants an answer, not a wait."""
    import boto3

    s = settings or load_settings()
    session = boto3.Session(profile_name=s.profile) if s.profile else boto3.Session()
    config = Config(region_name=region, retries={"mode": "standard", "total_max_attempts": min(3, s.max_attempts)},
                    connect_timeout=s.connect_timeout_s, read_timeout=min(30.0, s.read_timeout_s))
    return session.client(service, config=config)


BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidSignatureException",
                   "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch", "AccessDeniedException"}


def caller_identity(settings: Settings | None = None, client: Any = None) -> Identity:
    """STS GetCallerIdentity: who these credentials are; names expired or invalid ones with the fix."""
    s = settings or load_settings()
    try:
        sts = client or aws_client("sts", s.region, s)
        answer = sts.get_caller_identity()
        return Identity(True, account=str(answer.get("Account", "")), arn=str(answer.get("Arn", "")))
    except (bex.NoCredentialsError, bex.PartialCredentialsError):
        return Identity(False, problem=N_("No AWS credentials were found."),
                        fix=N_("Run `aws configure` or `aws sso login`, or export AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY, then reload."))
    except bex.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "Expired" in code:
            return Identity(False, problem=N_("The AWS credentials have expired."),
                            fix=N_("Refresh them (`aws sso login`, or new temporary keys) and reload the page."))
        if code in BAD_CREDENTIALS:
            return Identity(False, problem=N_("AWS does not recognise these credentials (invalid or revoked keys)."),
                            fix=N_("Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile, then reload."))
        if code:
            return Identity(False, problem=N_("STS answered {code}."), fix=N_("Try again in a moment."),
                            args={"code": code})
        return Identity(False, problem=N_("STS answered an error."), fix=N_("Try again in a moment."))
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError):
        return Identity(False, problem=N_("STS could not be reached, so the credentials are not confirmed yet."),
                        fix=N_("Check the network connection."))
    except bex.BotoCoreError as exc:
        message = str(exc)
        if "expired" in message.lower() or "sso" in message.lower():
            return Identity(False, problem=N_("The AWS session can't be used: {message}"),
                            fix=N_("Run `aws sso login` for the profile, then reload."), args={"message": message})
        return Identity(False, problem=message, fix=N_("Check the AWS configuration, then reload."))


# --- the check ----------------------------------------------------------------------------------------------


def _error(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, bex.ClientError):
        err = exc.response.get("Error", {})
        return err.get("Code", ""), err.get("Message", "") or str(exc)
    return type(exc).__name__, str(exc)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)[:10]


def _past(day: str | None) -> bool:
    return bool(day) and day <= dt.date.today().isoformat()  # type: ignore[operator]


class _Region:
    """One region's shared answers: the model list, the profiles, and an error that stops the whole region."""

    def __init__(self, client: Any, region: str) -> None:
        self.client = client
        self.region = region
        self.summaries: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.failure: tuple[str, str] | None = None
        try:
            for summary in client.list_foundation_models().get("modelSummaries", []):
                self.summaries[summary["modelId"]] = summary
        except Exception as exc:  # noqa: BLE001 - told per model as "could not check"
            self.failure = _error(exc)
            return
        try:
            pages = client.get_paginator("list_inference_profiles").paginate(typeEquals="SYSTEM_DEFINED")
            for page in pages:
                for profile in page.get("inferenceProfileSummaries", []):
                    self.profiles[profile["inferenceProfileId"]] = profile
        except Exception:  # noqa: BLE001 - each model then asks GetInferenceProfile itself
            pass


def _check_failed(check: ModelCheck, what: dict[str, Any], code: str, message: str) -> None:
    """`what` could not be checked: a `said()` message ("the models of {region}")."""
    if code in ("AccessDeniedException", "UnauthorizedOperation"):
        fix = N_("Give the instructor's role the Bedrock read permissions ({permissions}).")
    elif code in BAD_CREDENTIALS:
        fix = N_("Refresh the credentials and check again.")
    else:
        fix = N_("Check again in a moment.")
    check.findings.append(Finding("check_failed", False, N_("Could not check {what} ({code}: {message})."), fix,
                                  args={"what": what, "code": code or "error", "message": message[:160],
                                        "permissions": ", ".join(READ_PERMISSIONS)}))


def check_model(model: AnyModel, preferred_region: str, regions: dict[str, _Region],
                client_for: Callable[[str], Any], use_case: Callable[[], Finding | None]) -> ModelCheck:
    region, invoke_id, _note = call_target(model, preferred_region)
    check = ModelCheck(model.id, model.label, model_kind(model), region, invoke_id, retired=retired_in_catalog(model))
    here = regions.get(region)
    if here is None:
        here = regions[region] = _Region(client_for(region), region)
    client = here.client
    if here.failure is not None:
        _check_failed(check, said(N_("the models of {region}"), region=region), *here.failure)
        return check

    # 1. Lifecycle
    summary = here.summaries.get(model.id)
    if summary is None:
        try:
            summary = client.get_foundation_model(modelIdentifier=model.id).get("modelDetails")
        except bex.ClientError as exc:
            code, message = _error(exc)
            if "end of its life" in message.lower() or "end of life" in message.lower():
                check.lifecycle = "END_OF_LIFE"
                check.end_of_life = model.lifecycle.end_of_life
                check.findings.append(Finding(
                    "end_of_life", True,
                    N_("{model} reached its end of life on {date}.") if check.end_of_life
                    else N_("{model} reached its end of life."),
                    N_("Use another model of this lab; it stays in the picker only to show the workshop's request "
                       "shape.") if check.retired else N_("Use another model of this lab."),
                    args={"model": model.label, "date": check.end_of_life or ""}))
            elif code in ("ResourceNotFoundException", "ValidationException"):
                check.lifecycle = "NOT_OFFERED"
                check.findings.append(Finding(
                    "not_offered", True, N_("Bedrock does not offer {model} in {region} to this account."),
                    N_("Run the class in a region that has it ({regions}), or use another model."),
                    args={"model": model.label, "region": region, "regions": ", ".join(model.regions)}))
            else:
                _check_failed(check, said(N_("{model}'s lifecycle"), model=model.label), code, message)
            return check
        except Exception as exc:  # noqa: BLE001
            _check_failed(check, said(N_("{model}'s lifecycle"), model=model.label), *_error(exc))
            return check
    summary = summary or {}
    lifecycle = summary.get("modelLifecycle") or {}
    check.lifecycle = str(lifecycle.get("status") or "ACTIVE")
    check.legacy_since = _day(lifecycle.get("legacyTime"))
    check.end_of_life = _day(lifecycle.get("endOfLifeTime")) or (
        model.lifecycle.end_of_life if check.lifecycle == "LEGACY" else None)
    check.inference_types = [str(t) for t in summary.get("inferenceTypesSupported") or []]
    if _past(check.end_of_life):
        check.lifecycle = "END_OF_LIFE"
        check.findings.append(Finding("end_of_life", True, N_("{model} reached its end of life on {date}."),
                                      N_("Use another model of this lab."),
                                      args={"model": model.label, "date": check.end_of_life}))
        return check
    if check.lifecycle == "LEGACY":
        check.findings.append(Finding(
            "legacy", False,
            N_("{model} is Legacy; end of life {date}. An account that has not used it in the last 30 days is "
               "refused.") if check.end_of_life else
            N_("{model} is Legacy. An account that has not used it in the last 30 days is refused."),
            N_("Prefer an active model of this lab; make one call a week to keep access."),
            args={"model": model.label, "date": check.end_of_life or ""}))

    # 2. The id the app invokes
    if invoke_id == model.id:
        if check.inference_types and "ON_DEMAND" not in check.inference_types:
            profile = next((p for p, found in here.profiles.items()
                            if any(m.get("modelArn", "").endswith(f"/{model.id}") for m in found.get("models", []))),
                           None)
            geo = profile.split(".", 1)[0] if profile else "us"
            check.findings.append(Finding(
                "needs_profile", True,
                N_("Bedrock serves {model} in {region} only through an inference profile, and the app calls the "
                   "bare id {id}."),
                N_("Call it through the profile “{profile}”: set inference_profile_prefix=\"{geo}\" on its row in "
                   "lib/catalog.py, or leave this model out of the class."),
                args={"model": model.label, "region": region, "id": model.id,
                      "profile": profile or geo + "." + model.id, "geo": geo}))
    else:
        check.profile = invoke_id
        found = here.profiles.get(invoke_id)
        if found is None:
            try:
                found = client.get_inference_profile(inferenceProfileIdentifier=invoke_id)
            except bex.ClientError as exc:
                code, message = _error(exc)
                if code in ("ResourceNotFoundException", "ValidationException"):
                    geo = invoke_id.split(".", 1)[0]
                    check.findings.append(Finding(
                        "profile_missing", True,
                        N_("The inference profile {profile} the app calls is not available in {region}."),
                        N_("Run the class in a region of the “{geo}” geography that lists it, or use another model."),
                        args={"profile": invoke_id, "region": region, "geo": geo}))
                else:
                    _check_failed(check, said(N_("the inference profile {profile}"), profile=invoke_id), code,
                                  message)
            except Exception as exc:  # noqa: BLE001
                _check_failed(check, said(N_("the inference profile {profile}"), profile=invoke_id), *_error(exc))
        if found:
            check.profile_regions = sorted({m.get("modelArn", "").split(":")[3] for m in found.get("models", [])
                                            if m.get("modelArn", "").count(":") >= 4})

    # 3. Access
    try:
        avail = client.get_foundation_model_availability(modelId=model.id)
    except Exception as exc:  # noqa: BLE001
        _check_failed(check, said(N_("access to {model}"), model=model.label), *_error(exc))
    else:
        agreement = avail.get("agreementAvailability") or {}
        check.agreement = agreement.get("status")
        check.authorization = avail.get("authorizationStatus")
        check.entitlement = avail.get("entitlementAvailability")
        check.region_availability = avail.get("regionAvailability")
        detail = agreement.get("errorMessage") if check.agreement in ("PENDING", "ERROR") else None
        named = {"model": model.label}
        if check.authorization == "NOT_AUTHORIZED":
            check.findings.append(Finding(
                "not_authorized", True, N_("IAM or an organisation policy does not let these credentials call "
                                           "{model}."),
                N_("Allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on it for the role the app "
                   "runs as, and check that no SCP denies it."), args=named))
        if check.region_availability == "NOT_AVAILABLE":
            check.findings.append(Finding("not_offered", True, N_("{model} is not available in {region}."),
                                          N_("Run the class in {regions}, or use another model."),
                                          args={**named, "region": region, "regions": ", ".join(model.regions)}))
        if check.entitlement == "NOT_AVAILABLE":
            check.findings.append(Finding(
                "not_entitled", True, N_("This account is not entitled to {model}."),
                N_("Check that the account has a valid payment method and is not restricted from AWS Marketplace "
                   "purchases."), args=named))
        if check.agreement == "NOT_AVAILABLE":
            check.offer = _offer(client, model.id)
            check.findings.append(Finding(
                "no_agreement", True, N_("No AWS Marketplace agreement for {model} in this account."),
                N_("Accept its offer here (Create agreement), or have someone with aws-marketplace:Subscribe call it "
                   "once; the subscription then completes in the background within about 15 minutes. Offer: "
                   "{offer}.") if check.offer else
                N_("Accept its offer here (Create agreement), or have someone with aws-marketplace:Subscribe call it "
                   "once; the subscription then completes in the background within about 15 minutes."),
                args={**named, **({"offer": check.offer.said()} if check.offer else {})}))
        elif check.agreement == "PENDING":
            check.findings.append(Finding(
                "agreement_pending", True, N_("The AWS Marketplace subscription for {model} is still being "
                                              "processed: calls can fail with AccessDeniedException for up to 15 "
                                              "minutes."),
                N_("Check again in a few minutes."), args=named))
        elif check.agreement == "ERROR":
            check.findings.append(Finding(
                "agreement_error", True, N_("The AWS Marketplace agreement for {model} failed ({detail}).") if detail
                else N_("The AWS Marketplace agreement for {model} failed."),
                N_("Give the role aws-marketplace:Subscribe, Unsubscribe and ViewSubscriptions, check the account's "
                   "payment method, then accept the offer again."), args={**named, "detail": detail or ""}))

    # 4. Anthropic's first-use form
    if model.id.startswith("anthropic."):
        form = use_case()
        if form is not None:
            check.findings.append(form)
    return check


def _offer(client: Any, model_id: str) -> Offer | None:
    try:
        offers = client.list_foundation_model_agreement_offers(modelId=model_id).get("offers", [])
    except Exception:  # noqa: BLE001 - the finding still names the fix without the price
        return None
    if not offers:
        return None
    first = offers[0]
    terms = first.get("termDetails") or {}
    rates = [RateLine(str(r.get("dimension", "")), str(r.get("price", "")), str(r.get("unit", "")),
                      str(r.get("description", "")))
             for r in (terms.get("usageBasedPricingTerm") or {}).get("rateCard", [])]
    return Offer(str(first.get("offerToken", "")), rates, str((terms.get("legalTerm") or {}).get("url", "")))


def accept_offer(model_id: str, offer_token: str, region: str, settings: Settings | None = None,
                 client: Any = None) -> str:
    """CreateFoundationModelAgreement (the instructor clicked "Create agreement"); the model id it answers for."""
    bedrock = client or aws_client("bedrock", region, settings)
    try:
        return str(bedrock.create_foundation_model_agreement(modelId=model_id, offerToken=offer_token).get("modelId"))
    except Exception as exc:  # noqa: BLE001 - said in the app's words by the page
        from lib.bedrock import translate_error

        raise translate_error(exc) from exc


def verdicts(checks: dict[str, ModelCheck]) -> list[LabVerdict]:
    """Per lab: ready, ready with some models only, or not ready, with the exact fixes."""
    found: list[LabVerdict] = []
    for lab in LABS:
        usable, blocked, fixes, unchecked = [], [], [], False
        core_blocked, to_fix, retired = False, [], []
        for model in lab_models(lab.number):  # type: ignore[arg-type]
            needed = [model, *(helpers_for(model, lab.number) if isinstance(model, ModelInfo) else ())]
            mine = [checks[m.id] for m in needed if m.id in checks]
            if len(mine) < len(needed):
                unchecked = True
                continue
            problems = [(c, f) for c in mine for f in c.findings if f.blocking]
            failed = [(c, f) for c in mine for f in c.findings if f.kind == "check_failed"]
            if failed and not problems:  # not known either way: neither counted as working nor as broken
                unchecked = True
                blocked.append(said(N_("{model}: {why}"), model=model.label, why=failed[0][1].said()))
                if failed[0][1].fix and failed[0][1].said_fix() not in fixes:
                    fixes.append(failed[0][1].said_fix())
                continue
            if not problems:
                usable.append(model.label)
                continue
            check, finding = problems[0]
            if retired_in_catalog(model) and finding.kind == "end_of_life":
                retired.append(model.label)  # expected: kept in the pickers for the workshop's request shape
                continue
            if check.model_id != model.id:
                blocked.append(said(N_("{model} (needs {helper}): {why}"), model=model.label, helper=check.label,
                                    why=finding.said()))
            else:
                blocked.append(said(N_("{model}: {why}"), model=model.label, why=finding.said()))
            if not retired_in_catalog(model):
                core_blocked = True
                to_fix.append((model.label, finding))
        for label, finding in to_fix:
            fix: Any = finding.said_fix() if finding.fix else None
            if usable and finding.kind in ("end_of_life", "not_offered", "legacy", "smoke_failed"):
                works = {"join": list(usable)}
                if fix is None:
                    fix = said(N_("Use {models}."), models=works)
                elif len(usable) == 1:
                    fix = said(N_("{fix} {models} works here."), fix=fix, models=works)
                else:
                    fix = said(N_("{fix} {models} work here."), fix=fix, models=works)
            line = said(N_("{model}: {fix}"), model=label, fix=fix) if fix is not None else None
            if line is not None and line not in fixes:
                fixes.append(line)
        if usable and not core_blocked and not unchecked:
            state = "ready"
        elif usable:
            state = "partial"
        elif unchecked and not core_blocked:
            state = "unchecked"
        else:
            state = "not_ready"
        found.append(LabVerdict(lab.number, lab.title, state, usable, blocked, fixes,  # type: ignore[arg-type]
                                retired=retired))
    by_number = {v.number: v for v in found}
    for verdict in found:
        if verdict.state == "not_ready":
            verdict.instead = next((n for n in NEARBY_LABS.get(verdict.number, ())
                                    if by_number.get(n) and by_number[n].state in ("ready", "partial")), None)
    return found


def run_check(region: str, settings: Settings | None = None, *, client_for: Callable[[str], Any] | None = None,
              sts_client: Any = None, workers: int = 8, progress: Callable[[int, int], None] | None = None
              ) -> ReadinessReport:
    """The whole pre-flight for one region (the region the app runs in, or one to compare)."""
    s = settings or load_settings()
    make = client_for or (lambda r: aws_client("bedrock", r, s))
    identity = caller_identity(s, sts_client)
    models: list[AnyModel] = []
    for lab in LABS:
        for model in lab_models(lab.number):  # type: ignore[arg-type]
            extra = helpers_for(model, lab.number) if isinstance(model, ModelInfo) else ()  # type: ignore[arg-type]
            for each in (model, *extra):
                if each not in models:
                    models.append(each)

    regions: dict[str, _Region] = {}
    targets = sorted({call_target(m, region)[0] for m in models})
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets)))) as pool:
        for target, found in zip(targets, pool.map(lambda r: _Region(make(r), r), targets)):
            regions[target] = found

    # Anthropic's form is one answer for the whole account: asked once, before the models are checked.
    form = _use_case_finding(make(region)) if any(m.id.startswith("anthropic.") for m in models) else None
    done: dict[str, ModelCheck] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for n, check in enumerate(pool.map(lambda m: check_model(m, region, regions, make, lambda: form), models), 1):
            done[check.model_id] = check
            if progress:
                progress(n, len(models))
    ordered = [done[m.id] for m in models]
    return ReadinessReport(time.time(), region, identity, verdicts(done), ordered)


def _use_case_finding(client: Any) -> Finding | None:
    try:
        client.get_use_case_for_model_access()
    except bex.ClientError as exc:
        code, message = _error(exc)
        if code == "ResourceNotFoundException":
            return Finding("use_case_form", True,
                           N_("Anthropic's first-use form has not been submitted for this account."), USE_CASE_FIX)
        return Finding("check_failed", False, N_("Could not check Anthropic's first-use form ({code})."),
                       N_("Allow bedrock:GetUseCaseForModelAccess, or check it in the console. {how}"),
                       args={"code": code, "how": said(USE_CASE_FIX)})
    except Exception as exc:  # noqa: BLE001
        return Finding("check_failed", False, N_("Could not check Anthropic's first-use form ({code})."),
                       USE_CASE_FIX, args={"code": _error(exc)[0]})
    return None


# --- one smallest real call per model -----------------------------------------------------------------------


def _sample_png(size: tuple[int, int] = (256, 256)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (90, 140, 200))
    ImageDraw.Draw(img).ellipse((64, 64, 192, 192), fill=(220, 60, 40))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _sample_mask(size: tuple[int, int] = (256, 256)) -> bytes:
    from PIL import Image, ImageDraw

    sel = Image.new("L", size, 0)
    ImageDraw.Draw(sel).rectangle((64, 64, 191, 191), fill=255)
    buf = io.BytesIO()
    sel.save(buf, "PNG")
    return buf.getvalue()


SMOKE_PROMPT = "a small red circle on a blue background"


def smoke_request(model: ModelInfo) -> Any:
    """The cheapest request that shows `model` answers: one image, the smallest size it makes."""
    from lib.generation.requests import EditRequest, GenerationRequest

    if model.supports(Task.TEXT_TO_IMAGE):
        w, h = min(model.image.output_sizes, key=lambda s: s[0] * s[1]) if model.image.output_sizes else (1024, 1024)
        return GenerationRequest(model.id, SMOKE_PROMPT, width=w, height=h, count=1)
    image = _sample_png()
    for task in (Task.INPAINT, Task.ERASE, Task.INPAINT_BY_PROMPT, Task.EXTEND, Task.REMOVE_BACKGROUND,
                 Task.RECOLOR_BY_PROMPT):
        if model.supports(task):
            return EditRequest(model.id, task, image, mask=_sample_mask() if task in (Task.INPAINT, Task.ERASE)
                               else None, mask_prompt="circle" if task.uses_mask_prompt else "",
                               prompt="" if task in (Task.ERASE, Task.REMOVE_BACKGROUND) else "a green square",
                               extend=(64, 0, 0, 0) if task is Task.EXTEND else (0, 0, 0, 0))
    return None


def smoke_estimate(model: AnyModel) -> float:
    """USD the smallest call of `model` is expected to cost (shown before the instructor clicks)."""
    if isinstance(model, ChatModel):
        from lib.chat import Turn
        from lib.services.guard import chat_estimate

        return chat_estimate(model, [Turn("user", "Reply with the word OK.")])
    if isinstance(model, EmbeddingModel):
        return (model.text_price_per_million or 0.0) * 10 / 1_000_000  # no published price: counted as 0
    request = smoke_request(model)
    if request is None:
        return 0.0
    return model.price.per_image(request.quality, *(getattr(request, "width", 1024), getattr(request, "height", 1024)))


def smoke_call(model: AnyModel, settings: Settings | None = None) -> dict[str, Any]:
    """Make the smallest real call; {"ok", "message", "hint", "cost_usd", "at"}: the app's own error wording (in the
    job's language), or what the call gave as a `said()` message (`say()` puts it in words)."""
    from lib.errors import WorkshopError

    s = settings or load_settings()
    started = time.time()
    try:
        if isinstance(model, ChatModel):
            from lib.chat import Turn
            from lib.converse import answer

            result = answer(model, [Turn("user", "Reply with the word OK.")], s)
            cost, message = result.cost_usd, said(N_("answered “{answer}”"), answer=result.text[:40])
        elif isinstance(model, EmbeddingModel):
            from lib.catalog import EmbeddingPurpose
            from lib.search.embeddings import EmbeddingInput, embed

            vector = embed(model, min(model.dimensions), EmbeddingInput(text="a red apple",
                                                                       purpose=EmbeddingPurpose.RETRIEVAL), s)
            cost, message = smoke_estimate(model), said(N_("returned a vector of {count} values"),
                                                        count=len(vector.vector))
        else:
            cost, message = _image_smoke(model, s)
    except WorkshopError as err:
        return {"ok": False, "message": err.message, "hint": err.hint, "cost_usd": 0.0, "at": started}
    except Exception as exc:  # noqa: BLE001 - a smoke test reports, it never breaks the page
        from lib.bedrock import translate_error

        err = translate_error(exc, model)
        return {"ok": False, "message": err.message, "hint": err.hint, "cost_usd": 0.0, "at": started}
    return {"ok": True, "message": message, "hint": "", "cost_usd": cost, "at": started}


def _image_smoke(model: ModelInfo, settings: Settings) -> tuple[float, dict[str, Any]]:
    from lib.generation.requests import EditRequest, GenerationRequest
    from lib.services.images import edit, generate

    request = smoke_request(model)
    if isinstance(request, GenerationRequest):
        result = generate(request, settings)
    elif isinstance(request, EditRequest) and request.task is Task.REMOVE_BACKGROUND:
        result = edit(request, settings)
        return result.cost_usd, said(N_("cut out the subject"))
    elif isinstance(request, EditRequest):
        result = edit(request, settings)
    else:
        return 0.0, said(N_("nothing to call"))
    made = N_("made {count} image") if len(result.images) == 1 else N_("made {count} images")
    return result.cost_usd, said(made, count=len(result.images))


def apply_smoke(report: ReadinessReport, model_id: str, outcome: dict[str, Any]) -> None:
    """Put a smoke call's outcome into the report: a failure blocks the model; the verdicts are redone."""
    check = report.model(model_id)
    if check is None:
        return
    check.smoke = outcome
    check.findings = [f for f in check.findings if f.kind != "smoke_failed"]
    if not outcome.get("ok"):
        check.findings.append(Finding("smoke_failed", True, N_("A test call failed: {message}"),
                                      str(outcome.get("hint") or ""),  # the error's hint, in the job's language
                                      args={"message": outcome.get("message")}))
    report.labs = verdicts({m.model_id: m for m in report.models})


def models_in(report: ReadinessReport) -> Iterable[AnyModel]:
    """The catalog rows of a report's models, in its order."""
    from lib.catalog import get_chat_model, get_embedding_model

    for check in report.models:
        getter = {"chat": get_chat_model, "embedding": get_embedding_model}.get(check.kind, get_model)
        yield getter(check.model_id)
