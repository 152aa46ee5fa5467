"""A Streamlit client without a browser: speaks the app's websocket protocol (BackMsg / ForwardMsg).

What a browser tab does, and only that:
- connects to ws://HOST:PORT/_stcore/stream (subprotocol "streamlit") and asks for a page by its URL path
  (`page_name`) on the first run, by `page_script_hash` afterwards (a click in the sidebar);
- sends `rerun_script` with the widget states it knows (a text box's value, a button's one-shot trigger, a
  chat message) and the page it is on;
- answers `auto_rerun`: a `st.fragment(run_every=…)` is rerun by the *browser* sending `rerun_script` with
  the fragment's id every interval, until a full run starts or `stop_auto_rerun` arrives (the timers are
  cleared at the start of every full run, exactly as Streamlit's frontend does);
- when the drawable canvas (labs 4–7) mounts, reports its background fit the way its JavaScript does
  (a state change of the component: the run it causes is counted like any other).

Every run is recorded from the server's own markers: `new_session` (a script run started; its metadata says
whether it is a fragment run) and `script_finished`. Elements arrive as deltas; each is kept with its path,
so a bench can find a widget by its key (widget ids end with "-<key>") and wait for a result to appear.

Only loopback addresses are accepted, and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Run:
    """One script run as the server reported it."""

    started: float  # client clock when new_session arrived
    fragment_ids: tuple[str, ...]
    page_hash: str
    finished: float | None = None
    status: int | None = None
    elements: list[tuple[tuple[int, ...], str, Any]] = field(default_factory=list)  # (path, type, proto)

    @property
    def full(self) -> bool:
        return not self.fragment_ids

    @property
    def duration(self) -> float | None:
        return None if self.finished is None else self.finished - self.started

    @property
    def completed(self) -> bool:
        """Ran to its end (not stopped early because another run was asked for)."""
        return self.status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass
class Found:
    """An element seen in a delta, and when."""

    at: float
    type: str
    proto: Any
    run: Run | None


def element_text(kind: str, proto: Any) -> str:
    """The visible text of an element (markdown body, caption of images, alert body…)."""
    if kind == "markdown":
        return proto.body
    if kind == "alert":
        return proto.body
    if kind == "imgs":
        return " | ".join(img.caption for img in proto.imgs)
    if kind in ("heading", "text"):
        return getattr(proto, "body", "")
    return getattr(proto, "label", "") or ""


class StreamlitSession:
    """One browser tab's worth of protocol, on asyncio."""

    def __init__(self, base_url: str, *, timeout_s: float = 60.0) -> None:
        self.locale = "en-US"  # the browser's language, sent with every rerun (st.context.locale)
        parsed = urlparse(base_url)
        if parsed.hostname not in LOOPBACK:
            raise ValueError(f"only loopback servers are benchmarked, not {parsed.hostname}")
        self.url = f"ws://{parsed.hostname}:{parsed.port}/_stcore/stream"
        self.timeout_s = timeout_s
        self.ws: Any = None
        self.runs: list[Run] = []
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.widgets: dict[str, tuple[str, Any]] = {}  # widget id -> (WidgetState field, value) kept across runs
        self.widget_ids: dict[str, str] = {}  # id -> element type, every widget seen
        self.fragment_of: dict[str, str] = {}  # widget id -> the fragment it was drawn in
        self.messages_in = 0
        self.bytes_in = 0
        self.errors: list[str] = []
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._watchers: list[tuple[Callable[[str, Any], bool], asyncio.Future]] = []
        self._changed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._mounted_canvases: set[str] = set()
        self.closed = False

    # -- connection -----------------------------------------------------------------------------------

    async def connect(self) -> None:
        self.ws = await asyncio.wait_for(
            websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, compression=None,
                               open_timeout=self.timeout_s), self.timeout_s)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self.closed = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing
                pass

    # -- sending --------------------------------------------------------------------------------------

    async def _send_rerun(self, *, page_name: str = "", page_hash: str | None = None, fragment_id: str = "",
                          auto: bool = False, one_shot: dict[str, tuple[str, Any]] | None = None) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        state.page_name = page_name
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.context_info.timezone = "UTC"
        state.context_info.locale = self.locale
        for wid, (kind, value) in {**self.widgets, **(one_shot or {})}.items():
            ws = state.widget_states.widgets.add()
            ws.id = wid
            _set_value(ws, kind, value)
        await self.ws.send(msg.SerializeToString())

    async def open(self, page_name: str) -> Run:
        """Load a page by its URL path, as a browser does on its first request; returns the first full run.

        "home" is the app's root URL (what a browser opens for the default page)."""
        mark = len(self.runs)
        self._mounted_canvases.clear()  # a page change mounts its components afresh
        await self._send_rerun(page_name="" if page_name == "home" else page_name, page_hash="")
        return await self.full_run_after(mark)

    async def goto(self, url_path: str) -> Run:
        """Change page in the same session (the sidebar link): widget states of the old page are dropped."""
        target = self.pages.get(url_path) or self.pages[""]  # the default page's URL path is empty
        if url_path not in self.pages and url_path != "home":
            raise KeyError(f"no page {url_path!r}: {sorted(self.pages)}")
        self._cancel_timers()
        self.widgets = {}
        self._mounted_canvases.clear()
        mark = len(self.runs)
        await self._send_rerun(page_hash=target)
        return await self.full_run_after(mark, page=target)

    async def set(self, key: str, value: Any, kind: str | None = None) -> Run:
        """Commit a widget's value (a text box loses focus, a choice is picked): one rerun."""
        wid = self.find_widget(key)
        kind = kind or _value_kind(self.widget_ids[wid], value)
        self.widgets[wid] = (kind, value)
        mark = len(self.runs)
        await self._send_rerun(fragment_id=self.fragment_of.get(wid, ""))
        return await self.full_run_after(mark, fragment_ok=bool(self.fragment_of.get(wid)))

    async def click(self, key: str) -> float:
        """Press a button; returns the client time the click was sent (runs are recorded as they come)."""
        wid = self.find_widget(key)
        sent = time.perf_counter()
        await self._send_rerun(fragment_id=self.fragment_of.get(wid, ""), one_shot={wid: ("trigger_value", True)})
        return sent

    async def chat(self, key: str, text: str) -> float:
        """Send a message from st.chat_input; returns the client time it was sent."""
        wid = self.find_widget(key)
        sent = time.perf_counter()
        await self._send_rerun(one_shot={wid: ("chat_input_value", text)})
        return sent

    def find_widget(self, key: str) -> str:
        for wid in reversed(list(self.widget_ids)):
            if wid.endswith(f"-{key}"):
                return wid
        raise KeyError(f"no widget with key {key!r} on this page (seen: {len(self.widget_ids)} widgets)")

    # -- waiting --------------------------------------------------------------------------------------

    async def full_run_after(self, mark: int, *, fragment_ok: bool = False, page: str | None = None) -> Run:
        """The first run started after `mark` runs that finished (a full one unless `fragment_ok`; of `page`,
        when given: a run of the old page may still come in before the navigation)."""
        deadline = time.perf_counter() + self.timeout_s
        while True:
            for run in self.runs[mark:]:
                if run.finished is not None and (run.full or fragment_ok) and page in (None, run.page_hash):
                    return run
            await self._wait_change(deadline)

    async def settle(self, quiet_s: float = 0.6) -> None:
        """Wait until no run is going and none started for `quiet_s` (a canvas' mount rerun has come and gone)."""
        deadline = time.perf_counter() + self.timeout_s
        while True:
            busy = any(r.finished is None for r in self.runs)
            last = max((r.finished or r.started for r in self.runs), default=0.0)
            if not busy and time.perf_counter() - last >= quiet_s:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), min(quiet_s, max(0.01, deadline - time.perf_counter())))
                self._changed.clear()
            except asyncio.TimeoutError:
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError("the page never settled")

    async def wait_for(self, predicate: Callable[[str, Any], bool], timeout_s: float | None = None) -> Found:
        """The next element (from now on) for which predicate(type, proto) holds."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._watchers.append((predicate, future))
        try:
            return await asyncio.wait_for(future, timeout_s or self.timeout_s)
        finally:
            self._watchers = [(p, f) for p, f in self._watchers if f is not future]

    async def _wait_change(self, deadline: float) -> None:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError("no run finished in time")
        try:
            await asyncio.wait_for(self._changed.wait(), left)
        except asyncio.TimeoutError:
            raise TimeoutError("no run finished in time") from None
        self._changed.clear()

    # -- receiving ------------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.messages_in += 1
                self.bytes_in += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except websockets.ConnectionClosed:
            pass
        except Exception as exc:  # noqa: BLE001 - recorded, the bench reports it as a failure
            self.errors.append(f"reader: {type(exc).__name__}: {exc}")
        finally:
            self._changed.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        now = time.perf_counter()
        if kind == "new_session":
            fragments = tuple(msg.metadata.run.fragment_ids)
            if not fragments:
                self._cancel_timers()  # the frontend clears every auto-rerun at the start of a full run
            for run in self.runs:  # a run stopped for a new one may never report its end: it ended now
                if run.finished is None:
                    run.finished = now
            self.runs.append(Run(now, fragments, msg.new_session.page_script_hash))
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash  # the page shown (st.navigation's choice)
            if self.runs:
                self.runs[-1].page_hash = self.page_hash
        elif kind == "script_finished":
            for run in reversed(self.runs):
                if run.finished is None:
                    run.finished, run.status = now, msg.script_finished
                    break
        elif kind == "auto_rerun":
            self._schedule(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._cancel_timer(fid)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            etype = element.WhichOneof("type")
            proto = getattr(element, etype)
            run = self.runs[-1] if self.runs else None
            if run is not None:
                run.elements.append((tuple(msg.metadata.delta_path), etype, proto))
            wid = getattr(proto, "id", "")
            if wid and wid.startswith("$$ID-"):
                self.widget_ids.pop(wid, None)
                self.widget_ids[wid] = etype
                if msg.delta.fragment_id:
                    self.fragment_of[wid] = msg.delta.fragment_id
            if etype == "bidi_component" and "drawable_canvas" in proto.component_name:
                self._mount_canvas(proto, msg.delta.fragment_id)
            elif etype == "exception":
                self.errors.append(f"exception on the page: {proto.message[:200]}")
            for predicate, future in self._watchers:
                if not future.done() and predicate(etype, proto):
                    future.set_result(Found(now, etype, proto, run))
        self._changed.set()

    def _mount_canvas(self, proto: Any, fragment_id: str) -> None:
        """The canvas' JavaScript reports how it fitted the background once it loaded (a state change)."""
        if proto.id in self._mounted_canvases:
            return
        self._mounted_canvases.add(proto.id)
        try:
            data = json.loads(proto.json) if proto.json else {}
        except ValueError:
            data = {}
        width, height = data.get("canvasWidth", 560), data.get("canvasHeight", 400)
        fit = {"naturalWidth": width, "naturalHeight": height, "scaleX": 1, "scaleY": 1, "offsetX": 0, "offsetY": 0}
        state = {"backgroundFit": fit}
        self.widgets[proto.id] = ("json_value", json.dumps(state))
        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(
            self._send_rerun(fragment_id=fragment_id)) if not self.closed else None)

    # -- fragment timers ------------------------------------------------------------------------------

    def _schedule(self, fragment_id: str, interval: float) -> None:
        current = self._timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return
        self._cancel_timer(fragment_id)
        self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    async def _tick(self, fragment_id: str, interval: float) -> None:
        for _ in range(int(600 / max(interval, 0.1))):  # bounded: ten minutes of polling at most
            await asyncio.sleep(interval)
            if self.closed:
                return
            try:
                await self._send_rerun(fragment_id=fragment_id, auto=True)
            except websockets.ConnectionClosed:
                return

    def _cancel_timer(self, fragment_id: str) -> None:
        entry = self._timers.pop(fragment_id, None)
        if entry is not None:
            entry[1].cancel()

    def _cancel_timers(self) -> None:
        for fid in list(self._timers):
            self._cancel_timer(fid)


def _value_kind(element_type: str, value: Any) -> str:
    if element_type in ("text_area", "text_input", "selectbox", "radio"):
        return "string_value"
    if element_type in ("checkbox", "toggle"):
        return "bool_value"
    if isinstance(value, bool):
        return "bool_value"
    if isinstance(value, int):
        return "int_value"
    if isinstance(value, float):
        return "double_value"
    return "string_value"


def _set_value(ws: WidgetState, kind: str, value: Any) -> None:
    if kind == "chat_input_value":
        ws.chat_input_value.data = value
    elif kind == "json_value":
        ws.json_value = value
    else:
        setattr(ws, kind, value)
