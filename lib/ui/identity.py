"""Who is using the app: the owner of what they make, and whether they are the instructor.

Three settings, from the most to the least protected:
- An OpenID Connect provider configured the Streamlit way (`[auth]` in .streamlit/secrets.toml: Cognito,
  Google, Okta…): the app requires `st.login()`; `st.user.email` names the attendee, and the emails in
  WORKSHOP_INSTRUCTORS are instructors.
- WORKSHOP_WORKSPACES=browser, no provider: each browser keeps a random workspace id in a cookie; the
  instructor signs in with WORKSHOP_INSTRUCTOR_PASSCODE (or `instructor_passcode` in secrets). This keeps
  honest attendees apart; it does not stop someone who copies another browser's cookie (see README).
- Neither (a laptop): one local user, who is also the instructor: today's single-user behaviour.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets as token

import streamlit as st
import streamlit.components.v1 as components

from lib.i18n import _
from lib.settings import Settings, load_settings
from lib.storage.results import LOCAL, Viewer

COOKIE = "workshop_workspace"
_VALID_ID = re.compile(r"^[a-f0-9]{32}$")
INSTRUCTOR_KEY = "instructor_signed_in"
WORKSPACE_KEY = "browser_workspace"


def _secret(name: str) -> object | None:
    if not _secrets_files_exist():  # st.secrets looks for its files again on every access until one exists:
        return None  # 0.5 ms a call, several calls on every run of every page
    try:
        return st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets.toml at all is the normal laptop case
        return None


_secrets_files: tuple[str, ...] | None = None


def _secrets_files_exist() -> bool:
    global _secrets_files
    if _secrets_files is None:  # Streamlit's option, read once (reading it costs 0.1 ms)
        from streamlit import config

        _secrets_files = tuple(config.get_option("secrets.files"))
    return any(os.path.exists(path) for path in _secrets_files)


def login_configured() -> bool:
    """An OpenID Connect provider is configured in secrets ([auth] with a client id or named providers)."""
    auth = _secret("auth")
    return bool(auth) and hasattr(auth, "get") and (bool(auth.get("client_id")) or any(
        hasattr(v, "get") and v.get("client_id") for v in auth.values()))


def _passcode(settings: Settings) -> str | None:
    value = settings.instructor_passcode or _secret("instructor_passcode")
    return str(value) if value else None


def _browser_workspace() -> str:
    """The id this browser keeps (a cookie); a new browser gets a new random one."""
    if WORKSPACE_KEY not in st.session_state:
        kept = (st.context.cookies or {}).get(COOKIE, "")
        st.session_state[WORKSPACE_KEY] = kept if _VALID_ID.match(kept or "") else token.token_hex(16)
    workspace = st.session_state[WORKSPACE_KEY]
    if (st.context.cookies or {}).get(COOKIE) != workspace:
        # The cookie outlives the session (30 days), so a reload or a new tab finds the same workspace.
        components.html(f"<script>parent.document.cookie = '{COOKIE}={workspace}; path=/; max-age=2592000; "
                        "SameSite=Strict';</script>", height=0)
    return workspace


def current_viewer(settings: Settings | None = None) -> Viewer:
    """This session's owner id and role; with a provider, stops the page at the sign-in screen until signed in."""
    s = settings or load_settings()
    if login_configured():
        if not st.user.is_logged_in:
            st.title(_("Bedrock Image Workshop"))
            st.info(_("Sign in to start: your results stay yours, and the instructor sees the class."),
                    icon=":material/login:")
            st.button(_("Sign in"), type="primary", icon=":material/login:", on_click=st.login)
            st.stop()
        email = str(st.user.get("email") or st.user.get("sub") or "").lower()
        return Viewer(email, instructor=email in s.instructors)
    if s.workspaces != "browser":
        return LOCAL
    return Viewer(f"browser:{_browser_workspace()}", instructor=bool(st.session_state.get(INSTRUCTOR_KEY)))


def _check_passcode(expected: str) -> None:
    typed = st.session_state.get("instructor_passcode_input") or ""
    st.session_state[INSTRUCTOR_KEY] = hmac.compare_digest(typed.encode(), expected.encode())
    st.session_state["instructor_passcode_input"] = ""
    st.session_state["instructor_passcode_failed"] = not st.session_state[INSTRUCTOR_KEY]


def identity_sidebar(viewer: Viewer, settings: Settings | None = None) -> None:
    """Who you are (and the instructor sign-in of a class without a provider), at the top of the sidebar."""
    s = settings or load_settings()
    with st.sidebar:
        if login_configured():
            signed_in = (_("Signed in as {who} (instructor)") if viewer.instructor
                         else _("Signed in as {who} (attendee)"))
            st.caption(signed_in.format(who=viewer.owner))
            st.button(_("Sign out"), key="sign_out", icon=":material/logout:", on_click=st.logout)
        elif s.workspaces == "browser" and viewer.instructor:
            st.caption(_("Instructor: you see every attendee's results."))
            st.button(_("Leave instructor mode"), key="instructor_leave",
                      on_click=lambda: st.session_state.update({INSTRUCTOR_KEY: False}))
        elif s.workspaces == "browser":
            st.caption(_("Your own workspace in this browser: only you see what you make here."))
            if passcode := _passcode(s):
                with st.expander(_("Instructor sign-in")):
                    st.text_input(_("Passcode"), type="password", key="instructor_passcode_input",
                                  on_change=_check_passcode, args=(passcode,))
                    if st.session_state.get("instructor_passcode_failed"):
                        st.caption(_("That passcode is not right."))
