"""History: every earlier result — reopen it, download it, reuse its settings or its images."""

from functools import partial

import streamlit as st

from lib.labs import LABS, lab, lab_for_key, tool
from lib.history import entry_zip
from lib.ui.common import history_store, lab_header
from lib.ui.generation_controls import prefill_key
from lib.ui.image_input import handoff_key
from lib.ui.results import show_result

PAGE = tool("History")
lab_header(PAGE)
store = history_store()

f1, f2 = st.columns([1, 2])
lab_names = {item.key: f"Lab {item.number} — {item.title}" for item in LABS}
only_lab = f1.selectbox("Lab", [None, *lab_names], format_func=lambda k: "All labs" if k is None else lab_names[k],
                        key="history_lab")
search = f2.text_input("Search prompts and models", key="history_search")
entries = store.recent(30, lab=only_lab, search=search)
count, cost = store.totals()
st.caption(f"{count} result{'s' if count != 1 else ''} in total · estimated spend ${cost:,.3f}")

if not entries:
    st.info("Nothing here yet. Results from every lab are saved automatically — try "
            f"**Lab 2 — {lab(2).title}** first." if not (only_lab or search) else "No result matches.",
            icon=":material/history:")

for entry in entries:
    origin = lab_for_key(entry.lab)
    with st.container(border=True):
        thumbs, facts = st.columns([2, 3])
        with thumbs:
            st.image([img.read_bytes() for img in entry.outputs if img.path.exists()], width=110)
        with facts:
            st.markdown(f"**“{entry.prompt or '(no prompt)'}”**")
            st.caption(f"{origin.nav_title if origin else entry.lab} · {entry.model_label} · seed {entry.seed} · "
                       f"{entry.latency_s or 0:.1f} s · ${entry.cost_usd or 0:.3f} · {entry.when}")
            b1, b2, b3 = st.columns(3)
            if origin and b1.button(f"Reuse in Lab {origin.number}", key=f"hist_reuse_{entry.id}",
                                    icon=":material/replay:", help="Open the lab with these settings and seed."):
                st.session_state[prefill_key(origin.key)] = entry.request
                if entry.inputs and origin.input_key:
                    st.session_state[handoff_key(origin.input_key)] = [img.id for img in entry.inputs]
                st.switch_page(origin.page)
            b2.download_button("Zip", partial(entry_zip, entry), file_name=f"{entry.lab}-{entry.id}.zip",
                               mime="application/zip", key=f"hist_zip_{entry.id}", on_click="ignore",
                               icon=":material/folder_zip:")
            if b3.button("Delete", key=f"hist_del_{entry.id}", icon=":material/delete:"):
                store.delete(entry.id)
                st.rerun()
        with st.expander("Open"):
            show_result(entry, f"hist_{entry.id}", send_to=(lab(3),))
