"""Whether AWS credentials resolve, and from where: answered from a background check, never on a page's thread.

Why a service: every page's sidebar asks, and a page must never wait on the instance-metadata address
(about 2 s on a laptop where it never answers). Nothing here calls a model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import botocore.exceptions as bex

from lib.background import BackgroundChecks
from lib.bedrock import session
from lib.errors import NO_CREDENTIALS
from lib.i18n import N_, _
from lib.settings import Settings, load_settings

# The status is the process's, shared by every session whatever its language (one background check answers them
# all), so `problem` keeps a message id, translated by `problem_text()` where it is shown; botocore's own text
# (a broken config file) is kept as botocore wrote it.
PROFILE_NOT_FOUND = N_("The profile “{profile}” is not in your AWS config files.")
# botocore's PartialCredentialsError ("Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"), in words.
PARTIAL_IN_ENV = N_("Only part of the AWS credentials is set in the environment: {variable} is missing.")
PARTIAL = N_("Only part of the AWS credentials was found ({source}): {variable} is missing.")


@dataclass(frozen=True)
class CredentialStatus:
    """Whether credentials resolve, and from where — never the secret itself."""

    found: bool
    source: str = ""  # e.g. "env", "shared-credentials-file", "sso"
    profile: str | None = None
    problem: str = ""  # a message id (NO_CREDENTIALS, PROFILE_NOT_FOUND) or botocore's text: see problem_text()
    checking: bool = False  # not found in variables or files; a background check still asks the instance/container
    args: tuple[tuple[str, str], ...] = ()  # the values of `problem`'s placeholders (PARTIAL: source, variable)

    def problem_text(self) -> str:
        """The problem in the current language ("" when there is none)."""
        if self.problem == PROFILE_NOT_FOUND:
            return _(PROFILE_NOT_FOUND).format(profile=self.profile or "")
        if self.args:
            return _(self.problem).format(**dict(self.args))
        return _(self.problem) if self.problem else ""


def _problem(exc: Exception, profile: str | None) -> CredentialStatus:
    """What a failed credential lookup says: botocore's partial-credentials error in the app's words (it names the
    variable that is missing), any other in botocore's own text (a broken config file, an SSO cache missing)."""
    if isinstance(exc, bex.PartialCredentialsError):
        kwargs = getattr(exc, "kwargs", {}) or {}
        source, variable = str(kwargs.get("provider") or ""), str(kwargs.get("cred_var") or "")
        if variable:
            return CredentialStatus(False, profile=profile, problem=PARTIAL_IN_ENV if source == "env" else PARTIAL,
                                    args=(("source", source), ("variable", variable)))
    return CredentialStatus(False, profile=profile, problem=str(exc))


def credential_status(settings: Settings | None = None) -> CredentialStatus:
    """Resolve credentials the way boto3 will, without calling AWS."""
    settings = settings or load_settings()
    try:
        creds = session(settings.profile).get_credentials()
    except bex.ProfileNotFound:
        return CredentialStatus(False, profile=settings.profile,
                                problem=PROFILE_NOT_FOUND)
    except bex.BotoCoreError as exc:  # partial credentials, a broken config file, an SSO cache missing, ...
        return _problem(exc, settings.profile)
    if creds is None:
        return CredentialStatus(False, profile=settings.profile, problem=NO_CREDENTIALS)
    return CredentialStatus(True, source=getattr(creds, "method", "") or "", profile=settings.profile)


# Providers that may wait on the network (instance metadata, container endpoint) or run a program: never on a
# page's thread. Whatever comes before them in boto3's chain is read from variables and files in milliseconds.
SLOW_PROVIDERS = ("container-role", "iam-role", "custom-process")
CREDENTIAL_REFRESH_S = 30.0


def quick_credential_status(settings: Settings | None = None) -> CredentialStatus | None:
    """Credentials from environment variables and AWS files only; None when only a slow provider could say.

    Why: on a laptop where the instance-metadata address never answers, boto3's full chain waits about 2 s
    for it. Deferred providers (SSO, assume-role) are only set up here, never called.
    """
    settings = settings or load_settings()
    try:
        resolver = session(settings.profile)._session.get_component("credential_provider")
        for name in SLOW_PROVIDERS:
            try:
                resolver.remove(name)
            except Exception:  # noqa: BLE001 - a botocore without that provider
                pass
        creds = resolver.load_credentials()
    except bex.ProfileNotFound:
        return CredentialStatus(False, profile=settings.profile,
                                problem=PROFILE_NOT_FOUND)
    except bex.BotoCoreError as exc:
        return _problem(exc, settings.profile)
    if creds is None:
        return None
    return CredentialStatus(True, source=getattr(creds, "method", "") or "", profile=settings.profile)


def _credential_key(settings: Settings) -> str:
    """What the answer depends on: the profile and every AWS_ variable (hashed: a secret is never kept)."""
    import hashlib
    import os

    environ = os.environ
    aws = sorted((k, environ[k]) for k in environ if k.startswith("AWS_"))  # decodes the values of AWS_ ones only
    return hashlib.sha256(repr((settings.profile, aws)).encode()).hexdigest()


class CredentialWatcher(BackgroundChecks[CredentialStatus]):
    """The last known credential status, refreshed on a background thread; a caller never waits on the network.

    The first question for a configuration is answered from variables and files (`quick_credential_status`);
    when they hold nothing, the answer says `checking` while the full chain (instance role, container role,
    credential process) runs on a thread. Every answer is checked again in the background once it is
    `refresh_s` old: `aws configure` or an expired SSO session shows up without anybody waiting for it.
    """

    thread_name = "credential-check"

    def __init__(self, refresh_s: float = CREDENTIAL_REFRESH_S) -> None:
        super().__init__()
        self.refresh_s = refresh_s

    def status(self, settings: Settings | None = None) -> CredentialStatus:
        s = settings or load_settings()
        key = _credential_key(s)
        with self._lock:
            entry = self._known.get(key)
        if entry is None:
            quick = quick_credential_status(s)
            first = quick or CredentialStatus(False, profile=s.profile, problem=NO_CREDENTIALS, checking=True)
            with self._lock:
                entry = self._known.setdefault(key, (first, 0.0 if first.checking else time.monotonic()))
            if quick is None or quick.found:
                self._refresh(key, s)  # the full chain: an instance role, or the exact source of what was found
            return entry[0]
        if time.monotonic() - entry[1] >= self.refresh_s:
            self._refresh(key, s)
        return entry[0]

    def _probe(self, settings: Settings) -> CredentialStatus:
        return credential_status(settings)

    def _failed(self, exc: Exception, settings: Settings) -> CredentialStatus:
        return _problem(exc, settings.profile)


_watcher = CredentialWatcher()


def credential_watcher() -> CredentialWatcher:
    """The process's watcher, shared by every session."""
    return _watcher
