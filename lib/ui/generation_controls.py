"""Output settings shared by the image labs, rendered from the model's catalog row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from lib.catalog import ModelInfo, STABILITY_ASPECT_SIZES
from lib.generation.requests import ImageRequest
from lib.i18n import N_, _, format_number
from lib.services.images import MAX_IMAGES_PER_RUN, engine_of, sent_instruction
from lib.imaging import closest_allowed_size


@dataclass(frozen=True)
class OutputOptions:
    count: int
    width: int
    height: int
    aspect_ratio: str
    quality: str
    cfg_scale: float | None
    seed: int | None
    output_format: str

    def request_fields(self) -> dict[str, Any]:
        return dict(count=self.count, width=self.width, height=self.height, aspect_ratio=self.aspect_ratio,
                    quality=self.quality, cfg_scale=self.cfg_scale, seed=self.seed, output_format=self.output_format)

    def edit_fields(self) -> dict[str, Any]:
        return dict(count=self.count, quality=self.quality, cfg_scale=self.cfg_scale, seed=self.seed,
                    output_format=self.output_format)

    def variation_fields(self) -> dict[str, Any]:
        fields = self.request_fields()
        fields.pop("aspect_ratio")
        return fields


def reuse_seed_callback(key: str) -> Callable[[int], None]:
    """A button callback that puts `seed` into this page's seed box (runs before widgets are drawn)."""
    def apply(seed: int) -> None:
        st.session_state[f"{key}_random_seed"] = False
        st.session_state[f"{key}_seed"] = int(seed)
    return apply


def prompt_counter(text: str, limit: int, model: ModelInfo, what: str = N_("prompt")) -> None:
    """Characters used against the model's limit; red and explicit when over (`what`: marked with N_())."""
    if len(text) > limit:
        st.caption(_(":red[{used} / {limit} characters — {over} too many for {model}'s {what}.]").format(
            used=format_number(len(text)), limit=format_number(limit), over=format_number(len(text) - limit),
            model=model.label, what=_(what)))
    else:
        st.caption(_("{used} / {limit} characters").format(used=format_number(len(text)), limit=format_number(limit)))


def output_controls(model: ModelInfo, key: str, *, input_size: tuple[int, int] | None = None,
                    editing: bool = False) -> OutputOptions:
    """Count, size or aspect ratio, quality, prompt strength, output format and seed for `model`."""
    spec = model.image
    if model.runs_locally:  # a classical, deterministic engine: no count, seed, quality or format to choose
        st.caption(_("Runs on this machine: one PNG of the input's size, the same every time (no seed)."))
        return OutputOptions(count=1, width=1024, height=1024, aspect_ratio="1:1", quality="standard",
                             cfg_scale=None, seed=None, output_format="png")
    mk = f"{key}_{model.id}"  # per-model keys: switching models never carries an invalid value across
    c1, c2 = st.columns(2)
    count_help = engine_of(model).count_help  # marked with N_() by each engine
    count = c1.number_input(_("Number of images"), 1, MAX_IMAGES_PER_RUN, 1, key=f"{key}_count",
                            help=_(count_help) if count_help else None)
    width, height, aspect_ratio, quality, cfg, output_format = 1024, 1024, "1:1", "standard", None, "png"
    # What to offer comes from the catalog row: fixed sizes (Titan, Nova Canvas) or aspect ratios (Stability);
    # edits and image-to-image keep the input's size or shape.
    if editing:
        c2.caption(_("Edits keep the input image's size."))
    elif spec.output_sizes:
        sizes = list(spec.output_sizes)
        default = sizes.index(closest_allowed_size(*input_size, spec.output_sizes)) if input_size else 0
        width, height = c2.selectbox(_("Size (W×H)"), sizes, index=default, key=f"{mk}_size",
                                     format_func=lambda s: f"{s[0]}×{s[1]}",
                                     help=_("{model} accepts {sizes}.").format(model=model.label,
                                                                              sizes=spec.output_rule.describe())
                                     if spec.output_rule else _("{model} accepts these sizes.").format(
                                         model=model.label))
    elif spec.aspect_ratios and input_size is None:
        ratios = list(spec.aspect_ratios)
        in_words = spec.ratio_in_prompt  # no size field: the ratio is asked for in the prompt, no size promised
        aspect_ratio = c2.selectbox(_("Aspect ratio"), ratios, key=f"{mk}_aspect",
                                    format_func=lambda r: r if in_words else f"{r} ({STABILITY_ASPECT_SIZES[r][0]}×"
                                                                             f"{STABILITY_ASPECT_SIZES[r][1]})",
                                    help=_("{model} takes no size: the ratio is asked for in the prompt's "
                                           "words.").format(model=model.label) if in_words else None)
    elif input_size is not None:
        c2.caption(_("The result keeps the input image's aspect ratio at about 1 megapixel."))
    if spec.qualities:
        quality = st.radio(_("Quality"), spec.qualities, key=f"{mk}_quality", horizontal=True,
                           help=_("Premium costs a little more and takes longer."))
    if spec.cfg:
        knob = spec.cfg  # its label and help are the catalog's, marked there
        cfg = st.slider(_(knob.label), knob.minimum, knob.maximum, knob.default, knob.step,
                        key=f"{mk}_cfg", help=_(knob.help) if knob.help else None)
    if len(spec.output_formats) > 1:
        output_format = st.radio(_("Output format"), spec.output_formats, key=f"{mk}_format", horizontal=True)

    seed = None
    if spec.seed_max:
        random_seed = st.checkbox(_("Random seed"), value=True, key=f"{key}_random_seed",
                                  help=_("Untick to fix the seed: same prompt + same seed + same settings = same "
                                         "image."))
        seed_value = st.number_input(_("Seed (0–{maximum})").format(maximum=format_number(spec.seed_max)), min_value=0, value=0, step=1, key=f"{key}_seed",
                                     disabled=random_seed)
        seed = None if random_seed else int(seed_value)
    else:
        st.caption(_("No seed: {model} takes none, so every run draws a new image and none can be repeated "
                     "exactly.").format(model=model.label))
    return OutputOptions(count=int(count), width=int(width), height=int(height), aspect_ratio=aspect_ratio,
                         quality=quality, cfg_scale=cfg, seed=seed, output_format=output_format)


def negative_prompt_input(model: ModelInfo, key: str, label: str, **text_input_args: Any) -> str:
    """The negative-prompt box with its counter, or one line saying why `model` has none (then it is empty)."""
    if not model.image.negative_max_chars:
        st.caption(_("No negative prompt: {model} takes none. Say what to leave out in the prompt itself.").format(
            model=model.label))
        return ""
    negative = st.text_input(label, key=key, **text_input_args)
    if negative:
        prompt_counter(negative, model.image.negative_max_chars, model, N_("negative prompt"))
    return negative


def show_instruction(request: ImageRequest | None, model: ModelInfo) -> None:
    """The words an instruction-following model (Nova 2 Omni) will be sent, as plain text: how it is asked."""
    words = sent_instruction(request) if request is not None else None
    if words:
        st.caption(_("Sent to {model} as this instruction:").format(model=model.label))
        st.code(words, language=None, wrap_lines=True)


def prefill_key(key: str) -> str:
    return f"prefill:{key}"


def apply_prefill(key: str) -> None:
    """Load settings handed over from History into this page's widgets (before they are drawn)."""
    request = st.session_state.pop(prefill_key(key), None)
    if not request:
        return
    from lib.catalog import get_model  # local: only needed on this rare path

    model = get_model(request["model_id"])
    state = st.session_state
    state[f"{key}_model"] = model.id
    state[f"{key}_prompt"] = request.get("prompt", "")
    state[f"{key}_negative"] = request.get("negative_prompt", "")
    state[f"{key}_count"] = int(request.get("count", 1))
    if request.get("seed") is not None and model.image.seed_max:  # a seedless model's 0 is not a seed to fix
        state[f"{key}_random_seed"] = False
        state[f"{key}_seed"] = int(request["seed"])
    mk = f"{key}_{model.id}"
    size = (request.get("width"), request.get("height"))
    if size in model.image.output_sizes:
        state[f"{mk}_size"] = size
    if request.get("quality") in model.image.qualities:
        state[f"{mk}_quality"] = request["quality"]
    if request.get("cfg_scale") is not None and model.image.cfg:
        state[f"{mk}_cfg"] = float(request["cfg_scale"])
    if request.get("aspect_ratio") in model.image.aspect_ratios:
        state[f"{mk}_aspect"] = request["aspect_ratio"]
    if request.get("output_format") in model.image.output_formats:
        state[f"{mk}_format"] = request["output_format"]
    if request.get("strength") is not None:
        state[f"{mk}_strength"] = float(request["strength"])
    if request.get("task"):  # a lab that offers a choice of task (lib/ui/service_controls.task_choice) shows it
        state[f"{key}_task"] = request["task"]
    for knob in model.image.knobs:  # an Image Service's own knobs and style preset
        if (request.get("knobs") or {}).get(knob.field) is not None:
            state[f"{mk}_{knob.field}"] = request["knobs"][knob.field]
    if request.get("style_preset") in model.image.style_presets:
        state[f"{mk}_style_preset"] = request["style_preset"]
