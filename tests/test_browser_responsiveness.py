"""Real browser: a visit runs the page's script once (issue 16), counted from the app's own websocket frames.

The drawing canvas of labs 4–7 reports how it fitted its background as soon as it mounts; that report used to
rerun the whole lab on every visit. Each test counts the full script runs the server announced (a
`new_session` message without fragment ids) while Chromium opens the page and the canvas settles.
No timing is asserted.
"""

from __future__ import annotations

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from browser_support import chromium_page, chromium_path, shot, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                                       "(scripts/run_tests.sh installs it)"),
]


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("responsive-data")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url, "AWS_ENDPOINT_URL_BEDROCK": fake_bedrock.url,
           "AWS_ENDPOINT_URL_STS": fake_bedrock.url, "AWS_MAX_ATTEMPTS": "1"}
    with streamlit_server(env, data) as url:
        # The server's first session also waits for its one-off checks (who the credentials belong to) and
        # reruns once they answer; the visits counted below are an attendee's, on a server already running.
        with chromium_page() as page:
            counter = RunCounter(page)
            page.goto(url)
            page.get_by_text("Connection").wait_for()
            settle(page, counter)
        yield url


class RunCounter:
    """Full and fragment script runs, as the server announced them to this browser tab."""

    def __init__(self, page) -> None:
        self.full = 0
        self.fragment = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg
            return
        if msg.WhichOneof("type") == "new_session":
            if msg.metadata.run.fragment_ids:
                self.fragment += 1
            else:
                self.full += 1

    def reset(self) -> None:
        self.full = self.fragment = 0


def settle(page, counter: RunCounter) -> None:
    """Until the tab has been idle for a while: no run going, and no new run announced."""
    last = (-1, -1)
    for _ in range(40):  # at most 40 × 0.5 s
        page.wait_for_timeout(500)
        now = (counter.full, counter.fragment)
        running = page.get_by_test_id("stStatusWidget").count() and page.get_by_test_id("stStatusWidget").is_visible()
        if now == last and not running:
            return
        last = now


@pytest.mark.parametrize("path", ["masking", "inpainting"])
def test_a_canvas_lab_runs_its_script_once_per_visit(app_url, path):
    with chromium_page() as page:
        counter = RunCounter(page)
        page.goto(f"{app_url}/{path}")
        page.get_by_text("Connection").wait_for()
        page.locator("canvas").last.wait_for()
        settle(page, counter)
        assert counter.full == 1, f"{counter.full} full runs for one visit"
        shot(page, f"responsive-{path}-first")

        page.get_by_role("link", name="History").first.click()  # away, then back: a repeat visit
        page.get_by_role("heading", name="History").first.wait_for()
        settle(page, counter)
        counter.reset()
        page.get_by_role("link", name=("4. Masking" if path == "masking" else "7. Inpainting with your own mask"))\
            .first.click()
        page.locator("canvas").last.wait_for()
        settle(page, counter)
        assert counter.full == 1, f"{counter.full} full runs for a repeat visit"


def test_a_stroke_still_updates_the_preview(app_url):
    with chromium_page() as page:
        counter = RunCounter(page)
        page.goto(f"{app_url}/inpainting")
        page.get_by_text("Connection").wait_for()
        canvas = page.locator("canvas").last
        canvas.wait_for()
        settle(page, counter)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stImageCaption]')].some(e => /will change \\(0%/"
            ".test(e.innerText))")
        counter.reset()
        box = canvas.bounding_box()
        assert box and box["width"] > 100
        x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
        page.mouse.move(x0, y0)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(x0 + step * box["width"] * 0.02, y0 + step * 2)
        page.mouse.up()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
            ".some(e => /will change \\((?!0%)/.test(e.innerText))")
        settle(page, counter)
        assert counter.full == 1  # the stroke reran the page once, for its preview
        shot(page, "responsive-stroke")
