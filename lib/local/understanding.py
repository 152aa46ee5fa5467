"""Lab 8 without Bedrock: the presets an offline engine can honestly answer, and a clear "no" for the rest.

What answers what (../shared/reference/offline-engines.md):
- Transcribing text: RapidOCR (PP-OCRv4 weights inside the wheel).
- Image classification (People / Food / Other): faces from OpenCV's bundled Haar cascade, then
  ImageNet's food classes among the top labels.
- Object recognition, subject identification: EfficientNet-Lite0's top ImageNet labels.
- Caption, detailed description: a template filled from labels, faces and OCR text, and marked as one.
- Story, emotion, translation and free questions need a language model: refused with the fix.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from lib.errors import ModelUnavailable
from lib.catalog import LOCAL_VISION_ID
from lib.local.availability import missing_for
from lib.local.tags import Tag, imagenet_labels, tag_engine
from lib.vision import PRESETS

FOOD_CLASSES = frozenset(range(924, 968)) | {969}  # guacamole … espresso, eggnog (968 "cup" is not food)
TEMPLATE_NOTE = "(a template filled from what the local engine detected, not written by a language model)"
LOCAL_PRESETS = ("Image caption", "Detailed description", "Image classification", "Object recognition",
                 "Subject identification", "Transcribing text")


def missing_packages() -> list[str]:
    """Pip names of what lab 8's local engine needs and is not installed."""
    return missing_for(LOCAL_VISION_ID)


@dataclass(frozen=True)
class Findings:
    """What the offline engines found in one image."""

    tags: list[Tag]
    faces: int
    text_lines: list[str]

    @property
    def is_food(self) -> bool:
        labels = imagenet_labels()
        return any(labels.index(t.label) in FOOD_CLASSES for t in self.tags[:3] if t.probability >= 0.05)


_ocr = None
_ocr_lock = threading.Lock()


def ocr_engine():
    """The shared RapidOCR engine, loaded once (lib/warmup.py loads it in the background at start)."""
    global _ocr
    from rapidocr_onnxruntime import RapidOCR

    with _ocr_lock:
        if _ocr is None:
            _ocr = RapidOCR()
        return _ocr


def read_text(image: Image.Image) -> list[str]:
    """Lines of text in the image, top to bottom (RapidOCR)."""
    engine = ocr_engine()
    with _ocr_lock:
        result, _ = engine(np.asarray(image.convert("RGB"))[:, :, ::-1])  # RapidOCR reads BGR arrays
    return [line[1] for line in result or [] if line[1].strip()]


def count_faces(image: Image.Image) -> int:
    """Frontal faces found by OpenCV's Haar cascade (ships inside the opencv wheel)."""
    import cv2

    grey = np.asarray(image.convert("L"))
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    min_side = max(24, min(grey.shape) // 12)
    return len(cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side)))


def examine(image: Image.Image) -> Findings:
    return Findings(tag_engine().tags(image), count_faces(image), read_text(image))


def _name(tag: Tag) -> str:
    return tag.label.split(",")[0]


def _labels_phrase(tags: list[Tag], n: int) -> str:
    return ", ".join(f"{_name(t)} ({t.probability:.0%})" for t in tags[:n])


def answer(preset: str, image: Image.Image) -> str:
    """The local engine's answer to one of lab 8's presets; ModelUnavailable for what needs a language model."""
    if preset not in LOCAL_PRESETS:
        raise ModelUnavailable(
            "The local engine has no language model, so it can't "
            + ("answer free questions." if preset not in PRESETS else f"do “{preset}”."),
            "Pick a Bedrock vision model for this prompt, or one of the presets the local engine answers: "
            + ", ".join(LOCAL_PRESETS) + ".", reason="needs_language_model")
    if preset == "Transcribing text":
        lines = read_text(image)
        return "\n".join(lines) if lines else "No text found in this image."
    findings = examine(image)
    top = findings.tags[0]
    if preset == "Image classification":
        return "People" if findings.faces else "Food" if findings.is_food else "Other"
    if preset == "Subject identification":
        return f"<object>{_name(top)}</object>"
    if preset == "Object recognition":
        items = [_name(t) for t in findings.tags if t.probability >= 0.05] or [_name(top)]
        if findings.faces:
            items.insert(0, "person" if findings.faces == 1 else f"{findings.faces} people")
        return ", ".join(dict.fromkeys(items))
    text = f'; the text reads “{" ".join(findings.text_lines)[:120]}”' if findings.text_lines else ""
    if preset == "Image caption":
        if findings.faces:  # ImageNet has no "person" class, so its label is about what the people wear or hold
            who = "a person" if findings.faces == 1 else f"{findings.faces} people"
            return (f"A photo of {who}{text}; the closest object label is “{_name(top)}” "
                    f"({top.probability:.0%}). {TEMPLATE_NOTE}")
        return f"A photo of a {_name(top)}{text}. {TEMPLATE_NOTE}"
    return (f"Most likely subject: {_name(top)}. Other likely labels: {_labels_phrase(findings.tags[1:], 4)}. "
            f"Faces found: {findings.faces}. Text found: {len(findings.text_lines)} line(s){text}. {TEMPLATE_NOTE}")


def preset_for(prompt: str) -> str | None:
    """Which preset a prompt is (the page sends the preset's exact words), or None for free text."""
    return next((name for name, words in PRESETS.items() if words.strip() == prompt.strip()), None)
