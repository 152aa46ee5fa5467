"""A blob name is a path inside the store, never outside it (checked as text: no disk lookup per name)."""

from __future__ import annotations

import pytest

from lib.storage.blobs import FileBlobs


@pytest.mark.parametrize("name", ["../x.png", "/etc/passwd", "thumbs/../../x.png", "", ".", "a/../.."])
def test_a_name_that_leaves_the_store_is_refused(tmp_path, name):
    blobs = FileBlobs(tmp_path / "store")
    with pytest.raises(ValueError, match="escapes the store"):
        blobs.put(name, b"data")
    assert not (tmp_path / "x.png").exists()


def test_names_inside_the_store_round_trip(tmp_path):
    blobs = FileBlobs(tmp_path / "store")
    blobs.put("thumbs/abc.jpg", b"thumb")
    blobs.put("abc.png", b"image")
    blobs.put("thumbs/./../def.png", b"normalised")  # stays inside: the store's own folder
    assert blobs.get("thumbs/abc.jpg") == b"thumb" and blobs.get("abc.png") == b"image"
    assert blobs.exists("def.png") and (tmp_path / "store" / "def.png").read_bytes() == b"normalised"
    blobs.delete("abc.png")
    assert not blobs.exists("abc.png")
