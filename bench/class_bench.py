#!/usr/bin/env python
"""A whole class on one app server: N attendees through lab 2 and lab 9, driven over Streamlit's websocket.

Run from the repository root:

    .venv/bin/python bench/class_bench.py                      # 30 attendees, writes nothing, prints the report
    .venv/bin/python bench/class_bench.py --json after.json    # also keep the figures
    .venv/bin/python bench/class_bench.py --app-root /tmp/before --json before.json   # another checkout
    .venv/bin/python bench/class_bench.py --compare before.json after.json            # side by side

It starts tests/fake_bedrock.py (--latency 0.15: every model call answers after 150 ms) and the app exactly
as scripts/run_app.sh does (scripts/serve.py, the checkout's own .streamlit/config.toml), both on 127.0.0.1,
with dummy credentials and a temporary data folder, then measures with bench/st_client.py (no browser):

1. Visits: one session opens the home page and the server is left until it is quiet (its start-up work);
   then every page's first visit in this server process (imports included), then in a new session (first
   visit of that session) and again after going to another page and back (repeat visit): time until the
   first full run finished, and how many full and fragment runs the visit caused.
2. Work per interaction, one attendee alone: the duration of every script run each lab's usual interaction
   causes (typing a prompt, pressing its button, the fragment polls while a job runs), model time excluded
   (a run that waits for the model inline, as labs did before jobs, includes it).
3. The class: N attendees arrive within --ramp seconds; each opens lab 2, types a prompt for --think seconds
   (a random time in that range), presses Generate and waits for the image (time to result = press → the
   image with its "Seed" caption; the model call as the app timed it is read from that caption), then goes
   to lab 9, types, sends a message and waits for the answer (send → the answer's "tokens in" line).
   Failures, p50/p95, the server's CPU (cores used) and memory. `--think 0` presses at once: the whole class
   in the same second.

`--stock-images`: the fake draws each image size once and answers every lab 2 call with that picture plus a
text chunk that makes its bytes unique (the app's work is the same: decode, store, previews). Without it, the
fake draws and encodes a 1024² PNG per call (~50 ms of CPU) on the CPUs the servers need, work Bedrock does
on its own machines.

Nothing here is a test and nothing asserts a time. Only loopback addresses; every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from st_client import StreamlitSession, element_text  # noqa: E402

PAGES = ("home", "image-search", "image-generation", "image-variation", "masking", "replace-object",
         "replace-background", "inpainting", "image-understanding", "multimodal-chatbot", "history")
LAB_OF = {"image-search": "1", "image-generation": "2", "image-variation": "3", "masking": "4",
          "replace-object": "5", "replace-background": "6", "inpainting": "7", "image-understanding": "8",
          "multimodal-chatbot": "9", "home": "home", "history": "history"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Process:
    """CPU seconds and memory of a process, read from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


class Stack:
    """The fake endpoint and the app server, started and stopped together."""

    def __init__(self, app_root: Path, latency: float, python: str, *, servers: int = 1,
                 database_url: str | None = None, stock_images: bool = False) -> None:
        self.app_root = app_root
        self.latency = latency
        self.stock_images = stock_images
        self.python = python
        self.servers = servers
        self.database_url = database_url  # shared by every server (PostgreSQL); None: each its own SQLite
        self.tmp = Path(tempfile.mkdtemp(prefix="class-bench-"))
        self.fake_port = _free_port()
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKSHOP_"))}
        fake = subprocess.Popen([self.python, str(ROOT / "tests" / "fake_bedrock.py"), "--latency", str(self.latency),
                                 "--port", str(self.fake_port), *(["--stock-images"] if self.stock_images else [])],
                                env=env, cwd=ROOT,
                                stdout=(self.tmp / "fake.log").open("w"), stderr=subprocess.STDOUT)
        self.procs.append(fake)
        env.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.fake_port}",
                    # the control plane and STS too (the fake answers both): nothing leaves the machine
                    "AWS_ENDPOINT_URL_BEDROCK": f"http://127.0.0.1:{self.fake_port}",
                    "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{self.fake_port}",
                    "AWS_CONFIG_FILE": str(self.tmp / "no-config"), "AWS_SHARED_CREDENTIALS_FILE":
                    str(self.tmp / "no-credentials"), "WORKSHOP_DATA_DIR": str(self.tmp / "data")})
        if self.database_url:  # the servers share the database; image files go to the same folder
            env["WORKSHOP_DATABASE_URL"] = self.database_url
        self.urls, self.apps = [], []
        for n in range(self.servers):
            port = _free_port()
            server = subprocess.Popen([self.python, "scripts/serve.py", "--server.port", str(port),
                                       "--server.address", "127.0.0.1"], env=env, cwd=self.app_root,
                                      stdout=(self.tmp / f"server{n}.log").open("w"), stderr=subprocess.STDOUT)
            self.procs.append(server)
            self.urls.append(f"http://127.0.0.1:{port}")
            self.apps.append(Process(server.pid))
        for url in self.urls:
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                raise RuntimeError(f"the app did not start; see {self.tmp}")
        self.url, self.app, self.server = self.urls[0], self.apps[0], self.procs[1]
        self.started = time.time()
        self.fake = Process(fake.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core), from /proc/stat: with
    several servers, PostgreSQL, the fake endpoint and this client on the same CPUs, how full they were."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# -- 1. visits -----------------------------------------------------------------------------------------


async def visit(url: str, page: str, *, timeout: float) -> dict[str, Any]:
    """A new session opens `page`; then goes home and back (a repeat visit)."""
    session = StreamlitSession(url, timeout_s=timeout)
    await session.connect()
    try:
        sent = time.perf_counter()
        first = await session.open(page)
        first_s = first.finished - sent
        await session.settle()
        first_full = sum(r.full for r in session.runs)
        first_frag = sum(not r.full for r in session.runs)
        other = "home" if page != "home" else "history"
        await session.goto(other)
        await session.settle()
        mark = len(session.runs)
        sent = time.perf_counter()
        again = await session.goto(page)
        repeat_s = again.finished - sent
        await session.settle()
        later = session.runs[mark:]
        return {"page": page, "first_s": first_s, "first_full_runs": first_full, "first_fragment_runs": first_frag,
                "repeat_s": repeat_s, "repeat_full_runs": sum(r.full for r in later),
                "repeat_fragment_runs": sum(not r.full for r in later), "errors": session.errors}
    finally:
        await session.close()


async def quiet(process: Process, *, idle_s: float = 1.5, limit_s: float = 90.0) -> float:
    """Until the server used almost no CPU for `idle_s` (its start-up work is done); returns the seconds waited."""
    started = time.perf_counter()
    last, since = process.cpu_s(), time.perf_counter()
    while time.perf_counter() - started < limit_s:
        await asyncio.sleep(0.25)
        now = process.cpu_s()
        if now - last > 0.05 * 0.25 * 4:  # more than 5% of a core over the last second: still busy
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since >= idle_s:
            break
    return time.perf_counter() - started


async def visits(url: str, *, timeout: float, server: Process) -> dict[str, Any]:
    """After one session opened the home page and the server went quiet (whatever it does at start is
    done: a class arrives after the server started), every page's first visit in this server process."""
    session = StreamlitSession(url, timeout_s=timeout)
    await session.connect()
    sent = time.perf_counter()
    run = await session.open("home")
    very_first = run.finished - sent
    await session.close()
    waited = await quiet(server)
    cold = {}
    for page in PAGES:  # the first visit of each page in this server process
        session = StreamlitSession(url, timeout_s=timeout)
        await session.connect()
        try:
            sent = time.perf_counter()
            run = await session.open(page)
            cold[page] = run.finished - sent
            await session.settle()
        finally:
            await session.close()
    warm = [await visit(url, page, timeout=timeout) for page in PAGES]
    return {"cold_first_s": cold, "pages": warm, "very_first_s": very_first, "startup_quiet_s": waited}


# -- 2. work per interaction ---------------------------------------------------------------------------


async def _job_done(session: StreamlitSession, predicate, timeout: float) -> float:
    found = await session.wait_for(predicate, timeout)
    await session.settle(0.7)
    return found.at


def _has(text: str, etype: str | None = None):
    """An element showing `text` (of type `etype`, when given: the seed box's label also says "Seed")."""
    return lambda kind, proto: (etype is None or kind == etype) and text in element_text(kind, proto)


RESULT_IMAGE = _has("Seed ", "imgs")  # lab 2: an image captioned with its seed
ANSWER_LINE = _has("tokens in", "markdown")  # lab 9: the answer's tokens and cost line


async def interactions(url: str, *, timeout: float) -> dict[str, list[float]]:
    """Durations of the full and fragment runs each lab's usual interactions cause (one attendee)."""
    runs: dict[str, list[float]] = {}

    async def lab(page: str, steps) -> None:
        session = StreamlitSession(url, timeout_s=timeout)
        await session.connect()
        try:
            await session.open(page)
            await session.settle()
            mark = len(session.runs)
            await steps(session)
            await session.settle()
            runs[LAB_OF[page]] = [r.duration for r in session.runs[mark:] if r.duration is not None and r.completed]
            if session.errors:
                runs.setdefault("errors", []).extend(session.errors)  # type: ignore[arg-type]
        finally:
            await session.close()

    async def lab1(s: StreamlitSession) -> None:
        for text in ("a cat", "a red car", "a cup of coffee"):
            await s.set("lab1_query", text)

    async def lab2(s: StreamlitSession) -> None:
        await s.set("lab2_prompt", "a lighthouse at dusk, oil painting")
        await s.click("lab2_go")
        await _job_done(s, RESULT_IMAGE, timeout)

    def prompt_only(key: str):
        async def steps(s: StreamlitSession) -> None:
            for text in ("a red bicycle", "a blue boat", "a green kite"):  # typing a prompt: each commit is a run
                await s.set(key, text)
        return steps

    async def lab8(s: StreamlitSession) -> None:
        await s.click("lab8_go")
        await _job_done(s, ANSWER_LINE, timeout)

    async def lab9(s: StreamlitSession) -> None:
        await s.chat("lab9_input", "What is in a typical workshop room?")
        await _job_done(s, ANSWER_LINE, timeout)

    await lab("image-search", lab1)
    await lab("image-generation", lab2)
    await lab("image-variation", prompt_only("lab3_prompt"))
    await lab("masking", prompt_only("lab4_prompt"))
    await lab("replace-object", prompt_only("lab5_prompt"))
    await lab("replace-background", prompt_only("lab6_prompt"))
    await lab("inpainting", prompt_only("lab7_prompt"))
    await lab("image-understanding", lab8)
    await lab("multimodal-chatbot", lab9)
    return runs


# -- 3. the class --------------------------------------------------------------------------------------


async def attendee(url: str, n: int, delay: float, timeout: float, out: dict[str, Any],
                   think: tuple[float, float] = (0.0, 0.0), server: int = 0) -> None:
    """One attendee: opens lab 2, types for a while (`think`, seconds), generates, then lab 9 the same way.

    Each one's press and result times (client clock) and server go to out["events"]: when a class is slow,
    they show whether one server, one moment or everyone waited."""
    rng = random.Random(n)
    await asyncio.sleep(delay)
    session = StreamlitSession(url, timeout_s=timeout)
    stage = "connect"
    try:
        await session.connect()
        stage = "open lab 2"
        await session.open("image-generation")
        stage = "type the prompt"
        await asyncio.sleep(rng.uniform(*think))
        await session.set("lab2_prompt", f"attendee {n}: a lighthouse on a cliff at dusk, watercolour")
        stage = "generate"
        waiting = asyncio.ensure_future(session.wait_for(RESULT_IMAGE, timeout))
        sent = await session.click("lab2_go")
        found = await waiting
        out["lab2"].append(found.at - sent)
        event = {"attendee": n, "server": server, "lab2_press": sent, "lab2_result": found.at}
        out["events"].append(event)
        model = re.search(r" · (\d+(?:\.\d+)?) s · ", element_text(found.type, found.proto))
        if model:  # the model call as the app timed it (shown beside the image)
            out["lab2_model"].append(float(model.group(1)))
        await session.settle(0.3)
        stage = "open lab 9"
        await session.goto("multimodal-chatbot")
        stage = "chat"
        await asyncio.sleep(rng.uniform(*think))
        waiting = asyncio.ensure_future(session.wait_for(ANSWER_LINE, timeout))
        sent = await session.chat("lab9_input", f"attendee {n}: what makes a good workshop?")
        found = await waiting
        out["lab9"].append(found.at - sent)
        event.update(lab9_send=sent, lab9_answer=found.at)
        await session.settle(0.3)
        if session.errors:
            out["failures"].append(f"attendee {n}: {session.errors[0]}")
    except Exception as exc:  # noqa: BLE001 - a failure of this attendee, reported
        out["failures"].append(f"attendee {n} at {stage}: {type(exc).__name__} {exc}".strip())
    finally:
        out["runs"].extend(r.duration for r in session.runs if r.duration is not None and r.completed and r.full)
        out["fragment_runs"].extend(r.duration for r in session.runs if r.duration is not None and r.completed
                                    and not r.full)
        await session.close()


async def klass(stack: Stack, attendees: int, ramp: float, timeout: float,
                think: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    out: dict[str, Any] = {"lab2": [], "lab2_model": [], "lab9": [], "failures": [], "runs": [], "fragment_runs": [],
                           "events": []}
    rng = random.Random(16)
    cpu = lambda: sum(app.cpu_s() for app in stack.apps)  # noqa: E731 - every server together
    rss = lambda: [app.rss_mib() for app in stack.apps]  # noqa: E731
    cpu0, fake0, busy0, wall0 = cpu(), stack.fake.cpu_s(), machine_busy_s(), time.perf_counter()
    client0 = time.process_time()
    peak = rss()
    tasks = [asyncio.ensure_future(attendee(stack.urls[n % len(stack.urls)], n, rng.uniform(0, ramp), timeout, out,
                                            think, n % len(stack.urls)))
             for n in range(attendees)]  # attendees spread over servers
    timeline, last = [], (time.perf_counter(), machine_busy_s(), cpu())
    while not all(t.done() for t in tasks):
        peak = [max(a, b) for a, b in zip(peak, rss())]
        await asyncio.wait(tasks, timeout=0.5)
        now = (time.perf_counter(), machine_busy_s(), cpu())
        span = now[0] - last[0]  # cores busy in the last half second: the machine, and the servers
        timeline.append((round(now[0] - wall0, 2), round((now[1] - last[1]) / span, 2), round((now[2] - last[2]) / span, 2)))
        last = now
    wall = time.perf_counter() - wall0
    for event in out["events"]:  # seconds since the class began
        event.update({k: v - wall0 for k, v in event.items() if k not in ("attendee", "server")})
    out.update(wall_s=wall, server_cpu_s=cpu() - cpu0, fake_cpu_s=stack.fake.cpu_s() - fake0,
               machine_busy_s=machine_busy_s() - busy0, busy_timeline=timeline,
               client_cpu_s=time.process_time() - client0, server_rss_peak_mib=max(peak),
               server_rss_peaks_mib=peak, server_rss_end_mib=max(rss()), servers=len(stack.apps))
    return out


# -- report --------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def summary(result: dict[str, Any]) -> dict[str, Any]:
    k = result["class"]
    per_lab = {lab: {"p50": _pct(v, 0.5), "p95": _pct(v, 0.95), "n": len(v)}
               for lab, v in result["interactions"].items() if lab != "errors"}
    return {
        "attendees": result["attendees"],
        "lab2_p50": _pct(k["lab2"], 0.5), "lab2_p95": _pct(k["lab2"], 0.95), "lab2_n": len(k["lab2"]),
        "lab2_model_p50": _pct(k.get("lab2_model", []), 0.5), "lab2_model_p95": _pct(k.get("lab2_model", []), 0.95),
        "lab9_p50": _pct(k["lab9"], 0.5), "lab9_p95": _pct(k["lab9"], 0.95), "lab9_n": len(k["lab9"]),
        "failures": len(k["failures"]),
        "class_run_p50": _pct(k["runs"], 0.5), "class_run_p95": _pct(k["runs"], 0.95),
        "class_wall_s": k["wall_s"], "server_cores": k["server_cpu_s"] / k["wall_s"],
        "server_cpu_s": k["server_cpu_s"], "fake_cpu_s": k["fake_cpu_s"], "client_cpu_s": k["client_cpu_s"],
        "machine_cores": k["machine_busy_s"] / k["wall_s"] if "machine_busy_s" in k else None,
        "machine_peak_cores": max((t[1] for t in k.get("busy_timeline", [])), default=None),
        "server_rss_peak_mib": k["server_rss_peak_mib"], "server_rss_before_mib": result["rss_before_class_mib"],
        "interaction_p50": per_lab,
        "visits": {v["page"]: v for v in result["visits"]["pages"]},
        "cold_first_s": result["visits"]["cold_first_s"],
    }


def report(result: dict[str, Any]) -> str:
    s = summary(result)
    lines = [f"# Class bench · {result['label']}", "",
             f"{result['machine']} · app at `{result['app_root']}` (commit {result['commit']}) · fake latency "
             f"{result['latency']} s{' (stock images)' if result.get('stock_images') else ''} · "
             f"{result.get('servers', 1)} server(s), {result.get('database', 'SQLite')} · "
             f"{s['attendees']} attendees arriving within {result.get('ramp', 2)} s, "
             f"typing {result.get('think', (0, 0))[0]:g}–{result.get('think', (0, 0))[1]:g} s before each press", "",
             "| Measure | Result |", "|---|---|",
             f"| Lab 2 time to result, p50 / p95 | {_ms(s['lab2_p50'])} / {_ms(s['lab2_p95'])} ({s['lab2_n']} results) |",
             f"| … of which the model call, as the app timed it, p50 / p95 | {_ms(s['lab2_model_p50'])} / "
             f"{_ms(s['lab2_model_p95'])} |",
             f"| Lab 9 time to result, p50 / p95 | {_ms(s['lab9_p50'])} / {_ms(s['lab9_p95'])} ({s['lab9_n']} answers) |",
             f"| Failures | {s['failures']} |",
             f"| Full script runs during the class, p50 / p95 | {_ms(s['class_run_p50'])} / {_ms(s['class_run_p95'])} |",
             f"| Server CPU during the class (all servers) | {s['server_cpu_s']:.1f} s in {s['class_wall_s']:.1f} s = "
             f"{s['server_cores']:.2f} cores (fake endpoint {s['fake_cpu_s']:.1f} s, this client {s['client_cpu_s']:.1f} s) |",
             *([f"| The whole machine's CPUs during the class (every process) | {s['machine_cores']:.2f} of "
                f"{os.cpu_count()} cores busy on average, {s['machine_peak_cores']:.2f} in the busiest half second |"]
               if s["machine_cores"] is not None else []),
             f"| Server memory (RSS) before / peak, per server | {s['server_rss_before_mib']:.0f} / {s['server_rss_peak_mib']:.0f} MiB |",
             f"| Very first page after start (home), then the server's start-up work | "
             f"{_ms(result['visits'].get('very_first_s'))}, then {result['visits'].get('startup_quiet_s', 0):.1f} s "
             "until it was quiet |",
             "", "| Page | First visit in this server process | First visit, new session (full + fragment runs) | "
                 "Repeat visit (full + fragment runs) | Work per interaction, p50 (runs) |", "|---|---|---|---|---|"]
    for page in PAGES:
        v = s["visits"][page]
        lab = LAB_OF[page]
        inter = s["interaction_p50"].get(lab)
        inter_text = f"{_ms(inter['p50'])} ({inter['n']})" if inter else "—"
        lines.append(f"| {page} | {_ms(s['cold_first_s'][page])} | {_ms(v['first_s'])} ({v['first_full_runs']} + "
                     f"{v['first_fragment_runs']}) | {_ms(v['repeat_s'])} ({v['repeat_full_runs']} + "
                     f"{v['repeat_fragment_runs']}) | {inter_text} |")
    failures = result["class"]["failures"][:10]
    if failures:
        lines += ["", "Failures (first 10):", *[f"- {f}" for f in failures]]
    return "\n".join(lines)


def compare(*results: dict[str, Any]) -> str:
    """Runs side by side, in the order given (e.g. before, after)."""
    sums = [summary(r) for r in results]
    head = " | ".join(f"{r['label']} ({r['commit']})" for r in results)
    rows = [
        ("Lab 2 time to result, p50", "lab2_p50"), ("Lab 2 time to result, p95", "lab2_p95"),
        ("… of which the model call (as the app timed it), p95", "lab2_model_p95"),
        ("Lab 9 time to result, p50", "lab9_p50"), ("Lab 9 time to result, p95", "lab9_p95"),
        ("Full script runs during the class, p50", "class_run_p50"),
        ("Full script runs during the class, p95", "class_run_p95"),
    ]
    servers = results[0].get("servers", 1)
    where = "one server" if servers == 1 else f"{servers} servers, {results[0].get('database', 'SQLite')}"
    lines = [f"| {results[0]['attendees']} attendees, {where} | {head} |", "|---" * (len(results) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(_ms(x[key]) for x in sums) + " |" for label, key in rows]
    lines += ["| Failures | " + " | ".join(str(x["failures"]) for x in sums) + " |",
              "| Server CPU during the class (cores used) | " + " | ".join(f"{x['server_cores']:.2f}" for x in sums)
              + " |",
              "| Server memory, peak RSS | " + " | ".join(f"{x['server_rss_peak_mib']:.0f} MiB" for x in sums) + " |"]
    arrow = " → ".join
    lines += ["", f"| Page ({arrow(r['label'] for r in results)}) | First visit in this server process | "
                  "First visit, new session | Repeat visit | Full runs per visit | Work per interaction, p50 |",
              "|---|---|---|---|---|---|"]
    for page in PAGES:
        v = [x["visits"][page] for x in sums]
        inter = [x["interaction_p50"].get(LAB_OF[page]) for x in sums]
        lines.append(f"| {page} | {arrow(_ms(x['cold_first_s'][page]) for x in sums)} | "
                     f"{arrow(_ms(y['first_s']) for y in v)} | {arrow(_ms(y['repeat_s']) for y in v)} | "
                     f"{arrow(str(y['first_full_runs']) for y in v)} | "
                     f"{arrow(_ms(i['p50']) if i else '—' for i in inter)} |")
    return "\n".join(lines)


def _commit(root: Path) -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs {model} · Python {platform.python_version()}"


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    app_root = Path(args.app_root).resolve()
    low, _, high = args.think.partition("-")
    think = (float(low), float(high or low))
    with contextlib.ExitStack() as resources:
        database_url = None
        if args.postgres:  # the servers share one PostgreSQL (started here, as the tests start it)
            sys.path.insert(0, str(ROOT / "tests"))
            from real_engines import postgres

            database_url = resources.enter_context(postgres(Path(tempfile.mkdtemp(prefix="class-bench-pg-"))))
        stack = resources.enter_context(Stack(app_root, args.latency, args.python, servers=args.servers,
                                              database_url=database_url, stock_images=args.stock_images))
        print(f"servers on {', '.join(stack.urls)} ({app_root})", file=sys.stderr)
        result: dict[str, Any] = {"label": args.label or app_root.name, "app_root": str(app_root),
                                  "commit": _commit(app_root), "machine": _machine(), "latency": args.latency,
                                  "stock_images": args.stock_images,
                                  "attendees": args.attendees, "ramp": args.ramp, "think": think,
                                  "servers": args.servers, "database": "PostgreSQL" if args.postgres else "SQLite"}
        print("visits…", file=sys.stderr)
        result["visits"] = await visits(stack.url, timeout=args.timeout, server=stack.app)
        print("interactions…", file=sys.stderr)
        result["interactions"] = await interactions(stack.url, timeout=args.timeout)
        for url, app in zip(stack.urls[1:], stack.apps[1:]):  # the other servers: started and settled too
            session = StreamlitSession(url, timeout_s=args.timeout)
            await session.connect()
            await session.open("home")
            await session.close()
            await quiet(app)
        result["rss_before_class_mib"] = stack.app.rss_mib()
        print(f"class of {args.attendees}…", file=sys.stderr)
        result["class"] = await klass(stack, args.attendees, args.ramp, args.timeout, think)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=30)
    parser.add_argument("--ramp", type=float, default=2.0, help="attendees start within this many seconds")
    parser.add_argument("--think", default="2-6", help="seconds an attendee types before pressing (min-max)")
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per fake model call")
    parser.add_argument("--stock-images", action="store_true",
                        help="the fake answers lab 2 with one picture drawn once per size (unique bytes each call), "
                             "so its drawing, which Bedrock does on its own machines, stays off these CPUs")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds any one wait may take")
    parser.add_argument("--app-root", default=str(ROOT), help="checkout to serve (e.g. a git worktree)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with the app's requirements")
    parser.add_argument("--servers", type=int, default=1, help="app servers; attendees are spread over them")
    parser.add_argument("--postgres", action="store_true",
                        help="the servers share one PostgreSQL (pgserver, as the tests start it) instead of SQLite")
    parser.add_argument("--label", default="")
    parser.add_argument("--json", help="write the raw figures here")
    parser.add_argument("--compare", nargs="+", metavar="JSON", help="print JSON runs side by side (oldest first)")
    args = parser.parse_args()
    if args.compare:
        print(compare(*(json.loads(Path(p).read_text()) for p in args.compare)))
        return 0
    result = asyncio.run(main_async(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
