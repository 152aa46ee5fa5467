"""The offline stand-in for lab 8's presets: OCR, faces and ImageNet tags on this machine (lib/local)."""

from __future__ import annotations

import time
from typing import Iterator

from lib.catalog import ChatModel
from lib.chat import ChatAnswer, Turn
from lib.errors import BackendUnavailable, InvalidInput
from lib.i18n import _
from lib.settings import Settings


class LocalVisionEngine:
    """Same answer record and chunks as a Bedrock answer; one chunk, since nothing streams."""

    def start(self, model: ChatModel, history: list[Turn], settings: Settings) -> tuple[ChatAnswer, str | None]:
        return ChatAnswer(model=model, region="local"), None

    def stream(self, model: ChatModel, history: list[Turn], answer: ChatAnswer,
               settings: Settings) -> Iterator[str]:
        from lib.imaging import THE_IMAGE, decode_image
        from lib.local.understanding import answer as local_answer, missing_packages, preset_for

        missing = missing_packages()
        if missing:
            raise BackendUnavailable(_("The local engine is not installed."),
                                     _("Install requirements-local.txt (run `bash scripts/run_app.sh` without "
                                       "WORKSHOP_CLOUD_ONLY=1): missing {packages}.").format(
                                         packages=", ".join(missing)))
        turn = history[-1]
        if not turn.images:
            raise InvalidInput(_("The local engine needs an image to look at."), _("Choose an image."))
        started = time.perf_counter()
        image = decode_image(turn.images[0].data, name=THE_IMAGE).image
        answer.text = local_answer(preset_for(turn.text) or "", image)
        answer.latency_s = time.perf_counter() - started
        yield answer.text

    def complete(self, model: ChatModel, history: list[Turn], answer: ChatAnswer, settings: Settings) -> None:
        for _chunk in self.stream(model, history, answer, settings):
            pass
