"""Page scaffolding shared by every lab: header, sidebar status, error box, shared resources."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from lib.errors import CREDENTIALS_FIX, NO_CREDENTIALS
from lib.services.credentials import CredentialStatus, credential_watcher
from lib.errors import WorkshopError
from lib.history import LOCAL, HistoryStore, Viewer
from lib.i18n import N_, _, format_usd, ngettext
from lib.labs import LabPage
from lib.ui.state import forget_history_stores, history_store, in_fragment_rerun, viewer  # noqa: F401 - pages import them here
from lib.settings import Settings, load_settings


def current_credentials(settings: Settings | None = None) -> CredentialStatus:
    """The last known credential status, at once: a background thread re-checks it every 30 s.

    Why not on the page's thread: the check may probe instance metadata, which on a laptop never answers
    and used to hold the page for about 2 s every 30 s (lib/services/credentials.py CredentialWatcher).
    """
    return credential_watcher().status(settings or load_settings())


CREDENTIAL_SOURCES = {
    "env": N_("environment variables"),
    "shared-credentials-file": "~/.aws/credentials",
    "config-file": "~/.aws/config",
    "sso": N_("AWS SSO"),
    "assume-role": N_("an assumed role"),
    "container-role": N_("the container role"),
    "iam-role": N_("the instance role"),
    "custom-process": N_("a credential process"),
}


def backend_label(settings: Settings) -> str:
    if settings.endpoint_url:
        return _("Amazon Bedrock API at {url}").format(url=settings.endpoint_url)
    return "Amazon Bedrock"


def credentials_found_text(source: str | None, profile: str | None) -> str:
    """"AWS credentials found (environment variables)": where from, and the profile, when known."""
    where = _(CREDENTIAL_SOURCES[source]) if source in CREDENTIAL_SOURCES else source
    if where and profile:
        return _("AWS credentials found ({source}, profile `{profile}`)").format(source=where, profile=profile)
    if where:
        return _("AWS credentials found ({source})").format(source=where)
    if profile:
        return _("AWS credentials found (profile `{profile}`)").format(profile=profile)
    return _("AWS credentials found")


def render_sidebar(settings: Settings | None = None) -> None:
    """Credentials found or not (never the secret), the region, the backend in use."""
    s = settings or load_settings()
    creds = current_credentials(s)
    with st.sidebar:
        st.markdown(_("#### Connection"))
        if creds.found:
            from lib.ui.class_control import credentials_status  # STS "signed in as …", from a background check

            credentials_status(credentials_found_text(creds.source, creds.profile), s)
        else:
            st.error(_("AWS credentials not found"), icon=":material/key_off:")
            if creds.checking:
                _credentials_watch()
        st.markdown("  \n".join([_("**Region:** `{region}`").format(region=s.region),
                                 _("**Bedrock endpoint:** {endpoint}").format(endpoint=backend_label(s))]))
        st.radio(_("Run labs on"), BACKENDS, key=BACKEND_KEY, horizontal=False, format_func=_,
                 help=_("Auto: Amazon Bedrock when credentials are found, otherwise the local engines (labs 1, "
                        "4, 5 and 7 for erasing, 8). This machine: always the local engines where a lab has one."))
        if backend_preference(s) == "local":
            st.caption(_("Labs 1, 8 and erasing in 4, 5 and 7 run on this machine; the others replay identical "
                         "earlier results from History, or need Bedrock."))


@st.fragment(run_every=1.0)
def _credentials_watch() -> None:
    """While the background check still asks for an instance or container role: reload once it knows."""
    if in_fragment_rerun() and not current_credentials().checking:
        st.rerun()
    st.caption(_("Still looking for an instance or container role…"))


BACKEND_KEY = "backend"
BACKENDS = (N_("Auto"), "Amazon Bedrock", N_("This machine"))  # kept in English in the session; shown translated


def backend_preference(settings: Settings | None = None) -> str | None:
    """"local", "bedrock", or None (the user's pick stands): the sidebar's choice, with Auto resolved."""
    choice = st.session_state.get(BACKEND_KEY, "Auto")
    if choice == "This machine":
        return "local"
    if choice == "Amazon Bedrock":
        return "bedrock"
    return None if current_credentials(settings).found else "local"


@contextmanager
def page_errors_caught() -> Iterator[None]:
    """A bug in a page shows the app's own message with a reference; the traceback goes to the server log only.

    Why: a traceback shows server paths and code to every attendee (and `client.showErrorDetails` is
    "none" in .streamlit/config.toml as a backstop). Streamlit's own rerun/stop signals are BaseExceptions
    and pass through untouched.
    """
    try:
        yield
    except Exception:  # noqa: BLE001 - logged with its traceback, never shown
        reference = uuid.uuid4().hex[:8]
        logging.getLogger("workshop.pages").exception("page error, reference %s", reference)
        st.error(_("**Something went wrong on this page.** Your inputs and History are kept. Try again, or reload "
                   "the page; if it keeps happening, tell the instructor (reference `{reference}`).").format(
                     reference=reference), icon=":material/error:")


def render_sidebar_footer(settings: Settings | None = None) -> None:
    """Running jobs and History totals, drawn after the page ran so they include what it just added."""
    from lib.ui.jobs import sidebar_jobs  # local: jobs imports labs, which pages load through here

    s = settings or load_settings()
    sidebar_jobs()
    with st.sidebar:
        count, cost = _history_totals(history_store(s), viewer())
        if viewer().instructor and viewer().owner != LOCAL.owner:
            said = ngettext("History (the class): {count} result, est. {cost}",
                            "History (the class): {count} results, est. {cost}", count)
        else:
            said = ngettext("History (yours): {count} result, est. {cost}",
                            "History (yours): {count} results, est. {cost}", count)
        st.caption(said.format(count=count, cost=format_usd(cost)))


TOTALS_KEEP_S = 5.0  # what other servers wrote shows up within this long
_totals: dict[tuple[str, str, bool], tuple[float, int, tuple[int, float]]] = {}


def _history_totals(store: HistoryStore, who: Viewer) -> tuple[int, float]:
    """The sidebar's History totals, read again only after this process wrote to what they count (or 5 s later).

    Why: two aggregate queries on every script run were a fifth of the server's work with a class on it.
    """
    key, version, now = (str(store.engine.url), who.owner, who.instructor), store.totals_version(who), time.monotonic()
    kept = _totals.get(key)
    if kept is not None and kept[1] == version and now - kept[0] < TOTALS_KEEP_S:
        return kept[2]
    value = store.totals(who)
    if len(_totals) > 10_000:  # one entry per attendee; a long-running server starts over now and then
        _totals.clear()
    _totals[key] = (now, version, value)
    return value


def require_bedrock(settings: Settings | None = None, *, offline_note: str | None = None) -> bool:
    """Say exactly what to do when Bedrock can't be called; True when it can.

    `offline_note` says what the lab does instead when a local engine can stand in.
    """
    creds = current_credentials(settings)
    if creds.found:
        return True
    problem = "" if creds.problem == NO_CREDENTIALS else creds.problem_text()
    fix = _(CREDENTIALS_FIX)
    if offline_note:  # sentences side by side, each whole in its language
        said = " ".join(part for part in (_("**No AWS credentials were found.**"), problem, offline_note) if part)
        st.info("\n\n".join([said, _("To use Bedrock as well: {fix}").format(fix=fix)]), icon=":material/cloud_off:")
        return False
    said = " ".join(part for part in (_("**This lab calls Amazon Bedrock, and no AWS credentials were found.**"),
                                      problem) if part)
    st.warning("\n\n".join([said, fix,
                             _("You can still explore the inputs, settings and your history, and replay a result "
                               "History holds for the identical request.")]),
               icon=":material/cloud_off:")
    return False


def lab_header(lab: LabPage) -> None:
    st.title(_("Lab {number} · {title}").format(number=lab.number, title=lab.title) if lab.number else lab.title)
    st.caption(lab.summary)


def show_error(err: WorkshopError) -> None:
    """One error box for every failure: what happened, the fix, and the raw text on demand."""
    # The title is a class's message (translated here when the catalog has it); message and hint were made in
    # the language of the run or job that raised the error.
    lines = [_("**{title}.** {message}").format(title=_(err.title), message=err.message)]
    if err.hint:
        lines.append(_("**What to do:** {hint}").format(hint=err.hint))
    st.error("\n\n".join(lines), icon=":material/error:")
    if err.detail and err.detail != err.message:
        with st.expander(_("Details from Bedrock")):
            st.code(err.detail, language=None, wrap_lines=True)


def show_notes(notes: list[str], title: str | None = None) -> None:
    """What the app changed before sending, shown where the user looks (`title`: "Adjusted for the model")."""
    if notes:
        heading = _("**{title}:**").format(title=title or _("Adjusted for the model"))
        st.info("\n".join([heading, *(f"- {n}" for n in notes)]), icon=":material/tune:")


def start_lab(lab: LabPage, *, offline_note: str | None = None, offline_ready: bool = False) -> bool:
    """Header, settings handed over from History, and the credentials check; True when Bedrock can be called.

    `offline_note` (what the lab does without Bedrock) is said only when its local engine is installed
    (`offline_ready`) and the sidebar's switch does not insist on Bedrock.
    """
    from lib.ui.class_control import class_notice  # the instructor's pause switch and last readiness verdict
    from lib.ui.generation_controls import apply_prefill  # local: generation_controls imports this module's peers

    lab_header(lab)
    class_notice(lab)
    apply_prefill(lab.key)
    offline = offline_ready and backend_preference() != "bedrock"
    return require_bedrock(offline_note=offline_note if offline else None)


def suggestion_box(label: str, options: tuple[str, ...], *, fills: str, key: str, placeholder: str) -> None:
    """A dropdown of suggestions that copies the chosen one into the text box with key `fills`."""
    def copy() -> None:
        st.session_state[fills] = st.session_state.get(key) or ""

    st.selectbox(label, options, index=None, key=key, placeholder=placeholder, on_change=copy)
