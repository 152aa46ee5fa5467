"""Work done once per process, in the background, so that no attendee's page waits for it.

- **The app's modules.** Each lab's page imports what it needs (boto3 models, LangChain, FAISS, the canvas)
  on its first visit after a start; `preload_pages` imports them on a thread as soon as the server runs.
- **The offline engines.** PyTorch, EfficientNet-Lite0 + MiniLM and RapidOCR take 10–15 s to load on a
  small machine; `engines().start()` loads them on a thread with progress a page can show, instead of the
  first local search stalling its page. Pages check `engines().ready()` and never call an engine that
  is still loading on their own thread.
- **A quiet heap.** Streamlit's collection after every script run is switched off (`runner.postScriptGC`
  in .streamlit/config.toml): with the engines loaded it cost 260 ms per run and held every thread. What
  is loaded once (modules, weights) is moved out of the collector's way with `gc.freeze()` after each
  load, so Python's own occasional full collections stay short.

Nothing here imports Streamlit.
"""

from __future__ import annotations

import ast
import gc
import importlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

log = logging.getLogger(__name__)

_heap_lock = threading.Lock()


def settle_heap() -> None:
    """Collect once, then exempt everything alive now from future collections (it is loaded for good)."""
    with _heap_lock:
        gc.collect()
        gc.freeze()


# -- the app's modules ---------------------------------------------------------------------------------


def modules_imported_by(path: Path) -> list[str]:
    """The modules a page imports at its top level (read from its source, without running it)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


_preload_started = False
_preload_lock = threading.Lock()
_preloaded = threading.Event()


def preload_pages(pages: Iterable[Path], extra: Iterable[str] = ()) -> bool:
    """Import every page's modules on a background thread, once per process; True when this call started it."""
    global _preload_started
    with _preload_lock:
        if _preload_started:
            return False
        _preload_started = True
    names = list(dict.fromkeys([*[m for page in pages for m in modules_imported_by(Path(page))], *extra]))

    def work() -> None:
        started = time.perf_counter()
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the page itself reports it when visited
                log.debug("preloading %s failed", name, exc_info=True)
        settle_heap()
        _preloaded.set()
        log.info("preloaded %d modules in %.1f s", len(names), time.perf_counter() - started)

    threading.Thread(target=work, name="preload-pages", daemon=True).start()
    return True


def pages_preloaded(timeout_s: float = 0.0) -> bool:
    return _preloaded.wait(timeout_s)


def engine_modules() -> list[str]:
    """Every registered engine's module, for `preload_pages`: LangChain (the chat engine's) then loads at start,
    not in a class's first chat."""
    from lib.engines.registry import engine_modules as registered

    return registered()


# -- the offline engines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    title: str  # for people: "EfficientNet-Lite0 and MiniLM (tags, search)"
    run: Callable[[], object]
    needs: Callable[[], bool] = lambda: True  # installed here?


@dataclass(frozen=True)
class WarmupStatus:
    started: bool
    finished: bool
    done: int  # steps finished
    total: int
    current: str  # the step loading now ("" when none)
    elapsed_s: float
    error: str | None = None  # what failed (the engine's own call says it again, with its fix)

    @property
    def ready(self) -> bool:
        """Every step ran (one that failed reports its problem again when the engine is used)."""
        return self.finished


def _import(name: str) -> Callable[[], object]:
    return lambda: importlib.import_module(name)


def _tag_engine() -> object:
    from lib.local.tags import tag_engine

    return tag_engine()


def _ocr_engine() -> object:
    from lib.local.understanding import ocr_engine

    return ocr_engine()


def _tags_installed() -> bool:
    from lib.local.availability import TAG_MODULES, missing

    return not missing(TAG_MODULES)


def _ocr_installed() -> bool:
    from lib.local.availability import OCR_MODULES, missing

    return not missing(OCR_MODULES)


ENGINE_STEPS: tuple[Step, ...] = (
    Step("PyTorch", _import("torch"), _tags_installed),
    Step("sentence-transformers", _import("sentence_transformers"), _tags_installed),
    Step("EfficientNet-Lite0 and MiniLM (tags, search, object finder)", _tag_engine, _tags_installed),
    Step("RapidOCR (text in photos)", _ocr_engine, _ocr_installed),
)


class EngineWarmup:
    """Runs the steps once, in order, on a daemon thread; anyone may read the progress at any time."""

    def __init__(self, steps: tuple[Step, ...] = ENGINE_STEPS) -> None:
        self._all_steps = steps
        self._steps: tuple[Step, ...] | None = None  # those installed here, known once the thread looked
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = 0
        self._current = ""
        self._error: str | None = None
        self._started_at = 0.0
        self._finished_at: float | None = None
        self._finished = threading.Event()

    def start(self) -> None:
        """Begin loading (idempotent: a second call does nothing)."""
        with self._lock:
            if self._thread is not None:
                return
            self._started_at = time.perf_counter()
            self._thread = threading.Thread(target=self._run, name="engine-warmup", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        steps = tuple(step for step in self._all_steps if _installed(step))
        with self._lock:
            self._steps = steps
        for step in steps:
            with self._lock:
                self._current = step.title
            try:
                step.run()
            except Exception as exc:  # noqa: BLE001 - kept for the progress line; the engine raises it again
                log.exception("warming up %s failed", step.title)
                with self._lock:
                    self._error = f"{step.title}: {exc}"
                break
            with self._lock:
                self._done += 1
        with self._lock:
            self._current = ""
            self._finished_at = time.perf_counter()
        settle_heap()  # the weights stay loaded for good: keep the collector off them
        self._finished.set()

    def status(self) -> WarmupStatus:
        with self._lock:
            started = self._thread is not None
            total = len(self._steps) if self._steps is not None else len(self._all_steps)
            end = self._finished_at or time.perf_counter()
            return WarmupStatus(started=started, finished=self._finished.is_set(), done=self._done, total=total,
                                current=self._current, elapsed_s=(end - self._started_at) if started else 0.0,
                                error=self._error)

    def ready(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._finished.wait(timeout_s)


def _installed(step: Step) -> bool:
    try:
        return bool(step.needs())
    except Exception:  # noqa: BLE001 - can't tell: try to load it, and let the step report
        return True


_engines = EngineWarmup()
_engines_lock = threading.Lock()


def engines() -> EngineWarmup:
    """The process's warm-up of the offline engines, shared by every session."""
    with _engines_lock:
        return _engines


def use_engines(new: EngineWarmup) -> EngineWarmup:
    """Replace the process's warm-up (tests); returns the previous one."""
    global _engines
    with _engines_lock:
        old, _engines = _engines, new
        return old
