"""Real browser: lab 6 teaches DEFAULT vs PRECISE on the model Bedrock serves today (issue 15).

On Stable Image Inpaint (lab 6's default) the page hides “Object to keep” and says why, explains each mode, and
the one-click comparison shows, under each result, how many pixels inside the kept object it changed. The fake's
Remove Background keeps an ellipse and its Inpaint repaints exactly its grown mask, so the test recounts those
pixels from the stored images itself: PRECISE 0, DEFAULT more than 0, and the page says the same numbers.
Screenshots at a projector's 1280×900 and a phone's 390×844 land in artifacts/ (lab6-modes-*.png).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from browser_support import browser_marks, chromium_page, fake_aws_env, shot, streamlit_server
from fake_bedrock import background_subject_mask, grow
from lib.history import HistoryStore
from lib.masks import CHANGE_TOLERANCE
from lib.services.outpainting import KEPT_LABEL

pytestmark = browser_marks()
PROJECTOR, PHONE = (1280, 900), (390, 844)
INPAINT = "us.stability.stable-image-inpaint-v1:0"
# DEFAULT may repaint the object's rim only: the mask's grey band (at least half strength for 8 of its 16 px)
# grown by grow_mask 20 with the fake's square kernel.
RIM_PX = 8 + 20


@pytest.fixture(scope="module")
def served(fake_bedrock, tmp_path_factory):
    data = tmp_path_factory.mktemp("lab6-modes-data")
    with streamlit_server(fake_aws_env(fake_bedrock.url), data) as url:
        yield url, data


def rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def recount(data_dir) -> dict[str, tuple[int, int, np.ndarray]]:
    """From History's files: per mode, (kept pixels changed, kept pixels, where they changed)."""
    entries = HistoryStore(data_dir).recent(2, lab="lab6")
    counts = {}
    for entry in entries:
        photo = rgb(entry.inputs[0].read_bytes())
        made = rgb(entry.outputs[0].read_bytes())
        kept = background_subject_mask(photo.shape[1], photo.shape[0])
        moved = (np.abs(made - photo).max(axis=2) > CHANGE_TOLERANCE) & kept
        counts[entry.request["outpainting_mode"]] = (int(moved.sum()), int(kept.sum()), moved)
    return counts


@pytest.mark.parametrize(("viewport", "name"), [(PROJECTOR, "projector"), (PHONE, "phone")])
def test_lab6_default_vs_precise_measured_in_the_browser(served, fake_bedrock, viewport, name):
    url, data_dir = served
    fake_bedrock.reset()
    with chromium_page(viewport) as page:
        page.set_default_timeout(60_000)  # other sessions' tests may share the cores
        page.goto(f"{url}/replace-background")
        page.get_by_role("heading", level=1).first.wait_for()
        page.get_by_text("Stability can't be told which object to keep", exact=False).wait_for()
        assert page.get_by_role("textbox", name="Object to keep:").count() == 0  # the words would do nothing
        page.get_by_text("grow_mask 20 widens it", exact=False).wait_for()  # DEFAULT, said for this model
        # Lab 6's default: a model Bedrock serves today.
        expect(page.locator(".st-key-lab6_model input[role=combobox]")).to_have_value("Stable Image Inpaint")
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
        shot(page, f"lab6-modes-form-{name}")

        page.get_by_role("button", name="Compare DEFAULT and PRECISE (same seed)").click()
        values = page.get_by_test_id("stMetricValue")
        values.nth(1).wait_for(timeout=90_000)
        above = page.get_by_test_id("stCaptionContainer").get_by_text(KEPT_LABEL, exact=True)
        expect(above).to_have_count(2)  # said above each number, in full
        expect(above.first).to_be_visible()
        shown = [int(v.strip().replace(",", "")) for v in values.all_inner_texts()[:2]]
        page.get_by_text("PRECISE keeps every pixel of the kept object", exact=False).scroll_into_view_if_needed()
        shot(page, f"lab6-modes-compare-{name}")

    inpaints = [c.body for c in fake_bedrock.calls if c.model_id == INPAINT]
    assert [b["grow_mask"] for b in inpaints] == [20, 0] and inpaints[0]["seed"] == inpaints[1]["seed"]
    counts = recount(data_dir)
    default, precise = counts["DEFAULT"], counts["PRECISE"]
    assert shown == [default[0], precise[0]]  # the page says what the pixels say
    assert precise[0] == 0  # PRECISE: every pixel of the kept object is the photo's
    assert default[0] > 0.1 * default[1]  # DEFAULT: the model reshaped the object's rim...
    kept = background_subject_mask(default[2].shape[1], default[2].shape[0])
    core = ~grow(~kept, RIM_PX)
    assert core.sum() > 0 and not (default[2] & core).any()  # ...and only its rim, never its core
