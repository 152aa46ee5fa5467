"""The sample photos in images/manifest.json: installed, decodable, credited."""

from __future__ import annotations

import json

import pytest

from lib.imaging import decode_image, sniff_format
from lib.samples import MANIFEST, Sample, all_samples, available_samples, get_sample, sample_bytes

MANIFEST_IDS = [s["id"] for s in json.loads(MANIFEST.read_text(encoding="utf-8"))["samples"]]


def test_manifest_lists_unique_samples_in_order() -> None:
    assert MANIFEST_IDS, "the manifest should list sample photos"
    assert len(MANIFEST_IDS) == len(set(MANIFEST_IDS))
    assert [s.id for s in all_samples()] == MANIFEST_IDS


@pytest.mark.parametrize("sample_id", MANIFEST_IDS)
def test_sample_resolves_decodes_and_is_credited(sample_id: str) -> None:
    sample = get_sample(sample_id)
    path = sample.file()
    assert path is not None, f"{sample.package} does not ship {sample.path}"
    assert path.is_file() and path.as_posix().endswith(sample.path)
    data = sample.read_bytes()
    assert data == path.read_bytes() == sample_bytes(sample_id)
    decoded = decode_image(data, name=sample.title)
    assert decoded.format == sniff_format(data)
    assert decoded.format in {"png", "jpeg"}
    assert min(decoded.size) >= 64
    assert sample.title.strip() and sample.source.strip() and sample.licence.strip()
    assert sample.subjects and all(s.strip() for s in sample.subjects)
    assert sample.licence in sample.credit and sample.source in sample.credit


def test_every_sample_is_available() -> None:
    assert [s.id for s in available_samples()] == MANIFEST_IDS


def test_unknown_sample_id() -> None:
    with pytest.raises(KeyError):
        get_sample("no-such-sample")


def test_sample_from_a_missing_package_says_what_to_install() -> None:
    sample = Sample(id="x", title="Ghost", package="no_such_package_for_tests", path="a.png", subjects=(),
                    source="nowhere", licence="none")
    assert sample.file() is None
    with pytest.raises(FileNotFoundError, match="no_such_package_for_tests"):
        sample.read_bytes()


def test_sample_with_a_missing_file_in_an_installed_package() -> None:
    sample = Sample(id="x", title="Ghost", package="skimage", path="data/no-such-file.png", subjects=(),
                    source="nowhere", licence="none")
    assert sample.file() is None


def own_folder(tmp_path):
    """An instructor's folder: two photos, one described in its manifest with suggestions."""
    from PIL import Image

    folder = tmp_path / "workshop-photos"
    (folder / "rooms").mkdir(parents=True)
    Image.new("RGB", (320, 240), (120, 80, 40)).save(folder / "desk.jpg")
    Image.new("RGB", (300, 300), (200, 180, 160)).save(folder / "rooms" / "living_room.png")
    (folder / "manifest.json").write_text(json.dumps({"samples": [
        {"file": "desk.jpg", "title": "Antique desk", "subjects": ["desk", "wall"],
         "suggestions": ["A hutch on the desk", "A sleeping cat beneath the desk"], "licence": "the instructor's own"},
    ]}), encoding="utf-8")
    return folder


def test_an_instructors_folder_adds_its_photos_first_with_their_suggestions(tmp_path, monkeypatch):
    from lib.samples import SAMPLES_DIR_ENV, own_samples

    folder = own_folder(tmp_path)
    monkeypatch.setenv(SAMPLES_DIR_ENV, str(folder))
    ids = [s.id for s in available_samples()]
    assert ids[:2] == ["own:desk.jpg", "own:rooms/living_room.png"] and ids[2:] == MANIFEST_IDS
    desk = get_sample("own:desk.jpg")
    assert desk.title == "Antique desk" and desk.own and desk.subjects == ("desk", "wall")
    assert desk.suggestions == ("A hutch on the desk", "A sleeping cat beneath the desk")
    assert "the instructor's own" in desk.credit
    room = get_sample("own:rooms/living_room.png")
    assert room.title == "living room" and room.suggestions == () and "WORKSHOP_SAMPLES_DIR" in room.source
    assert decode_image(sample_bytes("own:rooms/living_room.png")).size == (300, 300)
    monkeypatch.delenv(SAMPLES_DIR_ENV)
    assert own_samples() == () and [s.id for s in available_samples()] == MANIFEST_IDS


def test_a_broken_instructor_manifest_still_lists_the_photos(tmp_path, monkeypatch):
    from lib.samples import SAMPLES_DIR_ENV

    folder = own_folder(tmp_path)
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(SAMPLES_DIR_ENV, str(folder))
    assert get_sample("own:desk.jpg").title == "desk"


def test_every_lab_offers_the_instructors_photos_and_shows_their_ideas(isolated_env, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT
    from lib.samples import SAMPLES_DIR_ENV

    monkeypatch.setenv(SAMPLES_DIR_ENV, str(own_folder(isolated_env)))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/7_inpainting.py").run()
    picker = at.selectbox(key="lab7_input_sample")
    assert picker.options[:2] == ["Antique desk", "living room"] and picker.value == "coffee"  # the lab's default
    picker.set_value("own:desk.jpg").run()
    assert not at.exception, at.exception
    assert "A hutch on the desk\nA sleeping cat beneath the desk" in [t.value for t in at.text]


def test_every_title_licence_and_source_of_the_manifest_is_a_message_shown_translated() -> None:
    """The manifest is data, not code: its words reach the catalog through lib/samples.py's N_() lists."""
    from lib.i18n import language
    from lib.samples import SAMPLE_LICENCES, SAMPLE_SOURCES, SAMPLE_TITLES

    rows = json.loads(MANIFEST.read_text(encoding="utf-8"))["samples"]
    assert {row["title"] for row in rows} == set(SAMPLE_TITLES)
    assert {row["licence"] for row in rows} == set(SAMPLE_LICENCES)
    assert {row["source"] for row in rows} == set(SAMPLE_SOURCES)
    coffee = get_sample("coffee")
    with language("ko"):
        assert coffee.shown_title == "커피잔" and coffee.title == "Coffee cup"  # History and the index keep English
        assert coffee.credit.startswith("커피잔 — ") and "출처" in coffee.credit
    assert coffee.shown_title == "Coffee cup" and coffee.credit.startswith("Coffee cup — CC0")


def test_every_named_rectangle_is_a_message_shown_translated() -> None:
    from lib.i18n import _, language
    from lib.samples import MASK_PRESETS, PLACEMENT_NAMES

    named = {name for boxes in json.loads(MASK_PRESETS.read_text(encoding="utf-8"))["samples"].values()
             for name in boxes}
    assert named == set(PLACEMENT_NAMES)
    with language("ko"):
        assert all(_(name) != name for name in PLACEMENT_NAMES)  # each has its Korean


def test_an_instructors_own_photo_keeps_its_title_in_every_language(tmp_path) -> None:
    from lib.i18n import language
    from lib.samples import own_samples

    (tmp_path / "Flower.png").write_bytes(b"")
    (own,) = own_samples(tmp_path)
    with language("ko"):
        assert own.shown_title == "Flower"  # the instructor's file name, not the shipped photo's translation
        assert "강사" in own.credit  # the default source and licence are the app's words, translated
