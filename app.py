"""Bedrock Image Workshop: the home page, navigation over the labs, and the sidebar status.

Run with `streamlit run app.py` (see README for the one command that sets everything up).
"""

from __future__ import annotations

import streamlit as st

from lib.capabilities import capability_table
from lib.catalog import MODELS
from lib.labs import LABS, TOOLS
from lib.ui.identity import current_viewer, identity_sidebar
from lib.ui.common import current_credentials, page_errors_caught, render_sidebar, render_sidebar_footer
from lib.ui.engines import start_background_work

st.set_page_config(page_title="Bedrock Image Workshop", page_icon=":material/photo_library:", layout="wide")


def capabilities(expanded: bool) -> None:
    with st.expander("What works on Bedrock and what works offline", expanded=expanded):
        st.table([{"Lab": c.lab, "On Amazon Bedrock": c.bedrock, "On this machine (no AWS account)": c.local,
                   "Limits offline": c.limits} for c in capability_table()], hide_index=True)  # a table wraps text
        st.caption("Local engines run on the CPU with weights that ship inside installed packages; nothing is "
                   "downloaded. `WORKSHOP_CLOUD_ONLY=1` installs without them.")


def home() -> None:
    st.title("Bedrock Image Workshop")
    st.markdown(
        "Hands-on labs for image AI on **Amazon Bedrock**: search, generate, edit and understand images with the "
        "models you can call today, next to the workshop's original Titan and Nova Canvas request shapes. "
        "Every result is kept in **History** with its seed, request and estimated cost, so you can reopen, "
        "download and reuse it."
    )
    if not current_credentials().found:  # first thing a newcomer without an AWS account should see
        capabilities(expanded=True)
    st.subheader("Labs")
    for lab in LABS:
        with st.container(border=True):
            st.page_link(lab.page, label=f"Lab {lab.number} — {lab.title}", icon=lab.icon)
            st.caption(lab.summary)
    st.subheader("Tools")
    for tool in (t for t in TOOLS if viewer.instructor or not t.instructor_only):
        st.page_link(tool.page, label=tool.title, icon=tool.icon)
        st.caption(tool.summary)
    if current_credentials().found:
        capabilities(expanded=False)
    with st.expander("Models in this workshop"):
        st.dataframe(
            [{"Model": m.label, "Id": m.id, "Provider": m.provider, "Status": m.lifecycle.badge(),
              "Regions": ", ".join(m.regions), "From $/image": m.price.per_image(),
              "Workshop original": "yes" if m.from_workshop else ""} for m in MODELS],
            hide_index=True,
        )
        st.caption("Stability AI models are served in us-west-2; the app calls each model in a region that "
                   "offers it and says so next to the result.")


viewer = current_viewer()  # with a sign-in provider, nobody gets past this without signing in
pages = [st.Page(home, title="Home", icon=":material/home:", default=True, url_path="home")]
pages += [st.Page(lab.page, title=lab.nav_title, icon=lab.icon, url_path=lab.url_path) for lab in LABS]
pages += [st.Page(tool.page, title=tool.title, icon=tool.icon, url_path=tool.url_path,  # an attendee who opens an
                  visibility="hidden" if tool.instructor_only and not viewer.instructor else "visible")  # instructor
          for tool in TOOLS]  # page's address gets a polite refusal from the page itself

navigation = st.navigation(pages)
identity_sidebar(viewer)
render_sidebar()
credentials = current_credentials()
start_background_work(offline=not credentials.found and not credentials.checking)  # once per process
with page_errors_caught():
    navigation.run()
render_sidebar_footer()
