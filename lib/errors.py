"""One small error hierarchy: every failure the user can see, in plain words with a fix.

Pages catch `WorkshopError` and show `title`, `message` and `hint`; nothing else
should reach the user as a traceback.

Languages (lib/i18n.py): a class's `title` is an English message id marked with N_(), translated where it is
shown (lib/ui/common.show_error); `message` and `hint` are made by whoever raises the error, with _() in the
language of that script run or job. The texts here that many raise or show (CREDENTIALS_FIX, NO_CREDENTIALS) are
message ids too, translated by whoever shows them.
"""

from __future__ import annotations

from lib.i18n import N_, _


class WorkshopError(Exception):
    """Base class: a message for people plus the one thing to do about it."""

    title = N_("Something went wrong")
    retryable = False

    def __init__(self, message: str, hint: str = "", *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail  # the raw service text, for the curious

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class InvalidInput(WorkshopError):
    """The request can't be sent as it is (too long, wrong size, not an image)."""

    title = N_("Check your input")


class ContentFiltered(WorkshopError):
    """Bedrock's or the model's safety filter blocked the prompt, an input or an output."""

    title = N_("Blocked by the content filter")

    def __init__(self, message: str, hint: str = "", *, stage: str = "prompt", detail: str = "") -> None:
        super().__init__(message, hint, detail=detail)
        self.stage = stage  # "prompt", "input image" or "output image"


class Throttled(WorkshopError):
    """Too many requests or tokens; retrying later works."""

    title = N_("Bedrock is throttling requests")
    retryable = True


class AccessDenied(WorkshopError):
    """The account may not call this model (no grant, no subscription, SCP, region)."""

    title = N_("No access to this model")


class ModelUnavailable(WorkshopError):
    """The model exists but can't be called this way: legacy, end of life, or profile-only."""

    title = N_("This model can't be called")

    def __init__(self, message: str, hint: str = "", *, reason: str = "unavailable", detail: str = "") -> None:
        super().__init__(message, hint, detail=detail)
        self.reason = reason  # "legacy", "end_of_life", "needs_inference_profile", "not_in_region"


class BackendUnavailable(WorkshopError):
    """Bedrock can't be reached at all: no credentials, no network, service down."""

    title = N_("Amazon Bedrock is not reachable")
    retryable = True


class CallsPaused(WorkshopError):
    """The instructor paused every model call of the class (lib/storage/control.py): refused before sending."""

    title = N_("Model calls are paused")

    @classmethod
    def because(cls, note: str = "") -> "CallsPaused":
        """The refusal, in the language of the call's script run or job (the instructor's note as they wrote it)."""
        said = (_("The instructor has paused all model calls for the class ({note}). Nothing was sent and nothing "
                  "was charged.").format(note=note) if note else
                _("The instructor has paused all model calls for the class. Nothing was sent and nothing was "
                  "charged."))
        return cls(said, _("Wait until the instructor resumes; meanwhile you can look through History and replay "
                           "earlier results."))


class SpendCapReached(WorkshopError):
    """The call's estimated cost would pass a spend cap (lib/services/guard.py): refused before sending."""

    title = N_("Spend cap reached")


# What to do when boto3 finds no credentials (the sidebar, pages and error messages all say the same).
# Message ids: shown with _(CREDENTIALS_FIX) in the reader's language.
CREDENTIALS_FIX = N_(
    "Give the app AWS credentials: run `aws configure` (or `aws sso login --profile NAME` and start the app "
    "with `AWS_PROFILE=NAME`), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then reload this page."
)
NO_CREDENTIALS = N_("No AWS credentials were found.")
