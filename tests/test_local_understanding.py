"""Lab 8's offline stand-in: OCR, faces and ImageNet tags on photos that ship in packages."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from lib.catalog import LOCAL_VISION_ID
from lib.chat import ChatImage, Turn
from lib.converse import answer, stream_answer
from lib.errors import ModelUnavailable
from lib.imaging import decode_image
from lib.local.understanding import answer as local_answer, missing_packages
from lib.samples import sample_bytes
from lib.vision import PRESETS

pytestmark = pytest.mark.skipif(bool(missing_packages()), reason="local engines not installed (WORKSHOP_CLOUD_ONLY=1)")


def sample(sample_id: str) -> Image.Image:
    return decode_image(sample_bytes(sample_id)).image


def rendered(text: str) -> Image.Image:
    img = Image.new("RGB", (900, 200), "white")
    ImageDraw.Draw(img).text((30, 60), text, fill="black", font=ImageFont.load_default(size=56))
    return img


def test_ocr_reads_back_a_rendered_sentence():
    assert local_answer("Transcribing text", rendered("Hello Offline World")).replace(" ", "") == "HelloOfflineWorld"
    assert local_answer("Transcribing text", sample("chelsea")) == "No text found in this image."


@pytest.mark.slow  # a quality measurement of the offline engine
@pytest.mark.parametrize(("sample_id", "category"), [("astronaut", "People"), ("grace_hopper", "People"),
                                                     ("coffee", "Food"), ("chelsea", "Other"), ("rocket", "Other")])
def test_people_food_other(sample_id, category):
    assert local_answer("Image classification", sample(sample_id)) == category


def test_primary_object_and_item_list_come_from_imagenet_labels():
    subject = local_answer("Subject identification", sample("chelsea"))
    assert subject.startswith("<object>") and subject.endswith("</object>") and "cat" in subject
    items = local_answer("Object recognition", sample("coffee")).split(", ")
    assert any(word in " ".join(items) for word in ("espresso", "cup", "coffee"))


def test_caption_is_marked_as_a_template():
    caption = local_answer("Image caption", sample("astronaut"))
    assert caption.startswith("A photo of a person") and "closest object label" in caption and "template" in caption
    assert local_answer("Image caption", sample("chelsea")).startswith("A photo of a ")


@pytest.mark.parametrize("preset", ["Writing a story", "Answering questions", "Translating text", None])
def test_what_needs_a_language_model_is_refused_with_the_fix(preset):
    with pytest.raises(ModelUnavailable) as info:
        local_answer(preset or "", sample("astronaut"))
    assert info.value.reason == "needs_language_model" and "Bedrock" in info.value.hint


def test_the_same_calls_as_bedrock_models_reach_it():
    buf = io.BytesIO()
    sample("coffee").save(buf, "PNG")
    turn = Turn("user", PRESETS["Image classification"], (ChatImage(buf.getvalue(), "png", "coffee"),))
    result, chunks = stream_answer(LOCAL_VISION_ID, [turn])
    assert "".join(chunks) == "Food" and result.region == "local" and result.cost_usd == 0
    assert answer(LOCAL_VISION_ID, [turn]).text == "Food"
