"""Who the app's AWS credentials belong to (STS GetCallerIdentity), known without any page waiting for it.

Finding credentials (lib/services/credentials.CredentialWatcher) says nothing about whether AWS accepts them: dummy or
expired keys look the same as good ones until the first model call fails. The watcher here asks STS on a
background thread, once per configuration, and again every few minutes (sooner after a failure), so the
sidebar can say "signed in as …" only once AWS has said so, and name expired or invalid credentials before
anybody's first call. A page only ever reads the last answer.

STS answers GetCallerIdentity for any valid credentials, whatever their permissions; it is free. The standard
AWS_ENDPOINT_URL_STS variable points it elsewhere (the tests' fake endpoint).

Languages: one answer serves every session of the process, whatever language each reads, so a status keeps its
problem and fix as message ids (English, as lib/readiness.py words them) with their values (`args`), and
`problem_text()` / `fix_text()` translate them where they are shown. An exception's own text (a failed check) is
kept as it was raised.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from lib.services.credentials import _credential_key
from lib.readiness import Identity, caller_identity, describe_principal, say, said
from lib.background import BackgroundChecks
from lib.settings import Settings, load_settings

REFRESH_OK_S = 300.0
REFRESH_FAILED_S = 30.0


@dataclass(frozen=True)
class CallerStatus:
    state: str  # checking | ok | refused | unreachable
    account: str = ""
    arn: str = ""
    problem: str = ""
    fix: str = ""
    checked_at: float = 0.0
    args: tuple[tuple[str, str], ...] = ()  # the values of the placeholders in `problem` and `fix`

    @property
    def principal(self) -> str:
        return describe_principal(self.arn)

    def problem_text(self) -> str:
        """Why the credentials are refused or not confirmed, in the current language."""
        return say(said(self.problem, **dict(self.args))) if self.problem else ""

    def fix_text(self) -> str:
        """What to do about it, in the current language."""
        return say(said(self.fix, **dict(self.args))) if self.fix else ""

    @classmethod
    def from_identity(cls, identity: Identity) -> "CallerStatus":
        if identity.ok:
            return cls("ok", identity.account, identity.arn, checked_at=time.time())
        unreachable = "could not be reached" in identity.problem or identity.problem.startswith("STS answered")
        return cls("unreachable" if unreachable else "refused", problem=identity.problem, fix=identity.fix,
                   checked_at=time.time(), args=tuple((k, str(v)) for k, v in identity.args.items()))


class CallerWatcher(BackgroundChecks[CallerStatus]):
    """The last STS answer per configuration; `status` never waits on the network."""

    thread_name = "caller-identity"

    def __init__(self, refresh_ok_s: float = REFRESH_OK_S, refresh_failed_s: float = REFRESH_FAILED_S) -> None:
        super().__init__()
        self.refresh_ok_s, self.refresh_failed_s = refresh_ok_s, refresh_failed_s

    @staticmethod
    def _key(settings: Settings) -> str:
        return f"{_credential_key(settings)}:{settings.region}:{os.environ.get('AWS_ENDPOINT_URL_STS', '')}"

    def status(self, settings: Settings | None = None) -> CallerStatus:
        s = settings or load_settings()
        key = self._key(s)
        with self._lock:
            entry = self._known.get(key)
        if entry is None:
            with self._lock:
                entry = self._known.setdefault(key, (CallerStatus("checking"), 0.0))
            self._refresh(key, s)
            return entry[0]
        age = time.monotonic() - entry[1]
        if age >= (self.refresh_ok_s if entry[0].state == "ok" else self.refresh_failed_s):
            self._refresh(key, s)
        return entry[0]

    def recheck(self, settings: Settings | None = None) -> None:
        """Ask STS again now (the instructor's "check again"); the answer arrives in the background."""
        s = settings or load_settings()
        self._refresh(self._key(s), s)

    def _probe(self, settings: Settings) -> CallerStatus:
        return CallerStatus.from_identity(caller_identity(settings))

    def _failed(self, exc: Exception, settings: Settings) -> CallerStatus:
        return CallerStatus("unreachable", problem=f"{type(exc).__name__}: {exc}"[:200], checked_at=time.time())


_watcher = CallerWatcher()


def caller_watcher() -> CallerWatcher:
    """The process's watcher, shared by every session."""
    return _watcher
