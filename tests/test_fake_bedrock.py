"""Proves the fake Bedrock endpoint behaves like Bedrock for a real boto3 client."""

from __future__ import annotations

import base64
import io
import json
import math
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from PIL import Image

from fake_bedrock import (
    FILTER_INPUT_MESSAGE,
    FILTER_OUTPUT_MESSAGE,
    MARENGO_ASYNC_MESSAGE,
    OMNI_STREAM_MESSAGE,
    NEEDS_PROFILE_TEMPLATE,
    REQUEST_FAILURES,
    STABILITY_SIZES,
    MAX_IMAGE_BASE64,
    ROLES_MESSAGE,
    STREAM_ERROR_MESSAGE,
    TITAN_PIXELS_MESSAGE,
    FakeBedrock,
    background_subject_mask,
    cohere_image_tokens,
    count_embedding_tokens,
    creative_tint,
    decode_event_stream,
    encode_event_message,
    edit_fill_colour,
    encode_image,
    fake_embedding,
    mask_prompt_region,
    omni_output_size,
    render_derived,
    render_generated,
    transfer_style,
    upscaled_size,
)

TITAN_V2 = "amazon.titan-image-generator-v2:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
ULTRA = "stability.stable-image-ultra-v1:1"
# The Stability Image Services are INFERENCE_PROFILE only, so tests call their us. profiles.
INPAINT = "us.stability.stable-image-inpaint-v1:0"
ERASE = "us.stability.stable-image-erase-object-v1:0"
SEARCH_REPLACE = "us.stability.stable-image-search-replace-v1:0"
REMOVE_BACKGROUND = "us.stability.stable-image-remove-background-v1:0"
OUTPAINT = "us.stability.stable-outpaint-v1:0"
SERVICES = (INPAINT, ERASE, SEARCH_REPLACE, REMOVE_BACKGROUND, OUTPAINT)
# botocore's "max_attempts" counts *retries*; "total_max_attempts" counts the first try too.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBedrock]:
    with FakeBedrock() as server:
        yield server


@pytest.fixture(autouse=True)
def clean_fake(fake: FakeBedrock) -> None:
    fake.reset()
    fake.latency_s = 0.0
    fake.stream_delay_s = 0.0


@pytest.fixture(scope="module")
def client(fake: FakeBedrock) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=fake.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=NO_RETRIES,
    )


def invoke(client: Any, model_id: str, body: dict) -> dict:
    response = client.invoke_model(
        modelId=model_id, body=json.dumps(body), contentType="application/json", accept="application/json"
    )
    assert response["contentType"] == "application/json"
    return json.loads(response["body"].read())


def invoke_error(client: Any, model_id: str, body: dict) -> dict:
    """The parsed botocore error of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        invoke(client, model_id, body)
    return caught.value.response


def decode(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def encode(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def half_black_half_white(width: int = 300, height: int = 200) -> Image.Image:
    image = Image.new("RGB", (width, height), "black")
    image.paste("white", (width // 2, 0, width, height))
    return image


def titan_text(text: str = "a lighthouse at dusk", **config: Any) -> dict:
    body: dict = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": text}}
    if config:
        body["imageGenerationConfig"] = config
    return body


def control(fake: FakeBedrock, method: str, action: str, payload: dict | None = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{fake.url}/_fake/{action}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


# -- Titan / Nova -------------------------------------------------------------


def test_titan_text_image_returns_requested_pngs(client: Any) -> None:
    result = invoke(client, TITAN_V2, titan_text(numberOfImages=3, width=1152, height=640, seed=7))
    assert result["error"] is None
    images = [decode(b64) for b64 in result["images"]]
    assert len(images) == 3
    assert all(image.format == "PNG" and image.size == (1152, 640) for image in images)
    assert len({image.tobytes() for image in images}) == 3, "each index must differ"


def test_titan_defaults_and_determinism(client: Any) -> None:
    first = invoke(client, TITAN_V1, titan_text())
    again = invoke(client, TITAN_V1, titan_text())
    other_seed = invoke(client, TITAN_V1, titan_text(seed=43))
    assert len(first["images"]) == 1
    assert decode(first["images"][0]).size == (1024, 1024)
    assert first["images"] == again["images"]
    assert first["images"] != other_seed["images"]


def test_titan_rejects_unsupported_size(client: Any) -> None:
    error = invoke_error(client, TITAN_V2, titan_text(width=1000, height=1000))["Error"]
    assert error["Code"] == "ValidationException"
    assert "width 1000 x height 1000" in error["Message"]


@pytest.mark.parametrize("size", [(320, 320), (2048, 1024), (4096, 1024), (1024, 4096), (2048, 2048)])
def test_nova_accepts_valid_sizes(client: Any, size: tuple[int, int]) -> None:
    result = invoke(client, NOVA, titan_text(width=size[0], height=size[1]))
    assert decode(result["images"][0]).size == size


@pytest.mark.parametrize(
    ("size", "fragment"),
    [
        ((1000, 1024), "width: 1000 is not a multiple of 16"),
        ((1024, 304), "height: 304 is not greater or equal to 320"),
        ((4112, 1024), "width: 4112 is not less or equal to 4096"),
        ((4096, 2048), "exceeds the maximum of 4194304"),
        ((4096, 960), "outside 1:4 to 4:1"),
    ],
)
def test_nova_rejects_invalid_sizes(client: Any, size: tuple[int, int], fragment: str) -> None:
    error = invoke_error(client, NOVA, titan_text(width=size[0], height=size[1]))["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]


def test_titan_text_length_limits(client: Any) -> None:
    error = invoke_error(client, TITAN_V2, titan_text("x" * 536))["Error"]
    assert error == {
        "Code": "ValidationException",
        "Message": "Malformed input request: #/textToImageParams/text: expected maxLength: 512, "
        "actual: 536, please reformat your input and try again.",
    }
    assert invoke(client, NOVA, titan_text("x" * 1024))["images"]
    too_long = invoke_error(client, NOVA, titan_text("x" * 1025))["Error"]["Message"]
    assert "expected maxLength: 1024, actual: 1025" in too_long
    empty_negative = titan_text()
    empty_negative["textToImageParams"]["negativeText"] = ""
    assert "minLength" in invoke_error(client, TITAN_V2, empty_negative)["Error"]["Message"]


@pytest.mark.parametrize(
    ("model_id", "config", "fragment"),
    [
        (TITAN_V2, {"numberOfImages": 6}, "numberOfImages: 6 is not less or equal to 5"),
        (TITAN_V2, {"cfgScale": 11}, "cfgScale: 11 is not less or equal to 10.0"),
        (TITAN_V2, {"cfgScale": 1.0}, "cfgScale: 1.0 is not greater or equal to 1.1"),
        (TITAN_V2, {"seed": 2147483647}, "seed: 2147483647 is not less or equal to 2147483646"),
        (NOVA, {"seed": 858993460}, "seed: 858993460 is not less or equal to 858993459"),
        (TITAN_V2, {"width": "1024"}, "width: expected type: Integer, found: String"),
        (TITAN_V2, {"quality": "ultra"}, "quality: ultra is not a valid enum value"),
    ],
)
def test_titan_config_validation(client: Any, model_id: str, config: dict, fragment: str) -> None:
    error = invoke_error(client, model_id, titan_text(**config))["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]


def test_titan_body_structure_errors(client: Any) -> None:
    missing = invoke_error(client, TITAN_V2, {"taskType": "TEXT_IMAGE"})["Error"]["Message"]
    assert "required key [textToImageParams] not found" in missing
    unsupported = invoke_error(client, NOVA, {"taskType": "SKETCH_TO_IMAGE", "sketchParams": {}})["Error"]
    assert unsupported == {
        "Code": "ValidationException",
        "Message": "Malformed input request: unsupported taskType SKETCH_TO_IMAGE",
    }


def test_image_variation_derives_from_first_input(client: Any) -> None:
    body = {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {
            "images": [encode(half_black_half_white(), "JPEG"), encode(Image.new("RGB", (64, 64), "red"))],
            "text": "same scene",
            "similarityStrength": 0.8,
        },
        "imageGenerationConfig": {"numberOfImages": 2, "width": 768, "height": 768},
    }
    result = invoke(client, TITAN_V2, body)
    images = [decode(b64).convert("L") for b64 in result["images"]]
    assert [image.size for image in images] == [(768, 768)] * 2
    for image in images:  # brightness survives the hue shift; look below the caption
        assert image.getpixel((100, 700)) < 40
        assert image.getpixel((668, 700)) > 215


def test_image_variation_rejects_non_images(client: Any) -> None:
    not_an_image = base64.b64encode(b"definitely not a picture").decode()
    body = {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [not_an_image]}}
    error = invoke_error(client, NOVA, body)["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("Malformed input request: #/imageVariationParams/images/0")
    assert "image" in error["Message"]
    six_images = [encode(half_black_half_white())] * 6
    too_many = {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": six_images}}
    assert "maximum item count: 5" in invoke_error(client, NOVA, too_many)["Error"]["Message"]


# -- Stability ----------------------------------------------------------------


@pytest.mark.parametrize("aspect_ratio", sorted(STABILITY_SIZES))
def test_stability_aspect_ratio_sets_size(client: Any, aspect_ratio: str) -> None:
    result = invoke(client, CORE, {"prompt": "a fox", "aspect_ratio": aspect_ratio, "seed": 5})
    assert result["seeds"] == [5] and result["finish_reasons"] == [None]
    assert decode(result["images"][0]).size == STABILITY_SIZES[aspect_ratio]


@pytest.mark.parametrize(
    ("output_format", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("jpeg", b"\xff\xd8\xff"), ("webp", b"RIFF")]
)
def test_stability_output_format_is_real(client: Any, output_format: str, magic: bytes) -> None:
    result = invoke(client, ULTRA, {"prompt": "a fox", "output_format": output_format})
    raw = base64.b64decode(result["images"][0])
    assert raw.startswith(magic)
    assert Image.open(io.BytesIO(raw)).format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[output_format]


def test_stability_seed_zero_picks_and_echoes_a_seed(client: Any) -> None:
    seed = invoke(client, SD35, {"prompt": "a fox", "seed": 0})["seeds"][0]
    assert 0 < seed <= 4294967294


def test_stock_images_are_one_picture_with_unique_bytes(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """--stock-images (the class bench): the picture is drawn once per size; every answer is still its own
    file (a text chunk names the prompt and seed) of the size the request asks for."""
    import fake_bedrock

    monkeypatch.setattr(fake_bedrock, "STOCK_IMAGES", True)
    drawn: list[tuple[int, int]] = []
    real_render = fake_bedrock.render_generated

    def render(width: int, height: int, *rest: Any) -> Image.Image:
        drawn.append((width, height))
        return real_render(width, height, *rest)

    monkeypatch.setattr(fake_bedrock, "render_generated", render)
    fake_bedrock._stock.clear()
    first = invoke(client, CORE, {"prompt": "a fox", "seed": 5})["images"][0]
    second = invoke(client, CORE, {"prompt": "a fox", "seed": 5})["images"][0]
    wide = invoke(client, CORE, {"prompt": "a fox", "aspect_ratio": "16:9"})["images"][0]
    titan = invoke(client, TITAN_V2, titan_text("a lighthouse", numberOfImages=2, width=1024, height=1024))["images"]
    assert drawn == [(1024, 1024), STABILITY_SIZES["16:9"]]  # one drawing per size, reused by every call
    assert len({first, second, *titan}) == 4  # unique bytes: the app decodes and stores each one
    pictures = [decode(b) for b in (first, second, *titan)]
    assert all(np.array_equal(np.asarray(pictures[0]), np.asarray(p)) for p in pictures[1:])
    assert "a fox | seed 5" in pictures[0].info["Comment"]
    assert decode(wide).size == STABILITY_SIZES["16:9"]
    fake_bedrock._stock.clear()


@pytest.mark.parametrize(
    ("model_id", "body", "fragment"),
    [
        (CORE, {"prompt": "a fox", "cfg_scale": 7}, "#: extraneous key [cfg_scale] is not permitted"),
        (CORE, {"prompt": "a fox", "image": "abc"}, "extraneous key [image]"),
        (ULTRA, {"negative_prompt": "blur"}, "#: required key [prompt] not found"),
        (SD35, {"prompt": ""}, "#/prompt: expected minLength: 1, actual: 0"),
        (SD35, {"prompt": "x" * 10001}, "#/prompt: expected maxLength: 10000, actual: 10001"),
        (SD35, {"prompt": "a fox", "aspect_ratio": "4:3"}, "#/aspect_ratio: 4:3 is not a valid enum value"),
        (SD35, {"prompt": "a fox", "seed": 4294967295}, "is not less or equal to 4294967294"),
        (SD35, {"prompt": "a fox", "output_format": "gif"}, "#/output_format: gif is not a valid enum value"),
        (CORE, {"prompt": "a fox", "mode": "image-to-image"}, "#/mode: image-to-image is not a valid enum"),
        (SD35, {"prompt": "a fox", "mode": "image-to-image", "strength": 0.5}, "required key [image]"),
    ],
)
def test_stability_validation(client: Any, model_id: str, body: dict, fragment: str) -> None:
    error = invoke_error(client, model_id, body)["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]


def test_sd35_image_to_image_keeps_aspect_and_derives_from_input(client: Any) -> None:
    body = {
        "prompt": "make it snow",
        "mode": "image-to-image",
        "image": encode(half_black_half_white(1600, 900)),
        "strength": 0.6,
        "seed": 9,
    }
    result = invoke(client, SD35, body)
    image = decode(result["images"][0])
    assert result["seeds"] == [9]
    assert image.size == (1344, 768)  # 16:9 at about 1 MP
    gray = image.convert("L")
    assert gray.getpixel((100, 700)) < 40 and gray.getpixel((1244, 700)) > 215
    missing_strength = {key: value for key, value in body.items() if key != "strength"}
    assert "required key [strength]" in invoke_error(client, SD35, missing_strength)["Error"]["Message"]


# -- Image editing: helpers ------------------------------------------------------

EDIT_SIZE = (200, 160)
RECT = (40, 30, 100, 90)  # x0, y0, x1, y1, end-exclusive
DROP = object()  # a service_body override that removes the key


def grey_scene(width: int = EDIT_SIZE[0], height: int = EDIT_SIZE[1]) -> Image.Image:
    """Varied grey pixels (r == g == b): a saturated repaint can never leave one unchanged."""
    ys, xs = np.mgrid[:height, :width]
    grey = ((xs * 3 + ys * 5) % 256).astype(np.uint8)
    return Image.fromarray(np.stack([grey] * 3, axis=-1), "RGB")


def box_area(box: tuple[int, int, int, int], size: tuple[int, int] = EDIT_SIZE) -> np.ndarray:
    x0, y0, x1, y1 = box
    area = np.zeros((size[1], size[0]), dtype=bool)
    area[y0:y1, x0:x1] = True
    return area


def grown(box: tuple[int, int, int, int], by: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return max(0, x0 - by), max(0, y0 - by), x1 + by, y1 + by


def mask_image(
    box: tuple[int, int, int, int],
    inside: Any,
    outside: Any,
    size: tuple[int, int] = EDIT_SIZE,
    mode: str = "RGB",
) -> Image.Image:
    mask = Image.new(mode, size, outside)
    mask.paste(inside, box)
    return mask


def black_rect(size: tuple[int, int] = EDIT_SIZE, inside: Any = "black") -> str:
    """A Titan/Nova maskImage (base64 PNG) whose inside is RECT."""
    return encode(mask_image(RECT, inside, "white", size=size))


def rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def assert_repainted(result: Image.Image, source: Image.Image, area: np.ndarray, colour: Any = None) -> None:
    """Pixels outside ``area`` are byte-identical to the source; every pixel inside changed."""
    out, src = rgb(result), rgb(source)
    assert out.shape == src.shape
    assert np.array_equal(out[~area], src[~area]), "pixels outside the repainted area must be unchanged"
    assert (out[area] != src[area]).any(axis=-1).all(), "every pixel of the repainted area must change"
    if colour is not None:
        assert (out[area] == colour).all()


def titan_edit(task: str, image_b64: str, text: str | None = None, **params: Any) -> dict:
    key = "inPaintingParams" if task == "INPAINTING" else "outPaintingParams"
    body_params = {"image": image_b64, **params}
    if text is not None:
        body_params["text"] = text
    return {"taskType": task, key: body_params}


def service_body(model_id: str, **overrides: Any) -> dict:
    """A valid body for a Stability Image Service (masks select RECT), then ``overrides``."""
    body: dict = {"image": encode(grey_scene()), "seed": 7}
    white_rect = encode(mask_image(RECT, "white", "black", mode="L"))
    if model_id == INPAINT:
        body |= {"prompt": "a red ball", "mask": white_rect, "grow_mask": 0}
    elif model_id == ERASE:
        body |= {"mask": white_rect, "grow_mask": 0}
    elif model_id == SEARCH_REPLACE:
        body |= {"prompt": "a cat", "search_prompt": "the dog", "grow_mask": 0}
    elif model_id == REMOVE_BACKGROUND:
        del body["seed"]
    elif model_id == OUTPAINT:
        body |= {"left": 10, "prompt": "more beach"}
    body |= overrides
    return {key: value for key, value in body.items() if value is not DROP}


# -- Image editing: Titan / Nova --------------------------------------------------


@pytest.mark.parametrize("model_id", [TITAN_V1, TITAN_V2, NOVA])
def test_titan_inpainting_repaints_only_the_black_area(client: Any, model_id: str) -> None:
    source = grey_scene()
    body = titan_edit("INPAINTING", encode(source), "a red ball", maskImage=black_rect())
    body["imageGenerationConfig"] = {"numberOfImages": 2, "seed": 11, "width": 1024, "height": 1024}
    result = invoke(client, model_id, body)
    assert result["error"] is None
    images = [decode(b64) for b64 in result["images"]]
    assert [image.size for image in images] == [EDIT_SIZE] * 2, "edits answer at the input size"
    for index, image in enumerate(images):
        assert image.format == "PNG"
        assert_repainted(image, source, box_area(RECT), edit_fill_colour("a red ball", 11, index))
    assert images[0].tobytes() != images[1].tobytes()


def test_titan_mask_threshold_and_optional_text(client: Any) -> None:
    """Titan treats luminance < 128 as inside and converts an alpha mask; text may be left out."""
    mask = Image.new("RGBA", EDIT_SIZE, (200, 200, 200, 0))
    mask.paste((100, 100, 100, 255), (0, 0, 100, 160))
    result = invoke(client, TITAN_V2, titan_edit("INPAINTING", encode(grey_scene()), maskImage=encode(mask)))
    left_half = box_area((0, 0, 100, 160))
    assert_repainted(decode(result["images"][0]), grey_scene(), left_half, edit_fill_colour(None, 42))


def test_mask_prompt_selects_the_middle_half(client: Any) -> None:
    assert mask_prompt_region(200, 160) == (50, 40, 150, 120)
    assert mask_prompt_region(201, 99) == (50, 24, 150, 74)
    jpeg = encode(grey_scene(), "JPEG")
    result = invoke(client, NOVA, titan_edit("INPAINTING", jpeg, "a cat", maskPrompt="the dog"))
    assert_repainted(decode(result["images"][0]), decode(jpeg), box_area((50, 40, 150, 120)))


@pytest.mark.parametrize(
    ("mode", "kept"),
    [("PRECISE", RECT), ("DEFAULT", (42, 32, 98, 88)), (None, (42, 32, 98, 88))],
)
def test_outpainting_keeps_the_masked_object(client: Any, mode: str | None, kept: tuple) -> None:
    """Outpainting repaints outside the black area; DEFAULT also blends a 2-pixel band inside its edge."""
    source = grey_scene()
    params: dict = {"maskImage": black_rect()}
    if mode:
        params["outPaintingMode"] = mode
    result = invoke(client, NOVA, titan_edit("OUTPAINTING", encode(source), "a beach", **params))
    assert_repainted(decode(result["images"][0]), source, ~box_area(kept), edit_fill_colour("a beach", 42))


def test_outpainting_by_mask_prompt_and_its_required_text(client: Any) -> None:
    source = grey_scene()
    body = titan_edit("OUTPAINTING", encode(source), "a beach", maskPrompt="dog", outPaintingMode="PRECISE")
    result = invoke(client, TITAN_V2, body)
    assert_repainted(decode(result["images"][0]), source, ~box_area(mask_prompt_region(*EDIT_SIZE)))
    no_text = titan_edit("OUTPAINTING", encode(source), maskPrompt="the dog")
    assert invoke_error(client, TITAN_V2, no_text)["Error"] == {
        "Code": "ValidationException",
        "Message": "Malformed input request: #/outPaintingParams: required key [text] not found, "
        "please reformat your input and try again.",
    }


def _transparent_mask() -> Image.Image:
    mask = mask_image(RECT, (0, 0, 0, 255), (255, 255, 255, 255), mode="RGBA")
    mask.putpixel((0, 0), (255, 255, 255, 0))
    return mask


@pytest.mark.parametrize(
    ("model_id", "make_params", "fragment"),
    [
        (
            TITAN_V2,
            lambda: {"maskPrompt": "dog", "maskImage": black_rect()},
            "#/inPaintingParams: exactly one of [maskImage, maskPrompt] is required, found both",
        ),
        (NOVA, dict, "#/inPaintingParams: exactly one of [maskImage, maskPrompt] is required, found neither"),
        (
            TITAN_V2,
            lambda: {"maskImage": black_rect(size=(100, 80))},
            "#/inPaintingParams/maskImage: maskImage size 100x80 does not match image size 200x160",
        ),
        (
            NOVA,
            lambda: {"maskImage": black_rect(inside=(1, 1, 1))},
            "maskImage must contain only pure black (0,0,0) and pure white (255,255,255) pixels",
        ),
        (NOVA, lambda: {"maskImage": encode(_transparent_mask())}, "must not contain transparent pixels"),
        (
            NOVA,
            lambda: {"maskImage": base64.b64encode(b"nope").decode()},
            "#/inPaintingParams/maskImage: the provided image is not a valid PNG or JPEG image",
        ),
        (TITAN_V2, lambda: {"maskPrompt": ""}, "#/inPaintingParams/maskPrompt: expected minLength: 1"),
    ],
    ids=["both", "neither", "size", "nova-grey", "nova-alpha", "not-an-image", "empty-prompt"],
)
def test_titan_mask_validation(client: Any, model_id: str, make_params: Any, fragment: str) -> None:
    body = titan_edit("INPAINTING", encode(grey_scene()), "x", **make_params())
    error = invoke_error(client, model_id, body)["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("Malformed input request: ")
    assert fragment in error["Message"]


def test_titan_accepts_grey_masks_that_nova_rejects(client: Any) -> None:
    body = titan_edit("INPAINTING", encode(grey_scene()), "x", maskImage=black_rect(inside=(1, 1, 1)))
    assert_repainted(decode(invoke(client, TITAN_V1, body)["images"][0]), grey_scene(), box_area(RECT))
    bad_mode = titan_edit("OUTPAINTING", encode(grey_scene()), "x", maskPrompt="dog", outPaintingMode="LOOSE")
    message = invoke_error(client, NOVA, bad_mode)["Error"]["Message"]
    assert "#/outPaintingParams/outPaintingMode: LOOSE is not a valid enum value" in message


# -- Image editing: Stability Image Services ---------------------------------------


def test_mask_polarity_titan_black_vs_stability_white(client: Any) -> None:
    """The same black-rectangle mask selects opposite areas: Titan repaints black, Stability white."""
    source = grey_scene()
    mask = black_rect()
    titan = invoke(client, NOVA, titan_edit("INPAINTING", encode(source), "a red ball", maskImage=mask))
    stability = invoke(client, INPAINT, service_body(INPAINT, mask=mask))
    assert_repainted(decode(titan["images"][0]), source, box_area(RECT))
    colour = edit_fill_colour("a red ball", 7)
    assert_repainted(decode(stability["images"][0]), source, ~box_area(RECT), colour)
    assert stability["seeds"] == [7] and stability["finish_reasons"] == [None]


@pytest.mark.parametrize(("grow_mask", "by"), [(0, 0), (3, 3), (DROP, 5), (20, 20)])
@pytest.mark.parametrize("model_id", [INPAINT, ERASE])
def test_grow_mask_dilates_the_change_area(client: Any, model_id: str, grow_mask: Any, by: int) -> None:
    result = invoke(client, model_id, service_body(model_id, grow_mask=grow_mask))
    image = decode(result["images"][0])
    assert image.format == "PNG" and image.size == EDIT_SIZE
    prompt = "a red ball" if model_id == INPAINT else None
    assert_repainted(image, grey_scene(), box_area(grown(RECT, by)), edit_fill_colour(prompt, 7))


def test_stability_mask_threshold_and_resize(client: Any) -> None:
    """Luminance >= 128 changes; a half-size mask is scaled up (nearest) to the image."""
    mask = Image.new("L", (100, 80), 0)
    mask.paste(128, (10, 10, 30, 30))
    mask.paste(127, (50, 10, 70, 30))
    result = invoke(client, INPAINT, service_body(INPAINT, mask=encode(mask)))
    assert_repainted(decode(result["images"][0]), grey_scene(), box_area((20, 20, 60, 60)))


def test_stability_uses_the_alpha_channel_without_a_mask(client: Any) -> None:
    source = grey_scene().convert("RGBA")
    source.paste((0, 0, 0, 0), RECT)
    result = invoke(client, ERASE, service_body(ERASE, image=encode(source), mask=DROP))
    assert_repainted(decode(result["images"][0]), source, box_area(RECT), edit_fill_colour(None, 7))
    opaque = invoke_error(client, INPAINT, service_body(INPAINT, mask=DROP))["Error"]["Message"]
    assert "required key [mask] not found, and #/image has no alpha channel" in opaque


def test_search_replace_selects_the_grown_middle_half(client: Any) -> None:
    result = invoke(client, SEARCH_REPLACE, service_body(SEARCH_REPLACE, grow_mask=2))
    region = box_area(grown(mask_prompt_region(*EDIT_SIZE), 2))
    assert_repainted(decode(result["images"][0]), grey_scene(), region, edit_fill_colour("a cat", 7))


def test_remove_background_keeps_the_subject_with_alpha(client: Any) -> None:
    source = grey_scene()
    result = invoke(client, REMOVE_BACKGROUND, service_body(REMOVE_BACKGROUND))
    image = decode(result["images"][0])
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == EDIT_SIZE
    pixels = np.asarray(image)
    subject = background_subject_mask(*EDIT_SIZE)
    assert subject[80, 100] and not subject[40, 50] and not subject[0, 0]  # centre in, middle-half corner out
    assert subject.sum() == pytest.approx(np.pi * 50 * 40, rel=0.02)
    assert (pixels[..., 3][subject] == 255).all() and (pixels[..., 3][~subject] == 0).all()
    assert np.array_equal(pixels[..., :3][subject], rgb(source)[subject])
    webp = invoke(client, REMOVE_BACKGROUND, service_body(REMOVE_BACKGROUND, output_format="webp"))
    assert decode(webp["images"][0]).format == "WEBP"


def test_outpaint_extends_the_canvas_around_the_original(client: Any) -> None:
    source = grey_scene()
    body = service_body(OUTPAINT, left=10, right=20, up=5, creativity=0.3)
    image = decode(invoke(client, OUTPAINT, body)["images"][0])
    assert image.size == (200 + 10 + 20, 160 + 5)
    assert np.array_equal(rgb(image.crop((10, 5, 210, 165))), rgb(source))
    border = np.ones((165, 230), dtype=bool)
    border[5:165, 10:210] = False
    assert (rgb(image)[border] == edit_fill_colour("more beach", 7)).all()


@pytest.mark.parametrize(
    ("model_id", "overrides", "fragment"),
    [
        (INPAINT, {"prompt": DROP}, "#: required key [prompt] not found"),
        (INPAINT, {"grow_mask": 21}, "#/grow_mask: 21 is not less or equal to 20"),
        (INPAINT, {"style_preset": "watercolour"}, "#/style_preset: watercolour is not a valid enum value"),
        (INPAINT, {"cfg_scale": 7}, "#: extraneous key [cfg_scale] is not permitted"),
        (INPAINT, {"mask": "bm90IGFuIGltYWdl"}, "#/mask: the provided image is not a valid PNG or JPEG"),
        (ERASE, {"prompt": "remove the dog"}, "#: extraneous key [prompt] is not permitted"),
        (SEARCH_REPLACE, {"search_prompt": DROP}, "#: required key [search_prompt] not found"),
        (REMOVE_BACKGROUND, {"output_format": "jpeg"}, "#/output_format: jpeg cannot hold a transparent"),
        (REMOVE_BACKGROUND, {"seed": 3}, "#: extraneous key [seed] is not permitted"),
        (OUTPAINT, {"left": DROP}, "#: at least one of [left, right, up, down] must be greater than 0"),
        (OUTPAINT, {"left": 2001}, "#/left: 2001 is not less or equal to 2000"),
        (OUTPAINT, {"creativity": 1.5}, "#/creativity: 1.5 is not less or equal to 1"),
        (OUTPAINT, {"image": DROP}, "#: required key [image] not found"),
    ],
)
def test_service_validation(client: Any, model_id: str, overrides: dict, fragment: str) -> None:
    error = invoke_error(client, model_id, service_body(model_id, **overrides))["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]


@pytest.mark.parametrize(
    ("size", "fragment"),
    [
        ((63, 100), "#/image: image is 63x100 pixels but each side must be at least 64 pixels"),
        ((300, 100), "#/image: aspect ratio of 300x100 is outside 1:2.5 to 2.5:1"),
        ((3072, 3073), "which exceeds the maximum of 9437184 pixels"),
    ],
)
def test_service_input_image_limits(client: Any, size: tuple[int, int], fragment: str) -> None:
    body = service_body(REMOVE_BACKGROUND, image=encode(Image.new("RGB", size, "grey")))
    assert fragment in invoke_error(client, REMOVE_BACKGROUND, body)["Error"]["Message"]


@pytest.mark.parametrize("model_id", SERVICES)
def test_bare_service_ids_need_an_inference_profile(client: Any, model_id: str) -> None:
    bare = model_id.removeprefix("us.")
    error = invoke_error(client, bare, service_body(model_id))
    expected = NEEDS_PROFILE_TEMPLATE.format(model_id=bare)
    assert error["Error"] == {"Code": "ValidationException", "Message": expected}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    eu = invoke_error(client, f"eu.{bare}", service_body(model_id))["Error"]["Message"]
    assert eu == "The provided model identifier is invalid."


def test_failures_and_filters_for_edits(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("filter_output", model_prefix="us.stability.stable-image-inpaint")
    assert invoke(client, INPAINT, service_body(INPAINT)) == {
        "seeds": [7],
        "finish_reasons": ["Filter reason: output image"],
        "images": [],
    }
    fake.fail_next("filter_prompt")
    filtered = invoke(client, OUTPAINT, service_body(OUTPAINT, seed=9))
    assert filtered == {"seeds": [9], "finish_reasons": ["Filter reason: prompt"], "images": []}
    fake.fail_next("filter_input")
    blocked = invoke_error(client, SEARCH_REPLACE, service_body(SEARCH_REPLACE))["Error"]
    assert blocked == {"Code": "ValidationException", "Message": FILTER_INPUT_MESSAGE}
    fake.fail_next("throttle")
    assert invoke_error(client, ERASE, service_body(ERASE))["Error"]["Code"] == "ThrottlingException"
    fake.fail_next("filter_output")
    body = titan_edit("INPAINTING", encode(grey_scene()), "x", maskPrompt="dog")
    assert invoke(client, NOVA, body) == {"images": [], "error": FILTER_OUTPUT_MESSAGE}
    assert invoke(client, REMOVE_BACKGROUND, service_body(REMOVE_BACKGROUND))["finish_reasons"] == [None]


# -- Stability AI Image Services: the other eight -----------------------------------

RECOLOR = "us.stability.stable-image-search-recolor-v1:0"
SKETCH = "us.stability.stable-image-control-sketch-v1:0"
STRUCTURE = "us.stability.stable-image-control-structure-v1:0"
STYLE_GUIDE = "us.stability.stable-image-style-guide-v1:0"
STYLE_TRANSFER = "us.stability.stable-style-transfer-v1:0"
FAST_UPSCALE = "us.stability.stable-fast-upscale-v1:0"
CONSERVATIVE_UPSCALE = "us.stability.stable-conservative-upscale-v1:0"
CREATIVE_UPSCALE = "us.stability.stable-creative-upscale-v1:0"
NEW_SERVICES = (RECOLOR, SKETCH, STRUCTURE, STYLE_GUIDE, STYLE_TRANSFER, FAST_UPSCALE, CONSERVATIVE_UPSCALE,
                CREATIVE_UPSCALE)  # fmt: skip


def new_service_body(model_id: str, **overrides: Any) -> dict:
    """A valid body for one of NEW_SERVICES (input: grey_scene()), then ``overrides`` (DROP removes a key)."""
    image = encode(grey_scene())
    body: dict = {
        RECOLOR: {"image": image, "prompt": "bright orange", "select_prompt": "the car", "grow_mask": 0, "seed": 7},
        SKETCH: {"image": image, "prompt": "a castle", "control_strength": 0.6, "seed": 7},
        STRUCTURE: {"image": image, "prompt": "a castle", "seed": 7},
        STYLE_GUIDE: {"image": image, "prompt": "a cat", "fidelity": 0.8, "seed": 7},
        STYLE_TRANSFER: {"init_image": image, "style_image": encode(Image.new("RGB", (96, 96), RED)), "seed": 7},
        FAST_UPSCALE: {"image": encode(grey_scene(100, 80))},
        CONSERVATIVE_UPSCALE: {"image": image, "prompt": "sharp details", "seed": 7},
        CREATIVE_UPSCALE: {"image": image, "prompt": "sharp details", "seed": 7},
    }[model_id]
    body |= overrides
    return {key: value for key, value in body.items() if value is not DROP}


def service_image(result: dict, size: tuple[int, int] | None = None) -> Image.Image:
    assert result["finish_reasons"] == [None] and len(result["images"]) == 1 and len(result["seeds"]) == 1
    image = decode(result["images"][0])
    if size is not None:
        assert image.size == size
    return image


@pytest.mark.parametrize(("grow_mask", "by"), [(0, 0), (4, 4), (DROP, 5)])
def test_search_recolor_recolours_the_grown_middle_half(client: Any, grow_mask: Any, by: int) -> None:
    source = grey_scene()
    result = invoke(client, RECOLOR, new_service_body(RECOLOR, grow_mask=grow_mask, negative_prompt="blur",
                                                      style_preset="photographic"))  # fmt: skip
    assert result["seeds"] == [7]
    area = box_area(grown(mask_prompt_region(*EDIT_SIZE), by))
    assert_repainted(service_image(result, EDIT_SIZE), source, area, edit_fill_colour("bright orange", 7))


@pytest.mark.parametrize("model_id", [SKETCH, STRUCTURE])
def test_control_services_keep_the_inputs_size_and_brightness(client: Any, model_id: str) -> None:
    image = service_image(invoke(client, model_id, new_service_body(model_id)), EDIT_SIZE)
    expected = render_derived(grey_scene(), *EDIT_SIZE, "a castle", 7, 0)
    assert np.array_equal(rgb(image), rgb(expected))
    other = service_image(invoke(client, model_id, new_service_body(model_id, prompt="a bridge")), EDIT_SIZE)
    assert not np.array_equal(rgb(image), rgb(other))


@pytest.mark.parametrize(("aspect_ratio", "size"), [(DROP, (1024, 1024)), ("16:9", (1344, 768)), ("2:3", (832, 1216))])
def test_style_guide_answers_the_aspect_ratio_size(client: Any, aspect_ratio: Any, size: tuple[int, int]) -> None:
    body = new_service_body(STYLE_GUIDE, aspect_ratio=aspect_ratio, output_format="jpeg")
    image = service_image(invoke(client, STYLE_GUIDE, body), size)
    assert image.format == "JPEG"
    assert invoke(client, STYLE_GUIDE, new_service_body(STYLE_GUIDE, aspect_ratio=aspect_ratio))["images"] == [
        encode_image(render_derived(grey_scene(), *size, "a cat", 7, 0), "png")
    ]


def test_style_transfer_paints_the_init_image_in_the_styles_colour(client: Any) -> None:
    style = Image.new("RGB", (96, 96), RED)
    body = new_service_body(STYLE_TRANSFER, prompt="oil painting", style_strength=0.5, composition_fidelity=0.2,
                            change_strength=0.1, negative_prompt="blur")  # fmt: skip
    image = service_image(invoke(client, STYLE_TRANSFER, body), EDIT_SIZE)
    assert np.array_equal(rgb(image), rgb(transfer_style(grey_scene(), style)))
    hsv = np.asarray(image.convert("HSV")).astype(int)
    bright = hsv[..., 2] > 60
    assert (np.abs(hsv[..., 2] - np.asarray(grey_scene().convert("L")).astype(int)) <= 2).all(), "brightness kept"
    assert (rgb(image)[bright][:, 0] > rgb(image)[bright][:, 1]).all(), "red like the style image"
    blue = transfer_style(grey_scene(), Image.new("RGB", (8, 8), BLUE))
    assert (rgb(blue)[bright][:, 2] > rgb(blue)[bright][:, 0]).all()


def test_fast_upscale_is_four_times_with_each_pixel_a_block(client: Any) -> None:
    source = grey_scene(100, 80)
    result = invoke(client, FAST_UPSCALE, new_service_body(FAST_UPSCALE))
    image = service_image(result, (400, 320))
    assert 1 <= result["seeds"][0] <= 4294967294
    assert np.array_equal(rgb(image), np.repeat(np.repeat(rgb(source), 4, axis=0), 4, axis=1))
    small = service_image(invoke(client, FAST_UPSCALE, {"image": encode(grey_scene(32, 40)), "output_format": "webp"}))
    assert (small.format, small.size) == ("WEBP", (128, 160))


def test_conservative_and_creative_upscale(client: Any) -> None:
    source = grey_scene()
    body = new_service_body(CONSERVATIVE_UPSCALE, creativity=0.5, negative_prompt="noise")
    conservative = service_image(invoke(client, CONSERVATIVE_UPSCALE, body), (800, 640))
    resized = source.resize((800, 640), Image.Resampling.BICUBIC)
    assert np.array_equal(rgb(conservative), rgb(resized))
    body = new_service_body(CREATIVE_UPSCALE, creativity=0.45, style_preset="enhance", negative_prompt="noise")
    creative = service_image(invoke(client, CREATIVE_UPSCALE, body), (800, 640))
    assert np.array_equal(rgb(creative), rgb(creative_tint(resized, "sharp details", 7)))
    lit = rgb(conservative).max(axis=-1) > 40
    changed = (rgb(creative) != rgb(conservative)).any(axis=-1)
    assert changed[lit].all(), "creative tints every pixel that is not (nearly) black"
    value = np.asarray(creative.convert("HSV"))[..., 2].astype(int)
    assert (np.abs(value - rgb(conservative).max(axis=-1).astype(int)) <= 2).all(), "brightness kept"
    assert upscaled_size(200, 160) == (800, 640)
    assert upscaled_size(2000, 1500) == (4096, 3072)
    assert upscaled_size(1500, 2000) == (3072, 4096)
    assert upscaled_size(4600, 2000) == (4600, 2000), "never smaller than the input"
    big = new_service_body(CONSERVATIVE_UPSCALE, image=encode(grey_scene(2048, 1024)), output_format="jpeg")
    assert service_image(invoke(client, CONSERVATIVE_UPSCALE, big)).size == (4096, 2048)


@pytest.mark.parametrize(
    ("model_id", "overrides", "fragment"),
    [
        (RECOLOR, {"select_prompt": DROP}, "#: required key [select_prompt] not found"),
        (RECOLOR, {"search_prompt": "the car"}, "#: extraneous key [search_prompt] is not permitted"),
        (RECOLOR, {"prompt": DROP}, "#: required key [prompt] not found"),
        (RECOLOR, {"grow_mask": 21}, "#/grow_mask: 21 is not less or equal to 20"),
        (RECOLOR, {"mask": encode(grey_scene())}, "#: extraneous key [mask] is not permitted"),
        (SKETCH, {"control_strength": 1.2}, "#/control_strength: 1.2 is not less or equal to 1"),
        (SKETCH, {"control_strength": -0.1}, "#/control_strength: -0.1 is not greater or equal to 0"),
        (STRUCTURE, {"prompt": ""}, "#/prompt: expected minLength: 1, actual: 0"),
        (STRUCTURE, {"image": DROP}, "#: required key [image] not found"),
        (STRUCTURE, {"style_preset": "sketchy"}, "#/style_preset: sketchy is not a valid enum value"),
        (STYLE_GUIDE, {"fidelity": 2}, "#/fidelity: 2 is not less or equal to 1"),
        (STYLE_GUIDE, {"aspect_ratio": "4:3"}, "#/aspect_ratio: 4:3 is not a valid enum value"),
        (STYLE_GUIDE, {"control_strength": 0.5}, "#: extraneous key [control_strength] is not permitted"),
        (STYLE_TRANSFER, {"image": encode(grey_scene())}, "#: extraneous key [image] is not permitted"),
        (STYLE_TRANSFER, {"style_image": DROP}, "#: required key [style_image] not found"),
        (STYLE_TRANSFER, {"init_image": DROP}, "#: required key [init_image] not found"),
        (STYLE_TRANSFER, {"style_strength": 1.5}, "#/style_strength: 1.5 is not less or equal to 1"),
        (STYLE_TRANSFER, {"composition_fidelity": -1}, "#/composition_fidelity: -1 is not greater or equal to 0"),
        (STYLE_TRANSFER, {"change_strength": "high"}, "#/change_strength: expected type: Number, found: String"),
        (STYLE_TRANSFER, {"style_preset": "anime"}, "#: extraneous key [style_preset] is not permitted"),
        (STYLE_TRANSFER, {"style_image": "bm90IGFuIGltYWdl"}, "#/style_image: the provided image is not a valid PNG"),
        (STYLE_TRANSFER, {"init_image": encode(grey_scene(63, 100))}, "#/init_image: image is 63x100 pixels"),
        (FAST_UPSCALE, {"seed": 1}, "#: extraneous key [seed] is not permitted"),
        (FAST_UPSCALE, {"prompt": "x"}, "#: extraneous key [prompt] is not permitted"),
        (FAST_UPSCALE, {"image": encode(grey_scene(31, 40))}, "#/image: image is 31x40 pixels but each side must be"),
        (FAST_UPSCALE, {"image": encode(grey_scene(1025, 1024))}, "which exceeds the maximum of 1048576 pixels"),
        (FAST_UPSCALE, {"image": encode(grey_scene(100, 32))}, "aspect ratio of 100x32 is outside 1:2.5 to 2.5:1"),
        (CONSERVATIVE_UPSCALE, {"creativity": 0.1}, "#/creativity: 0.1 is not greater or equal to 0.2"),
        (CONSERVATIVE_UPSCALE, {"creativity": 0.6}, "#/creativity: 0.6 is not less or equal to 0.5"),
        (CONSERVATIVE_UPSCALE, {"prompt": DROP}, "#: required key [prompt] not found"),
        (CONSERVATIVE_UPSCALE, {"style_preset": "enhance"}, "#: extraneous key [style_preset] is not permitted"),
        (CONSERVATIVE_UPSCALE, {"image": encode(grey_scene(60, 100))}, "each side must be at least 64 pixels"),
        (CREATIVE_UPSCALE, {"creativity": 0.05}, "#/creativity: 0.05 is not greater or equal to 0.1"),
        (CREATIVE_UPSCALE, {"image": encode(grey_scene(1025, 1024))}, "which exceeds the maximum of 1048576 pixels"),
        (CREATIVE_UPSCALE, {"output_format": "gif"}, "#/output_format: gif is not a valid enum value"),
    ],
)
def test_new_service_validation(client: Any, model_id: str, overrides: dict, fragment: str) -> None:
    error = invoke_error(client, model_id, new_service_body(model_id, **overrides))
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].startswith("Malformed input request: ")
    assert fragment in error["Error"]["Message"]


@pytest.mark.parametrize("model_id", NEW_SERVICES)
def test_new_services_are_profile_only_and_content_filtered(client: Any, fake: FakeBedrock, model_id: str) -> None:
    bare = model_id.removeprefix("us.")
    error = invoke_error(client, bare, new_service_body(model_id))["Error"]
    assert error == {"Code": "ValidationException", "Message": NEEDS_PROFILE_TEMPLATE.format(model_id=bare)}
    assert invoke_error(client, f"eu.{bare}", new_service_body(model_id))["Error"]["Message"] == (
        "The provided model identifier is invalid."
    )
    fake.fail_next("filter_output", model_prefix=model_id)
    filtered = invoke(client, model_id, new_service_body(model_id))
    assert filtered["finish_reasons"] == ["Filter reason: output image"] and filtered["images"] == []
    assert len(filtered["seeds"]) == 1
    fake.fail_next("filter_prompt")
    assert invoke(client, model_id, new_service_body(model_id))["finish_reasons"] == ["Filter reason: prompt"]
    fake.fail_next("filter_input")
    assert invoke_error(client, model_id, new_service_body(model_id))["Error"]["Message"] == FILTER_INPUT_MESSAGE
    fake.fail_next("throttle")
    assert invoke_error(client, model_id, new_service_body(model_id))["Error"]["Code"] == "ThrottlingException"
    assert invoke(client, model_id, new_service_body(model_id))["finish_reasons"] == [None]


# -- Failures -----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(REQUEST_FAILURES))
def test_request_failures_parse_as_client_errors(client: Any, fake: FakeBedrock, kind: str) -> None:
    status, code, message = REQUEST_FAILURES[kind]
    fake.fail_next(kind)
    response = invoke_error(client, TITAN_V2, titan_text())
    assert response["Error"] == {"Code": code, "Message": message.format(model_id=TITAN_V2)}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert invoke(client, TITAN_V2, titan_text())["images"], "only the next call fails"


def test_failures_raise_botocore_modeled_exceptions(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("throttle")
    with pytest.raises(client.exceptions.ThrottlingException):
        invoke(client, NOVA, titan_text())
    fake.fail_next("needs_profile")
    message = invoke_error(client, ULTRA, {"prompt": "a fox"})["Error"]["Message"]
    assert message.startswith(f"Invocation of model ID {ULTRA} with on-demand throughput isn\u2019t supported")


@pytest.mark.parametrize("model_id", [TITAN_V2, SD35])
def test_filter_input_is_a_validation_error(client: Any, fake: FakeBedrock, model_id: str) -> None:
    fake.fail_next("filter_input")
    body = titan_text() if model_id == TITAN_V2 else {"prompt": "a fox"}
    error = invoke_error(client, model_id, body)["Error"]
    assert error == {"Code": "ValidationException", "Message": FILTER_INPUT_MESSAGE}


def test_filtered_outputs_and_prompts_answer_200(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("filter_output")
    assert invoke(client, NOVA, titan_text()) == {"images": [], "error": FILTER_OUTPUT_MESSAGE}
    fake.fail_next("filter_output")
    assert invoke(client, SD35, {"prompt": "a fox", "seed": 3}) == {
        "seeds": [3],
        "finish_reasons": ["Filter reason: output image"],
        "images": [],
    }
    fake.fail_next("filter_prompt")
    assert invoke(client, CORE, {"prompt": "a fox", "seed": 4}) == {
        "seeds": [4],
        "finish_reasons": ["Filter reason: prompt"],
        "images": [],
    }
    fake.fail_next("filter_prompt")
    assert invoke_error(client, TITAN_V1, titan_text())["Error"]["Message"] == FILTER_INPUT_MESSAGE


def test_unknown_model_is_invalid(client: Any) -> None:
    error = invoke_error(client, "amazon.titan-image-generator-v9:0", titan_text())["Error"]
    assert error == {"Code": "ValidationException", "Message": "The provided model identifier is invalid."}


def test_inference_profile_ids_resolve(client: Any) -> None:
    assert invoke(client, f"us.{SD35}", {"prompt": "a fox"})["images"]


def test_fail_next_counts_and_model_prefix(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("throttle", times=2, model_prefix="stability.")
    assert invoke(client, TITAN_V2, titan_text())["images"], "other models are unaffected"
    for _ in range(2):
        assert invoke_error(client, CORE, {"prompt": "a fox"})["Error"]["Code"] == "ThrottlingException"
    assert invoke(client, CORE, {"prompt": "a fox"})["images"]


def test_set_mode_and_reset(client: Any, fake: FakeBedrock) -> None:
    fake.set_mode("unavailable")
    for model_id, body in ((TITAN_V2, titan_text()), (SD35, {"prompt": "a fox"})):
        assert invoke_error(client, model_id, body)["Error"]["Code"] == "ServiceUnavailableException"
    fake.fail_next("deny")
    assert invoke_error(client, TITAN_V2, titan_text())["Error"]["Code"] == "AccessDeniedException"
    fake.set_mode(None)
    assert invoke(client, TITAN_V2, titan_text())["images"]
    fake.set_mode("fail")
    fake.fail_next("throttle")
    fake.reset()
    assert invoke(client, TITAN_V2, titan_text())["images"]
    assert len(fake.calls) == 1


def test_botocore_max_attempts_counts_retries(fake: FakeBedrock) -> None:
    """retries={"max_attempts": 1} still retries once, silently absorbing one throttle."""
    one_retry = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=fake.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    fake.fail_next("throttle")
    assert invoke(one_retry, TITAN_V2, titan_text())["images"]
    assert len(fake.calls) == 2


def test_unknown_failure_kind_is_rejected(fake: FakeBedrock) -> None:
    with pytest.raises(ValueError):
        fake.fail_next("explode")


# -- Converse / ConverseStream (vision chat) -----------------------------------

HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU = f"us.{HAIKU_45}"
CLAUDE_3_SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


def image_bytes(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, fmt)
    return buffer.getvalue()


def image_block(width: int, height: int, fmt: str = "png", declared: str | None = None) -> dict:
    data = image_bytes(width, height, "JPEG" if fmt == "jpeg" else fmt.upper())
    return {"image": {"format": declared or fmt, "source": {"bytes": data}}}


def user(*blocks: Any) -> dict:
    return {"role": "user", "content": [{"text": b} if isinstance(b, str) else b for b in blocks]}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": [{"text": text}]}


def converse_error(client: Any, model_id: str, messages: list, **kwargs: Any) -> dict:
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=model_id, messages=messages, **kwargs)
    return caught.value.response


TWO_IMAGES = [user(image_block(640, 480), image_block(300, 1200, "jpeg"), "Compare these two images")]
TWO_IMAGES_ANSWER = (
    "I see 2 images. Image 1 is 640\u00d7480 PNG. Image 2 is 300\u00d71200 JPEG. Image 2 is larger. "
    'You asked: "Compare these two images".'
)


def test_converse_describes_the_last_user_turn(client: Any, fake: FakeBedrock) -> None:
    response = client.converse(modelId=HAIKU, messages=TWO_IMAGES, inferenceConfig={"maxTokens": 500})
    assert response["output"]["message"] == {"role": "assistant", "content": [{"text": TWO_IMAGES_ANSWER}]}
    assert response["stopReason"] == "end_turn"
    image_tokens = 23 * 18 + 11 * 43  # ceil(w/28) * ceil(h/28) per image
    assert response["usage"] == {
        "inputTokens": image_tokens + 4,
        "outputTokens": len(TWO_IMAGES_ANSWER.split()),
        "totalTokens": image_tokens + 4 + len(TWO_IMAGES_ANSWER.split()),
    }
    assert response["metrics"]["latencyMs"] >= 0
    call = fake.calls[-1]
    assert (call.model_id, call.operation) == (HAIKU, "converse")
    assert base64.b64decode(call.body["messages"][0]["content"][0]["image"]["source"]["bytes"])[:4] == b"\x89PNG"
    logged = control(fake, "GET", "calls")[0]["body"]["messages"][0]["content"][0]["image"]["source"]["bytes"]
    assert logged.startswith("<base64 ")

    history = [
        *TWO_IMAGES,
        assistant("Sure."),
        user(image_block(64, 64, "webp"), "What   is\nthis?"),
    ]
    text = client.converse(modelId=CLAUDE_3_SONNET, messages=history, system=[{"text": "Be brief."}])
    assert text["output"]["message"]["content"][0]["text"] == (
        'I see 1 image. Image 1 is 64\u00d764 WEBP. You asked: "What is this?".'
    )
    twins = [user(image_block(10, 10), image_block(10, 10), "compare")]
    same = client.converse(modelId=f"us.{CLAUDE_3_SONNET}", messages=twins)
    assert "The images are the same size." in same["output"]["message"]["content"][0]["text"]


def test_converse_inference_config_limits_the_answer(client: Any) -> None:
    short = client.converse(modelId=HAIKU, messages=TWO_IMAGES, inferenceConfig={"maxTokens": 4, "temperature": 0.2})
    assert (short["output"]["message"]["content"][0]["text"], short["stopReason"]) == ("I see 2 images.", "max_tokens")
    assert short["usage"]["outputTokens"] == 4
    stop = client.converse(modelId=HAIKU, messages=TWO_IMAGES, inferenceConfig={"stopSequences": ["Image 2"]})
    assert stop["output"]["message"]["content"][0]["text"] == "I see 2 images. Image 1 is 640\u00d7480 PNG. "
    assert stop["stopReason"] == "stop_sequence"
    both = converse_error(client, HAIKU, TWO_IMAGES, inferenceConfig={"temperature": 0.5, "topP": 0.9})["Error"]
    assert "cannot both be specified" in both["Message"]
    too_hot = converse_error(client, HAIKU, TWO_IMAGES, inferenceConfig={"temperature": 1.5})["Error"]
    assert "inferenceConfig.temperature" in too_hot["Message"]


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "assistant", "content": [{"text": "hi"}]}],
        [user("a"), user("b")],
        [user("a"), assistant("b"), assistant("c")],
    ],
)
def test_converse_roles_must_alternate_from_user(client: Any, messages: list) -> None:
    assert converse_error(client, HAIKU, messages)["Error"] == {"Code": "ValidationException", "Message": ROLES_MESSAGE}


def test_converse_declared_format_must_match_the_bytes(client: Any) -> None:
    messages = [user("first"), assistant("ok"), user("look", image_block(50, 50, "png", declared="jpeg"))]
    error = converse_error(client, HAIKU, messages)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {
        "Code": "ValidationException",
        "Message": "The model returned the following errors: messages.2.content.1.image.source.bytes: The image "
        "was specified using the image/jpeg media type, but the image appears to be a image/png image",
    }
    garbage = {"image": {"format": "png", "source": {"bytes": b"not an image"}}}
    assert "Could not process image" in converse_error(client, HAIKU, [user(garbage)])["Error"]["Message"]


@pytest.mark.parametrize("declared", ["PNG", "jpg", "JPEG", "bmp"])
def test_converse_format_must_be_lowercase_enum(client: Any, declared: str) -> None:
    error = converse_error(client, HAIKU, [user(image_block(20, 20, "png", declared=declared), "hi")])["Error"]
    assert error["Code"] == "ValidationException"
    assert f"Value '{declared}' at 'messages.1.member.content.1.member.image.format'" in error["Message"]
    assert "enum value set: [gif, jpeg, png, webp]" in error["Message"]


def test_converse_image_count_and_size_limits(client: Any) -> None:
    assert "I see 20 images." in client.converse(modelId=HAIKU, messages=[user(*[image_block(8, 8)] * 20)])[
        "output"
    ]["message"]["content"][0]["text"]
    error = converse_error(client, HAIKU, [user(*[image_block(8, 8)] * 21, "too many")])["Error"]
    assert error == {
        "Code": "ValidationException",
        "Message": "The model returned the following errors: too many images and documents: 21 > 20",
    }
    noise = np.random.default_rng(0).integers(0, 256, (1150, 1150, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG", compress_level=0)
    raw = buffer.getvalue()
    assert len(raw) > 3.75 * 1024 * 1024
    big = {"image": {"format": "png", "source": {"bytes": raw}}}
    message = converse_error(client, HAIKU, [user(big)])["Error"]["Message"]
    b64_length = len(base64.b64encode(raw))
    assert message.endswith(f"image exceeds 5 MB maximum: {b64_length} bytes > {MAX_IMAGE_BASE64} bytes")


def test_converse_needs_a_profile_for_profile_only_models(client: Any) -> None:
    error = converse_error(client, HAIKU_45, [user("hi")])["Error"]
    assert error == {"Code": "ValidationException", "Message": NEEDS_PROFILE_TEMPLATE.format(model_id=HAIKU_45)}
    for model_id in (HAIKU, f"global.{HAIKU_45}", f"eu.{HAIKU_45}", "us.amazon.nova-2-lite-v1:0",
                     "us.meta.llama4-maverick-17b-instruct-v1:0", "amazon.nova-lite-v1:0", "us.amazon.nova-pro-v1:0"):
        assert client.converse(modelId=model_id, messages=[user("hi")])["stopReason"] == "end_turn", model_id
    profile_only = (
        "amazon.nova-2-lite-v1:0",
        "meta.llama4-maverick-17b-instruct-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
    )
    for model_id in profile_only:
        assert "on-demand throughput" in converse_error(client, model_id, [user("hi")])["Error"]["Message"]
    unknown = converse_error(client, "anthropic.claude-9", [user("hi")])["Error"]["Message"]
    assert unknown == "The provided model identifier is invalid."
    assert "doesn't support the model" in converse_error(client, NOVA, [user("hi")])["Error"]["Message"]


def stream_events(client: Any, model_id: str, messages: list, **kwargs: Any) -> list[dict]:
    return list(client.converse_stream(modelId=model_id, messages=messages, **kwargs)["stream"])


def test_converse_stream_events_match_converse(client: Any, fake: FakeBedrock) -> None:
    events = stream_events(client, HAIKU, TWO_IMAGES)
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and events[0]["messageStart"] == {"role": "assistant"}
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(kinds[1:-3]) == {"contentBlockDelta"} and len(kinds[1:-3]) > 3
    chunks = [event["contentBlockDelta"]["delta"]["text"] for event in events[1:-3]]
    assert "".join(chunks) == TWO_IMAGES_ANSWER
    assert all(len(chunk.split()) <= 3 for chunk in chunks)
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    usage = client.converse(modelId=HAIKU, messages=TWO_IMAGES)["usage"]
    assert events[-1]["metadata"]["usage"] == usage and "latencyMs" in events[-1]["metadata"]["metrics"]
    assert [call.operation for call in fake.calls] == ["converse_stream", "converse"]


def test_converse_stream_wire_format(fake: FakeBedrock) -> None:
    """Raw bytes: chunked event-stream messages with valid CRCs and string headers."""
    request = urllib.request.Request(
        f"{fake.url}/model/{HAIKU.replace(':', '%3A')}/converse-stream",
        data=json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"] == "application/vnd.amazon.eventstream"
        messages = decode_event_stream(response.read())
    assert [headers[":event-type"] for headers, _ in messages][0] == "messageStart"
    assert all(h[":message-type"] == "event" and h[":content-type"] == "application/json" for h, _ in messages)
    assert json.loads(messages[-1][1])["usage"]["outputTokens"] == 7  # I see 0 images. You asked: "hi".
    assert decode_event_stream(encode_event_message({"a": "b"}, b"{}")) == [({"a": "b"}, b"{}")]


def test_converse_stream_failures(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("throttle")
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        client.converse_stream(modelId=HAIKU, messages=[user("hi")])
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429

    fake.fail_next("stream_error")
    stream = client.converse_stream(modelId=HAIKU, messages=TWO_IMAGES)["stream"]
    seen = []
    with pytest.raises(EventStreamError) as broken:
        for event in stream:
            seen.append(event)
    assert broken.value.response["Error"] == {"Code": "modelStreamErrorException", "Message": STREAM_ERROR_MESSAGE}
    assert [next(iter(event)) for event in seen] == ["messageStart", "contentBlockDelta", "contentBlockDelta"]
    assert stream_events(client, HAIKU, [user("hi")])[-1]["metadata"], "only the next stream breaks"


def test_converse_failure_kinds(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("stream_error")
    assert client.converse(modelId=HAIKU, messages=[user("hi")])["stopReason"] == "end_turn", "not for converse"
    fake.reset()
    fake.fail_next("reject_image")
    assert invoke(client, TITAN_V2, titan_text())["images"], "invoke neither fails nor uses it up"
    messages = [user("a"), assistant("b"), user(image_block(10, 10), "c")]
    assert converse_error(client, HAIKU, messages)["Error"]["Message"] == (
        "The model returned the following errors: messages.2.content.0.image.source.bytes: The image was "
        "specified using the image/png media type, but the image appears to be a image/jpeg image"
    )
    fake.fail_next("deny", model_prefix="us.anthropic.")
    assert converse_error(client, HAIKU, [user("hi")])["Error"]["Code"] == "AccessDeniedException"
    fake.fail_next("filter_input")
    assert converse_error(client, HAIKU, [user("hi")])["Error"]["Message"] == FILTER_INPUT_MESSAGE
    fake.fail_next("filter_output")
    filtered = client.converse(modelId=HAIKU, messages=[user("hi")])
    assert (filtered["stopReason"], filtered["output"]["message"]["content"]) == ("content_filtered", [])
    fake.set_mode("fail")
    assert converse_error(client, HAIKU, [user("hi")])["Error"]["Code"] == "InternalServerException"


def test_langchain_chat_bedrock_converse(client: Any, fake: FakeBedrock) -> None:
    from langchain_aws import ChatBedrockConverse
    from langchain_core.messages import HumanMessage

    control_plane = boto3.client(
        "bedrock",
        region_name="us-east-1",
        endpoint_url=fake.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    chat = ChatBedrockConverse(client=client, bedrock_client=control_plane, model=HAIKU, region_name="us-east-1")
    b64 = base64.b64encode(image_bytes(640, 480)).decode()
    message = HumanMessage(
        content=[{"type": "image", "base64": b64, "mime_type": "image/png"}, {"type": "text", "text": "What is this?"}]
    )
    expected = 'I see 1 image. Image 1 is 640\u00d7480 PNG. You asked: "What is this?".'
    answer = chat.invoke([message])
    assert answer.text == expected
    assert answer.usage_metadata["input_tokens"] == 23 * 18 + 3
    chunks = list(chat.stream([message]))
    assert "".join(chunk.text for chunk in chunks) == expected
    assert [call.operation for call in fake.calls] == ["converse", "converse_stream"]
    sent = fake.calls[0].body["messages"][0]["content"][0]["image"]
    assert sent["format"] == "png" and base64.b64decode(sent["source"]["bytes"]) == image_bytes(640, 480)


# -- Nova 2 Omni (image generation and editing through Converse) ------------------------

OMNI = "us.amazon.nova-2-omni-v1:0"
SONNET_46 = "anthropic.claude-sonnet-4-6"


def omni_image(response: dict) -> Image.Image:
    """The one image of an Omni answer, after checking the answer's shape."""
    content = response["output"]["message"]["content"]
    assert [next(iter(block)) for block in content] == ["text", "image"]
    assert content[1]["image"]["format"] == "png"
    image = Image.open(io.BytesIO(content[1]["image"]["source"]["bytes"]))
    image.load()
    assert image.format == "PNG"
    return image


def png_block(image: Image.Image, fmt: str = "PNG") -> dict:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return {"image": {"format": fmt.lower(), "source": {"bytes": buffer.getvalue()}}}


@pytest.mark.parametrize("model_id", [OMNI, "global.amazon.nova-2-omni-v1:0"])
def test_omni_generates_a_1024_square_from_the_prompt(client: Any, model_id: str) -> None:
    prompt = "Create an image of a lighthouse at dusk"
    response = client.converse(modelId=model_id, messages=[user(prompt)], system=[{"text": "Be bold."}])
    image = omni_image(response)
    assert image.size == (1024, 1024)
    assert np.array_equal(rgb(image), rgb(render_generated(1024, 1024, prompt, 0, 0)))
    text = response["output"]["message"]["content"][0]["text"]
    assert text == "Here is the generated 1024\u00d71024 image."
    assert response["stopReason"] == "end_turn"
    words = len(text.split())
    output_tokens = words + 37 * 37  # the text's words + ceil(1024 / 28) ** 2 for the image
    assert response["usage"] == {"inputTokens": 10, "outputTokens": output_tokens, "totalTokens": 10 + output_tokens}
    assert response["metrics"]["latencyMs"] >= 0


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("A beach in 16:9 aspect ratio", (1360, 768)),
        ("A tower, 9:16 mobile vertical format", (768, 1360)),
        ("A barn in 4:3 horizontal format", (1184, 880)),
        ("A portrait 3 : 2", (1248, 832)),
        ("A wide shot 21:9 then 1:1", (1568, 672)),
        ("Square please, 1:1", (1024, 1024)),
        ("Dinner at 10:30 with 100:1 odds", (1024, 1024)),
    ],
)
def test_omni_output_size_follows_a_ratio_in_the_prompt(client: Any, prompt: str, size: tuple[int, int]) -> None:
    assert omni_output_size(prompt) == size
    assert size[0] % 16 == 0 and size[1] % 16 == 0
    assert 0.9 < size[0] * size[1] / (1024 * 1024) < 1.1
    image = omni_image(client.converse(modelId=OMNI, messages=[user(prompt)], inferenceConfig={"maxTokens": 5000}))
    assert image.size == size


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_omni_edit_repaints_only_the_middle_of_the_input(client: Any, fmt: str) -> None:
    source = grey_scene()
    block = png_block(source, fmt)
    prompt = "Replace   the middle\nwith a teapot, 16:9"
    response = client.converse(modelId=OMNI, messages=[user(block, prompt)])
    image = omni_image(response)
    assert image.size == EDIT_SIZE, "an edit keeps the input's size (the ratio in the text is ignored)"
    decoded = Image.open(io.BytesIO(block["image"]["source"]["bytes"])).convert("RGB")
    region = box_area(mask_prompt_region(*EDIT_SIZE))
    assert_repainted(image, decoded, region, edit_fill_colour("Replace the middle with a teapot, 16:9", 0))
    assert response["output"]["message"]["content"][0]["text"] == "Here is the edited 200\u00d7160 image."
    image_tokens = math.ceil(200 / 28) * math.ceil(160 / 28)
    assert response["usage"]["inputTokens"] == image_tokens + 7
    assert response["usage"]["outputTokens"] == 6 + image_tokens


def test_omni_history_reasoning_and_max_tokens(client: Any) -> None:
    first = client.converse(modelId=OMNI, messages=[user("Draw a red fox")])
    answer = first["output"]["message"]
    history = [user("Draw a red fox"), answer, user("Now a blue fox")]
    reasoning = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}}
    again = client.converse(modelId=OMNI, messages=history, additionalModelRequestFields=reasoning)
    assert np.array_equal(rgb(omni_image(again)), rgb(render_generated(1024, 1024, "Now a blue fox", 0, 0)))
    assert client.converse(modelId=OMNI, messages=history)["output"] == again["output"], "reasoning changes nothing"
    low = {"reasoningConfig": {"type": "disabled"}}
    assert omni_image(client.converse(modelId=OMNI, messages=[user("x")], additionalModelRequestFields=low))

    short = client.converse(modelId=OMNI, messages=[user("Draw a red fox")], inferenceConfig={"maxTokens": 1000})
    assert short["stopReason"] == "max_tokens"
    assert short["output"]["message"]["content"] == [{"text": "Here is the generated 1024\u00d71024 image."}]
    assert short["usage"]["outputTokens"] == 6
    cut = client.converse(modelId=OMNI, messages=[user("Draw")], inferenceConfig={"maxTokens": 2})
    assert cut["output"]["message"]["content"] == [{"text": "Here is"}]
    enough = client.converse(modelId=OMNI, messages=[user("Draw")], inferenceConfig={"maxTokens": 6 + 37 * 37})
    assert enough["stopReason"] == "end_turn" and omni_image(enough).size == (1024, 1024)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"additionalModelRequestFields": {"seed": 3}}, "#: extraneous key [seed] is not permitted"),
        ({"additionalModelRequestFields": {"imageGenerationConfig": {"width": 512}}}, "key [imageGenerationConfig]"),
        (
            {"additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "max"}}},
            "#/reasoningConfig/maxReasoningEffort: max is not a valid enum value",
        ),
        ({"additionalModelRequestFields": {"reasoningConfig": {"type": "on"}}}, "#/reasoningConfig/type: on is not"),
        ({"additionalModelRequestFields": {"reasoningConfig": {}}}, "#/reasoningConfig: required key [type] not found"),
        (
            {"additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "budgetTokens": 9}}},
            "#/reasoningConfig: extraneous key [budgetTokens] is not permitted",
        ),
        ({"messages": [user(image_block(64, 64), image_block(32, 32), "merge them")]}, "edits one image at a time"),
        ({"messages": [user(image_block(64, 64))]}, "a text block with the instruction is required"),
        ({"inferenceConfig": {"maxTokens": 70000}}, "max_tokens: 70000 > 65535"),
    ],
)
def test_omni_validation(client: Any, kwargs: dict, fragment: str) -> None:
    kwargs = {"messages": [user("Draw a cat")], **kwargs}
    error = converse_error(client, OMNI, **kwargs)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].startswith("The model returned the following errors: ")
    assert fragment in error["Error"]["Message"]


def test_omni_ids_streaming_and_failures(client: Any, fake: FakeBedrock) -> None:
    bare_id = "amazon.nova-2-omni-v1:0"
    bare = converse_error(client, bare_id, [user("Draw a cat")])["Error"]
    assert bare == {"Code": "ValidationException", "Message": NEEDS_PROFILE_TEMPLATE.format(model_id=bare_id)}
    invalid = converse_error(client, f"eu.{bare_id}", [user("Draw a cat")])["Error"]["Message"]
    assert invalid == "The provided model identifier is invalid."

    fake.fail_next("stream_error")
    with pytest.raises(ClientError) as streamed:
        client.converse_stream(modelId=OMNI, messages=[user("Draw a cat")])
    assert streamed.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": OMNI_STREAM_MESSAGE.format(model_id="amazon.nova-2-omni-v1:0"),
    }
    with pytest.raises(EventStreamError):
        stream_events(client, HAIKU, [user("hi")])  # the queued stream_error was left for a stream that can break

    fake.fail_next("filter_output")
    filtered = client.converse(modelId=OMNI, messages=[user("Draw a cat")])
    assert (filtered["stopReason"], filtered["output"]["message"]["content"]) == ("content_filtered", [])
    fake.fail_next("filter_input")
    assert converse_error(client, OMNI, [user("Draw a cat")])["Error"]["Message"] == FILTER_INPUT_MESSAGE
    fake.fail_next("reject_image")
    rejected = converse_error(client, OMNI, [user(image_block(40, 40), "edit")])["Error"]["Message"]
    assert "messages.0.content.0.image.source.bytes: The image was specified using the image/png" in rejected
    fake.fail_next("throttle", model_prefix="us.amazon.nova-2-omni")
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=OMNI, messages=[user("Draw a cat")])
    assert omni_image(client.converse(modelId=OMNI, messages=[user("Draw a cat")]))
    assert [call.operation for call in fake.calls].count("converse_stream") == 2


def test_claude_sonnet_4_6_is_a_profile_only_chat_model(client: Any) -> None:
    for model_id in (f"us.{SONNET_46}", f"global.{SONNET_46}"):
        response = client.converse(modelId=model_id, messages=TWO_IMAGES)
        assert response["output"]["message"]["content"] == [{"text": TWO_IMAGES_ANSWER}]
    assert stream_events(client, f"us.{SONNET_46}", [user("hi")])[-1]["metadata"]["usage"]["outputTokens"] == 7
    bare = converse_error(client, SONNET_46, [user("hi")])["Error"]["Message"]
    assert bare == NEEDS_PROFILE_TEMPLATE.format(model_id=SONNET_46)
    assert converse_error(client, f"eu.{SONNET_46}", [user("hi")])["Error"]["Message"] == (
        "The provided model identifier is invalid."
    )
    both = converse_error(client, f"us.{SONNET_46}", [user("hi")], inferenceConfig={"temperature": 0.2, "topP": 0.5})
    assert "cannot both be specified" in both["Error"]["Message"]


# -- Multimodal embeddings ------------------------------------------------------

TITAN_EMBED = "amazon.titan-embed-image-v1"
NOVA_EMBED = "amazon.nova-2-multimodal-embeddings-v1:0"
RED, BLUE = (210, 30, 40), (30, 50, 220)


def flat_image(colour: Any, size: tuple[int, int] = (96, 64), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def nova_text(value: str, truncation: str = "END", **params: Any) -> dict:
    single = {"embeddingPurpose": "GENERIC_INDEX", "text": {"truncationMode": truncation, "value": value}}
    return {"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": {**single, **params}}  # fmt: skip


def nova_image(data: bytes, fmt: str = "png", **params: Any) -> dict:
    image = {"format": fmt, "source": {"bytes": b64(data)}}
    single = {"embeddingPurpose": "GENERIC_INDEX", "image": image}
    return {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {**single, **params}}


def nova_vector(client: Any, body: dict, kind: str) -> np.ndarray:
    result = invoke(client, NOVA_EMBED, body)
    assert [item["embeddingType"] for item in result["embeddings"]] == [kind]
    return np.array(result["embeddings"][0]["embedding"])


def titan_vector(client: Any, body: dict) -> np.ndarray:
    return np.array(invoke(client, TITAN_EMBED, body)["embedding"])


def assert_unit(vector: Any, dimension: int) -> None:
    assert len(vector) == dimension
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("dimension", [None, 256, 384, 1024])
def test_titan_embedding_text_and_image(client: Any, dimension: int | None) -> None:
    expected = dimension or 1024
    config = {"embeddingConfig": {"outputEmbeddingLength": dimension}} if dimension else {}
    text = invoke(client, TITAN_EMBED, {"inputText": "A red bicycle, leaning on a wall.", **config})
    assert text["message"] is None
    assert text["inputTextTokenCount"] == 9 == count_embedding_tokens("A red bicycle, leaning on a wall.")
    assert_unit(text["embedding"], expected)
    assert text["embedding"] == fake_embedding(TITAN_EMBED, expected, text="A red bicycle, leaning on a wall.")
    png = flat_image(RED)
    image = invoke(client, TITAN_EMBED, {"inputImage": b64(png), **config})
    assert image["inputTextTokenCount"] == 0
    assert_unit(image["embedding"], expected)
    assert image["embedding"] == fake_embedding(TITAN_EMBED, expected, image=png)


def test_titan_text_and_image_together_is_the_normalised_average(client: Any) -> None:
    jpeg = flat_image(BLUE, fmt="JPEG")
    both = invoke(client, TITAN_EMBED, {"inputText": "blue sofa", "inputImage": b64(jpeg)})
    assert both["inputTextTokenCount"] == 2
    assert both["embedding"] == fake_embedding(TITAN_EMBED, 1024, text="blue sofa", image=jpeg)
    text = np.array(fake_embedding(TITAN_EMBED, 1024, text="blue sofa"))
    image = np.array(fake_embedding(TITAN_EMBED, 1024, image=jpeg))
    average = (text + image) / np.linalg.norm(text + image)
    np.testing.assert_allclose(both["embedding"], average, atol=1e-12)
    assert_unit(both["embedding"], 1024)


@pytest.mark.parametrize("dimension", [None, 256, 384, 1024, 3072])
def test_nova_embedding_text(client: Any, dimension: int | None) -> None:
    params = {"embeddingDimension": dimension} if dimension else {}
    vector = nova_vector(client, nova_text("Green armchair", **params), "TEXT")
    assert_unit(vector, dimension or 3072)
    assert vector.tolist() == fake_embedding(NOVA_EMBED, dimension or 3072, text="Green armchair")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "gif", "webp"])
def test_nova_embedding_image_formats(client: Any, fmt: str) -> None:
    data = flat_image(RED, fmt=fmt.upper())
    body = nova_image(data, fmt, embeddingDimension=1024)
    body["singleEmbeddingParams"]["image"]["detailLevel"] = "DOCUMENT_IMAGE"
    vector = nova_vector(client, body, "IMAGE")
    assert_unit(vector, 1024)
    assert vector.tolist() == fake_embedding(NOVA_EMBED, 1024, image=data)


def _with(body: dict, **changes: Any) -> dict:
    return {**body, **changes}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"inputText": "a", "normalize": True}, "#: extraneous key [normalize] is not permitted"),
        ({}, "#: at least one of inputText or inputImage is required"),
        ({"embeddingConfig": {"outputEmbeddingLength": 256}}, "at least one of inputText or inputImage"),
        ({"inputText": ""}, "#/inputText: expected minLength: 1, actual: 0"),
        (
            {"inputText": "a", "embeddingConfig": {"outputEmbeddingLength": 512}},
            "#/embeddingConfig/outputEmbeddingLength: 512 is not a valid enum value",
        ),
        (
            {"inputText": "a", "embeddingConfig": {"outputEmbeddingLength": "256"}},
            "outputEmbeddingLength: expected type: Integer, found: String",
        ),
        (
            {"inputText": "a", "embeddingConfig": {"dimensions": 256}},
            "#/embeddingConfig: extraneous key [dimensions] is not permitted",
        ),
        (
            {"inputText": "word " * 257},
            "Too many input tokens. Max input tokens: 256, request input token count: 257",
        ),
        ({"inputImage": "not base64!"}, "#/inputImage: the provided image is not a valid PNG or JPEG image"),
        ({"inputImage": b64(b"GIF89a not really")}, "not a valid PNG or JPEG image"),
        ({"inputImage": b64(flat_image(RED, fmt="GIF"))}, "not a valid PNG or JPEG image"),
    ],
)
def test_titan_embedding_validation(client: Any, body: dict, fragment: str) -> None:
    error = invoke_error(client, TITAN_EMBED, body)["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]
    assert error["Message"].startswith("Malformed input request: ") or "tokens" in fragment


def test_titan_embedding_limits(client: Any) -> None:
    assert invoke(client, TITAN_EMBED, {"inputText": "word " * 256})["inputTextTokenCount"] == 256
    assert invoke(client, TITAN_EMBED, {"inputImage": b64(flat_image(RED, (2048, 16)))})["embedding"]
    for size in ((2049, 16), (16, 2049)):
        error = invoke_error(client, TITAN_EMBED, {"inputImage": b64(flat_image(RED, size))})["Error"]
        assert error == {"Code": "ValidationException", "Message": TITAN_PIXELS_MESSAGE}


def test_nova_embedding_truncation(client: Any) -> None:
    words = [f"w{i}" for i in range(8200)]
    text = "  ".join(words)
    assert count_embedding_tokens(" ".join(words[:8192])) == 8192
    assert nova_vector(client, nova_text(" ".join(words[:8192]), "NONE"), "TEXT").size == 3072
    error = invoke_error(client, NOVA_EMBED, nova_text(text, "NONE"))["Error"]
    assert error["Code"] == "ValidationException"
    assert "#/singleEmbeddingParams/text/value: text is 8200 tokens long" in error["Message"]
    end = nova_vector(client, nova_text(text, "END"), "TEXT")
    assert end.tolist() == fake_embedding(NOVA_EMBED, 3072, text=" ".join(words[:8192]))
    start = nova_vector(client, nova_text(text, "START"), "TEXT")
    assert start.tolist() == fake_embedding(NOVA_EMBED, 3072, text=" ".join(words[8:]))
    assert end.tolist() != start.tolist()


def _nova_params(**changes: Any) -> dict:
    body = nova_text("hello")
    body["singleEmbeddingParams"] = {**body["singleEmbeddingParams"], **changes}
    return body


def _nova_text_block(**changes: Any) -> dict:
    return _nova_params(text={"truncationMode": "END", "value": "hello", **changes})


def _nova_image_block(**changes: Any) -> dict:
    body = nova_image(flat_image(RED))
    body["singleEmbeddingParams"]["image"] = {**body["singleEmbeddingParams"]["image"], **changes}
    return body


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (_with(nova_text("a"), extra=1), "#: extraneous key [extra] is not permitted"),
        (_with(nova_text("a"), schemaVersion="v2"), "#/schemaVersion: v2 is not a valid enum value"),
        ({"singleEmbeddingParams": {}}, "#: required key [taskType] not found"),
        (_with(nova_text("a"), taskType="SEGMENTED_EMBEDDING"), "SEGMENTED_EMBEDDING is not a valid enum value"),
        ({"taskType": "SINGLE_EMBEDDING"}, "#: required key [singleEmbeddingParams] not found"),
        (_nova_params(embeddingPurpose=None), "embeddingPurpose: None is not a valid enum value"),
        (_nova_params(embeddingPurpose="SEARCH"), "embeddingPurpose: SEARCH is not a valid enum value"),
        (_nova_params(embeddingDimension=512), "#/singleEmbeddingParams/embeddingDimension: 512 is not a valid"),
        (_nova_params(normalize=True), "#/singleEmbeddingParams: extraneous key [normalize] is not permitted"),
        (
            _nova_params(image={"format": "png", "source": {"bytes": b64(flat_image(RED))}}),
            "#/singleEmbeddingParams: exactly one of [text, image, video, audio] is required, found both",
        ),
        (_nova_params(text=None), "expected type: JSONObject, found: Null"),
        (_nova_params(audio={"format": "mp3"}), "#/singleEmbeddingParams/audio: audio input is not supported"),
        (_nova_params(video={"format": "mp4"}), "video input is not supported by this fake"),
        (_nova_text_block(truncationMode="MIDDLE"), "text/truncationMode: MIDDLE is not a valid enum value"),
        (_nova_text_block(language="en"), "#/singleEmbeddingParams/text: extraneous key [language]"),
        (_nova_text_block(value=""), "text/value: expected minLength: 1, actual: 0"),
        (_nova_image_block(format="jpeg"), "specified as format jpeg, but the image appears to be a png image"),
        (_nova_image_block(format="PNG"), "image/format: PNG is not a valid enum value"),
        (_nova_image_block(detailLevel="HIGH"), "image/detailLevel: HIGH is not a valid enum value"),
        (_nova_image_block(source={"bytes": "%%%"}), "source/bytes: the provided image is not a valid PNG or JPEG"),
        (_nova_image_block(source={}), "#/singleEmbeddingParams/image/source: required key [bytes] not found"),
        (
            _nova_image_block(source={"s3Location": {"uri": "s3://bucket/key.png"}}),
            "FakeBedrock does not support s3Location image sources.",
        ),
        (
            _nova_image_block(source={"bytes": b64(flat_image(RED, (8001, 8)))}),
            "image dimensions exceed max allowed size: 8000 pixels",
        ),
    ],
)
def test_nova_embedding_validation(client: Any, body: dict, fragment: str) -> None:
    error = invoke_error(client, NOVA_EMBED, body)["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]


def test_nova_embedding_neither_input(client: Any) -> None:
    body = {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX"}}
    message = invoke_error(client, NOVA_EMBED, body)["Error"]["Message"]
    assert "exactly one of [text, image, video, audio] is required, found neither" in message
    big = nova_image(flat_image(RED, (8000, 8)), embeddingDimension=256)
    assert_unit(nova_vector(client, big, "IMAGE"), 256)


def _colour_vectors(client: Any, model_id: str) -> tuple[np.ndarray, ...]:
    """(red PNG, darker red JPEG, blue PNG, the text "something red", the red PNG again)."""
    red, other_red, blue = flat_image(RED), flat_image((180, 20, 20), (64, 64), "JPEG"), flat_image(BLUE)
    if model_id == TITAN_EMBED:
        images = [titan_vector(client, {"inputImage": b64(data)}) for data in (red, other_red, blue, red)]
        query = titan_vector(client, {"inputText": "Something RED"})
    else:
        pairs = ((red, "png"), (other_red, "jpeg"), (blue, "png"), (red, "png"))
        images = [nova_vector(client, nova_image(data, fmt), "IMAGE") for data, fmt in pairs]
        query = nova_vector(client, nova_text("something  red", "NONE"), "TEXT")
    return images[0], images[1], images[2], query, images[3]


@pytest.mark.parametrize("model_id", [TITAN_EMBED, NOVA_EMBED])
def test_embeddings_rank_by_colour_and_are_deterministic(client: Any, model_id: str) -> None:
    red, other_red, blue, query, again = _colour_vectors(client, model_id)
    assert query @ red > 0.7 > 0.2 > query @ blue
    assert query @ other_red > query @ blue
    assert red @ other_red > red @ blue
    assert red.tolist() == again.tolist() and red @ again == pytest.approx(1.0)


def test_embeddings_differ_between_models_and_dimensions(client: Any) -> None:
    red = flat_image(RED)
    titan = titan_vector(client, {"inputImage": b64(red), "embeddingConfig": {"outputEmbeddingLength": 1024}})
    nova = nova_vector(client, nova_image(red, embeddingDimension=1024), "IMAGE")
    assert titan.tolist() != nova.tolist()
    assert titan[:13].tolist() == pytest.approx(nova[:13].tolist()), "the colour block is shared"
    assert fake_embedding(TITAN_EMBED, 256, image=red) != fake_embedding(TITAN_EMBED, 1024, image=red)[:256]
    assert fake_embedding(f"us.{TITAN_EMBED}", 256, text="x") == fake_embedding(TITAN_EMBED, 256, text="x")


def test_nova_embedding_purpose_does_not_change_the_vector(client: Any) -> None:
    vectors = {
        purpose: nova_vector(client, _nova_params(embeddingPurpose=purpose), "TEXT").tolist()
        for purpose in ("GENERIC_INDEX", "GENERIC_RETRIEVAL", "TEXT_RETRIEVAL", "CLUSTERING")
    }
    assert len({tuple(vector) for vector in vectors.values()}) == 1


def test_text_colour_words_and_normalisation() -> None:
    same = fake_embedding(TITAN_EMBED, 256, text="Two  GREY\ncats")
    assert same == fake_embedding(TITAN_EMBED, 256, text="two grey cats")
    grey = np.array(same)
    assert grey[12] > 0.9 and not grey[:12].any()
    plural = np.array(fake_embedding(TITAN_EMBED, 256, text="blues and greens"))
    assert plural[8] == pytest.approx(plural[4]) and plural[8] > 0.6
    assert not np.array(fake_embedding(TITAN_EMBED, 256, text="reddish bluebird"))[:13].any()
    with pytest.raises(ValueError):
        fake_embedding(TITAN_EMBED, 256)


def test_embedding_failures(client: Any, fake: FakeBedrock) -> None:
    fake.fail_next("throttle", model_prefix="amazon.titan-embed")
    assert invoke(client, NOVA_EMBED, nova_text("a"))["embeddings"], "other models are unaffected"
    with pytest.raises(client.exceptions.ThrottlingException):
        invoke(client, TITAN_EMBED, {"inputText": "a"})
    fake.fail_next("deny")
    assert invoke_error(client, NOVA_EMBED, nova_text("a"))["Error"]["Code"] == "AccessDeniedException"
    fake.fail_next("filter_input")
    fake.fail_next("filter_output")
    assert invoke(client, TITAN_EMBED, {"inputText": "a"})["embedding"], "embeddings are not filtered"
    assert invoke(client, NOVA_EMBED, nova_text("a"))["embeddings"]
    assert invoke_error(client, TITAN_V2, titan_text())["Error"]["Message"] == FILTER_INPUT_MESSAGE
    assert invoke(client, TITAN_V2, titan_text()) == {"images": [], "error": FILTER_OUTPUT_MESSAGE}
    fake.reset()
    message = converse_error(client, NOVA_EMBED, [user("hi")])["Error"]["Message"]
    assert message.startswith("This action doesn't support the model that you provided.")


# -- Cohere Embed v4 ---------------------------------------------------------------

COHERE = "cohere.embed-v4:0"


def data_uri(data: bytes, mime: str = "png") -> str:
    return f"data:image/{mime};base64,{b64(data)}"


def cohere(**body: Any) -> dict:
    return {"input_type": "search_document", **body}


@pytest.mark.parametrize("model_id", [COHERE, f"us.{COHERE}", f"global.{COHERE}"])
def test_cohere_texts_answer_float_vectors_in_order(client: Any, model_id: str) -> None:
    texts = ["A red bicycle", "blue sky over the sea", "no colours here"]
    result = invoke(client, model_id, cohere(texts=texts))
    assert set(result) == {"id", "embeddings", "response_type", "texts"}
    assert result["response_type"] == "embeddings_floats" and isinstance(result["id"], str) and result["id"]
    assert result["texts"] == texts
    assert len(result["embeddings"]) == 3
    for text, vector in zip(texts, result["embeddings"]):
        assert_unit(vector, 1536)
        assert vector == fake_embedding(COHERE, 1536, text=text)
    query = invoke(client, model_id, {"input_type": "search_query", "texts": texts[:1]})
    assert query["embeddings"] == result["embeddings"][:1], "input_type does not change the vector"


def test_cohere_embedding_types_dimension_and_images(client: Any) -> None:
    red, blue = flat_image(RED), flat_image(BLUE, fmt="JPEG")
    kinds = ["float", "int8", "uint8", "binary", "ubinary"]
    body = cohere(images=[data_uri(red), data_uri(blue, "jpeg")], embedding_types=kinds, output_dimension=256)
    result = invoke(client, COHERE, body)
    assert result["response_type"] == "embeddings_by_type"
    assert "texts" not in result and "inputs" not in result
    assert list(result["embeddings"]) == kinds
    floats = result["embeddings"]["float"]
    assert floats == [fake_embedding(COHERE, 256, image=red), fake_embedding(COHERE, 256, image=blue)]
    for n, vector in enumerate(floats):
        values = np.array(vector)
        int8 = np.array(result["embeddings"]["int8"][n])
        assert int8.tolist() == np.rint(values * 127 / np.abs(values).max()).astype(int).tolist()
        assert max(-int8.min(), int8.max()) == 127
        assert (np.array(result["embeddings"]["uint8"][n]) == int8 + 128).all()
        ubinary = np.array(result["embeddings"]["ubinary"][n])
        assert len(ubinary) == 32 and ubinary.tolist() == np.packbits(values > 0).tolist()
        assert (np.array(result["embeddings"]["binary"][n]) == ubinary - 128).all()
    only_float = invoke(client, COHERE, cohere(texts=["x"], embedding_types=["float"], output_dimension=512))
    assert only_float["response_type"] == "embeddings_by_type"
    assert only_float["embeddings"] == {"float": [fake_embedding(COHERE, 512, text="x")]}
    jpg = invoke(client, COHERE, cohere(images=[data_uri(blue, "jpg")], output_dimension=1024))
    assert jpg["embeddings"] == [fake_embedding(COHERE, 1024, image=blue)]


def test_cohere_inputs_are_the_normalised_average_of_their_parts(client: Any) -> None:
    red = flat_image(RED)
    inputs = [
        {"content": [{"type": "text", "text": "red sofa"}, {"type": "image_url", "image_url": data_uri(red)}]},
        {"content": [{"type": "text", "text": "red sofa"},
                     {"type": "image_url", "image_url": {"url": data_uri(red)}}]},  # fmt: skip
        {"content": [{"type": "text", "text": "red"}, {"type": "text", "text": "sofa"}]},
    ]
    result = invoke(client, COHERE, cohere(inputs=inputs, output_dimension=512))
    assert result["inputs"] == inputs and "texts" not in result
    first, second, third = result["embeddings"]
    assert first == second == fake_embedding(COHERE, 512, text="red sofa", image=red)
    parts = np.array(fake_embedding(COHERE, 512, text="red")) + np.array(fake_embedding(COHERE, 512, text="sofa"))
    np.testing.assert_allclose(third, parts / np.linalg.norm(parts), atol=1e-12)
    assert_unit(third, 512)


def test_cohere_ranks_colours_in_english_and_korean(client: Any) -> None:
    red, blue = flat_image(RED), flat_image(BLUE)
    images = np.array(invoke(client, COHERE, cohere(images=[data_uri(red), data_uri(blue)]))["embeddings"])
    queries = ["something red", "빨간 자동차", "빨강이", "파란색 하늘", "blue"]
    vectors = np.array(invoke(client, COHERE, cohere(texts=queries))["embeddings"])
    scores = vectors @ images.T
    for row, colour in zip(scores, (0, 0, 0, 1, 1)):
        assert row[colour] > 0.7 > 0.2 > row[1 - colour], (row, colour)
    korean = np.array(fake_embedding(COHERE, 256, text="초록 녹색 보라 분홍 주황 노랑 회색 흰 검은"))
    assert korean[[4, 9, 10, 1, 2, 12]].min() > 0 and korean[4] == pytest.approx(2 * korean[9])
    assert not np.array(fake_embedding(TITAN_EMBED, 256, text="빨간 자동차"))[:13].any(), "Titan is English-only"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (cohere(texts=["a"] * 97), "#/texts: expected maximum item count: 96, found: 97"),
        (cohere(texts=[]), "#/texts: expected minimum item count: 1, found: 0"),
        (cohere(), "#: exactly one of [texts, images, inputs] is required, found none"),
        (cohere(texts=["a"], images=[data_uri(flat_image(RED))]), "found texts and images"),
        ({"texts": ["a"]}, "#: required key [input_type] not found"),
        (cohere(input_type="image", texts=["a"]), "#/input_type: image is not a valid enum value"),
        (cohere(texts=["a"], output_dimension=768), "#/output_dimension: 768 is not a valid enum value"),
        (cohere(texts=["a"], normalize=True), "#: extraneous key [normalize] is not permitted"),
        (cohere(texts=["a"], embedding_types=["float16"]), "#/embedding_types/0: float16 is not a valid enum"),
        (cohere(texts=["a"], embedding_types=[]), "#/embedding_types: expected minimum item count: 1"),
        (cohere(texts=["a"], max_tokens=128001), "#/max_tokens: 128001 is not less or equal to 128000"),
        (cohere(texts=["a"], truncate="END"), "#/truncate: END is not a valid enum value"),
        (cohere(texts=[""]), "#/texts/0: expected minLength: 1, actual: 0"),
        (cohere(texts=[5]), "#/texts/0: expected type: String, found: Integer"),
        (cohere(images=[b64(flat_image(RED))]), "#/images/0: expected a data URI data:image/"),
        (cohere(images=[data_uri(flat_image(RED), "bmp")]), "#/images/0: expected a data URI"),
        (cohere(images=["data:image/png;base64,%%%"]), "#/images/0: the provided image is not a valid PNG"),
        (cohere(images=[data_uri(flat_image(RED), "jpeg")]), "as image/jpeg, but the image appears to be a png"),
        (cohere(inputs=[{"content": []}]), "#/inputs/0/content: expected minimum item count: 1, found: 0"),
        (cohere(inputs=[{"content": [{"type": "image", "image": "x"}]}]), "#/inputs/0/content/0/type: image is not"),
        (cohere(inputs=[{"content": [{"type": "text", "text": "a", "image_url": "x"}]}]), "extraneous key [image_url]"),
        (cohere(inputs=[{"content": [{"type": "image_url", "image_url": {"uri": "x"}}]}]), "extraneous key [uri]"),
        (cohere(inputs=[{"text": "a"}]), "#/inputs/0: extraneous key [text] is not permitted"),
    ],
)
def test_cohere_validation(client: Any, body: dict, fragment: str) -> None:
    error = invoke_error(client, COHERE, body)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].startswith("Malformed input request: ")
    assert fragment in error["Error"]["Message"]


def test_cohere_limits_images_to_5_mb_and_96_items(client: Any) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (1400, 1400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG", compress_level=0)
    assert len(buffer.getvalue()) > 5 * 1024 * 1024
    message = invoke_error(client, COHERE, cohere(images=[data_uri(buffer.getvalue())]))["Error"]["Message"]
    assert f"image is {len(buffer.getvalue())} bytes, which exceeds the maximum of 5242880 bytes" in message
    many = invoke(client, COHERE, cohere(texts=[f"text {i}" for i in range(96)], output_dimension=256))
    assert len(many["embeddings"]) == 96 and many["embeddings"][95] == fake_embedding(COHERE, 256, text="text 95")


def test_cohere_max_tokens_and_truncate(client: Any) -> None:
    words = [f"w{i}" for i in range(20)]
    text = " ".join(words)
    error = invoke_error(client, COHERE, cohere(texts=["short", text], max_tokens=10))["Error"]["Message"]
    assert "#/texts/1: input is 20 tokens long, which exceeds max_tokens 10" in error
    right = invoke(client, COHERE, cohere(texts=[text], max_tokens=10, truncate="RIGHT"))
    assert right["embeddings"] == [fake_embedding(COHERE, 1536, text=" ".join(words[:10]))]
    assert right["texts"] == [text]
    left = invoke(client, COHERE, cohere(texts=[text], max_tokens=10, truncate="LEFT"))
    assert left["embeddings"] == [fake_embedding(COHERE, 1536, text=" ".join(words[10:]))]
    assert invoke(client, COHERE, cohere(texts=[text], max_tokens=20))["embeddings"] == [
        fake_embedding(COHERE, 1536, text=text)
    ]
    assert cohere_image_tokens(96, 64) == 32  # ceil(6144 / 784 x 4)
    assert cohere_image_tokens(10, 10) == 16  # upsampled to 3136 pixels
    assert cohere_image_tokens(1568, 1568) == cohere_image_tokens(4000, 4000) == 12544  # downsampled
    image = invoke_error(client, COHERE, cohere(images=[data_uri(flat_image(RED))], max_tokens=31))["Error"]
    assert "#/images/0: input is 32 tokens long, which exceeds max_tokens 31" in image["Message"]
    red_part = {"type": "image_url", "image_url": data_uri(flat_image(RED))}
    mixed = [{"content": [{"type": "text", "text": "a red car"}, red_part]}]
    too_long = invoke_error(client, COHERE, cohere(inputs=mixed, max_tokens=34))["Error"]["Message"]
    assert "#/inputs/0: input is 35 tokens long" in too_long
    assert invoke(client, COHERE, cohere(inputs=mixed, max_tokens=35))["embeddings"]


def test_cohere_ids_failures_and_filters(client: Any, fake: FakeBedrock) -> None:
    assert invoke_error(client, f"eu.{COHERE}", cohere(texts=["a"]))["Error"]["Message"] == (
        "The provided model identifier is invalid."
    )
    assert invoke_error(client, "cohere.embed-v4", cohere(texts=["a"]))["Error"]["Code"] == "ValidationException"
    fake.fail_next("filter_input")
    fake.fail_next("filter_output")
    assert invoke(client, COHERE, cohere(texts=["a"]))["embeddings"], "embeddings are not filtered"
    fake.reset()
    fake.fail_next("throttle", model_prefix="us.cohere.")
    assert invoke(client, COHERE, cohere(texts=["a"]))["embeddings"], "the prefix picks the us. profile only"
    with pytest.raises(client.exceptions.ThrottlingException):
        invoke(client, f"us.{COHERE}", cohere(texts=["a"]))
    assert fake.calls[-1].model_id == f"us.{COHERE}" and fake.calls[-1].body["texts"] == ["a"]
    message = converse_error(client, f"us.{COHERE}", [user("hi")])["Error"]["Message"]
    assert message.startswith("This action doesn't support the model that you provided.")


# -- TwelveLabs Marengo Embed 3.0 ------------------------------------------------------

MARENGO = "twelvelabs.marengo-embed-3-0-v1:0"


def marengo_text(text: str) -> dict:
    return {"inputType": "text", "text": {"inputText": text}}


def marengo_image(data: bytes) -> dict:
    return {"inputType": "image", "image": {"mediaSource": {"base64String": b64(data)}}}


def marengo_vector(client: Any, model_id: str, body: dict) -> list[float]:
    result = invoke(client, model_id, body)
    assert list(result) == ["data"] and len(result["data"]) == 1
    assert list(result["data"][0]) == ["embedding"], "text/image answers carry no embeddingOption"
    vector = result["data"][0]["embedding"]
    assert_unit(vector, 512)
    return vector


def _multi(text: str | None, *sources: dict) -> dict:
    payload: dict = {"mediaSources": list(sources)}
    if text is not None:
        payload["inputText"] = text
    return {"inputType": "multi_input", "multi_input": payload}


def _source(name: str | None = None, **extra: Any) -> dict:
    source = {"mediaType": "image", "base64String": b64(flat_image(RED)), **extra}
    return source if name is None else {"name": name, **source}


@pytest.mark.parametrize("model_id", [MARENGO, f"us.{MARENGO}", f"eu.{MARENGO}"])
def test_marengo_text_image_and_text_image(client: Any, model_id: str) -> None:
    red = flat_image(RED, fmt="JPEG")
    text = marengo_vector(client, model_id, marengo_text("a red kite"))
    assert text == fake_embedding(MARENGO, 512, text="a red kite")
    assert marengo_vector(client, model_id, marengo_image(red)) == fake_embedding(MARENGO, 512, image=red)
    pair = {"inputText": "a red kite", "mediaSource": {"base64String": b64(red)}}
    both = {"inputType": "text_image", "text_image": pair, "inferenceId": "query-1"}
    assert marengo_vector(client, model_id, both) == fake_embedding(MARENGO, 512, text="a red kite", image=red)


def test_marengo_multi_input_averages_text_and_images(client: Any) -> None:
    red, blue = flat_image(RED), flat_image(BLUE, fmt="WEBP")
    sources = [{"name": "img1", "mediaType": "image", "base64String": b64(red)},
               {"name": "img2", "mediaType": "image", "base64String": b64(blue)}]  # fmt: skip
    body = _multi("<@img1> beside <@img2>", *sources)
    parts = [fake_embedding(MARENGO, 512, text="<@img1> beside <@img2>"), fake_embedding(MARENGO, 512, image=red),
             fake_embedding(MARENGO, 512, image=blue)]  # fmt: skip
    expected = np.sum(parts, axis=0) / np.linalg.norm(np.sum(parts, axis=0))
    np.testing.assert_allclose(marengo_vector(client, MARENGO, body), expected, atol=1e-12)
    unnamed = _multi(None, {"mediaType": "image", "base64String": b64(red)})
    assert marengo_vector(client, MARENGO, unnamed) == fake_embedding(MARENGO, 512, image=red)


def test_marengo_ranks_colours_in_english_and_korean(client: Any) -> None:
    red, blue = (np.array(marengo_vector(client, MARENGO, marengo_image(flat_image(c)))) for c in (RED, BLUE))
    for text, near, far in (("red", red, blue), ("빨간 연", red, blue), ("파란 바다", blue, red)):
        query = np.array(marengo_vector(client, MARENGO, marengo_text(text)))
        assert query @ near > 0.7 > 0.2 > query @ far, text


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": {"inputText": "a"}}, "#: required key [inputType] not found"),
        ({"inputType": "sound"}, "#/inputType: sound is not a valid enum value"),
        ({"inputType": "text", "inputText": "a"}, "#: extraneous key [inputText] is not permitted"),
        ({**marengo_text("a"), "embeddingOption": ["visual"]}, "#: extraneous key [embeddingOption]"),
        ({**marengo_text("a"), "image": {}}, "#: extraneous key [image] is not permitted"),
        ({"inputType": "text"}, "#: required key [text] not found"),
        ({"inputType": "text", "text": {"inputText": "a", "textTruncate": "end"}}, "extraneous key [textTruncate]"),
        (marengo_text(""), "#/text/inputText: expected minLength: 1, actual: 0"),
        (marengo_text("word " * 501), "#/text/inputText: text is 501 tokens long, which exceeds the maximum of 500"),
        ({"inputType": "image", "image": {}}, "#/image: required key [mediaSource] not found"),
        ({"inputType": "image", "image": {"mediaSource": {}}}, "[base64String, s3Location] is required, found neither"),
        (
            {"inputType": "image", "image": {"mediaSource": {"base64String": "x", "s3Location": {"uri": "s3://b"}}}},
            "#/image/mediaSource: exactly one of [base64String, s3Location] is required, found both",
        ),
        (
            {"inputType": "image", "image": {"mediaSource": {**_source()}}},
            "#/image/mediaSource: extraneous key [mediaType] is not permitted",
        ),
        (marengo_image(b"not an image"), "#/image/mediaSource/base64String: the provided image is not a valid PNG"),
        (marengo_image(flat_image(RED, fmt="GIF")), "not a valid PNG or JPEG or WEBP image"),
        ({"inputType": "text_image", "text_image": {"inputText": "a"}}, "#/text_image: required key [mediaSource]"),
        ({"inputType": "multi_input", "multi_input": {"inputText": "a"}}, "#/multi_input: required key [mediaSources]"),
        (_multi("a"), "#/multi_input/mediaSources: expected minimum item count: 1, found: 0"),
        (_multi("<@a>", _source()), "#/multi_input/mediaSources/0: required key [name] not found"),
        (_multi("<@a> <@b>", _source("a")), "the placeholder <@b> does not name a media source"),
        (_multi("plain", _source("a")), "#/multi_input/mediaSources/0/name: a does not match a <@name> placeholder"),
        (_multi("<@a>", _source("a"), _source("a")), "#/multi_input/mediaSources/1/name: a is not unique"),
        (_multi(None, {"mediaType": "video", "base64String": "x"}), "mediaSources/0/mediaType: video is not a valid"),
        (_multi(None, _source(url="x")), "#/multi_input/mediaSources/0: extraneous key [url] is not permitted"),
    ],
)
def test_marengo_validation(client: Any, body: dict, fragment: str) -> None:
    error = invoke_error(client, MARENGO, body)["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("Malformed input request: ")
    assert fragment in error["Message"]


def test_marengo_limits_and_refusals(client: Any, fake: FakeBedrock) -> None:
    assert marengo_vector(client, MARENGO, marengo_text("word " * 500))
    noise = np.random.default_rng(2).integers(0, 256, (1400, 1400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG", compress_level=0)
    message = invoke_error(client, MARENGO, marengo_image(buffer.getvalue()))["Error"]["Message"]
    assert "which exceeds the maximum of 5242880 bytes" in message
    for media in ("video", "audio"):
        body = {"inputType": media, media: {"mediaSource": {"s3Location": {"uri": "s3://b/clip.mp4"}}}}
        error = invoke_error(client, MARENGO, body)
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        expected = MARENGO_ASYNC_MESSAGE.format(input_type=media)
        assert error["Error"] == {"Code": "ValidationException", "Message": expected}
    s3 = {"inputType": "image", "image": {"mediaSource": {"s3Location": {"uri": "s3://b/k.png", "bucketOwner": "1"}}}}
    message = invoke_error(client, MARENGO, s3)["Error"]["Message"]
    assert message == "FakeBedrock does not support s3Location image sources."
    assert invoke_error(client, f"global.{MARENGO}", marengo_text("a"))["Error"]["Message"] == (
        "The provided model identifier is invalid."
    )
    fake.fail_next("filter_output")
    assert marengo_vector(client, MARENGO, marengo_text("a")), "embeddings are not filtered"
    fake.reset()
    fake.fail_next("deny", model_prefix="twelvelabs.")
    assert invoke_error(client, MARENGO, marengo_text("a"))["Error"]["Code"] == "AccessDeniedException"
    assert fake_embedding(MARENGO, 512, text="x") != fake_embedding(COHERE, 512, text="x")


def first_calls_meet(fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Make the first `parties` InvokeModel calls wait inside the fake until all of them are being served.

    Overlap is then shown by `fake.max_in_flight`, never by timing; a fake (or client) that served one call
    at a time breaks the barrier instead, and the calls fail (its timeout only ends such a run).
    """
    meet = threading.Barrier(parties, timeout=30)
    waiting = threading.Semaphore(parties)
    handle_invoke = fake.handle_invoke

    def meeting_invoke(*args: Any, **kwargs: Any) -> Any:
        if waiting.acquire(blocking=False):
            meet.wait()
        return handle_invoke(*args, **kwargs)

    monkeypatch.setattr(fake, "handle_invoke", meeting_invoke)


def test_embedding_calls_are_recorded_and_overlap(client: Any, fake: FakeBedrock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake.latency_s = 0.2
    bodies = [{"inputText": f"red thing {n}"} for n in range(8)]
    first_calls_meet(fake, monkeypatch, 2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda body: invoke(client, TITAN_EMBED, body), bodies))
    assert fake.max_in_flight >= 2, "eight calls must overlap"
    assert [result["embedding"] for result in results] == [
        fake_embedding(TITAN_EMBED, 1024, text=body["inputText"]) for body in bodies
    ]
    assert sorted(call.body["inputText"] for call in fake.calls) == sorted(b["inputText"] for b in bodies)
    assert {(call.model_id, call.operation) for call in fake.calls} == {(TITAN_EMBED, "invoke")}


# -- Recording, control endpoints, process mode -----------------------------------


def test_calls_are_recorded_with_decoded_model_id(client: Any, fake: FakeBedrock) -> None:
    invoke(client, TITAN_V2, titan_text("first"))
    invoke_error(client, "no.such-model", {"prompt": "second"})
    recorded = [(call.model_id, call.operation) for call in fake.calls]
    assert recorded == [(TITAN_V2, "invoke"), ("no.such-model", "invoke")]
    first = fake.calls[0]
    assert first.body["textToImageParams"]["text"] == "first"
    assert first.headers["accept"] == "application/json"
    assert first.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=test/")


def test_control_endpoints(client: Any, fake: FakeBedrock) -> None:
    queued = control(fake, "POST", "fail_next", {"kind": "throttle", "times": 1, "model_prefix": "amazon.nova"})
    assert queued == {"ok": True}
    assert invoke_error(client, NOVA, titan_text())["Error"]["Code"] == "ThrottlingException"
    control(fake, "POST", "mode", {"kind": "eol"})
    assert invoke_error(client, SD35, {"prompt": "a fox"})["Error"]["Code"] == "ResourceNotFoundException"
    control(fake, "POST", "mode", {"kind": None})
    image = encode(half_black_half_white())
    variation = {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [image]}}
    invoke(client, TITAN_V2, variation)

    calls = control(fake, "GET", "calls")
    assert [call["model_id"] for call in calls] == [NOVA, SD35, TITAN_V2]
    image_field = calls[2]["body"]["imageVariationParams"]["images"][0]
    assert image_field.startswith("<base64 ") and image_field.endswith(" chars>")
    assert calls[0]["body"]["textToImageParams"]["text"] == "a lighthouse at dusk"

    control(fake, "POST", "reset", {})
    assert control(fake, "GET", "calls") == []
    with pytest.raises(urllib.error.HTTPError) as bad:
        control(fake, "POST", "mode", {"kind": "explode"})
    assert bad.value.code == 400


def test_latency(client: Any, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake waits `latency_s` per call: its sleeps are recorded, not timed."""
    slept: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:
        if threading.current_thread().name != "MainThread":  # the fake's handler threads, not the test's own
            slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    fake.latency_s = 0.3
    invoke(client, CORE, {"prompt": "a fox"})
    assert slept == [0.3]


def test_serves_calls_concurrently(client: Any, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Overlap is counted inside the fake, never timed: the first two calls wait for each other in there.

    A fake that served one call at a time would break the barrier (its timeout only ends such a run).
    """
    fake.latency_s = 0.3
    first_calls_meet(fake, monkeypatch, 2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: invoke(client, CORE, {"prompt": f"fox {n}"}), range(6)))
    assert fake.max_in_flight >= 2 and fake.in_flight == 0
    assert len({result["images"][0] for result in results}) == 6
    assert len(fake.calls) == 6


def test_in_flight_counts_one_at_a_time_calls_as_one_and_reset_clears_the_maximum(
        client: Any, fake: FakeBedrock) -> None:
    for n in range(3):
        invoke(client, CORE, {"prompt": f"fox {n}"})
    assert (fake.in_flight, fake.max_in_flight) == (0, 1)
    fake.reset()
    assert fake.max_in_flight == 0


def test_env_var_endpoint_like_the_app(fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    app_client = boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)
    assert app_client.meta.endpoint_url == fake.url
    assert invoke(app_client, NOVA, titan_text())["images"]


def test_runs_as_a_separate_process() -> None:
    script = Path(__file__).with_name("fake_bedrock.py")
    process = subprocess.Popen(
        [sys.executable, str(script), "--port", "0", "--latency", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = process.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/_fake/calls", timeout=5) as response:
            assert json.loads(response.read()) == []
    finally:
        process.terminate()
        process.wait(timeout=5)
