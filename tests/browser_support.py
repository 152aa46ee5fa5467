"""Start `streamlit run app.py` against the fake endpoint, and Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "artifacts"  # screenshots from browser runs, for people to look at (git-ignored)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_marks() -> list:
    """A browser test module's `pytestmark`: marked `browser`, skipped where Debian's chromium is missing."""
    import pytest

    return [pytest.mark.browser,
            pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                               "(scripts/run_tests.sh installs it)")]


def fake_aws_env(endpoint_url: str) -> dict[str, str]:
    """The environment of an app calling the fake endpoint: dummy credentials, us-east-1, one attempt per call."""
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint_url, "AWS_MAX_ATTEMPTS": "1"}


@contextmanager
def streamlit_server(env_overrides: dict[str, str], data_dir: Path) -> Iterator[str]:
    """The app started exactly as scripts/run_app.sh starts it, on 127.0.0.1; stopped afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "WORKSHOP_DATA_DIR": str(data_dir),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(data_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(data_dir / "no-aws-credentials"),
        **env_overrides,
    })
    if "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" in env_overrides:  # the fake also serves the control plane and STS
        for name in ("AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL_STS"):
            env.setdefault(name, env_overrides["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"])
    log = open(data_dir / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "scripts/serve.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start: " + (data_dir / "streamlit.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def chromium_page(viewport: tuple[int, int] = (1400, 1800), locale: str | None = None) -> Iterator[object]:
    """A Playwright page in Debian's Chromium (no browser download); `locale` is the browser's language
    ("ko-KR"), which the app reads as navigator.language."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        options = {"locale": locale} if locale else {}
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True,
                                      **options)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page, name: str) -> Path:
    """Full-page screenshot into artifacts/, for a person to open."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def idle(page) -> None:
    """Wait until the page's script runs are over (Streamlit's running indicator is gone).

    Why: a click on a widget that the running script is about to redraw can land on the old one (a radio whose
    options changed gets a new id), and that click is then lost; a person would click again, a test fails.
    """
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    page.wait_for_timeout(300)
