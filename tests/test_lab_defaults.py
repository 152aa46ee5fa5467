"""Every lab's defaults and suggestions name something a sample photo it offers really shows.

The table is lib/presets.py's PHOTO_MATCHES (text → sample photo → what it names), checked against what
images/manifest.json says each photo shows ("subjects") and the named rectangles of images/mask_presets.json.
A default that names something absent from its photo (lab 6 keeping “A car” on the astronaut, say) fails.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from lib import presets
from lib.presets import ANY_PHOTO, PHOTO_MATCHES, photo_for
from lib.samples import all_samples, get_sample, rectangle_presets
from lib.vision import PRESETS as UNDERSTANDING_PRESETS

# Each lab's defaults and suggestions, as the pages use them.
LAB_TEXTS: dict[str, tuple[str, ...]] = {
    "lab 1 search chips": presets.SEARCH_SUGGESTIONS,
    "lab 3 variation suggestions": presets.VARIATION_PROMPTS,
    "lab 4 example prompts": presets.MASKING_EXAMPLES,
    "lab 5 default object": (presets.REPLACE_DEFAULT_OBJECT,),
    "lab 5 default replacement": (presets.REPLACE_DEFAULT_WITH,),
    "lab 5 suggestions": presets.REPLACE_SUGGESTIONS,
    "lab 6 object to keep": (presets.BACKGROUND_DEFAULT_OBJECT,),
    "lab 6 description": (presets.BACKGROUND_DEFAULT_SCENE,),
    "lab 6 rewrite hint": presets.BACKGROUND_REWRITE,
    "lab 7 prompts": presets.INSERTION_PROMPTS,
    "lab 9 suggestions": presets.CHAT_SUGGESTIONS,
}
ROWS = [(where, text) for where, texts in LAB_TEXTS.items() for text in texts]
SAMPLE_IDS = {s.id for s in all_samples()}


def names(text: str, subject: str) -> bool:
    """`text` names `subject` (whole words, a plural 's' allowed, any case)."""
    return re.search(rf"\b{re.escape(subject)}s?\b", text, re.IGNORECASE) is not None


def describe(text: str) -> str:
    match = photo_for(text)
    if match is None:
        return "any photo"
    return f"{match.sample}: {', '.join(match.shows) or match.area}"


@pytest.mark.parametrize(("where", "text"), ROWS, ids=[f"{w}: {t} → {describe(t)}" for w, t in ROWS])
def test_each_default_and_suggestion_names_something_its_photo_shows(where, text):
    match = photo_for(text)
    if match is None:
        assert text in ANY_PHOTO, (f"{where}: “{text}” is in no row of PHOTO_MATCHES: say which sample photo shows "
                                   "what it names (or add a photo that does)")
        return
    assert match.sample in SAMPLE_IDS, f"{where}: “{text}” points at {match.sample}, which is not in the manifest"
    subjects = get_sample(match.sample).subjects
    assert match.shows or match.area, f"{where}: “{text}” says neither what it names nor which area it fills"
    for subject in match.shows:
        assert subject in subjects, f"{where}: “{text}” names {subject}, absent from {match.sample} ({subjects})"
        assert names(text, subject), f"{where}: “{text}” does not name {subject}"
    if match.area:
        assert match.area in rectangle_presets(match.sample), f"{where}: {match.sample} has no area “{match.area}”"


def test_generic_suggestions_name_nothing_photo_specific():
    every_subject = {subject for s in all_samples() for subject in s.subjects}
    for text in ANY_PHOTO:
        assert photo_for(text) is None
        named = [subject for subject in every_subject if names(text, subject)
                 and subject not in {"text", "people", "sky"}]
        assert not named or "same" in text.lower(), (text, named)


def test_every_row_of_the_table_is_used_by_a_lab():
    used = {text for _, text in ROWS}
    assert set(PHOTO_MATCHES) <= used, set(PHOTO_MATCHES) - used


@pytest.mark.parametrize("sample_id", sorted({sid for sid in SAMPLE_IDS if rectangle_presets(sid)}))
def test_rectangle_presets_name_what_their_photo_shows(sample_id):
    subjects = get_sample(sample_id).subjects
    for area in rectangle_presets(sample_id):
        if area.lower().startswith("background"):
            continue
        assert any(names(area, subject) for subject in subjects), f"{sample_id}: “{area}” names none of {subjects}"


def test_no_sample_title_promises_what_it_does_not_show():
    assert get_sample("text").title.startswith("Handwritten"), "skimage's text.png is handwritten maths, not a road sign"
    assert "road sign" in get_sample("road_sign").subjects


def test_lab_8_suited_photos_show_what_each_preset_asks_about():
    for preset, samples in presets.UNDERSTANDING_SAMPLES.items():
        assert preset in UNDERSTANDING_PRESETS
        need = presets.UNDERSTANDING_NEEDS.get(preset)
        for sample_id in samples:
            assert sample_id in SAMPLE_IDS
            if need:
                assert need in get_sample(sample_id).subjects, (preset, sample_id)
    assert "people" in get_sample("astronaut").subjects  # lab 8's default photo answers the emotion preset


def test_lab_9_offers_the_photo_each_suggestion_asks_about():
    for text in presets.CHAT_SUGGESTIONS:
        match = photo_for(text)
        if match is not None:
            assert match.sample in presets.CHAT_SAMPLE_IDS, text


@pytest.mark.parametrize(("page", "sample_key", "text_keys"), [
    ("pages/5_replace_object.py", "lab5_input_sample", ("lab5_object", "lab5_prompt")),
    ("pages/6_replace_background.py", "lab6_input_sample", ("lab6_object", "lab6_prompt")),
])
def test_the_page_opens_on_the_photo_its_default_text_names(isolated_env, page, sample_key, text_keys):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    shown = at.selectbox(key=sample_key).value
    boxes = {w.key: w.value for w in [*at.text_input, *at.text_area]}
    drawn = [key for key in text_keys if key in boxes]  # lab 6 on Stability has no object box (it keeps the subject)
    assert drawn and drawn[-1] == text_keys[-1]
    for key in drawn:
        text = boxes[key]
        assert photo_for(text) is not None and photo_for(text).sample == shown, (key, text, shown)


def test_a_suggestion_picks_the_photo_it_names(isolated_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/5_replace_object.py").run()
    assert at.selectbox(key="lab5_input_sample").value == "coffee"
    at.selectbox(key="lab5_suggestion").set_value("red car").run()
    assert not at.exception, at.exception
    assert at.text_input(key="lab5_object").value == "red car"
    assert at.selectbox(key="lab5_input_sample").value == "gallery_street"
