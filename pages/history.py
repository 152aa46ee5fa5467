"""History: your earlier results and answers — reopen, download, reuse, delete. Instructors see the class.

Paged, with thumbnails (a full image only when an entry is opened); attendee text is shown as text.
"""

from functools import partial

import streamlit as st

from lib.catalog import shown_label, takes_seed
from lib.history import HistoryEntry, StoredAnswer, entry_zip
from lib.i18n import _, format_datetime, format_number, format_seconds, format_usd, ngettext
from lib.labs import LABS, lab, lab_for_key, tool
from lib.services.upscale import upscaled_from
from lib.ui.common import current_credentials, history_store, lab_header, viewer
from lib.ui.generation_controls import prefill_key
from lib.ui.image_input import handoff_key
from lib.ui.results import run_title, show_result
from lib.ui.upscale import upscale_action, upscale_panel
from lib.ui.runs import what_runs_here
from lib.text import plain

PAGE = tool("History")
PAGE_SIZE = 20
UPSCALES = "history"  # the key of this page's jobs (upscales started here)
lab_header(PAGE)
store = history_store()
me = viewer()


def lab_name(key: str) -> str:
    found = lab_for_key(key)
    return _("Lab {number} · {title}").format(number=found.number, title=found.title) if found else key


def owner_name(owner: str) -> str:
    return owner.removeprefix("browser:")[:8] if owner.startswith("browser:") else owner


def whose(owner: str) -> str:
    """ · attendee, for the instructor's class-wide view (their own entries say nothing)."""
    return f" · {owner_name(owner)}" if me.instructor and owner != me.owner else ""


def delete(entry_id: str) -> None:
    store.delete(entry_id, me)


def delete_answer(answer_id: str) -> None:
    store.delete_answer(answer_id, me)


def show_entry(entry: HistoryEntry) -> None:
    origin = lab_for_key(entry.lab)
    with st.container(border=True):
        thumbs, facts = st.columns([2, 3])
        with thumbs:
            shown = [img.thumbnail_bytes() for img in entry.outputs if img.exists()]
            if shown:
                st.image(shown, width=110)
            else:
                st.caption(_("The image files are missing."))
        with facts:
            st.markdown(f"**{plain(run_title(entry))}**")  # a removal says what it removed
            facts_said = [lab_name(entry.lab), shown_label(entry.model_label)]
            if entry.seed is not None and takes_seed(entry.model_id):
                facts_said.append(_("seed {seed}").format(seed=entry.seed))
            facts_said += [format_seconds(entry.latency_s or 0), format_usd(entry.cost_usd or 0),
                           format_datetime(entry.created_at, "medium")]
            st.caption(plain(" · ".join(facts_said)) + plain(whose(entry.owner)))
            source = upscaled_from(entry)  # an upscale names the result it enlarged
            if source:
                st.caption(plain(source))
            b1, b2, b3, b4 = st.columns([3, 1.6, 2, 2.4])  # room for each label
            if origin and entry.owner == me.owner and not source and b1.button(
                    _("Reuse in Lab {number}").format(number=origin.number), key=f"hist_reuse_{entry.id}",
                    icon=":material/replay:", help=_("Open the lab with these settings and seed.")):
                st.session_state[prefill_key(origin.key)] = entry.request
                if entry.inputs and origin.input_key:
                    st.session_state[handoff_key(origin.input_key)] = [img.id for img in entry.inputs]
                st.switch_page(origin.page)
            b2.download_button(_("Zip"), partial(entry_zip, entry), file_name=f"{entry.lab}-{entry.id}.zip",
                               mime="application/zip", key=f"hist_zip_{entry.id}", on_click="ignore",
                               icon=":material/folder_zip:")
            b3.button(_("Delete"), key=f"hist_del_{entry.id}", icon=":material/delete:", on_click=delete,
                      args=(entry.id,))
            with b4:
                upscale_action(entry, entry.outputs, f"hist_{entry.id}", UPSCALES)
        with st.expander(_("Open")):
            show_result(entry, f"hist_{entry.id}")


def show_answer(answer: StoredAnswer) -> None:
    with st.container(border=True):
        st.markdown(f"**“{plain(answer.prompt)}”**" if answer.prompt else _("**(images only)**"))
        tokens = _("{input} tokens in, {output} out").format(input=format_number(answer.input_tokens or 0),
                                                            output=format_number(answer.output_tokens or 0))
        facts_said = [lab_name(answer.lab), shown_label(answer.model_label), tokens,
                      format_usd(answer.cost_usd or 0, 4), format_datetime(answer.created_at, "medium")]
        st.caption(plain(" · ".join(facts_said)) + plain(whose(answer.owner))
                   + (" · " + _("arrived after cancel") if answer.after_cancel else ""))
        with st.expander(_("Answer")):
            st.text(answer.text)
        st.button(_("Delete"), key=f"hist_adel_{answer.id}", icon=":material/delete:", on_click=delete_answer,
                  args=(answer.id,))


if me.instructor and me.owner != "local":
    with st.expander(_("The class: results and estimated spend per attendee"), expanded=True):
        attendee, images, answers, spend = _("Attendee"), _("Images"), _("Answers"), _("Est. spend ($)")
        st.dataframe([{attendee: owner_name(t.owner), images: t.results, answers: t.answers,
                       spend: round(t.cost_usd, 4)} for t in store.per_owner()], hide_index=True)

images_tab, answers_tab = st.tabs([_("Images"), _("Answers (labs 8 and 9)")])
with images_tab:
    f1, f2 = st.columns([1, 2])
    lab_names = {item.key: lab_name(item.key) for item in LABS}
    only_lab = f1.selectbox(_("Lab"), [None, *lab_names], key="history_lab",
                            format_func=lambda k: _("All labs") if k is None else lab_names[k])
    search = f2.text_input(_("Search prompts and models"), key="history_search")
    upscale_panel(UPSCALES)  # upscales started below: running, failed, or where the new entry is
    total = store.count(lab=only_lab, search=search, viewer=me)
    pages = max(1, -(-total // PAGE_SIZE))
    page_no = st.number_input(_("Page"), 1, pages, 1, key="history_page") if pages > 1 else 1
    count, cost = store.totals(me)
    if me.instructor and me.owner != "local":
        counted = ngettext("{count} result and answers for an estimated {cost} (the whole class)",
                           "{count} results and answers for an estimated {cost} (the whole class)", count)
    else:
        counted = ngettext("{count} result and answers for an estimated {cost}",
                           "{count} results and answers for an estimated {cost}", count)
    counted = counted.format(count=format_number(count), cost=format_usd(cost))
    if pages > 1:
        counted = " · ".join([counted, _("page {page} of {pages}").format(page=page_no, pages=pages)])
    st.caption(counted)
    entries = store.recent(PAGE_SIZE, lab=only_lab, search=search, viewer=me, offset=(page_no - 1) * PAGE_SIZE)
    from lib.ui.code_view import notebook_export  # one self-contained block: this session or these results

    notebook_export(entries)  # as a Jupyter notebook
    if not entries:
        st.info(_("Nothing here yet. Every lab saves its results here automatically.") if not (only_lab or search)
                else _("No result matches."), icon=":material/history:")
        if not (only_lab or search) and current_credentials().found:  # a first result, where it runs now
            st.page_link(lab(2).page, label=_("Lab {number} — {title}").format(number=2, title=lab(2).title),
                         icon=lab(2).icon)
        elif not (only_lab or search):
            what_runs_here(image_labs=True)
    for item in entries:
        show_entry(item)

with answers_tab:
    answers = store.recent_answers(PAGE_SIZE, viewer=me)
    if not answers:
        st.info(_("No answers yet: labs 8 and 9 keep every answer the model gives here."), icon=":material/forum:")
    for item in answers:
        show_answer(item)
