"""What every page shows of the instructor's controls: who the AWS credentials are (sidebar), the last readiness
verdict and the pause switch (a short banner on the labs), and the polite refusal of instructor pages.

Each read is cheap on a page run: the STS answer comes from a background watcher (lib/caller.py), the shared
state from the results database at most every few seconds per process (lib/storage/control.py).
"""

from __future__ import annotations


import streamlit as st

from lib.caller import caller_watcher
from lib.i18n import _, format_time
from lib.labs import LabPage
from lib.settings import Settings, load_settings
from lib.storage.control import READINESS_KEY, ClassControl
from lib.ui.state import history_store, in_fragment_rerun, viewer


def class_control(settings: Settings | None = None) -> ClassControl:
    return ClassControl(history_store(settings).engine)


# --- the sidebar: signed in as … ----------------------------------------------------------------------------


def credentials_status(found_text: str, settings: Settings | None = None) -> None:
    """"Signed in to AWS as …" (the app's credentials, which every attendee's calls use) once STS has answered;
    the refusal with its fix when AWS rejects them."""
    s = settings or load_settings()
    who = caller_watcher().status(s)
    if who.state == "ok":
        # The role and account are the instructor's business; an attendee only needs to know the calls work.
        st.success(_("Signed in to AWS as {principal} · account {account}").format(principal=who.principal,
                                                                                   account=who.account)
                   if viewer().instructor else _("Signed in to AWS (the class's account)"),
                   icon=":material/verified_user:")
        st.caption(found_text)
    elif who.state == "refused":
        st.error(_("{credentials}, but AWS refuses them: {problem}").format(credentials=found_text,
                                                                           problem=who.problem_text()),
                 icon=":material/key_off:")
        if who.fix:
            st.caption(who.fix_text())
    elif who.state == "unreachable":
        st.warning(_("{credentials}; not confirmed yet: {problem}").format(credentials=found_text,
                                                                          problem=who.problem_text()),
                   icon=":material/key:")
    else:
        st.info(_("{credentials}; checking who they belong to…").format(credentials=found_text),
                icon=":material/key:")
        _identity_watch()


@st.fragment(run_every=1.0)
def _identity_watch() -> None:
    """Reruns the page once STS has answered (only while the first answer is pending)."""
    if in_fragment_rerun() and caller_watcher().status().state != "checking":
        st.rerun()


# --- the labs: readiness verdict and pause ------------------------------------------------------------------


def _last_verdicts(settings: Settings) -> tuple[dict[int, dict], float] | None:
    data = class_control(settings).cached(READINESS_KEY, ttl_s=5.0)
    if not data or data.get("region") != settings.region:
        return None
    return {int(v["number"]): v for v in data.get("labs", [])}, float(data.get("checked_at", 0))


def class_notice(lab: LabPage, settings: Settings | None = None) -> None:
    """A short banner on a lab: the class is paused, or the last readiness check found it can't run here.

    Attendees see it without any call of their own: the instructor's last verdict is in the shared database.
    """
    if lab.number is None:
        return
    s = settings or load_settings()
    try:
        control = class_control(s)
        pause = control.paused(ttl_s=2.0)
        verdicts = _last_verdicts(s)
    except Exception:  # noqa: BLE001 - a banner never breaks a lab
        return
    if pause is not None:
        paused = (_("**The instructor has paused model calls for the class ({note}).** Nothing is sent until they "
                    "resume; History and replays still work.") if pause.note else
                  _("**The instructor has paused model calls for the class.** Nothing is sent until they resume; "
                    "History and replays still work."))
        st.warning(paused.format(note=pause.note), icon=":material/pause_circle:")
    if verdicts is None:
        return
    from lib.readiness import LabVerdict

    by_number, checked_at = verdicts
    found = by_number.get(lab.number)
    if found is None:
        return
    text = LabVerdict(**found).banner()
    if text:
        st.info(_("{verdict} (instructor's check at {time})").format(verdict=text, time=format_time(checked_at)),
                icon=":material/fact_check:")


# --- instructor pages ---------------------------------------------------------------------------------------


def instructor_only() -> bool:
    """True for an instructor; anyone else gets a polite refusal (and the page should stop)."""
    if viewer().instructor:
        return True
    st.title(_("Instructor"))
    st.info(_("This page is for the instructor of the class. Your labs and your History are in the menu on the "
              "left; if you are the instructor, sign in from the sidebar."), icon=":material/lock:")
    return False
