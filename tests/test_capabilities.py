"""The home page's table of what each lab does on Bedrock and offline."""

from __future__ import annotations

from lib.capabilities import capability_table
from lib.labs import LABS
from test_pages import open_app


def test_every_lab_has_a_row_and_local_engines_come_from_the_catalog():
    rows = {row.lab.split(".")[0]: row for row in capability_table()}
    assert set(rows) == {str(item.number) for item in LABS}
    assert "ImageNet tags" in rows["1"].local and "OCR" in rows["8"].local and "OpenCV" in rows["7"].local
    for number in ("2", "3", "6", "9"):
        assert rows[number].local == "—" and rows[number].limits  # says what is missing, and why


def test_home_page_shows_the_table_without_credentials(isolated_env):
    at = open_app()
    assert not at.exception
    table = at.table[0].value
    assert list(table.columns)[:3] == ["Lab", "On Amazon Bedrock", "On this machine (no AWS account)"]
    assert len(table) == len(LABS)
