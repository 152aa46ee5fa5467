"""A new model family is one engine module plus one registry line (issue 15).

The made-up "checkerboard" family below never existed in the app: registering its engine and adding its
catalog row is all it takes for the image service to validate, call and record it, and for lab 2's page to
offer and run it — no branch anywhere else learns its name.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import lib.catalog as catalog
import lib.services.images as service
from lib.catalog import ImagePrice, ImageSpec, Lifecycle, ModelInfo, Status, Task
from lib.engines import registry
from lib.engines.image_base import CallTarget, ImageEngine, Produced, fan_out
from lib.errors import InvalidInput
from lib.generation.requests import GenerationRequest, ImageRequest
from lib.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


class CheckerboardEngine(ImageEngine):
    """Draws an 8×8 checkerboard whose colours come from the seed: one image per call, like Stability."""

    one_image_per_call = True
    count_help = "One checkerboard per call."

    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        return {"text": req.prompt, "seed": seed, "squares": 8}

    def produce(self, req: ImageRequest, model: ModelInfo, seed: int, target: CallTarget,
                settings: Settings) -> Produced:
        seeds = self.seeds(model, seed, req.count)
        return fan_out(model, [self.body(req, model, s) for s in seeds], self._draw, seeds)

    @staticmethod
    def _draw(body: dict[str, Any]) -> tuple[bytes, int]:
        rng = np.random.default_rng(body["seed"])
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        cells = (np.indices((8, 8)).sum(axis=0) % 2)[..., None]
        pixels = np.where(cells == 1, a, b).astype(np.uint8).repeat(16, axis=0).repeat(16, axis=1)
        buf = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buf, "PNG")
        return buf.getvalue(), body["seed"]


ROW = ModelInfo(id="made-up.checkerboard-v1", label="Made-up Checkerboard", provider="Tests", engine="made-up",
                tasks=frozenset({Task.TEXT_TO_IMAGE}), regions=("us-east-1",), lifecycle=Lifecycle(Status.ACTIVE),
                price=ImagePrice(standard=0.01),
                image=ImageSpec(prompt_max_chars=40, negative_max_chars=40, seed_max=1000, max_images_per_call=1,
                                aspect_ratios=("1:1",)))


@pytest.fixture
def made_up_family(monkeypatch):
    monkeypatch.setitem(registry.ENGINES, "made-up", CheckerboardEngine)  # the one registry line
    monkeypatch.setattr(catalog, "MODELS", catalog.MODELS + (ROW,))  # and its catalog row
    monkeypatch.setitem(catalog._BY_ID, ROW.id, ROW)
    registry._made.pop("made-up", None)
    yield
    registry._made.pop("made-up", None)


def test_the_service_validates_calls_and_prices_a_new_family(made_up_family):
    result = service.generate(GenerationRequest(model_id=ROW.id, prompt="a board", count=2, seed=7))
    assert [img.seed for img in result.images] == [7, 8]
    assert [(img.width, img.height) for img in result.images] == [(128, 128), (128, 128)]
    assert result.request_body == {"text": "a board", "seed": 7, "squares": 8}
    assert result.cost_usd == pytest.approx(0.02)
    assert result.images[0].data != result.images[1].data  # each seed its own colours
    with pytest.raises(InvalidInput, match="at most 40"):
        service.generate(GenerationRequest(model_id=ROW.id, prompt="x" * 41))


def test_lab_2_offers_and_runs_the_new_family(made_up_family, aws_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/2_image_generation.py").run()
    assert ROW.label in at.selectbox(key="lab2_model").options
    at.selectbox(key="lab2_model").set_value(ROW.id).run()
    at.text_area(key="lab2_prompt").input("a board").run()
    at.button(key="lab2_go").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    captions = [c for img in at.image for c in img.captions]
    assert any("Made-up Checkerboard" in c for c in captions)
    assert aws_env.calls == []  # nothing reached Bedrock: the made-up engine drew it


def test_an_unknown_engine_key_is_a_clear_error():
    with pytest.raises(InvalidInput, match="No engine is registered"):
        registry.engine_named("no-such-engine")


def test_every_catalog_row_has_a_registered_engine():
    rows = [*catalog.MODELS, *catalog.CHAT_MODELS, *catalog.EMBEDDING_MODELS]
    assert sorted({row.engine for row in rows} - set(registry.ENGINES)) == []


def test_one_engine_being_made_does_not_hold_up_the_others(monkeypatch):
    """The first chat imports LangChain (seconds under load): lab 2's engine lookups must not queue behind it."""
    import threading

    started, release = threading.Event(), threading.Event()

    class Slow:
        def __init__(self) -> None:
            started.set()
            release.wait(10)

    monkeypatch.setitem(registry.ENGINES, "slow-family", Slow)
    monkeypatch.setitem(registry.ENGINES, "quick-family", CheckerboardEngine)
    for key in ("slow-family", "quick-family"):
        monkeypatch.delitem(registry._made, key, raising=False)
    made: dict[str, Any] = {}
    slow = threading.Thread(target=lambda: made.setdefault("slow", registry.engine_named("slow-family")))
    slow.start()
    try:
        assert started.wait(5)
        quick = threading.Thread(target=lambda: made.setdefault("quick", registry.engine_named("quick-family")))
        quick.start()
        quick.join(5)
        assert isinstance(made.get("quick"), CheckerboardEngine), "a lookup waited for another engine's import"
        assert "slow" not in made
    finally:
        release.set()
        slow.join(5)
    assert registry.engine_named("slow-family") is made["slow"]  # made once, then shared


def test_the_background_warm_up_imports_every_engine_module(monkeypatch):
    """LangChain (lab 8/9's chat engine) loads at start, not in the first attendee's chat."""
    import lib.ui.engines as background

    asked: dict[str, Any] = {}
    monkeypatch.setattr(background, "preload_pages", lambda pages, extra=(): asked.update(extra=tuple(extra)))
    monkeypatch.setattr(background, "engines", lambda: pytest.fail("offline engines started while online"))
    background.start_background_work(offline=False)
    modules = {target.partition(":")[0] for target in registry.ENGINES.values() if isinstance(target, str)}
    assert "lib.engines.converse" in modules
    assert modules <= set(asked["extra"])
