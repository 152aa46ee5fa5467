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
        assert "replayed" in rows[number].limits


def test_home_page_shows_the_table_without_credentials(isolated_env):
    at = open_app()
    assert not at.exception
    table = at.table[0].value
    assert list(table.columns)[:3] == ["Lab", "On Amazon Bedrock", "On this machine (no AWS account)"]
    assert len(table) == len(LABS)


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
