"""The home page's table of what each lab does on Bedrock and offline."""

from __future__ import annotations

import pytest

import lib.local.availability as availability
from lib.capabilities import capability_table
from lib.labs import LABS
from test_pages import open_app


@pytest.fixture
def engines_installed(monkeypatch):
    """As if requirements-local.txt were installed: what these tests check is the catalog and the switch, so they
    hold on a cloud-only install too (nothing here runs an engine)."""
    monkeypatch.setattr(availability, "installed", lambda module: True)


def test_every_lab_has_a_row_and_local_engines_come_from_the_catalog(engines_installed):
    rows = {row.lab.split(".")[0]: row for row in capability_table()}
    assert set(rows) == {str(item.number) for item in LABS}
    assert "ImageNet tags" in rows["1"].local and "OCR" in rows["8"].local and "OpenCV" in rows["7"].local
    assert "named object" in rows["5"].local and "Experimental" in rows["5"].limits
    assert "or a named object" in rows["4"].local and "look alike" in rows["1"].limits
    for number in ("2", "3", "6", "9"):
        assert rows[number].local == "—" and rows[number].limits  # says what is missing, and why
        assert rows[number].replays and "replayed" not in rows[number].limits  # said once, not in every row
    assert not rows["1"].replays and not rows["8"].replays


def test_home_page_cards_say_where_each_lab_runs_then_the_details_collapsed(isolated_env, engines_installed):
    at = open_app()
    assert not at.exception
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert len(badges) == len(LABS)  # one line of badges a card, in lab order
    assert "This machine: search" in badges[0] and "Replays from History" in badges[1]  # labs 1 and 2
    assert not any("Amazon Bedrock" in b for b in badges)  # no credentials: said once, not on every card
    details = at.expander[0]
    assert details.label.startswith("What works on Bedrock") and not details.proto.expanded
    blocks = [m.value for m in details.markdown if "On this machine (no AWS account)" in m.value]
    assert len(blocks) == len(LABS) and blocks[3].startswith("**Lab 4 · Masking**")
    assert not at.table  # a table's last column is clipped on a phone


def test_home_page_cards_with_credentials(aws_env, engines_installed):
    at = open_app()
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert all("Amazon Bedrock" in b and "Replays" not in b for b in badges)


def test_the_sidebar_switch_moves_labs_onto_the_local_engines_and_back(aws_env, engines_installed):
    from lib.catalog import LOCAL_TAGS_ID, LOCAL_VISION_ID

    at = open_app("pages/8_image_understanding.py")
    assert at.selectbox(key="lab8_model").value != LOCAL_VISION_ID  # credentials found: Bedrock by default
    at.sidebar.radio(key="backend").set_value("This machine").run()
    assert at.selectbox(key="lab8_model").value == LOCAL_VISION_ID
    at.switch_page("pages/1_image_search.py").run()
    assert at.selectbox(key="lab1_model").value == LOCAL_TAGS_ID
    at.sidebar.radio(key="backend").set_value("Amazon Bedrock").run()
    assert at.selectbox(key="lab1_model").value != LOCAL_TAGS_ID


def test_without_credentials_choosing_bedrock_explains_the_fix_instead(isolated_env):
    at = open_app("pages/8_image_understanding.py")
    at.sidebar.radio(key="backend").set_value("Amazon Bedrock").run()
    assert "no AWS credentials were found" in "\n".join(w.value for w in at.warning)
    assert at.button(key="lab8_go").disabled


def test_a_cloud_only_install_hides_the_local_engines_and_says_how_to_get_them(isolated_env, monkeypatch):
    """WORKSHOP_CLOUD_ONLY=1 installs no local packages: no picker offers a local row, the table says why."""
    local_only = {**availability.TAG_MODULES, **availability.OCR_MODULES}
    monkeypatch.setattr(availability, "installed", lambda module: module not in local_only)
    rows = {row.lab.split(".")[0]: row for row in capability_table()}
    assert all(rows[n].local.startswith("Not installed here") and "requirements-local.txt" in rows[n].local
               for n in ("1", "4", "5", "7", "8"))
    for page, key in (("pages/1_image_search.py", "lab1_model"), ("pages/7_inpainting.py", "lab7_model"),
                      ("pages/8_image_understanding.py", "lab8_model")):
        at = open_app(page)
        assert not at.exception
        picker = at.selectbox(key=key)
        assert len(picker.options) > 1 and not any(option.startswith("Local:") for option in picker.options)
        assert not picker.value.startswith("local.")
        assert "aws configure" in "\n".join(w.value for w in at.warning)  # the plain fix, no offline promise
