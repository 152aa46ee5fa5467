"""The model picker: built from the catalog, with lifecycle and price beside each choice."""

from __future__ import annotations

import streamlit as st

from lib.catalog import (CHAT_MODELS, EMBEDDING_MODELS, MODELS, PRICES_LAST_VERIFIED, ChatModel, EmbeddingModel,
                         ModelInfo, Task, models_for)
from lib.local.availability import missing_for


def installed(rows: list, task: Task | None = None) -> list:
    """The rows that can run here: every Bedrock row, and the local ones whose packages are installed.

    Why hide the others: a cloud-only install (WORKSHOP_CLOUD_ONLY=1) should not offer engines that can only fail.
    """
    return [row for row in rows if not row.runs_locally or not missing_for(row.id, task)]


def steer(key: str, rows: list, preference: str | None) -> None:
    """Move the picker at `key` to a local row ("local") or off one ("bedrock"); None leaves the user's pick.

    Why every run: the sidebar's backend switch must take effect on the page the user is on.
    """
    local = [row.id for row in rows if row.runs_locally]
    remote = [row.id for row in rows if not row.runs_locally]
    current = st.session_state.get(key)
    if preference == "local" and local and current not in local:
        st.session_state[key] = local[0]
    elif preference == "bedrock" and remote and current not in remote:
        st.session_state[key] = remote[0]
    elif current is not None and current not in local + remote:
        del st.session_state[key]  # a row of another task's list: fall back to the default


def pick_model(task: Task, key: str, label: str = "Model", *, preference: str | None = None) -> ModelInfo:
    """Selectbox of the models that can do `task`; callable ones first.

    `preference` ("local" / "bedrock", from the sidebar's backend switch) steers the pick.
    """
    models = installed(models_for(task), task)
    by_id = {m.id: m for m in models}
    steer(key, models, preference)
    model_id = st.selectbox(label, list(by_id), format_func=lambda mid: by_id[mid].picker_label(), key=key,
                            help="Models marked “end of life” are the workshop's originals: kept so you can see "
                                 "their request shape, but Bedrock no longer serves them to most accounts.")
    model = by_id[model_id]
    if model.runs_locally:
        st.caption(f"Runs on this machine, offline and free · {model.lifecycle.note}")
        return model
    price = model.price.per_image()
    regions = ", ".join(model.regions)
    st.caption(f"`{model.id}` · {model.provider} · regions: {regions} · from ${price:.3f}/image "
               f"(prices checked {PRICES_LAST_VERIFIED})")
    if not model.lifecycle.callable_today:
        when = f" on {model.lifecycle.end_of_life}" if model.lifecycle.end_of_life else ""
        st.warning(f"**{model.label} reached end of life{when}.** {model.lifecycle.note} Calls will most likely "
                   f"fail; the request shape is kept for learning. Pick a model without a warning to get images.",
                   icon=":material/history_toggle_off:")
    hidden = [m.label for m in MODELS if not m.supports(task)]
    if hidden:
        st.caption(f"Not shown, because they can't {task.value}: {', '.join(hidden)}.")
    if not any(m.lifecycle.callable_today for m in models if not m.runs_locally):
        st.info(f"No model you can call on Bedrock today can {task.value}; only the retired workshop models "
                "could. The request shape is still shown and sent.", icon=":material/info:")
    return model


def pick_chat_model(key: str, label: str = "Vision model", *, include_local: bool = False,
                    preference: str | None = None) -> ChatModel:
    """Selectbox of the vision chat models (callable ones first), with lifecycle and token prices.

    `include_local` adds the offline stand-in (lab 8); `preference` steers the pick (see `steer`).
    """
    models = sorted(installed([m for m in CHAT_MODELS if include_local or not m.runs_locally]),
                    key=lambda m: not m.lifecycle.callable_today)
    by_id = {m.id: m for m in models}
    steer(key, models, preference)
    model_id = st.selectbox(label, list(by_id), format_func=lambda mid: by_id[mid].picker_label(), key=key)
    model = by_id[model_id]
    if model.runs_locally:
        st.caption(f"Runs on this machine, offline and free · {model.lifecycle.note}")
        return model
    if len(model.profile_geos) > 1:
        geo = st.radio("Inference profile", model.profile_geos, key=f"{key}_geo_{model.id}", horizontal=True,
                       help="Which cross-region profile to call: us. (US regions), eu. (EU regions) or global. "
                            "(any region; Anthropic's global prices are about 10% lower).")
        model = model.in_geo(geo)
    profile = f" · called as `{model.inference_profile_prefix}.{model.id}`" if model.inference_profile_prefix else ""
    st.caption(f"`{model.id}` · {model.provider}{profile} · ${model.price.input_per_million:.2f} in / "
               f"${model.price.output_per_million:.2f} out per million tokens · up to {model.max_images} images")
    if not model.lifecycle.callable_today:
        when = f" (end of life {model.lifecycle.end_of_life})" if model.lifecycle.end_of_life else ""
        st.warning(f"**{model.label} is {model.lifecycle.status.value}{when}.** {model.lifecycle.note} Calls may "
                   "be refused; pick a model without a warning for a sure answer.", icon=":material/history_toggle_off:")
    return model


def pick_embedding_model(key: str, *, preference: str | None = None) -> tuple[EmbeddingModel, int]:
    """The embedding model and vector size; each pair has its own index, so switching never mixes vectors.

    `preference` steers the pick (see `steer`): without credentials the offline engine, so the lab works at once.
    """
    rows = installed(list(EMBEDDING_MODELS))
    by_id = {m.id: m for m in rows}
    steer(key, rows, preference)
    left, right = st.columns([3, 2])
    model = by_id[left.selectbox("Embedding model", list(by_id), key=key,
                                 format_func=lambda mid: by_id[mid].picker_label())]
    dimension = right.selectbox("Dimensions", model.dimensions, index=model.dimensions.index(model.default_dimension),
                                key=f"{key}_dim_{model.id}",
                                help="Smaller vectors: a smaller, faster index; larger: finer distinctions. "
                                     "Each model and size keeps its own index.")
    if model.runs_locally:
        st.caption(f"Runs on this machine, offline and free · {model.lifecycle.note}")
        return model, dimension
    image_price = f"${model.image_price:.5f} per image" if model.image_price else "image price not published"
    st.caption(f"`{model.id}` · {', '.join(model.regions[:3])}{'…' if len(model.regions) > 3 else ''} · "
               f"${model.text_price_per_million:.3f} per million text tokens · {image_price}"
               + (" · text and image in one call" if model.joint_text_image else " · one input per call"))
    return model, dimension
