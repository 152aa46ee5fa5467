"""The model catalog: every row sane, limits as documented, region routing, prices, size rules."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from lib.catalog import (
    NOVA_OMNI_ENGINE,
    STABILITY_IMAGE_ENGINE,
    TITAN_IMAGE_ENGINE,
    CHAT_MODELS,
    EDIT_TASKS,
    EMBEDDING_MODELS,
    MODELS,
    NOVA_OUTPUT_SIZES,
    STABILITY_ASPECT_SIZES,
    TITAN_SIZES,
    ImagePrice,
    ModelInfo,
    SizeRule,
    Status,
    Task,
    call_target,
    get_model,
    models_for,
    output_size,
    require_callable_shape,
    working_alternative,
)
from lib.errors import InvalidInput, ModelUnavailable

TITAN_V2 = "amazon.titan-image-generator-v2:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
ULTRA = "stability.stable-image-ultra-v1:1"
TITAN_IDS = (TITAN_V2, TITAN_V1)
STABILITY_IDS = (SD35, CORE, ULTRA)

# The 25 sizes from the Titan Image Generator parameter page (workshop-labs.md §10a).
DOCUMENTED_TITAN_SIZES = {
    (1024, 1024), (768, 768), (512, 512),
    (768, 1152), (384, 576), (1152, 768), (576, 384),
    (768, 1280), (384, 640), (1280, 768), (640, 384),
    (896, 1152), (448, 576), (1152, 896), (576, 448),
    (768, 1408), (384, 704), (1408, 768), (704, 384),
    (640, 1408), (320, 704), (1408, 640), (704, 320),
    (1152, 640), (1173, 640),
}
DOCUMENTED_ASPECT_RATIOS = {"16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"}
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def by_id(model_id: str) -> ModelInfo:
    """The catalog row, failing the test (not raising InvalidInput) when absent."""
    rows = [m for m in MODELS if m.id == model_id]
    assert len(rows) == 1, f"{model_id} should be in the catalog exactly once"
    return rows[0]


# --- every row ---------------------------------------------------------------

def test_ids_are_unique_and_the_workshop_and_current_models_are_listed() -> None:
    ids = [m.id for m in MODELS]
    assert len(ids) == len(set(ids))
    assert {TITAN_V2, TITAN_V1, NOVA, SD35, CORE, ULTRA} <= set(ids)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_row_is_sane(model: ModelInfo) -> None:
    assert model.id and model.id == model.id.strip() and " " not in model.id
    assert model.label.strip() and model.provider.strip()
    assert model.tasks and model.tasks <= set(Task)
    assert model.regions and len(set(model.regions)) == len(model.regions)
    if model.runs_locally:  # offline engines: no AWS region, no price, erasing only
        assert model.regions == ("local",) and model.price.per_image() == 0 and model.tasks == {Task.ERASE, Task.ERASE_BY_PROMPT}
        return
    assert all(REGION_RE.match(r) for r in model.regions), model.regions
    in_words = model.engine == NOVA_OMNI_ENGINE  # Nova 2 Omni, asked in words through Converse (test_nova_omni.py)
    if model.inference_profile_prefix is None:  # on-demand models generate from text
        assert Task.TEXT_TO_IMAGE in model.tasks
    elif in_words:  # a preview, profile-only, that generates and edits
        assert model.inference_profile_prefix == "us" and model.preview and Task.TEXT_TO_IMAGE in model.tasks
    else:  # Stability Image Services: profile-only, editing tasks only
        assert model.inference_profile_prefix == "us" and model.id.startswith("stability.")
        assert Task.TEXT_TO_IMAGE not in model.tasks and model.image.edit_rule is not None

    price = model.price
    assert price.standard > 0
    for extra in (price.premium, price.large_standard, price.large_premium):
        assert extra is None or extra > 0
    if price.premium is not None:
        assert price.premium >= price.standard
    if price.large_standard is not None or price.large_premium is not None:
        assert price.large_above_pixels and price.large_above_pixels > 0

    spec = model.image
    assert spec.prompt_max_chars > 0
    assert (spec.negative_max_chars > 0 and spec.seed_max > 0) is not in_words  # Omni takes neither
    assert 1 <= spec.max_images_per_call <= 5
    assert spec.max_input_images >= 1
    assert spec.output_formats and "png" in spec.output_formats

    if model.engine == TITAN_IMAGE_ENGINE:
        assert set(spec.qualities) == {"standard", "premium"}
        assert spec.cfg is not None and spec.cfg.field == "cfgScale"
        assert spec.cfg.minimum <= spec.cfg.default <= spec.cfg.maximum
        assert spec.output_sizes and spec.output_rule is not None
        assert all(spec.output_rule.accepts(w, h) for w, h in spec.output_sizes)
        assert spec.max_images_per_call == 5
    elif in_words:  # no size: the ratio is asked for in the words; one image per call
        assert spec.ratio_in_prompt and spec.aspect_ratios and not spec.output_sizes
        assert spec.max_images_per_call == 1
    else:
        assert model.engine == STABILITY_IMAGE_ENGINE
        if Task.TEXT_TO_IMAGE in model.tasks:
            assert set(spec.aspect_ratios) == DOCUMENTED_ASPECT_RATIOS
        assert spec.max_images_per_call == 1  # one image per call: the service fans out
        assert set(spec.output_formats) == {"png", "jpeg", "webp"}

    if model.tasks & EDIT_TASKS:
        assert spec.edit_rule is not None

    if Task.VARIATION in model.tasks and not in_words:  # Omni is told how far to go in words
        knob = spec.variation_knob
        assert knob is not None
        assert knob.minimum <= knob.default <= knob.maximum

    assert model.lifecycle.callable_today == (model.lifecycle.status is Status.ACTIVE)
    if model.lifecycle.status is not Status.ACTIVE:
        assert model.lifecycle.note or model.lifecycle.end_of_life


@pytest.mark.parametrize("model_id", TITAN_IDS)
def test_titan_limits(model_id: str) -> None:
    spec = get_model(model_id).image
    assert spec.prompt_max_chars == 512 and spec.negative_max_chars == 512
    assert spec.seed_max == 2_147_483_646
    assert spec.cfg is not None and (spec.cfg.minimum, spec.cfg.maximum, spec.cfg.default) == (1.1, 10.0, 8.0)
    knob = spec.variation_knob
    assert knob is not None and knob.field == "similarityStrength"
    assert (knob.minimum, knob.maximum, knob.default) == (0.2, 1.0, 0.7)
    assert spec.max_input_images == 5


def test_titan_allows_exactly_the_25_documented_sizes() -> None:
    assert len(TITAN_SIZES) == 25 and len(set(TITAN_SIZES)) == 25
    assert set(TITAN_SIZES) == DOCUMENTED_TITAN_SIZES
    for model_id in TITAN_IDS:
        spec = get_model(model_id).image
        assert spec.output_rule is not None and set(spec.output_rule.allowed) == DOCUMENTED_TITAN_SIZES
        assert set(spec.output_sizes) == DOCUMENTED_TITAN_SIZES
    assert all(max(w, h) <= 1408 for w, h in TITAN_SIZES)


def test_nova_limits_and_output_rule() -> None:
    spec = get_model(NOVA).image
    assert spec.prompt_max_chars == 1024 and spec.negative_max_chars == 1024
    assert spec.seed_max == 858_993_459
    assert spec.cfg is not None and (spec.cfg.minimum, spec.cfg.maximum, spec.cfg.default) == (1.1, 10.0, 6.5)
    rule = spec.output_rule
    assert rule is not None and not rule.allowed
    assert (rule.min_edge, rule.max_edge, rule.multiple_of, rule.max_pixels, rule.max_aspect) == (
        320, 4096, 16, 4_194_304, 4.0)
    assert all(rule.accepts(w, h) for w, h in NOVA_OUTPUT_SIZES)


@pytest.mark.parametrize(("size", "ok"), [
    ((320, 320), True),
    ((304, 320), False),      # below the 320 px minimum
    ((1024, 1024), True),
    ((1000, 1000), False),    # not divisible by 16
    ((1024, 1000), False),
    ((2048, 2048), True),     # exactly 4,194,304 px
    ((2064, 2048), False),    # over 4,194,304 px
    ((4096, 1024), True),     # 4096 px edge, 1:4, exactly the pixel cap
    ((4096, 1040), False),    # over the pixel cap
    ((4112, 320), False),     # over the 4096 px edge
    ((1280, 320), True),      # exactly 1:4
    ((1296, 320), False),     # wider than 1:4
    ((320, 1296), False),     # taller than 4:1
])
def test_nova_output_rule_accepts(size: tuple[int, int], ok: bool) -> None:
    rule = get_model(NOVA).image.output_rule
    assert rule is not None
    assert rule.accepts(*size) is ok


@pytest.mark.parametrize("model_id", STABILITY_IDS)
def test_stability_limits(model_id: str) -> None:
    model = get_model(model_id)
    assert model.image.prompt_max_chars == 10_000 and model.image.negative_max_chars == 10_000
    assert model.image.seed_max == 4_294_967_294
    assert model.regions == ("us-west-2",)
    assert model.lifecycle.callable_today


def test_only_sd35_does_image_to_image_with_a_strength_knob() -> None:
    sd = get_model(SD35)
    assert sd.supports(Task.VARIATION)
    knob = sd.image.variation_knob
    assert knob is not None and knob.field == "strength"
    assert (knob.minimum, knob.maximum, knob.default) == (0.0, 1.0, 0.6)
    assert sd.image.max_input_images == 1
    assert sd.image.input_rule.max_aspect == 2.5 and sd.image.input_rule.min_edge == 64
    for model_id in (CORE, ULTRA):
        assert not get_model(model_id).supports(Task.VARIATION)


def test_stability_aspect_sizes_are_about_one_megapixel_with_their_ratio() -> None:
    assert set(STABILITY_ASPECT_SIZES) == DOCUMENTED_ASPECT_RATIOS
    for ratio, (w, h) in STABILITY_ASPECT_SIZES.items():
        a, b = (int(x) for x in ratio.split(":"))
        assert 0.8e6 <= w * h <= 1.1e6, ratio
        assert w / h == pytest.approx(a / b, rel=0.05), ratio
        assert w % 64 == 0 and h % 64 == 0


@pytest.mark.parametrize(("model_id", "seed_max"), [
    (TITAN_V2, 2_147_483_646), (TITAN_V1, 2_147_483_646), (NOVA, 858_993_459),
    (SD35, 4_294_967_294), (CORE, 4_294_967_294), (ULTRA, 4_294_967_294),
])
def test_seed_max_per_family(model_id: str, seed_max: int) -> None:
    assert get_model(model_id).image.seed_max == seed_max


def test_get_model_unknown_id_is_an_input_error() -> None:
    with pytest.raises(InvalidInput) as info:
        get_model("amazon.titan-image-generator-v9")
    assert "amazon.titan-image-generator-v9" in info.value.message
    assert info.value.title == "Check your input"
    assert info.value.hint


# --- models_for -----------------------------------------------------------------

@pytest.mark.parametrize("task", list(Task))
def test_models_for_puts_callable_models_first_and_keeps_catalog_order(task: Task) -> None:
    found = models_for(task)
    assert found and all(m.supports(task) for m in found)
    assert {m.id for m in found} == {m.id for m in MODELS if m.supports(task)}
    flags = [m.lifecycle.callable_today for m in found if not m.runs_locally]
    assert flags == sorted(flags, reverse=True)  # every callable one before every retired one
    # Every task has a model callable today: erasing an object named in words too (Nova 2 Omni; before it
    # only the retired Titan/Nova models could).
    assert flags[0] is True
    bedrock = [m for m in MODELS if m.supports(task) and not m.runs_locally]
    callable_first = [m for m in bedrock if m.lifecycle.callable_today]
    retired = [m for m in bedrock if not m.lifecycle.callable_today]
    local = [m for m in MODELS if m.supports(task) and m.runs_locally]
    assert found == callable_first + retired + local


def test_models_for_variation_lists_sd35_first_and_not_core_or_ultra() -> None:
    ids = [m.id for m in models_for(Task.VARIATION)]
    assert ids[0] == SD35
    assert CORE not in ids and ULTRA not in ids
    assert {NOVA, TITAN_V2, TITAN_V1} <= set(ids)


# --- call_target ------------------------------------------------------------------

def test_call_target_us_west_2_only_model_from_us_east_1() -> None:
    region, invoke_id, note = call_target(get_model(SD35), "us-east-1")
    assert (region, invoke_id) == ("us-west-2", SD35)
    assert note is not None
    assert "us-west-2" in note and "us-east-1" in note and "Stable Diffusion 3.5 Large" in note


def test_call_target_in_an_offered_region_has_no_note() -> None:
    assert call_target(get_model(SD35), "us-west-2") == ("us-west-2", SD35, None)
    assert call_target(get_model(TITAN_V2), "us-west-2") == ("us-west-2", TITAN_V2, None)
    assert call_target(get_model(NOVA), "eu-west-1") == ("eu-west-1", NOVA, None)


def test_call_target_nova_from_us_west_2_goes_to_its_first_region() -> None:
    region, invoke_id, note = call_target(get_model(NOVA), "us-west-2")
    assert (region, invoke_id) == ("us-east-1", NOVA)
    assert note and "not us-west-2" in note


def test_call_target_applies_the_inference_profile_prefix() -> None:
    profiled = replace(get_model(CORE), inference_profile_prefix="us",
                       regions=("us-east-1", "us-east-2", "us-west-2"))
    assert call_target(profiled, "us-east-1") == ("us-east-1", f"us.{CORE}", None)
    region, invoke_id, note = call_target(profiled, "eu-west-1")
    assert (region, invoke_id) == ("us-east-1", f"us.{CORE}")
    assert note and "eu-west-1" in note


# --- prices -----------------------------------------------------------------------

@pytest.mark.parametrize("model_id", TITAN_IDS)
def test_titan_price_tiers(model_id: str) -> None:
    price = get_model(model_id).price
    assert price.per_image("standard", 512, 512) == pytest.approx(0.008)
    assert price.per_image("premium", 512, 512) == pytest.approx(0.01)
    assert price.per_image("standard", 1024, 1024) == pytest.approx(0.01)
    assert price.per_image("premium", 1024, 1024) == pytest.approx(0.012)


def test_titan_small_sizes_are_priced_as_512_and_large_as_1024() -> None:
    """Every allowed size lands in one of the two tiers; the small ones are the ≤704 px ones."""
    price = get_model(TITAN_V2).price
    for w, h in TITAN_SIZES:
        small = max(w, h) <= 704 and (w, h) != (768, 768)
        expected = 0.008 if small else 0.01
        assert price.per_image("standard", w, h) == pytest.approx(expected), (w, h)
    smalls = [s for s in TITAN_SIZES if price.per_image("standard", *s) == pytest.approx(0.008)]
    assert len(smalls) == 11


def test_nova_price_tiers() -> None:
    price = get_model(NOVA).price
    assert price.per_image("standard", 1024, 1024) == pytest.approx(0.04)  # ≤1024² is the small tier
    assert price.per_image("premium", 1024, 1024) == pytest.approx(0.06)
    assert price.per_image("standard", 512, 512) == pytest.approx(0.04)
    assert price.per_image("standard", 1024, 1040) == pytest.approx(0.06)
    assert price.per_image("standard", 2048, 2048) == pytest.approx(0.06)
    assert price.per_image("premium", 2048, 2048) == pytest.approx(0.08)


@pytest.mark.parametrize(("model_id", "usd"), [(SD35, 0.08), (CORE, 0.04), (ULTRA, 0.14)])
def test_stability_flat_price_ignores_quality_and_size(model_id: str, usd: float) -> None:
    price = get_model(model_id).price
    assert price.per_image() == pytest.approx(usd)
    assert price.per_image("premium", 1536, 640) == pytest.approx(usd)


def test_image_price_without_tiers_falls_back_to_standard() -> None:
    price = ImagePrice(standard=0.05, premium=0.07)
    assert price.per_image("premium", 4096, 4096) == pytest.approx(0.07)
    assert price.per_image("standard", 4096, 4096) == pytest.approx(0.05)
    assert price.per_image("unknown-quality") == pytest.approx(0.05)


# --- SizeRule ------------------------------------------------------------------------

def test_size_rule_with_a_list_accepts_only_listed_sizes() -> None:
    rule = SizeRule(allowed=((512, 512), (1173, 640)))
    assert rule.accepts(512, 512) and rule.accepts(1173, 640)
    assert not rule.accepts(640, 1173)
    assert not rule.accepts(1024, 1024)
    assert rule.describe() == "one of 2 fixed sizes"


@pytest.mark.parametrize(("size", "ok"), [
    ((64, 64), True),
    ((63, 64), False),         # min edge
    ((4096, 2000), True),
    ((4097, 2000), False),     # max edge
    ((250, 100), True),        # exactly 2.5
    ((251, 100), False),       # wider than 2.5
    ((100, 251), False),
    ((3000, 3000), True),      # exactly 9 MP
    ((3000, 3001), False),     # max pixels
])
def test_size_rule_bounds(size: tuple[int, int], ok: bool) -> None:
    rule = SizeRule(min_edge=64, max_edge=4096, max_pixels=9_000_000, max_aspect=2.5)
    assert rule.accepts(*size) is ok


def test_size_rule_multiple_of() -> None:
    rule = SizeRule(min_edge=16, max_edge=512, multiple_of=16)
    assert rule.accepts(32, 48)
    assert not rule.accepts(33, 48) and not rule.accepts(32, 50)
    text = rule.describe()
    assert "16–512 px per side" in text and "divisible by 16" in text and "1:4" in text


def test_nova_rule_describe_mentions_every_limit() -> None:
    rule = get_model(NOVA).image.output_rule
    assert rule is not None
    text = rule.describe()
    assert "320–4096 px" in text and "divisible by 16" in text and "4.19 MP" in text and "1:4" in text


# --- small helpers ---------------------------------------------------------------------

def test_require_callable_shape_refuses_unsupported_task() -> None:
    require_callable_shape(get_model(SD35), Task.VARIATION)
    with pytest.raises(ModelUnavailable) as info:
        require_callable_shape(get_model(CORE), Task.VARIATION)
    assert info.value.reason == "unsupported"
    assert "Stable Image Core" in info.value.message


def test_output_size() -> None:
    assert output_size(get_model(SD35), 512, 512, "16:9") == (1344, 768)
    assert output_size(get_model(SD35), None, None, None) == (1024, 1024)
    assert output_size(get_model(TITAN_V2), 1173, 640, "16:9") == (1173, 640)
    assert output_size(get_model(NOVA), None, None, None) == (1024, 1024)


def test_lifecycle_badges_and_picker_labels() -> None:
    assert get_model(SD35).lifecycle.badge() == "available"
    assert get_model(SD35).picker_label() == "Stable Diffusion 3.5 Large"
    assert get_model(NOVA).lifecycle.badge() == "end of life since 2026-09-30"
    assert get_model(TITAN_V1).lifecycle.badge() == "end of life"
    assert get_model(TITAN_V1).picker_label().endswith("— end of life")


# --- working_alternative --------------------------------------------------------------------

def test_working_alternative_is_callable_on_bedrock_of_the_same_kind_and_never_the_model_itself() -> None:
    for model in (*MODELS, *CHAT_MODELS, *EMBEDDING_MODELS):
        alternative = working_alternative(model)
        if alternative is None:
            continue
        assert alternative.id != model.id and alternative.lifecycle.callable_today
        assert not alternative.runs_locally
        assert type(alternative) is type(model)
        if isinstance(model, ModelInfo):
            assert alternative.tasks & model.tasks
    assert working_alternative(get_model(TITAN_V1)).id == SD35
    assert working_alternative(get_model(NOVA), Task.INPAINT).id == "stability.stable-image-inpaint-v1:0"
    assert working_alternative(get_model(NOVA), Task.ERASE).id == "stability.stable-image-erase-object-v1:0"
    assert working_alternative(get_model(CORE)).id == SD35
    inpaint = get_model("stability.stable-image-inpaint-v1:0")
    assert working_alternative(inpaint, Task.INPAINT) is None  # only retired ones inpaint a drawn mask
    assert working_alternative(inpaint).id == "amazon.nova-2-omni-v1:0"  # a new background, asked in words
