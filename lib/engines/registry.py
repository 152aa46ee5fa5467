"""The one map from a catalog row's `engine` key to the engine object that serves it.

Why strings: an engine module is imported the first time a row that names it is used, so the offline
engines (torch, OpenCV) and LangChain load only when asked for. Adding a model family is one engine module
plus one line in ENGINES; `register` does the same at run time (tests add made-up families with it).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Protocol

from lib.errors import InvalidInput

ENGINES: dict[str, str] = {
    "titan-image": "lib.engines.titan_image:TitanImageEngine",
    "stability-image": "lib.engines.stability_image:StabilityImageEngine",
    "nova-omni": "lib.engines.nova_omni:NovaOmniEngine",
    "opencv-eraser": "lib.engines.local_eraser:OpenCVEraserEngine",
    "converse": "lib.engines.converse:ConverseEngine",
    "local-vision": "lib.engines.local_vision:LocalVisionEngine",
    "titan-embed": "lib.engines.embeddings:TitanEmbedEngine",
    "nova-embed": "lib.engines.embeddings:NovaEmbedEngine",
    "local-embed": "lib.engines.local_embeddings:LocalEmbedEngine",
    "cohere-embed": "lib.engines.embeddings:CohereEmbedEngine",
    "marengo-embed": "lib.engines.embeddings:MarengoEmbedEngine",
}

_made: dict[str, Any] = {}
_lock = threading.Lock()


class _Row(Protocol):
    id: str
    engine: str


def register(key: str, engine: str | type | object) -> None:
    """Name an engine for `key`: "module:Class", a class (made once, without arguments) or a ready object."""
    with _lock:
        ENGINES[key] = engine  # type: ignore[assignment]
        _made.pop(key, None)


def _make(target: str | type | object) -> Any:
    if isinstance(target, str):
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)()
    return target() if isinstance(target, type) else target


def engine_named(key: str) -> Any:
    """The engine object for an engine key, made once per process and shared (engines hold no per-user state).

    Why the module is imported outside the lock: the first chat of a server imports LangChain (seconds on a
    busy machine); under one lock every other engine's lookup (lab 2's image calls) queued behind it, and a
    class's first answers all arrived together. Two threads may make the same engine at once: the first one
    kept wins, the other is dropped (engines are stateless).
    """
    made = _made.get(key)
    if made is not None:
        return made
    with _lock:
        target = ENGINES.get(key)
    if target is None:
        raise InvalidInput(f"No engine is registered as “{key}”.", "Name one of lib/engines/registry.py's "
                           "engines in the catalog row.")
    engine = _make(target)
    with _lock:
        if ENGINES.get(key) is not target:  # re-registered meanwhile (tests): the new one is made on next use
            return engine
        return _made.setdefault(key, engine)


def engine_modules() -> list[str]:
    """The modules of the registered engines named by string, for the background warm-up (lib/warmup.py):
    importing them at start keeps the first call of each family from paying for LangChain's import."""
    with _lock:
        return [target.partition(":")[0] for target in ENGINES.values() if isinstance(target, str)]


def engine_for(row: _Row) -> Any:
    """The engine that builds, calls and parses for this catalog row (image, chat or embedding model)."""
    return engine_named(row.engine)
