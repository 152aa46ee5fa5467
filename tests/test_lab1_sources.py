"""Lab 1's sources on a class server: folders only under the allowed roots, S3 only under the allowed prefixes,
uploads only when they are images and within each attendee's quota. Nothing here calls AWS."""

from __future__ import annotations

import io
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from PIL import Image

from lib.errors import InvalidInput
from lib.search.sources import (SHARED, FolderSource, UploadSource, allowed_roots, folder_source, read_original,
                                s3_source)
from lib.settings import load_settings


def photo(colour=(200, 30, 30), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A server layout: the app runs in `app/`, its data in `app/data`, one extra root, and secrets outside."""
    app = tmp_path / "app"
    (app / "data" / "images").mkdir(parents=True)  # History's images: every attendee's results
    (app / "data" / "images" / "someone-elses.png").write_bytes(photo((1, 2, 3)))
    (app / "data" / "search" / "uploads").mkdir(parents=True)
    (app / "data" / "search" / "uploads" / "another-attendee.png").write_bytes(photo((4, 5, 6)))
    (app / "data" / "class-photos").mkdir()
    (app / "data" / "class-photos" / "a.png").write_bytes(photo())
    shared = tmp_path / "shared-photos"
    (shared / "trip").mkdir(parents=True)
    (shared / "trip" / "b.jpg").write_bytes(photo((30, 30, 200), "JPEG"))
    secrets = tmp_path / "home" / ".aws"
    secrets.mkdir(parents=True)
    (secrets / "credentials.png").write_bytes(photo((9, 9, 9)))  # an image where it must never be read
    monkeypatch.chdir(app)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings = load_settings({"WORKSHOP_DATA_DIR": str(app / "data"), "WORKSHOP_FOLDER_ROOTS": str(shared)})
    return settings, app, shared, secrets


def refused(typed: str, settings) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        folder_source(typed, settings)
    return caught.value


def test_home_folder_is_refused_with_the_allowed_roots_and_the_setting(server):
    settings, app, shared, secrets = server
    for typed in ("~/.aws", "~", str(secrets)):
        err = refused(typed, settings)
        assert "outside the folders this app may read" in err.message
        assert "WORKSHOP_FOLDER_ROOTS" in err.hint and "“data”" in err.hint and str(shared) in err.hint
        assert str(secrets) not in err.message + err.hint or typed == str(secrets)  # echoes only what was typed


def test_proc_self_cwd_and_dotdot_escapes_are_refused_without_naming_server_paths(server):
    settings, app, shared, secrets = server
    err = refused("/proc/self/cwd", settings)  # resolves to the app's working folder, which is not a root
    assert str(app) not in err.message + err.hint
    assert "“/proc/self/cwd”" in err.message
    refused("data/../../home/.aws", settings)
    refused(f"{shared}/../home/.aws", settings)
    refused("/", settings)
    # A path that does not exist outside the roots gets the same refusal: no probing what exists on the server.
    assert "does not exist" not in refused("/definitely/not/here", settings).message
    assert "does not exist" in str(pytest.raises(InvalidInput, folder_source, "data/not-yet", settings).value)


def test_a_linked_folder_pointing_outside_is_refused(server):
    settings, app, shared, secrets = server
    (app / "data" / "link-to-aws").symlink_to(secrets)
    assert "outside" in refused("data/link-to-aws", settings).message


def test_a_linked_file_pointing_outside_is_skipped_and_a_file_swapped_for_a_link_is_not_read(server):
    settings, app, shared, secrets = server
    folder = app / "data" / "class-photos"
    (folder / "sneaky.png").symlink_to(secrets / "credentials.png")
    (folder / "inside-link.png").symlink_to(shared / "trip" / "b.jpg")  # into another allowed root: fine
    source = folder_source("data/class-photos", settings)
    items = source.list_items()
    assert sorted(item.title for item in items) == ["a.png", "inside-link.png"]
    first = next(item for item in items if item.title == "a.png")
    (folder / "a.png").unlink()
    (folder / "a.png").symlink_to(secrets / "credentials.png")  # swapped after listing
    with pytest.raises(InvalidInput, match="points outside"):
        first.read()


def test_the_data_folder_is_allowed_but_the_apps_own_stores_are_never_listed(server):
    settings, app, shared, secrets = server
    titles = {item.title for item in folder_source("data", settings).list_items()}
    assert titles == {"a.png"}  # not History's images, not another attendee's upload
    refused("data/images", settings)
    refused("data/search/uploads", settings)
    assert folder_source(str(shared), settings).label == f"Folder {shared}"  # what the user typed, nothing more
    assert [i.title for i in folder_source(f"{shared}/trip", settings).list_items()] == ["b.jpg"]


def test_sample_photos_folder_is_a_default_root(server):
    settings, *_ = server
    roots = allowed_roots(settings)
    assert any((root / "manifest.json").is_file() for root in roots.roots)  # the project's images/ folder


def test_folder_refs_outside_the_roots_are_not_read_back(server):
    settings, app, shared, secrets = server
    with pytest.raises(InvalidInput, match="WORKSHOP_FOLDER_ROOTS"):
        read_original(str(secrets / "credentials.png"), settings.data_dir, settings)
    assert read_original(str(shared / "trip" / "b.jpg"), settings.data_dir, settings)[:2] == b"\xff\xd8"


def test_trusted_callers_may_still_index_any_folder(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "x.png").write_bytes(photo())
    assert [i.title for i in FolderSource(tmp_path / "p").list_items()] == ["x.png"]  # benchmarks, tests


# --- S3 ------------------------------------------------------------------------------------------

def test_s3_is_off_unless_prefixes_are_configured(isolated_env):
    with pytest.raises(InvalidInput) as caught:
        s3_source("s3://any-bucket/photos/", load_settings({}))
    assert "not one of the S3 locations" in caught.value.message
    assert "WORKSHOP_S3_PREFIXES=s3://bucket/prefix/" in caught.value.hint


def test_s3_only_under_the_configured_prefixes(isolated_env):
    settings = load_settings({"WORKSHOP_S3_PREFIXES": "s3://class-photos/trip/, s3://open-bucket"})
    assert s3_source("s3://class-photos/trip/", settings).root == "s3://class-photos/trip/"
    assert s3_source("s3://class-photos/trip/day1/", settings).prefix == "trip/day1/"
    assert s3_source("s3://open-bucket/anything", settings).bucket == "open-bucket"
    for uri in ("s3://class-photos/", "s3://class-photos/trips/", "s3://app-secrets/", "s3://class-photos/tri"):
        with pytest.raises(InvalidInput) as caught:
            s3_source(uri, settings)
        assert "s3://class-photos/trip/" in caught.value.hint and "WORKSHOP_S3_PREFIXES" in caught.value.hint


def test_s3_refs_outside_the_prefixes_are_not_read_back(aws_env, tmp_path):
    settings = load_settings({"WORKSHOP_S3_PREFIXES": "s3://class-photos/trip/"})
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="class-photos")
        s3.put_object(Bucket="class-photos", Key="private/key.png", Body=photo())
        with pytest.raises(InvalidInput, match="WORKSHOP_S3_PREFIXES"):
            read_original("s3://class-photos/private/key.png", tmp_path, settings)


# --- uploads -------------------------------------------------------------------------------------

def test_only_images_are_kept_and_each_refusal_names_the_file_and_why(tmp_path):
    store = tmp_path / "uploads"
    source = UploadSource([("cat.png", photo()), ("notes.png", b"just some text, renamed"),
                           ("paper.png", b"%PDF-1.7\n..."), ("noise.jpg", os.urandom(2048)),
                           ("empty.png", b"")], store, owner="browser:a", quota=10)
    refusals = dict(source.accept())
    assert set(refusals) == {"notes.png", "paper.png", "noise.jpg", "empty.png"}
    assert "not an image" in refusals["notes.png"] and "PDF" in refusals["paper.png"]
    assert [item.title for item in source.list_items()] == ["cat.png"]
    kept = [p for p in store.rglob("*") if p.is_file()]
    assert len(kept) == 1 and kept[0].read_bytes() == photo()


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    source = UploadSource([("big.png", photo())], tmp_path / "u", owner="browser:a", quota=10, max_bytes=50)
    assert "the limit is" in dict(source.accept())["big.png"]


def test_each_attendee_keeps_at_most_the_quota(tmp_path):
    store = tmp_path / "uploads"
    first = UploadSource([(f"p{i}.png", photo((i, 0, 0))) for i in range(3)], store, owner="browser:a", quota=2)
    assert [name for name, _ in first.accept()] == ["p2.png"]
    assert "WORKSHOP_UPLOAD_QUOTA" in first.refused[0][1]
    # Keeping the same photo again costs nothing; a new one is refused; another attendee has their own quota.
    again = UploadSource([("p0-again.png", photo((0, 0, 0))), ("new.png", photo((0, 9, 9)))], store,
                         owner="browser:a", quota=2)
    assert [name for name, _ in again.accept()] == ["new.png"]
    other = UploadSource([("p2.png", photo((2, 0, 0)))], store, owner="browser:b", quota=2)
    assert other.accept() == [] and len(other.list_items()) == 1
    # The instructor's uploads are shared and have no quota.
    shared = UploadSource([(f"s{i}.png", photo((0, i, 0))) for i in range(5)], store, owner=SHARED, quota=None)
    assert shared.accept() == [] and len(shared.list_items()) == 5


def test_two_attendees_uploading_the_same_photo_each_own_their_copy(tmp_path):
    store = tmp_path / "uploads"
    a = UploadSource([("mine.png", photo())], store, owner="browser:a", quota=5).list_items()[0]
    b = UploadSource([("mine.png", photo())], store, owner="browser:b", quota=5).list_items()[0]
    assert a.ref != b.ref and a.ref.startswith("upload:") and "browser" not in a.ref
    assert a.read() == b.read() == photo()
    data = tmp_path / "data"
    kept = UploadSource([("x.png", photo())], data / "search" / "uploads", owner="browser:a", quota=5).list_items()[0]
    assert read_original(kept.ref, data) == photo()
