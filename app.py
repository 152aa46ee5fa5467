"""Bedrock Image Workshop: the home page, navigation over the labs, and the sidebar status.

Run with `streamlit run app.py` (see README for the one command that sets everything up).
"""

from __future__ import annotations

import streamlit as st

from lib.capabilities import REPLAY, capability_table, runs_here
from lib.catalog import MODELS
from lib.i18n import _, current_language
from lib.labs import LABS, TOOLS
from lib.ui.identity import current_viewer, identity_sidebar
from lib.ui.common import current_credentials, page_errors_caught, render_sidebar, render_sidebar_footer
from lib.ui.language import apply_language, language_switch
from lib.ui.presenter import presenter_toggle
from lib.ui.engines import start_background_work
from lib.ui.state import kept_for_session

apply_language()  # this run's language (the switch's, the browser's or the deployment's), before anything is drawn
st.set_page_config(page_title=_("Bedrock Image Workshop"), page_icon=":material/photo_library:", layout="wide")


def capabilities() -> None:
    """Each lab on Bedrock and on this machine, one block a lab (a table's columns get clipped on a phone)."""
    with st.expander(_("What works on Bedrock and what works offline, lab by lab")):
        st.caption(_(REPLAY))
        for lab, row in zip(LABS, capability_table()):
            lines = [_("**Lab {number} · {title}**").format(number=lab.number, title=lab.title),
                     _(":material/cloud: **On Amazon Bedrock:** {what}").format(what=row.bedrock),
                     _(":material/computer: **On this machine (no AWS account):** {what}").format(what=row.local)]
            if row.limits:
                lines.append(_(":material/info: **Limits offline:** {limits}").format(limits=row.limits))
            st.markdown("  \n".join(lines))  # one line each, a Markdown line break between them
        st.caption(_("Local engines run on the CPU with weights that ship inside installed packages; nothing is "
                     "downloaded. `WORKSHOP_CLOUD_ONLY=1` installs without them."))


def where_it_runs(number: int, bedrock: bool) -> str:
    """A lab card's badges: Amazon Bedrock (ready or not), this machine (what), replay (without Bedrock)."""
    badges = [":blue-badge[:material/cloud: Amazon Bedrock]"] if bedrock else []  # without: said once, above
    local = runs_here(number)
    if local:
        badges.append(":green-badge[:material/computer: {text}]".format(
            text=_("This machine: {what}").format(what=local)))
    if not bedrock and next(row for lab, row in zip(LABS, capability_table()) if lab.number == number).replays:
        badges.append(":violet-badge[:material/replay: {text}]".format(text=_("Replays from History")))
    return " ".join(badges)


# A card's link shows the whole lab name, on as many lines as it needs (Streamlit cuts it to one).
_WRAP_LINKS = ("<style>[data-testid='stMain'] [data-testid='stPageLink'] * "
               "{white-space: normal !important; text-overflow: clip !important; overflow: visible !important;}</style>")


def home() -> None:
    st.title(_("Bedrock Image Workshop"))
    bedrock = current_credentials().found
    st.markdown(_("Hands-on labs for image AI on **Amazon Bedrock**. Each card says where the lab runs here: on "
                  "Bedrock, on this machine, or by replaying an identical earlier result from **History**."))
    st.html(_WRAP_LINKS)
    if not bedrock:
        st.info(_("No AWS credentials were found, so Bedrock can't be called. Labs marked **This machine** run "
                  "here now; see the sidebar for the fix."), icon=":material/cloud_off:")
    for start in range(0, len(LABS), 3):
        for col, lab in zip(st.columns(3), LABS[start:start + 3]):
            with col, st.container(border=True, height="stretch"):
                st.page_link(lab.page, label=_("Lab {number} — {title}").format(number=lab.number, title=lab.title),
                             icon=lab.icon)
                st.markdown(where_it_runs(lab.number, bedrock))
                st.caption(lab.summary)
    for tool in (t for t in TOOLS if viewer.instructor or not t.instructor_only):
        with st.container(border=True):
            st.page_link(tool.page, label=tool.title, icon=tool.icon)
            st.caption(tool.summary)
    capabilities()
    with st.expander(_("Models in this workshop")):
        columns = {"model": _("Model"), "id": _("Id"), "provider": _("Provider"), "status": _("Status"),
                   "regions": _("Regions"), "price": _("From $/image"), "original": _("Workshop original")}
        st.dataframe(
            [{columns["model"]: m.label, columns["id"]: m.id, columns["provider"]: m.provider,
              columns["status"]: m.lifecycle.badge(), columns["regions"]: ", ".join(m.regions),
              columns["price"]: m.price.per_image(), columns["original"]: _("yes") if m.from_workshop else ""}
             for m in MODELS],
            hide_index=True,
        )
        st.caption(_("Stability AI models are served in us-west-2; the app calls each model in a region that "
                     "offers it and says so next to the result."))


def home_alias() -> None:
    """/home (an old link, a bookmark) opens the home page instead of Streamlit's "Page not found"."""
    st.switch_page(home_page)


language_switch()  # first in the sidebar (also on the sign-in screen): English / 한국어
viewer = current_viewer()  # with a sign-in provider, nobody gets past this without signing in
home_page = st.Page(home, title=_("Home"), icon=":material/home:", default=True, url_path="start")  # served at /
pages = [home_page, st.Page(home_alias, title=_("Home"), url_path="home", visibility="hidden")]
pages += kept_for_session("navigation", (current_language(), viewer.instructor), lambda: [
    *[st.Page(lab.page, title=lab.nav_title, icon=lab.icon, url_path=lab.url_path) for lab in LABS],
    *[st.Page(tool.page, title=tool.title, icon=tool.icon, url_path=tool.url_path,  # an attendee who opens an
              visibility="hidden" if tool.instructor_only and not viewer.instructor else "visible")  # instructor
      for tool in TOOLS]])  # page's address gets a polite refusal from the page itself

navigation = st.navigation(pages)
identity_sidebar(viewer)
render_sidebar()
presenter_toggle()
credentials = current_credentials()
start_background_work(offline=not credentials.found and not credentials.checking)  # once per process
with page_errors_caught():
    navigation.run()
render_sidebar_footer()
