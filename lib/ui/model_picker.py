"""The model picker: built from the catalog, with lifecycle and price beside each choice."""

from __future__ import annotations

import hashlib

import streamlit as st

from lib.catalog import (CHAT_MODELS, EMBEDDING_MODELS, MODELS, PRICES_LAST_VERIFIED, ChatModel, EmbeddingModel,
                         ModelInfo, Task, models_for)
from lib.local.availability import missing_for
from lib.services.outpainting import mask_prompt_reason, uses_mask_prompt


HIDDEN_NAMED = 6  # models named in the "Not shown" line; the rest are counted


def installed(rows: list, task: Task | None = None) -> list:
    """The rows that can run here: every Bedrock row, and the local ones whose packages are installed.

    Why hide the others: a cloud-only install (WORKSHOP_CLOUD_ONLY=1) should not offer engines that can only fail.
    """
    return [row for row in rows if not row.runs_locally or not missing_for(row.id, task)]


def _list_id(ids: list[str]) -> str:
    return hashlib.blake2s("\n".join(ids).encode(), digest_size=4).hexdigest()


def remembered_key(key: str, ids: list[str]) -> str:
    """Where the last pick from this exact option list is kept: one slot per list, so each task keeps its own."""
    return f"{key}__last_{_list_id(ids)}"


def steer(key: str, rows: list, preference: str | None) -> None:
    """Put a valid row into the picker at `key` before it is drawn; None as `preference` keeps the user's pick.

    - the list changed since the last run (the task changed, e.g. a prompt was typed or cleared): the pick last
      shown in this list, if there was one; else the current pick if the list has it; else the list's first row
      (a value set in code, e.g. by History's "open in lab", stands if the list has it);
    - "local" / "bedrock" (the sidebar's backend switch, every run, so it takes effect on the page the user is on):
      move onto a local row, or off one, again preferring the last pick shown in this list.

    Why write the value instead of deleting the key: Streamlit then sends the new selection to the browser. After
    a delete the widget fell back to the first row while the dropdown kept showing the old one (labs 4, 5, 7:
    "Stable Image Erase Object" on display while Stable Image Inpaint was called).
    """
    ids = [row.id for row in rows]
    if not ids:
        return
    local = [row.id for row in rows if row.runs_locally]
    remote = [row.id for row in rows if not row.runs_locally]
    state = st.session_state
    current = state.get(key)
    remembered = state.get(remembered_key(key, ids))
    last_list, last_shown = state.get(f"{key}__shown", (None, None))
    # The list changed under an unchanged pick: a task switch, not a choice (a choice, or a value set from
    # History's "open in lab", differs from what was shown last run, and stands if the list has it).
    switched = last_list not in (None, _list_id(ids)) and current == last_shown
    if current is None:  # first draw: the list's first row (the default), unless the switch says otherwise
        pick = ids[0]
    elif switched and remembered in ids:
        pick = remembered
    elif current in ids:
        pick = current
    else:
        pick = remembered if remembered in ids else ids[0]
    if preference == "local" and local and pick not in local:
        pick = remembered if remembered in local else local[0]
    elif preference == "bedrock" and remote and pick not in remote:
        pick = remembered if remembered in remote else remote[0]
    if pick != current and not (current is None and pick == ids[0]):
        state[key] = pick


def choose(key: str, rows: list, label: str, preference: str | None, *, container=None, **selectbox_args):
    """The selectbox over `rows` under the stable `key`; returns the row it shows.

    One mechanism for every picker: `steer` sets a valid value first, so what the dropdown displays, what
    `st.session_state[key]` holds and what this returns are the same row; the pick is then remembered for this list.
    """
    by_id = {row.id: row for row in rows}
    steer(key, rows, preference)
    model_id = (container or st).selectbox(label, list(by_id), format_func=lambda mid: by_id[mid].picker_label(),
                                           key=key, **selectbox_args)
    st.session_state[remembered_key(key, list(by_id))] = model_id
    st.session_state[f"{key}__shown"] = (_list_id(list(by_id)), model_id)
    return by_id[model_id]


def pick_model(task: Task, key: str, label: str = "Model", *, preference: str | None = None,
               mask_words: bool = False) -> ModelInfo:
    """Selectbox of the models that can do `task`; callable ones first.

    `preference` ("local" / "bedrock", from the sidebar's backend switch) steers the pick. `mask_words`: for a
    task by mask prompt, offer only the models that use its words (lab 4 teaches the mask prompt), and say why
    the others are left out.
    """
    models = installed(models_for(task), task)
    deaf = [m for m in models if mask_words and not uses_mask_prompt(m, task)] if task.uses_mask_prompt else []
    if deaf and len(deaf) < len(models):
        models = [m for m in models if m not in deaf]
    else:
        deaf = []
    model = choose(key, models, label, preference,
                   help="Models marked “end of life” are the workshop's originals: kept so you can see "
                        "their request shape, but Bedrock no longer serves them to most accounts.")
    if model.runs_locally:
        st.caption(f"Runs on this machine, offline and free · {model.lifecycle.note}")
        return model
    price = model.price.per_image()
    regions = ", ".join(model.regions)
    st.caption(f"`{model.id}` · {model.provider} · regions: {regions} · from ${price:.3f}/image "
               f"(prices checked {PRICES_LAST_VERIFIED})")
    if model.preview:  # a Bedrock preview: said beside the pick, with why it matters
        st.badge("Preview", icon=":material/science:", color="violet")
        st.caption(model.lifecycle.note or f"{model.label} is a preview on Bedrock.")
    if not model.lifecycle.callable_today:
        when = f" on {model.lifecycle.end_of_life}" if model.lifecycle.end_of_life else ""
        st.warning(f"**{model.label} reached end of life{when}.** {model.lifecycle.note} Calls will most likely "
                   f"fail; the request shape is kept for learning. Pick a model without a warning to get images.",
                   icon=":material/history_toggle_off:")
    hidden = [m.label for m in MODELS if not m.supports(task)]
    if hidden:  # the first few by name (the Image Services are many single-purpose rows), all of them on hover
        named = ", ".join(hidden[:HIDDEN_NAMED]) + (f" and {len(hidden) - HIDDEN_NAMED} more"
                                                     if len(hidden) > HIDDEN_NAMED else "")
        st.caption(f"Not shown, because they can't {task.value}: {named}.",
                   help=", ".join(hidden) if len(hidden) > HIDDEN_NAMED else None)
    for row in deaf:
        st.caption(f"Not offered for a mask prompt: {row.label}. {mask_prompt_reason(row, task)}")
    if deaf and not any(m.lifecycle.callable_today for m in models if not m.runs_locally):
        st.info(f"No model you can call on Bedrock today uses a mask prompt's words to {task.value}; only the "
                "retired workshop models could. The request shape is still shown and sent.", icon=":material/info:")
    elif not any(m.lifecycle.callable_today for m in models if not m.runs_locally):
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
    model = choose(key, models, label, preference)
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
    if model.lifecycle.callable_today and model.lifecycle.note:  # e.g. an end of life already announced
        st.caption(f":material/event: {model.lifecycle.note}")
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
    left, right = st.columns([3, 2])
    model = choose(key, rows, "Embedding model", preference, container=left)
    dimension = right.selectbox("Dimensions", model.dimensions, index=model.dimensions.index(model.default_dimension),
                                key=f"{key}_dim_{model.id}",
                                help="Smaller vectors: a smaller, faster index; larger: finer distinctions. "
                                     "Each model and size keeps its own index.")
    if model.runs_locally:
        st.caption(f"Runs on this machine, offline and free · {model.lifecycle.note}")
        return model, dimension
    text_price = (f"${model.text_price_per_million:.3f} per million text tokens"
                  if model.text_price_per_million is not None else "text price not in the app's table")
    image_price = f"${model.image_price:.5f} per image" if model.image_price else "image price not published"
    st.caption(f"`{model.id}` · {', '.join(model.regions[:3])}{'…' if len(model.regions) > 3 else ''} · "
               f"{text_price} · {image_price}"
               + (" · text and image in one call" if model.joint_text_image else " · one input per call")
               + f" · queries: {model.query_languages}", help=model.price_note or None)
    return model, dimension
