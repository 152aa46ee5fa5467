"""The model picker: built from the catalog, with lifecycle and price beside each choice."""

from __future__ import annotations

import hashlib

import streamlit as st

from lib.catalog import (CHAT_MODELS, EMBEDDING_MODELS, MODELS, PRICES_LAST_VERIFIED, ChatModel, EmbeddingModel,
                         ModelInfo, Task, models_for, shown_label)
from lib.i18n import N_, _, format_usd, ngettext
from lib.local.availability import missing_for
from lib.services.outpainting import mask_prompt_reason, uses_mask_prompt
from lib.task_names import task_name


HIDDEN_NAMED = 6  # models named in the "Not shown" line; the rest are counted


def said(text: str) -> str:
    """A catalog text (marked with N_() there) in the current language; "" stays "" (gettext's "" is its header)."""
    return _(text) if text else ""


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


def pick_model(task: Task, key: str, label: str = N_("Model"), *, preference: str | None = None,
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
    model = choose(key, models, _(label), preference,
                   help=_("Models marked “end of life” are the workshop's originals: kept so you can see "
                          "their request shape, but Bedrock no longer serves them to most accounts."))
    if model.runs_locally:
        st.caption(_("Runs on this machine, offline and free · {note}").format(note=said(model.lifecycle.note)))
        return model
    st.caption(_("`{id}` · {provider} · regions: {regions} · from {price}/image (prices checked {checked})").format(
        id=model.id, provider=model.provider, regions=", ".join(model.regions),
        price=format_usd(model.price.per_image()), checked=PRICES_LAST_VERIFIED))
    if model.preview:  # a Bedrock preview: said beside the pick, with why it matters
        st.badge(_("Preview"), icon=":material/science:", color="violet")
        st.caption(said(model.lifecycle.note) if model.lifecycle.note
                   else _("{model} is a preview on Bedrock.").format(model=model.label))
    if not model.lifecycle.callable_today:
        reached = (_("**{model} reached end of life on {date}.**").format(model=model.label,
                                                                          date=model.lifecycle.end_of_life)
                   if model.lifecycle.end_of_life else _("**{model} reached end of life.**").format(model=model.label))
        st.warning(_("{reached} {note} Calls will most likely fail; the request shape is kept for learning. Pick a "
                     "model without a warning to get images.").format(reached=reached, note=said(model.lifecycle.note)),
                   icon=":material/history_toggle_off:")
    hidden = [shown_label(m.label) for m in MODELS if not m.supports(task)]
    if hidden:  # the first few by name (the Image Services are many single-purpose rows), all of them on hover
        if len(hidden) > HIDDEN_NAMED:
            more = len(hidden) - HIDDEN_NAMED
            named = ngettext("{models} and {count} more", "{models} and {count} more", more).format(
                models=", ".join(hidden[:HIDDEN_NAMED]), count=more)
        else:
            named = ", ".join(hidden)
        st.caption(_("Not shown, because they can't {task}: {models}.").format(task=task_name(task), models=named),
                   help=", ".join(hidden) if len(hidden) > HIDDEN_NAMED else None)
    for row in deaf:
        st.caption(_("Not offered for a mask prompt: {model}. {reason}").format(model=row.label,
                                                                                reason=mask_prompt_reason(row, task)))
    if deaf and not any(m.lifecycle.callable_today for m in models if not m.runs_locally):
        st.info(_("No model you can call on Bedrock today uses a mask prompt's words to {task}; only the retired "
                  "workshop models could. The request shape is still shown and sent.").format(task=task_name(task)),
                icon=":material/info:")
    elif not any(m.lifecycle.callable_today for m in models if not m.runs_locally):
        st.info(_("No model you can call on Bedrock today can {task}; only the retired workshop models could. The "
                  "request shape is still shown and sent.").format(task=task_name(task)), icon=":material/info:")
    return model


def pick_chat_model(key: str, label: str = N_("Vision model"), *, include_local: bool = False,
                    preference: str | None = None) -> ChatModel:
    """Selectbox of the vision chat models (callable ones first), with lifecycle and token prices.

    `include_local` adds the offline stand-in (lab 8); `preference` steers the pick (see `steer`).
    """
    models = sorted(installed([m for m in CHAT_MODELS if include_local or not m.runs_locally]),
                    key=lambda m: not m.lifecycle.callable_today)
    model = choose(key, models, _(label), preference)
    if model.runs_locally:
        st.caption(_("Runs on this machine, offline and free · {note}").format(note=said(model.lifecycle.note)))
        return model
    if len(model.profile_geos) > 1:
        geo = st.radio(_("Inference profile"), model.profile_geos, key=f"{key}_geo_{model.id}", horizontal=True,
                       help=_("Which cross-region profile to call: us. (US regions), eu. (EU regions) or global. "
                              "(any region; Anthropic's global prices are about 10% lower)."))
        model = model.in_geo(geo)
    prices = dict(input=format_usd(model.price.input_per_million, 2), output=format_usd(model.price.output_per_million, 2),
                  count=model.max_images, id=model.id, provider=model.provider)
    if model.inference_profile_prefix:
        st.caption(_("`{id}` · {provider} · called as `{profile}` · {input} in / {output} out per million tokens · "
                     "up to {count} images").format(profile=f"{model.inference_profile_prefix}.{model.id}", **prices))
    else:
        st.caption(_("`{id}` · {provider} · {input} in / {output} out per million tokens · up to {count} images")
                   .format(**prices))
    if model.lifecycle.callable_today and model.lifecycle.note:  # e.g. an end of life already announced
        st.caption(_(":material/event: {note}").format(note=said(model.lifecycle.note)))
    if not model.lifecycle.callable_today:
        status = _(model.lifecycle.status.value)
        headline = (_("**{model} is {status} (end of life {date}).**").format(model=model.label, status=status,
                                                                          date=model.lifecycle.end_of_life)
                if model.lifecycle.end_of_life else
                _("**{model} is {status}.**").format(model=model.label, status=status))
        st.warning(_("{said} {note} Calls may be refused; pick a model without a warning for a sure answer.").format(
            said=headline, note=said(model.lifecycle.note)), icon=":material/history_toggle_off:")
    return model


def pick_embedding_model(key: str, *, preference: str | None = None) -> tuple[EmbeddingModel, int]:
    """The embedding model and vector size; each pair has its own index, so switching never mixes vectors.

    `preference` steers the pick (see `steer`): without credentials the offline engine, so the lab works at once.
    """
    rows = installed(list(EMBEDDING_MODELS))
    left, right = st.columns([3, 2])
    model = choose(key, rows, _("Embedding model"), preference, container=left)
    dimension = right.selectbox(_("Dimensions"), model.dimensions,
                                index=model.dimensions.index(model.default_dimension), key=f"{key}_dim_{model.id}",
                                help=_("Smaller vectors: a smaller, faster index; larger: finer distinctions. "
                                       "Each model and size keeps its own index."))
    if model.runs_locally:
        st.caption(_("Runs on this machine, offline and free · {note}").format(note=said(model.lifecycle.note)))
        return model, dimension
    text_price = (_("{price} per million text tokens").format(price=format_usd(model.text_price_per_million))
                  if model.text_price_per_million is not None else _("text price not in the app's table"))
    image_price = (_("{price} per image").format(price=format_usd(model.image_price, 5)) if model.image_price
                   else _("image price not published"))
    calls = _("text and image in one call") if model.joint_text_image else _("one input per call")
    regions = ", ".join(model.regions[:3]) + ("…" if len(model.regions) > 3 else "")
    st.caption(_("`{id}` · {regions} · {text_price} · {image_price} · {calls} · queries: {languages}").format(
        id=model.id, regions=regions, text_price=text_price, image_price=image_price, calls=calls,
        languages=said(model.query_languages.value)), help=said(model.price_note or "") or None)
    return model, dimension
