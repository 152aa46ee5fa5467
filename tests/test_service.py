"""lib.services.images against the fake bedrock-runtime endpoint (real boto3, real HTTP on 127.0.0.1)."""

from __future__ import annotations

import base64
import io
import re
import threading
from typing import Any, Callable

import numpy as np
import pytest
from PIL import Image

import lib.services.images as service
from fake_bedrock import FakeBedrock
from lib.catalog import get_model
from lib.errors import ContentFiltered, InvalidInput, ModelUnavailable, Throttled, WorkshopError
from lib.generation.requests import GenerationRequest, VariationRequest
from lib.imaging import b64encode, sniff_format

TITAN_V2 = "amazon.titan-image-generator-v2:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
ULTRA = "stability.stable-image-ultra-v1:1"


def png(size: tuple[int, int] = (64, 48), color: Any = (200, 40, 40), mode: str = "RGB") -> bytes:
    """A small one-colour PNG."""
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Random RGB pixels (large when encoded)."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


# --- validation happens before any call -------------------------------------------------------------


def gen(**kwargs: Any) -> Callable[[], Any]:
    """A deferred service.generate call (built at collection, run inside the test)."""
    return lambda: service.generate(GenerationRequest(**kwargs))


def var(**kwargs: Any) -> Callable[[], Any]:
    """A deferred service.vary call."""
    return lambda: service.vary(VariationRequest(**kwargs))


ONE = (png(),)
INVALID_CASES = [
    pytest.param(gen(model_id=TITAN_V2, prompt="  \n "), InvalidInput, "The prompt is empty.", id="empty-prompt"),
    pytest.param(gen(model_id=TITAN_V2, prompt="x" * 513), InvalidInput,
                 "The prompt is 513 characters; Titan Image Generator G1 v2 accepts at most 512.", id="titan-513"),
    pytest.param(gen(model_id=NOVA, prompt="x" * 1500), InvalidInput,
                 "The prompt is 1,500 characters; Amazon Nova Canvas accepts at most 1,024.", id="nova-1500"),
    pytest.param(gen(model_id=SD35, prompt="x" * 10_001), InvalidInput,
                 "The prompt is 10,001 characters; Stable Diffusion 3.5 Large accepts at most 10,000.",
                 id="stability-10001"),
    pytest.param(gen(model_id=TITAN_V1, prompt="ok", negative_prompt="n" * 600), InvalidInput,
                 "The negative prompt is 600 characters; Titan Image Generator G1 (v1) accepts at most 512.",
                 id="titan-negative-600"),
    pytest.param(gen(model_id=NOVA, prompt="ok", negative_prompt="n" * 1025), InvalidInput,
                 "The negative prompt is 1,025 characters; Amazon Nova Canvas accepts at most 1,024.",
                 id="nova-negative-1025"),
    pytest.param(gen(model_id=TITAN_V2, prompt="ok", count=0), InvalidInput, "Ask for 1 to 5 images, not 0.",
                 id="count-0"),
    pytest.param(gen(model_id=CORE, prompt="ok", count=6), InvalidInput, "Ask for 1 to 5 images, not 6.",
                 id="count-6"),
    pytest.param(gen(model_id=TITAN_V2, prompt="ok", seed=-1), InvalidInput,
                 "The seed must be between 0 and 2,147,483,646 for Titan Image Generator G1 v2.", id="seed-negative"),
    pytest.param(gen(model_id=NOVA, prompt="ok", seed=858_993_460), InvalidInput,
                 "The seed must be between 0 and 858,993,459 for Amazon Nova Canvas.", id="nova-seed-max+1"),
    pytest.param(gen(model_id=ULTRA, prompt="ok", seed=4_294_967_295), InvalidInput,
                 "The seed must be between 0 and 4,294,967,294 for Stable Image Ultra.", id="stability-seed-max+1"),
    pytest.param(gen(model_id=TITAN_V2, prompt="ok", width=1000, height=1000), InvalidInput,
                 "Titan Image Generator G1 v2 can't make 1000×1000 images.", id="titan-size"),
    pytest.param(gen(model_id=NOVA, prompt="ok", width=1000, height=1000), InvalidInput,
                 "Amazon Nova Canvas can't make 1000×1000 images.", id="nova-size-not-16"),
    pytest.param(gen(model_id=TITAN_V2, prompt="ok", quality="ultra"), InvalidInput,
                 "Quality must be one of standard, premium.", id="quality"),
    pytest.param(gen(model_id=NOVA, prompt="ok", cfg_scale=10.5), InvalidInput,
                 "Prompt strength (cfgScale) must be between 1.1 and 10.0.", id="cfg"),
    pytest.param(gen(model_id=SD35, prompt="ok", aspect_ratio="7:3"), InvalidInput,
                 "Stable Diffusion 3.5 Large has no aspect ratio 7:3.", id="aspect-ratio"),
    pytest.param(gen(model_id=CORE, prompt="ok", output_format="gif"), InvalidInput,
                 "Output format must be one of png, jpeg, webp.", id="output-format"),
    pytest.param(gen(model_id="amazon.titan-image-generator-v9", prompt="ok"), InvalidInput,
                 "Unknown model “amazon.titan-image-generator-v9”.", id="unknown-model"),
    pytest.param(var(model_id=TITAN_V2, images=(), width=512, height=512), InvalidInput,
                 "Choose an input image first.", id="variation-no-image"),
    pytest.param(var(model_id=TITAN_V2, images=ONE * 6, width=512, height=512), InvalidInput,
                 "Titan Image Generator G1 v2 takes at most 5 input images, not 6.", id="variation-6-images"),
    pytest.param(var(model_id=SD35, images=ONE * 2, prompt="p"), InvalidInput,
                 "Stable Diffusion 3.5 Large takes at most 1 input image, not 2.", id="sd35-2-images"),
    pytest.param(var(model_id=TITAN_V2, images=ONE, strength=0.1, width=512, height=512), InvalidInput,
                 "Similarity strength must be between 0.2 and 1.0.", id="similarity-0.1"),
    pytest.param(var(model_id=NOVA, images=ONE, strength=1.05), InvalidInput,
                 "Similarity strength must be between 0.2 and 1.0.", id="similarity-1.05"),
    pytest.param(var(model_id=SD35, images=ONE, prompt="p", strength=1.5), InvalidInput,
                 "Strength must be between 0.0 and 1.0.", id="sd35-strength-1.5"),
    pytest.param(var(model_id=SD35, images=ONE, prompt=" "), InvalidInput, "The prompt is empty.",
                 id="sd35-image-to-image-needs-prompt"),
    pytest.param(var(model_id=TITAN_V2, images=ONE, prompt="x" * 513, width=512, height=512), InvalidInput,
                 "The prompt is 513 characters; Titan Image Generator G1 v2 accepts at most 512.",
                 id="variation-long-text"),
    pytest.param(var(model_id=CORE, images=ONE, prompt="p"), ModelUnavailable,
                 "Stable Image Core can't do variation.", id="core-cannot-vary"),
]


@pytest.mark.parametrize(("call", "cls", "message"), INVALID_CASES)
def test_invalid_requests_are_refused_before_any_call(aws_env: FakeBedrock, call: Callable[[], Any],
                                                      cls: type[WorkshopError], message: str) -> None:
    with pytest.raises(cls) as info:
        call()
    assert type(info.value) is cls
    assert info.value.message == message
    assert aws_env.calls == []


def test_too_long_prompt_hint_counts_the_excess(aws_env: FakeBedrock) -> None:
    with pytest.raises(InvalidInput) as one:
        service.generate(GenerationRequest(model_id=TITAN_V2, prompt="x" * 513))
    assert one.value.hint == "Shorten it by 1 character."
    with pytest.raises(InvalidInput) as many:
        service.generate(GenerationRequest(model_id=NOVA, prompt="x" * 1500))
    assert many.value.hint == "Shorten it by 476 characters."
    with pytest.raises(InvalidInput) as size:
        service.generate(GenerationRequest(model_id=TITAN_V2, prompt="ok", width=1000, height=1000))
    assert size.value.hint == "Pick a size from the list (one of 25 fixed sizes)."
    assert aws_env.calls == []


def test_values_exactly_at_the_limits_are_sent(aws_env: FakeBedrock) -> None:
    result = service.generate(GenerationRequest(model_id=TITAN_V2, prompt="x" * 512, negative_prompt="n" * 512,
                                                count=5, width=512, height=512, seed=2_147_483_646))
    assert len(result.images) == 5 and len(aws_env.calls) == 1
    result = service.generate(GenerationRequest(model_id=NOVA, prompt="y" * 1024, width=320, height=320, seed=0,
                                                cfg_scale=10.0))
    assert result.request.seed == 0 and aws_env.calls[-1].body["imageGenerationConfig"]["seed"] == 0


# --- seeds ---------------------------------------------------------------------------------------------

def test_random_seed_is_drawn_when_none_and_reported(aws_env: FakeBedrock) -> None:
    result = service.generate(GenerationRequest(model_id=TITAN_V2, prompt="a cat", width=512, height=512))
    seed = result.request.seed
    assert seed is not None and 1 <= seed <= get_model(TITAN_V2).image.seed_max
    assert aws_env.calls[0].body["imageGenerationConfig"]["seed"] == seed
    assert result.images[0].seed == seed
    assert result.request_body["imageGenerationConfig"]["seed"] == seed


def test_random_seed_is_never_zero(aws_env: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stability reads seed 0 as 'pick one for me', which would make the result unreproducible."""
    monkeypatch.setattr(service.secrets, "randbelow", lambda n: 0)
    result = service.generate(GenerationRequest(model_id=CORE, prompt="p"))
    assert result.request.seed == 1 and aws_env.calls[0].body["seed"] == 1
    assert result.images[0].seed == 1


# --- Stability fan-out ------------------------------------------------------------------------------------

def test_stability_n_images_are_n_concurrent_calls_with_consecutive_seeds(
        aws_env: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    # All four calls wait for each other inside the fake: they only get through if they run at once.
    # Overlap is counted there (max_in_flight), never timed; the barrier's timeout only ends a serial run.
    meet = threading.Barrier(4, timeout=30)
    handle_invoke = aws_env.handle_invoke

    def meeting_invoke(*args: Any, **kwargs: Any) -> Any:
        meet.wait()
        return handle_invoke(*args, **kwargs)

    monkeypatch.setattr(aws_env, "handle_invoke", meeting_invoke)
    result = service.generate(GenerationRequest(model_id=CORE, prompt="a red fox", count=4, seed=100))
    assert aws_env.max_in_flight == 4, "the 4 calls must run concurrently"
    assert len(aws_env.calls) == 4
    assert sorted(c.body["seed"] for c in aws_env.calls) == [100, 101, 102, 103]
    assert all(c.model_id == CORE for c in aws_env.calls)
    assert [(i.index, i.seed) for i in result.images] == [(0, 100), (1, 101), (2, 102), (3, 103)]
    assert result.problems == []
    assert any("4 calls ran in parallel with seeds 100–103" in n for n in result.notes)
    assert result.cost_usd == pytest.approx(4 * 0.04)


def test_stability_partial_failure_keeps_the_other_images(aws_env: FakeBedrock) -> None:
    aws_env.fail_next("filter_output", 1)
    result = service.generate(GenerationRequest(model_id=SD35, prompt="p", count=3, seed=7))
    assert len(aws_env.calls) == 3
    assert len(result.images) == 2
    assert len(result.problems) == 1
    assert re.fullmatch(r"Image [123] of 3: The generated image was blocked by the content filter, so it is not "
                        r"shown\.", result.problems[0]), result.problems[0]
    failed = int(result.problems[0].split()[1]) - 1
    assert sorted(i.index for i in result.images) == sorted({0, 1, 2} - {failed})
    assert all(i.seed == 7 + i.index for i in result.images)
    assert result.cost_usd == pytest.approx(2 * 0.08)  # only delivered images are paid for


def test_stability_all_calls_failing_raises_the_error(aws_env: FakeBedrock) -> None:
    aws_env.set_mode("throttle")
    with pytest.raises(Throttled):
        service.generate(GenerationRequest(model_id=ULTRA, prompt="p", count=3, seed=1))
    assert len(aws_env.calls) == 3


def test_stability_all_filtered_raises_content_filtered(aws_env: FakeBedrock) -> None:
    aws_env.fail_next("filter_prompt", 2)
    with pytest.raises(ContentFiltered) as info:
        service.generate(GenerationRequest(model_id=CORE, prompt="p", count=2, seed=1))
    assert info.value.stage == "prompt"


def test_stability_output_format_and_size_follow_the_request(aws_env: FakeBedrock) -> None:
    req = GenerationRequest(model_id=ULTRA, prompt="p", aspect_ratio="21:9", output_format="jpeg", seed=3)
    result = service.generate(req)
    image = result.images[0]
    assert image.format == "jpeg" and sniff_format(image.data) == "jpeg"
    assert (image.width, image.height) == service.expected_size(req) == (1536, 640)


def test_stability_is_called_in_us_west_2_from_us_east_1(aws_env: FakeBedrock) -> None:
    result = service.generate(GenerationRequest(model_id=SD35, prompt="p", seed=3))
    assert result.region == "us-west-2"
    assert any("us-west-2" in n and "us-east-1" in n for n in result.notes)
    auth = aws_env.calls[0].headers["authorization"]
    assert "/us-west-2/bedrock/aws4_request" in auth  # the request was signed for us-west-2
    assert aws_env.calls[0].model_id == SD35


# --- Titan / Nova: one call --------------------------------------------------------------------------------

def test_titan_several_images_in_one_call(aws_env: FakeBedrock) -> None:
    req = GenerationRequest(model_id=TITAN_V2, prompt="p", count=3, width=512, height=512, quality="premium",
                            seed=11)
    result = service.generate(req)
    assert len(aws_env.calls) == 1
    assert aws_env.calls[0].body["imageGenerationConfig"]["numberOfImages"] == 3
    assert [(i.index, i.seed, i.width, i.height) for i in result.images] == [(k, 11, 512, 512) for k in range(3)]
    assert len({i.data for i in result.images}) == 3
    assert any("share the seed" in n for n in result.notes)
    assert result.region == "us-east-1" and result.problems == []
    assert result.cost_usd == pytest.approx(3 * 0.01)
    assert result.cost_usd == pytest.approx(service.estimate_cost(req))
    assert result.latency_s > 0


def test_nova_large_premium_cost(aws_env: FakeBedrock) -> None:
    result = service.generate(GenerationRequest(model_id=NOVA, prompt="p", count=2, width=2048, height=2048,
                                                quality="premium", seed=1))
    assert [(i.width, i.height) for i in result.images] == [(2048, 2048)] * 2
    assert result.cost_usd == pytest.approx(2 * 0.08)


def test_service_errors_come_back_translated(aws_env: FakeBedrock) -> None:
    aws_env.fail_next("legacy")
    with pytest.raises(ModelUnavailable) as legacy:
        service.generate(GenerationRequest(model_id=NOVA, prompt="p", seed=1))
    assert legacy.value.reason == "legacy"
    aws_env.fail_next("needs_profile")
    with pytest.raises(ModelUnavailable) as profile:
        service.generate(GenerationRequest(model_id=TITAN_V2, prompt="p", seed=1))
    assert profile.value.reason == "needs_inference_profile"
    assert f"us.{TITAN_V2}" in profile.value.hint
    aws_env.fail_next("filter_input")
    with pytest.raises(ContentFiltered):
        service.generate(GenerationRequest(model_id=TITAN_V1, prompt="p", seed=1))


# --- variation, redaction, prepare_input ----------------------------------------------------------------------

def test_variation_request_body_is_redacted_but_the_image_is_sent_whole(aws_env: FakeBedrock) -> None:
    prepared = service.prepare_input(get_model(TITAN_V2), noise((512, 512)))
    req = VariationRequest(model_id=TITAN_V2, images=(prepared.data,), prompt="a car", width=512, height=512, seed=4)
    result = service.vary(req)
    sent = aws_env.calls[0].body["imageVariationParams"]["images"][0]
    assert base64.b64decode(sent) == prepared.data
    shown = result.request_body["imageVariationParams"]["images"][0]
    assert shown == f"<base64, {len(b64encode(prepared.data))} chars>"
    assert result.request_body["imageVariationParams"]["text"] == "a car"
    assert result.request.describe()["images"] == [f"<image, {len(prepared.data)} bytes>"]
    assert (result.images[0].width, result.images[0].height) == (512, 512)


def test_sd35_image_to_image_through_the_fake(aws_env: FakeBedrock) -> None:
    prepared = service.prepare_input(get_model(SD35), noise((512, 256)))
    result = service.vary(VariationRequest(model_id=SD35, images=(prepared.data,), prompt="as a painting", seed=9))
    body = aws_env.calls[0].body
    assert body["mode"] == "image-to-image" and body["strength"] == 0.6
    assert result.request_body["image"].startswith("<base64, ")
    image = result.images[0]
    assert image.width / image.height == pytest.approx(2.0, rel=0.05)  # keeps the input's shape
    assert result.region == "us-west-2" and result.cost_usd == pytest.approx(0.08)


def test_prepare_input_notes_for_titan() -> None:
    img = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))
    prepared = service.prepare_input(get_model(TITAN_V2), img)
    assert prepared.size == (1408, 704)
    assert prepared.notes == ["Removed the transparency (alpha channel) and filled it with white.",
                              "Resized from 2000×1000 to 1408×704: the model needs at most 1408 px per side."]
    assert sniff_format(prepared.data) == "png"
    assert Image.open(io.BytesIO(prepared.data)).size == (1408, 704)


def test_prepare_input_notes_for_nova_and_sd35() -> None:
    nova = service.prepare_input(get_model(NOVA), Image.new("L", (200, 200), 90))
    assert nova.size == (320, 320)
    assert nova.notes == ["Converted from L to 8-bit RGB.",
                          "Enlarged from 200×200 to 320×320: the model needs at least 320 px per side."]
    sd = service.prepare_input(get_model(SD35), Image.new("RGB", (100, 100)))
    assert sd.size == (100, 100) and sd.notes == []


def test_prepare_input_falls_back_to_jpeg_over_5_mb() -> None:
    prepared = service.prepare_input(get_model(TITAN_V2), noise((1400, 1400)))
    assert prepared.size == (1400, 1400)
    assert sniff_format(prepared.data) == "jpeg" and len(prepared.data) <= 5 * 1024 * 1024
    assert len(prepared.notes) == 1 and prepared.notes[0].startswith("Sent as JPEG (quality ")


# --- estimate_cost ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("req", "usd"), [
    (GenerationRequest(model_id=TITAN_V2, prompt="p", count=3, width=512, height=512, quality="premium"), 0.03),
    (GenerationRequest(model_id=TITAN_V1, prompt="p", count=2, width=1024, height=1024), 0.02),
    (GenerationRequest(model_id=NOVA, prompt="p", width=2048, height=2048), 0.06),
    (GenerationRequest(model_id=NOVA, prompt="p", count=5, width=1024, height=1024, quality="premium"), 0.30),
    (GenerationRequest(model_id=ULTRA, prompt="p", count=2, aspect_ratio="16:9"), 0.28),
    (GenerationRequest(model_id=CORE, prompt="p", count=5), 0.20),
    (VariationRequest(model_id=NOVA, images=ONE, count=2, width=1024, height=1024, quality="premium"), 0.12),
    (VariationRequest(model_id=TITAN_V2, images=ONE, width=512, height=512), 0.008),
    (VariationRequest(model_id=SD35, images=ONE, prompt="p"), 0.08),
])
def test_estimate_cost(req: Any, usd: float) -> None:
    assert service.estimate_cost(req) == pytest.approx(usd)


def test_stability_seeds_near_the_maximum_wrap_instead_of_repeating(aws_env: FakeBedrock) -> None:
    top = get_model(CORE).image.seed_max
    result = service.generate(GenerationRequest(model_id=CORE, prompt="a red fox", count=3, seed=top - 1))
    assert sorted(i.seed for i in result.images) == sorted([top - 1, top, 1])
