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
    """The engine object for an engine key, made once per process and shared (engines hold no per-user state)."""
    with _lock:
        if key not in _made:
            if key not in ENGINES:
                raise InvalidInput(f"No engine is registered as “{key}”.", "Name one of lib/engines/registry.py's "
                                   "engines in the catalog row.")
            _made[key] = _make(ENGINES[key])
        return _made[key]


def engine_for(row: _Row) -> Any:
    """The engine that builds, calls and parses for this catalog row (image, chat or embedding model)."""
    return engine_named(row.engine)
