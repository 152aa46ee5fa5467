"""Answers that need the network, kept per configuration and refreshed on a daemon thread.

Why: a page must never wait on a credential lookup or an STS call (instance metadata can hang for
seconds). A watcher hands back the last known answer at once and asks again in the background.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from lib.settings import Settings

T = TypeVar("T")


class BackgroundChecks(ABC, Generic[T]):
    """The last answer per key; `_refresh` starts at most one check per key at a time."""

    thread_name = "background-check"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[T, float]] = {}
        self._running: set[str] = set()

    @abstractmethod
    def _probe(self, settings: Settings) -> T:
        """The answer, from the network (runs on the background thread)."""

    @abstractmethod
    def _failed(self, exc: Exception, settings: Settings) -> T:
        """The answer to keep when the probe raised: reported, never raised on the thread."""

    def _refresh(self, key: str, settings: Settings) -> None:
        with self._lock:
            if key in self._running:
                return
            self._running.add(key)
        threading.Thread(target=self._check, args=(key, settings), name=self.thread_name, daemon=True).start()

    def _check(self, key: str, settings: Settings) -> None:
        try:
            answer = self._probe(settings)
        except Exception as exc:  # noqa: BLE001 - kept as the answer, with the reason
            answer = self._failed(exc, settings)
        with self._lock:
            self._known[key] = (answer, time.monotonic())
            self._running.discard(key)

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Until no check runs (tests, and a page that wants the settled answer); True when idle."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.01)
        return False

    def forget(self) -> None:
        with self._lock:
            self._known.clear()
