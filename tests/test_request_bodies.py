"""The JSON bodies the service sends, checked exactly against the documented shapes.

A real boto3 bedrock-runtime client wrapped in botocore's Stubber is injected where
`lib.bedrock.invoke_json` gets its client; every InvokeModel parameter is captured.
"""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

import lib.services.images as service
from lib.catalog import get_model
from lib.generation.requests import GenerationRequest, VariationRequest
from lib.imaging import sniff_format
from lib.settings import Settings, load_settings
from stub_support import StubbedBedrock, b64png, png, stub  # noqa: F401  (stub is a fixture)

TITAN_V2 = "amazon.titan-image-generator-v2:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
ULTRA = "stability.stable-image-ultra-v1:1"
STABILITY_T2I_KEYS = {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format"}

EAST: Settings = load_settings({"WORKSHOP_REGION": "us-east-1"})
WEST: Settings = load_settings({"WORKSHOP_REGION": "us-west-2"})


def titan_answer(count: int = 1, size: tuple[int, int] = (64, 64)) -> dict:
    """A Titan/Nova success payload with `count` images."""
    return {"images": [b64png(size, (10 * i, 50, 90)) for i in range(count)], "error": None}


def stability_answer(seed: int, size: tuple[int, int] = (64, 64)) -> dict:
    """A Stability success payload (one image)."""
    return {"seeds": [seed], "finish_reasons": [None], "images": [b64png(size)]}


def assert_invoke_params(stub: StubbedBedrock, model_id: str, region: str) -> None:
    """Every captured call used JSON in and out, the bare model id, and `region`'s client."""
    assert stub.sent, "no InvokeModel call was made"
    for call in stub.sent:
        assert call.region == region
        assert set(call.params) == {"modelId", "body", "contentType", "accept"}
        assert call.params["modelId"] == model_id
        assert call.params["contentType"] == "application/json"
        assert call.params["accept"] == "application/json"
        assert isinstance(call.params["body"], str)
    assert set(stub.requested_regions) == {region}
    stub.assert_all_used()


# --- Titan / Nova TEXT_IMAGE ----------------------------------------------------------------

@pytest.mark.parametrize(("model_id", "cfg"), [(TITAN_V2, 8.0), (TITAN_V1, 8.0), (NOVA, 6.5)])
def test_text_image_body_with_defaults(stub: StubbedBedrock, model_id: str, cfg: float) -> None:
    stub.add_json("us-east-1", titan_answer(2))
    req = GenerationRequest(model_id=model_id, prompt="a calico cat", count=2, width=512, height=512,
                            quality="premium", seed=42)
    result = service.generate(req, EAST)
    assert stub.sent[0].body == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a calico cat"},
        "imageGenerationConfig": {"numberOfImages": 2, "quality": "premium", "width": 512, "height": 512,
                                  "cfgScale": cfg, "seed": 42},
    }
    assert_invoke_params(stub, model_id, "us-east-1")
    assert len(result.images) == 2
    assert result.request_body == stub.sent[0].body


def test_text_image_negative_text_and_explicit_cfg(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_answer())
    req = GenerationRequest(model_id=NOVA, prompt="A doctor", negative_prompt="stethoscope", width=1280,
                            height=720, cfg_scale=7.25, seed=0)
    service.generate(req, EAST)
    assert stub.sent[0].body == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "A doctor", "negativeText": "stethoscope"},
        "imageGenerationConfig": {"numberOfImages": 1, "quality": "standard", "width": 1280, "height": 720,
                                  "cfgScale": 7.25, "seed": 0},
    }


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_text_image_blank_negative_text_is_left_out(stub: StubbedBedrock, blank: str) -> None:
    stub.add_json("us-east-1", titan_answer())
    service.generate(GenerationRequest(model_id=TITAN_V2, prompt="x", negative_prompt=blank, seed=1), EAST)
    assert stub.sent[0].body["textToImageParams"] == {"text": "x"}


def test_nova_is_called_in_us_east_1_when_the_app_region_is_us_west_2(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_answer())
    result = service.generate(GenerationRequest(model_id=NOVA, prompt="x", seed=5), WEST)
    assert_invoke_params(stub, NOVA, "us-east-1")
    assert result.region == "us-east-1"
    assert any("us-east-1" in n for n in result.notes)


# --- Titan / Nova IMAGE_VARIATION -----------------------------------------------------------------

def test_variation_body_with_defaults(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_answer(size=(512, 512)))
    source = png((512, 512))
    req = VariationRequest(model_id=TITAN_V2, images=(source,), width=512, height=512, seed=9)
    service.vary(req, EAST)
    assert stub.sent[0].body == {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {"images": [base64.b64encode(source).decode("ascii")], "similarityStrength": 0.7},
        "imageGenerationConfig": {"numberOfImages": 1, "quality": "standard", "width": 512, "height": 512,
                                  "cfgScale": 8.0, "seed": 9},
    }
    assert_invoke_params(stub, TITAN_V2, "us-east-1")


def test_variation_body_with_text_negative_strength_and_several_images(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_answer(3))
    sources = (png((320, 320), (255, 0, 0)), png((320, 320), (0, 255, 0)))
    req = VariationRequest(model_id=NOVA, images=sources, prompt="A car on a brick road.", negative_prompt="rain",
                           strength=0.9, count=3, width=1024, height=1024, quality="premium", seed=77)
    service.vary(req, EAST)
    body = stub.sent[0].body
    assert body == {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {
            "images": [base64.b64encode(s).decode("ascii") for s in sources],
            "text": "A car on a brick road.",
            "negativeText": "rain",
            "similarityStrength": 0.9,
        },
        "imageGenerationConfig": {"numberOfImages": 3, "quality": "premium", "width": 1024, "height": 1024,
                                  "cfgScale": 6.5, "seed": 77},
    }
    assert [base64.b64decode(i) for i in body["imageVariationParams"]["images"]] == list(sources)


def test_variation_blank_text_is_left_out(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_answer())
    service.vary(VariationRequest(model_id=TITAN_V1, images=(png(),), prompt="  ", width=512, height=512, seed=1),
                 EAST)
    assert set(stub.sent[0].body["imageVariationParams"]) == {"images", "similarityStrength"}


# --- Stability text-to-image ----------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", [SD35, CORE, ULTRA])
def test_stability_text_to_image_body(stub: StubbedBedrock, model_id: str) -> None:
    stub.add_json("us-west-2", stability_answer(1234))
    req = GenerationRequest(model_id=model_id, prompt="a lighthouse at dusk", aspect_ratio="16:9", seed=1234,
                            output_format="jpeg", quality="premium", width=512, height=512, cfg_scale=9.0)
    result = service.generate(req, EAST)
    body = stub.sent[0].body
    # Titan-only fields (width/height/quality/cfg/numberOfImages) must not leak into a Stability body.
    assert body == {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9", "seed": 1234, "output_format": "jpeg"}
    assert set(body) <= STABILITY_T2I_KEYS
    assert_invoke_params(stub, model_id, "us-west-2")  # us-west-2 only, though the app region is us-east-1
    assert result.region == "us-west-2"
    assert any("us-west-2" in n and "us-east-1" in n for n in result.notes)


def test_stability_negative_prompt_only_when_non_blank(stub: StubbedBedrock) -> None:
    stub.add_json("us-west-2", stability_answer(5))
    stub.add_json("us-west-2", stability_answer(5))
    service.generate(GenerationRequest(model_id=CORE, prompt="p", negative_prompt="blurry", seed=5), EAST)
    service.generate(GenerationRequest(model_id=CORE, prompt="p", negative_prompt=" \n", seed=5), EAST)
    first, second = (c.body for c in stub.sent)
    assert first == {"prompt": "p", "aspect_ratio": "1:1", "seed": 5, "output_format": "png",
                     "negative_prompt": "blurry"}
    assert second == {"prompt": "p", "aspect_ratio": "1:1", "seed": 5, "output_format": "png"}


def test_stability_several_images_are_several_calls_with_consecutive_seeds(stub: StubbedBedrock) -> None:
    for seed in (10, 11, 12):
        stub.add_json("us-west-2", stability_answer(seed))
    result = service.generate(GenerationRequest(model_id=ULTRA, prompt="p", count=3, seed=10), EAST)
    assert sorted(c.body["seed"] for c in stub.sent) == [10, 11, 12]
    for call in stub.sent:
        assert {k: v for k, v in call.body.items() if k != "seed"} == {"prompt": "p", "aspect_ratio": "1:1",
                                                                        "output_format": "png"}
    assert len(result.images) == 3
    assert_invoke_params(stub, ULTRA, "us-west-2")


# --- SD3.5 image-to-image --------------------------------------------------------------------------------

def test_sd35_image_to_image_body_with_default_strength(stub: StubbedBedrock) -> None:
    stub.add_json("us-west-2", stability_answer(321))
    source = png((256, 192))
    req = VariationRequest(model_id=SD35, images=(source,), prompt="as a watercolour", seed=321)
    result = service.vary(req, EAST)
    assert stub.sent[0].body == {
        "prompt": "as a watercolour",
        "mode": "image-to-image",
        "image": base64.b64encode(source).decode("ascii"),
        "strength": 0.6,
        "seed": 321,
        "output_format": "png",
    }
    assert_invoke_params(stub, SD35, "us-west-2")
    assert result.images[0].seed == 321 and sniff_format(result.images[0].data) == "png"


def test_sd35_image_to_image_explicit_strength_negative_and_format(stub: StubbedBedrock) -> None:
    stub.add_json("us-west-2", stability_answer(8))
    source = png((128, 128))
    req = VariationRequest(model_id=SD35, images=(source,), prompt="p", negative_prompt="text", strength=0.35,
                           seed=8, output_format="webp", width=512, height=512, quality="premium")
    service.vary(req, WEST)
    body = stub.sent[0].body
    assert body == {"prompt": "p", "mode": "image-to-image", "image": base64.b64encode(source).decode("ascii"),
                    "strength": 0.35, "seed": 8, "output_format": "webp", "negative_prompt": "text"}
    assert "aspect_ratio" not in body  # image-to-image keeps the input's shape
    assert_invoke_params(stub, SD35, "us-west-2")


# --- ids and regions ---------------------------------------------------------------------------------------

def test_inference_profile_prefix_is_sent_as_the_model_id(stub: StubbedBedrock,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    profiled = replace(get_model(CORE), inference_profile_prefix="us",
                       regions=("us-east-1", "us-east-2", "us-west-2"))
    monkeypatch.setattr(service, "get_model", lambda model_id: profiled)
    stub.add_json("us-east-1", stability_answer(3))
    result = service.generate(GenerationRequest(model_id=CORE, prompt="p", seed=3), EAST)
    assert_invoke_params(stub, f"us.{CORE}", "us-east-1")
    assert result.region == "us-east-1" and result.notes == []


def test_random_seed_is_sent_and_reported(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_answer())
    result = service.generate(GenerationRequest(model_id=TITAN_V2, prompt="p", seed=None), EAST)
    sent_seed = stub.sent[0].body["imageGenerationConfig"]["seed"]
    assert 1 <= sent_seed <= get_model(TITAN_V2).image.seed_max
    assert result.request.seed == sent_seed == result.images[0].seed
