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
