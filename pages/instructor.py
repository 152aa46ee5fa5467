"""The instructor's console: ready before class, in control during it.

Before class: who the credentials are (STS), then per region, lab and model whether this account can call what
each lab offers (lib/readiness.py), with the fix, Marketplace offers to accept, optional test calls, and an export.
The verdict for the app's region is kept in the shared database, so attendees see a short banner on affected labs.
During class: activity, errors and spend (lib/storage/control.py), the spend caps, and one switch that pauses
every model call. Results packs: export chosen History entries, import them on another deployment for replay.
"""

from __future__ import annotations

import time

import streamlit as st

from lib.caller import caller_watcher
from lib.catalog import shown_label
from lib.errors import WorkshopError
from lib.i18n import _, format_number, format_time, format_usd, ngettext
from lib.labs import tool
from lib.readiness import (ReadinessReport, accept_offer, apply_smoke, models_in, run_check, say, smoke_call,
                           smoke_estimate)
from lib.settings import load_settings
from lib.storage.control import READINESS_KEY
from lib.storage.packs import PackError, export_pack, import_pack, pack_counts
from lib.storage.results import PACK_OWNER
from lib.text import plain
from lib.ui.class_control import class_control, instructor_only
from lib.ui.common import history_store, lab_header, viewer
from lib.ui.jobs import job_panel, submit, take_finished

PAGE = tool("Instructor")
KEY = "instructor"
REPORTS = f"{KEY}_reports"  # {region: report dict} of this session
MESSAGE = f"{KEY}_message"
PACK = f"{KEY}_pack"
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")
STATE_ICONS = {"ready": ":green[:material/check_circle:]", "partial": ":orange[:material/warning:]",
               "not_ready": ":red[:material/cancel:]", "unchecked": ":gray[:material/help:]"}

settings = load_settings()
store = history_store(settings)
control = class_control(settings)
me = viewer()


def owner_name(owner: str) -> str:
    return owner.removeprefix("browser:")[:8] if owner.startswith("browser:") else owner


def results_count(n: int) -> str:
    return ngettext("{count} result", "{count} results", n).format(count=n)


def answers_count(n: int) -> str:
    return ngettext("{count} answer", "{count} answers", n).format(count=n)


def say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)


def reports() -> dict[str, ReadinessReport]:
    """This session's reports, or the last one saved by any instructor on any server."""
    found = {r: ReadinessReport.from_dict(d) for r, d in st.session_state.get(REPORTS, {}).items()}
    if not found:
        shared = control.get(READINESS_KEY)
        if shared:
            found[shared["region"]] = ReadinessReport.from_dict(shared)
    return found


def keep(report: ReadinessReport) -> None:
    st.session_state.setdefault(REPORTS, {})[report.region] = report.to_dict()
    if report.region == settings.region:  # what attendees' banners read, on every server
        control.put(READINESS_KEY, report.to_dict(), me.owner)


# --- jobs: the check and the test calls run outside the page's script run ----------------------------------


def collect() -> None:
    for job in take_finished(KEY):
        if job.error is not None:
            say("error", _("{title}: {message}").format(title=_(job.error.title), message=job.error.message))
        elif job.kind == "readiness":
            for report in job.result:
                keep(report)
            say("success", _("Readiness checked for {regions}.").format(
                regions=", ".join(r.region for r in job.result)))
        elif job.kind == "smoke":
            region, outcomes = job.result
            report = reports().get(region)
            if report is not None:
                for model_id, outcome in outcomes:
                    apply_smoke(report, model_id, outcome)
                keep(report)
            failed = sum(1 for _model, o in outcomes if not o["ok"])
            say("warning" if failed else "success",
                ngettext("{count} test call made, {failed} failed.", "{count} test calls made, {failed} failed.",
                         len(outcomes)).format(count=len(outcomes), failed=failed))


def start_check(regions: list[str]) -> None:
    def work(job) -> list[ReadinessReport]:
        done = []
        for region in regions:
            done.append(run_check(region, settings, progress=lambda n, total, r=region: setattr(
                job, "partial", _("{region}: {done} of {total} models checked").format(region=r, done=n,
                                                                                      total=total))))
        return done

    submit(KEY, "readiness", _("Readiness check ({regions})").format(regions=", ".join(regions)),
           _("Bedrock control plane"), f"readiness:{','.join(regions)}", work)


def start_smoke(region: str, model_ids: list[str]) -> None:
    report = reports()[region]
    chosen = [m for m in models_in(report) if m.id in model_ids]

    def work(job) -> tuple[str, list[tuple[str, dict]]]:
        outcomes = []
        for model in chosen:
            job.partial = _("testing {model}").format(model=model.label)
            outcomes.append((model.id, smoke_call(model, settings)))
        return region, outcomes

    submit(KEY, "smoke", ngettext("{count} test call in {region}", "{count} test calls in {region}",
                                  len(chosen)).format(count=len(chosen), region=region),
           _("several models"), f"smoke:{region}:{','.join(sorted(model_ids))}", work)


def accept(model_id: str, token: str, region: str, label: str) -> None:
    try:
        accept_offer(model_id, token, region, settings)
    except WorkshopError as err:  # accept_offer words every failure
        say("error", _("The agreement for {model} was not created: {problem}").format(model=label,
                                                                                     problem=err.message))
        return
    say("success", _("Agreement for {model} requested. The AWS Marketplace subscription completes in the "
                     "background (up to about 15 minutes); run the check again to see it.").format(model=label))


def progress(job) -> None:
    if job.partial:
        st.caption(plain(str(job.partial)))


# --- before class -------------------------------------------------------------------------------------------


def who() -> None:
    st.subheader(_("Who"))
    status = caller_watcher().status(settings)
    if status.state == "ok":
        st.success("  \n".join([_("Signed in as **{principal}** in account **{account}**").format(
            principal=status.principal, account=status.account), f"`{status.arn}`"]), icon=":material/verified_user:")
    elif status.state == "checking":
        st.info(_("Asking AWS who these credentials are…"), icon=":material/hourglass_top:")
    else:
        st.error(f"**{status.problem_text()}** {status.fix_text()}", icon=":material/key_off:")
    st.button(_("Ask again"), key=f"{KEY}_who_again", icon=":material/refresh:",
              on_click=lambda: caller_watcher().recheck(settings))


def verdict_table(report: ReadinessReport) -> None:
    if report.identity.ok:
        checked = _("**{region}** · checked {when} as {principal}").format(
            region=report.region, when=report.when, principal=report.identity.principal)
    else:
        checked = _("**{region}** · checked {when} · credentials: {problem}").format(
            region=report.region, when=report.when, problem=report.identity.problem_text())
    st.markdown(checked)
    for verdict in report.labs:
        with st.container(border=True, key=f"{KEY}_verdict_{report.region}_{verdict.number}"):
            st.markdown(f"{STATE_ICONS.get(verdict.state, '')} **{verdict.number}. {_(verdict.title)}** — "
                        f"{verdict.headline}")
            for why in verdict.blocked_texts():
                st.caption(plain(_("Can't use {what}").format(what=why)))
            for fix in verdict.fix_texts():
                st.markdown(f":material/build: {plain(fix)}")
            if verdict.retired:
                st.caption(plain(_("End of life, as expected: {models} (kept in the pickers for the workshop's "
                                   "request shape).").format(models=", ".join(verdict.retired))))
            if verdict.instead:
                st.caption(_("Attendees are told to use lab {number} meanwhile.").format(number=verdict.instead))


def offers(report: ReadinessReport) -> None:
    waiting = [m for m in report.models if m.offer is not None and m.agreement == "NOT_AVAILABLE"]
    if not waiting:
        return
    st.markdown(_("**AWS Marketplace offers.** Accepting one subscribes this AWS account to the model "
                  "(usage-based: you pay per call at these rates). Nothing is accepted without your click."))
    seen = set()
    for check in waiting:
        if check.offer.token in seen:
            continue
        seen.add(check.offer.token)
        cols = st.columns([3, 2])
        parts = [f"**{check.label}** ({check.region}): {plain(check.offer.cost_text())}"]
        if check.offer.legal_url:
            parts.append(_("[terms]({url})").format(url=check.offer.legal_url))
        cols[0].markdown(" · ".join(parts))
        cols[1].button(_("Create agreement for {model}").format(model=check.label),
                       key=f"{KEY}_offer_{check.model_id}", icon=":material/handshake:", on_click=accept,
                       args=(check.model_id, check.offer.token, check.region, check.label),
                       help=_("CreateFoundationModelAgreement with offer {offer}…; {cost}").format(
                           offer=check.offer.token[:12], cost=check.offer.cost_text()))


def models_table(report: ReadinessReport) -> None:
    with st.expander(_("Every model checked in {region} ({count})").format(region=report.region,
                                                                           count=len(report.models))):
        column = {"model": _("Model"), "region": _("Region"), "called": _("Called as"), "life": _("Lifecycle"),
                  "profiles": _("Profile regions"), "agreement": _("Agreement"), "authorized": _("Authorized"),
                  "usable": _("Usable"), "why": _("Why not"), "test": _("Test call")}
        st.dataframe([{
            column["model"]: m.label, column["region"]: m.region, column["called"]: m.invoke_id,
            column["life"]: m.status_text(), column["profiles"]: ", ".join(m.profile_regions),
            column["agreement"]: m.agreement or "", column["authorized"]: m.authorization or "",
            column["usable"]: _("yes") if m.usable else _("no"),
            column["why"]: "; ".join(f.text() for f in m.findings if f.blocking),
            column["test"]: "" if not m.smoke else (_("ok") if m.smoke.get("ok") else say(m.smoke.get("message"))),
        } for m in report.models], hide_index=True)


def smoke_panel(report: ReadinessReport) -> None:
    usable = [m for m in models_in(report) if (c := report.model(m.id)) and c.usable]
    if not usable:
        return
    st.markdown(_("**Test calls** (optional): one smallest real call per model, to catch what the control plane "
                  "can't see (a Legacy model your account has not used lately, a subscription that is still "
                  "settling)."))
    chosen = st.multiselect(_("Models to call"), [m.id for m in usable], key=f"{KEY}_smoke_models_{report.region}",
                            format_func=lambda i: next(m.label for m in usable if m.id == i),
                            placeholder=_("Choose models"))
    total = sum(smoke_estimate(m) for m in usable if m.id in chosen)
    if st.button(ngettext("Make {count} test call (est. {cost})", "Make {count} test calls (est. {cost})",
                          len(chosen)).format(count=len(chosen), cost=format_usd(total)),
                 key=f"{KEY}_smoke_go_{report.region}", disabled=not chosen, icon=":material/bolt:"):
        start_smoke(report.region, chosen)
        st.rerun()


def before_class() -> None:
    who()
    st.subheader(_("Can this account run each lab?"))
    options = sorted(set(REGIONS) | {settings.region})
    regions = st.multiselect(_("Regions to check"), options, default=[settings.region], key=f"{KEY}_regions",
                             help=_("The app calls Bedrock from {region} (WORKSHOP_REGION / AWS_REGION); models "
                                    "served elsewhere are checked where the app calls them. Attendees' banners use "
                                    "the verdict for {region}.").format(region=settings.region))
    if st.button(_("Run the readiness check"), type="primary", key=f"{KEY}_check", icon=":material/fact_check:",
                 disabled=not regions):
        start_check(regions)
        st.rerun()
    for region, report in reports().items():
        verdict_table(report)
        offers(report)
        smoke_panel(report)
        models_table(report)
        st.download_button(_("Download as Markdown"), report.markdown(), file_name=f"readiness-{region}.md",
                           mime="text/markdown", key=f"{KEY}_md_{region}", icon=":material/download:")


# --- during class -------------------------------------------------------------------------------------------


def pause(note_key: str) -> None:
    control.pause(me.owner, st.session_state.get(note_key, "").strip())


def during_class() -> None:
    st.subheader(_("Model calls"))
    paused = control.paused()
    if paused is None:
        st.success(_("Model calls are running for the class."), icon=":material/play_circle:")
        st.text_input(_("Note for attendees (optional)"), key=f"{KEY}_pause_note", placeholder=_("e.g. short break"))
        st.button(_("Pause all model calls"), key=f"{KEY}_pause", icon=":material/pause_circle:", type="primary",
                  on_click=pause, args=(f"{KEY}_pause_note",),
                  help=_("Every server refuses new model calls before sending them, until you resume. Calls "
                         "already running finish and are kept."))
    else:
        since = format_time(paused.since)
        said = (_("**All model calls are paused** since {time} ({note}).") if paused.note
                else _("**All model calls are paused** since {time}."))
        st.warning(said.format(time=since, note=plain(paused.note or "")), icon=":material/pause_circle:")
        st.button(_("Resume model calls"), key=f"{KEY}_resume", icon=":material/play_circle:", type="primary",
                  on_click=lambda: control.resume(me.owner))
    caps = []
    if settings.cap_attendee_usd is not None:
        caps.append(_("each person {cap} (WORKSHOP_CAP_ATTENDEE_USD)").format(
            cap=format_usd(settings.cap_attendee_usd, 2)))
    if settings.cap_class_usd is not None:
        caps.append(_("the whole class {cap} (WORKSHOP_CAP_CLASS_USD)").format(
            cap=format_usd(settings.cap_class_usd, 2)))
    if caps:
        st.caption(_("Spend caps: {caps}. A call whose estimate would pass a cap is refused before it is "
                     "sent.").format(caps="; ".join(caps)))
    else:
        st.caption(_("Spend caps: none set (WORKSHOP_CAP_ATTENDEE_USD, WORKSHOP_CAP_CLASS_USD). A call whose "
                     "estimate would pass a cap is refused before it is sent."))
    dashboard()


@st.fragment(run_every=10.0)
def dashboard() -> None:
    st.subheader(_("The class right now"))
    activity = control.activity(window_s=3600.0)
    cols = st.columns(4)
    cols[0].metric(_("Attendees active (15 min)"), activity.active_attendees)
    cols[1].metric(_("Calls per minute (5 min)"), format_number(activity.calls_per_minute, 1))
    cols[2].metric(_("Calls running"), activity.running)
    spent = activity.spend_total + activity.spend_running
    if settings.cap_class_usd is not None:
        spend = _("{spent} of {cap}").format(spent=format_usd(spent), cap=format_usd(settings.cap_class_usd, 2))
    else:
        spend = format_usd(spent)
    cols[3].metric(_("Spend, estimated"), spend,
                   help=_("Results and answers kept, plus the estimates of calls still running."))
    if activity.calls:
        st.caption(_("Calls started per minute, last hour ({count} in all)").format(count=activity.calls))
        st.bar_chart({time.strftime("%H:%M", time.localtime(t)): n for t, n in activity.per_minute}, height=160)
    left, right = st.columns(2)
    kind, calls, model = _("Kind"), _("Calls"), _("Model")
    with left:
        st.markdown(_("**Errors by kind** (last hour)"))
        if activity.errors_by_kind:
            st.dataframe([{kind: _(k), calls: n} for k, n in sorted(activity.errors_by_kind.items(),
                                                                  key=lambda kv: -kv[1])], hide_index=True)
        else:
            st.caption(_("No failed calls."))
        st.markdown(_("**Most used models** (last hour)"))
        if activity.models:
            st.dataframe([{model: m, calls: n} for m, n in activity.models], hide_index=True)
        else:
            st.caption(_("No calls yet."))
    with right:
        st.markdown(_("**Spend per attendee** (estimated, since the class began)"))
        if activity.spend_by_owner:
            cap = settings.cap_attendee_usd
            attendee, kept, spend_usd, of_cap = (_("Attendee"), _("Results and answers"), _("Spend (USD)"),
                                                 _("Of cap"))
            st.dataframe([{attendee: owner_name(o), kept: n, spend_usd: round(c, 4),
                           **({of_cap: f"{c / cap:.0%}" if cap else "—"} if cap is not None else {})}
                          for o, c, n in activity.spend_by_owner], hide_index=True)
        else:
            st.caption(_("Nothing spent yet."))


# --- results packs ------------------------------------------------------------------------------------------


def prepare_pack(result_ids: list[str], answer_ids: list[str]) -> None:
    data = export_pack(store, result_ids, answer_ids, viewer=me)
    st.session_state[PACK] = (data, len(result_ids), len(answer_ids))


def results_pack() -> None:
    st.subheader(_("Export"))
    st.caption(_("Choose results and chat answers from History; another deployment imports the file, and its "
                 "attendees can replay them (marked “replayed”), even without model access."))
    entries = [e for e in store.recent(200, viewer=me) if e.owner != PACK_OWNER]
    answers = [a for a in store.recent_answers(200, viewer=me) if a.owner != PACK_OWNER]
    every = st.checkbox(_("Everything listed ({results}, {answers})").format(
        results=results_count(len(entries)), answers=answers_count(len(answers))), key=f"{KEY}_pack_all")
    labels = {e.id: plain(" · ".join([e.lab, f"“{e.prompt[:50]}”", shown_label(e.model_label),
                                      ngettext("{count} image", "{count} images", len(e.outputs)).format(
                                          count=len(e.outputs)), owner_name(e.owner), e.when]))
              for e in entries}
    said = {a.id: plain(" · ".join([a.lab, f"“{a.prompt[:50]}”", shown_label(a.model_label), owner_name(a.owner),
                                    a.when]))
            for a in answers}
    chosen = list(labels) if every else st.multiselect(_("Results"), list(labels), format_func=labels.get,
                                                       key=f"{KEY}_pack_results", placeholder=_("Choose results"))
    chosen_answers = list(said) if every else st.multiselect(_("Chat answers"), list(said), format_func=said.get,
                                                             key=f"{KEY}_pack_answers",
                                                             placeholder=_("Choose answers"))
    st.button(_("Prepare the pack"), key=f"{KEY}_pack_make", icon=":material/inventory_2:",
              disabled=not (chosen or chosen_answers), on_click=prepare_pack, args=(chosen, chosen_answers))
    if PACK in st.session_state:
        data, n_results, n_answers = st.session_state[PACK]
        st.download_button(_("Download results pack ({results}, {answers}, {megabytes} MB)").format(
                               results=results_count(n_results), answers=answers_count(n_answers),
                               megabytes=format_number(len(data) / 1e6, 1)), data,
                           file_name=f"results-pack-{time.strftime('%Y%m%d-%H%M')}.zip",
                           mime="application/zip", key=f"{KEY}_pack_download", icon=":material/download:")

    st.subheader(_("Import"))
    made, said_n = pack_counts(store)
    st.caption(_("This deployment holds {results} and {answers} from packs, replayable by every attendee.").format(
        results=results_count(made), answers=answers_count(said_n)))
    upload = st.file_uploader(_("A results pack (.zip)"), type=["zip"], key=f"{KEY}_pack_upload",
                              help=_("Up to the app's upload limit (server.maxUploadSize in .streamlit/config.toml): "
                                     "export a big selection as several packs."))
    if upload is not None and st.button(_("Import the pack"), key=f"{KEY}_pack_import", icon=":material/upload:"):
        try:
            report = import_pack(store, upload.getvalue())
        except PackError as err:
            say("error", str(err))
        else:
            said = "\n".join([_("Imported: {summary}").format(summary=report.summary()),
                              *(f"- {plain(r)}" for r in report.refused)])
            say("warning" if report.refused else "success", said)
        st.rerun()


# --- the page -----------------------------------------------------------------------------------------------

if instructor_only():
    lab_header(PAGE)
    collect()
    job_panel(KEY, render=progress)
    if MESSAGE in st.session_state:
        kind, text = st.session_state.pop(MESSAGE)
        getattr(st, kind)(text)
    before, during, packs = st.tabs([_("Before class"), _("During class"), _("Results packs")])
    with before:
        before_class()
    with during:
        during_class()
    with packs:
        results_pack()
