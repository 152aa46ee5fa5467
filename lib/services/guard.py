"""Before any model call is sent: is the class paused, and would this call pass a spend cap?

Every lab's model call runs through `lib.services.calls.claimed`, which asks `check_call` right after it
claims the request (the claim carries the call's estimated cost, so calls still running count against a
cap). A refusal is an ordinary WorkshopError: the lab shows it like any other, nothing is sent.

Caps come from settings (WORKSHOP_CAP_ATTENDEE_USD per person, the instructor included, and
WORKSHOP_CAP_CLASS_USD for everyone together); the pause switch lives in the shared database
(lib/storage/control.py), so it holds on every app server.

A refusal is made by the call that is refused (inside its job), so its words come out in the language of the
attendee who asked (lib/jobs.py runs a job in its submitter's language). `error_kind`'s names are stored with
the job for the instructor's dashboard: English message ids, translated where the dashboard shows them.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from lib.errors import (AccessDenied, BackendUnavailable, CallsPaused, ContentFiltered, InvalidInput, ModelUnavailable,
                        SpendCapReached, Throttled, WorkshopError)
from lib.i18n import N_, _, format_usd
from lib.settings import Settings, load_settings
from lib.storage.control import ClassControl

ASSUMED_OUTPUT_TOKENS = 500  # a chat turn's answer, for the estimate made before it is sent
TOKENS_PER_TEXT_CHAR = 0.25
IMAGE_TOKENS_FALLBACK = 1600


def paused_error(note: str = "") -> CallsPaused:
    return CallsPaused.because(note)


def check_call(control: ClassControl, owner: str, estimate_usd: float, *, job_id: str | None = None,
               settings: Settings | None = None) -> None:
    """Refuse the call before it is sent when the class is paused or it would take spend past a cap."""
    pause = control.paused()
    if pause is not None:
        raise paused_error(pause.note)
    s = settings or load_settings()
    estimate = max(0.0, float(estimate_usd or 0.0))
    if s.cap_attendee_usd is not None:
        spent = control.spent(owner, exclude_job=job_id)
        if spent + estimate > s.cap_attendee_usd + 1e-9:
            raise SpendCapReached(
                _("This call (est. {estimate}) would take your spend past the attendee cap of {cap} "
                  "(WORKSHOP_CAP_ATTENDEE_USD): you have used {spent}. Nothing was sent.").format(
                    estimate=format_usd(estimate), cap=format_usd(s.cap_attendee_usd, 2), spent=format_usd(spent)),
                _("Ask for fewer or cheaper images, replay results from History, or ask the instructor to raise "
                  "the cap."))
    if s.cap_class_usd is not None:
        spent = control.spent(None, exclude_job=job_id)
        if spent + estimate > s.cap_class_usd + 1e-9:
            raise SpendCapReached(
                _("This call (est. {estimate}) would take the class's spend past the class cap of {cap} "
                  "(WORKSHOP_CAP_CLASS_USD): the class has used {spent}. Nothing was sent.").format(
                    estimate=format_usd(estimate), cap=format_usd(s.cap_class_usd, 2), spent=format_usd(spent)),
                _("Tell the instructor; results in History can still be replayed."))


def _image_tokens(data: bytes) -> int:
    try:
        from lib.imaging import image_size

        w, h = image_size(data)
    except Exception:  # noqa: BLE001 - an estimate: an undecodable image counts as a typical one
        return IMAGE_TOKENS_FALLBACK
    scale = min(1.0, 1568 / max(w, h, 1))  # models work at about 1568 px on the long edge
    return math.ceil(w * scale / 28) * math.ceil(h * scale / 28)


def chat_estimate(model: Any, turns: Iterable[Any]) -> float:
    """USD a chat turn is expected to cost: its text and images in, ASSUMED_OUTPUT_TOKENS out, at catalog prices."""
    price = getattr(model, "price", None)
    if price is None or getattr(model, "runs_locally", False):
        return 0.0
    tokens_in = 0
    for turn in turns:
        tokens_in += math.ceil(len(getattr(turn, "text", "") or "") * TOKENS_PER_TEXT_CHAR)
        tokens_in += sum(_image_tokens(img.data) for img in getattr(turn, "images", ()))
    return price.cost(tokens_in, ASSUMED_OUTPUT_TOKENS)


def image_estimate(request: Any) -> float:
    """USD an image request is expected to cost (the estimate shown next to the lab's button)."""
    from lib.services.images import estimate_cost

    try:
        return estimate_cost(request)
    except WorkshopError:
        return 0.0  # an unknown model: validation refuses it before any call


def error_kind(exc: BaseException) -> str:
    """A short name for the dashboard's "errors by kind": stored in English (every server and language counts
    the same kinds), marked for the catalog and translated where the dashboard shows it."""
    if isinstance(exc, CallsPaused):
        return N_("paused")
    if isinstance(exc, SpendCapReached):
        return N_("spend cap")
    if isinstance(exc, ContentFiltered):
        return N_("content filter")
    if isinstance(exc, Throttled):
        return N_("throttled")
    if isinstance(exc, AccessDenied):
        return N_("no access")
    if isinstance(exc, ModelUnavailable):
        return {"end_of_life": N_("end of life"), "legacy": N_("legacy, not used recently"),
                "needs_inference_profile": N_("needs an inference profile"),
                "not_in_region": N_("not offered in the region")}.get(exc.reason, N_("model unavailable"))
    if isinstance(exc, InvalidInput):
        return N_("invalid input")
    if isinstance(exc, BackendUnavailable):
        return N_("Bedrock unreachable or credentials")
    if isinstance(exc, WorkshopError) and exc.title == "Already running":
        return N_("already running")
    return N_("app error")
