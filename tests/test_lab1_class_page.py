"""AppTest for lab 1 on a class server: attendees find the shared samples and only their own uploads and
folders; uploads are checked; only an instructor rebuilds; and with PostgreSQL + S3 configured, a second
server searches the index the first one built (pgvector) and reads its uploads and thumbnails (S3)."""

from __future__ import annotations

import io
import uuid

import boto3
import pytest
from PIL import Image

from test_pages import errors, open_app, texts
from test_search_page import LAB1, embed_calls, finish_build

PURPLE = (150, 20, 190)


def photo(colour, size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def build(at, *, samples: bool = True):
    if not samples:
        at.checkbox(key="lab1_use_samples").uncheck().run()
    at.button(key="lab1_build").click().run()
    assert errors(at) == "", errors(at)
    return finish_build(at)


def search_everything(at, words: str = "purple"):
    """Every image the session may find (k = 24, any score), as the hit cards' markdown."""
    at.slider(key="lab1_k").set_value(24).run()
    at.slider(key="lab1_min").set_value(-1.0).run()
    at.text_input(key="lab1_query").input(words).run()
    at.button(key="lab1_go").click().run()
    assert errors(at) == "", errors(at)
    return [m.value for m in at.markdown if m.value.startswith("**#")]


def images_metric(at) -> int:
    return int(next(m.value for m in at.metric if m.label == "Images").replace(",", ""))


def test_attendees_find_the_shared_samples_and_only_their_own_uploads(aws_env, monkeypatch):
    teacher = build(open_app(LAB1))  # a laptop's single user is the instructor: the samples are shared
    samples = images_metric(teacher)
    monkeypatch.setenv("WORKSHOP_WORKSPACES", "browser")  # from now on each browser is an attendee
    monkeypatch.setenv("WORKSHOP_UPLOAD_QUOTA", "1")
    ana = open_app(LAB1)
    ana.file_uploader(key="lab1_uploads").set_value([
        ("ana-purple.png", photo(PURPLE), "image/png"),
        ("notes.png", b"my password is hunter2", "image/png"),  # a text file renamed .png
        ("ana-second.png", photo((20, 190, 150)), "image/png"),  # over her quota of 1
    ]).run()
    ana = build(ana)
    warning = "\n".join(w.value for w in ana.warning)
    assert "2 uploaded files were not kept" in warning
    refused = ana.dataframe[0].value
    assert list(refused["File"]) == ["notes.png", "ana-second.png"]
    assert "not an image" in refused["Why"][0] and "WORKSHOP_UPLOAD_QUOTA" in refused["Why"][1]
    assert images_metric(ana) == samples + 1
    assert any("ana\\-purple\\.png" in hit for hit in search_everything(ana))  # a file name, shown as text

    ben = open_app(LAB1)  # another browser: another attendee
    assert images_metric(ben) == samples
    hits = search_everything(ben)
    assert len(hits) == min(24, samples) and not any("ana" in hit for hit in hits)
    rebuild = ben.button(key="lab1_rebuild")
    assert rebuild.disabled and "Only the instructor" in rebuild.help


def test_an_attendees_folder_is_theirs_and_a_missing_one_inside_the_roots_is_explained(aws_env, monkeypatch,
                                                                                         tmp_path):
    photos = tmp_path / "class-photos"
    (photos / "ana").mkdir(parents=True)
    (photos / "ana" / "ana-folder.png").write_bytes(photo(PURPLE))
    monkeypatch.setenv("WORKSHOP_FOLDER_ROOTS", str(photos))
    monkeypatch.setenv("WORKSHOP_WORKSPACES", "browser")
    ana = open_app(LAB1)
    ana.text_input(key="lab1_folder").input(str(photos / "not-yet")).run()
    ana.button(key="lab1_build").click().run()
    assert "does not exist" in errors(ana)
    ana.text_input(key="lab1_folder").input(str(photos / "ana")).run()
    ana = build(ana, samples=False)
    assert images_metric(ana) == 1 and "ana\\-folder\\.png" in search_everything(ana)[0]
    ben = open_app(LAB1)
    assert images_metric(ben) == 0 and "The index is empty" in texts(ben)
    assert ben.button(key="lab1_go").disabled


def test_s3_prefixes_outside_the_setting_are_refused_on_the_page(aws_env, monkeypatch):
    at = open_app(LAB1)
    assert at.text_input(key="lab1_s3").disabled  # off until WORKSHOP_S3_PREFIXES allows something
    monkeypatch.setenv("WORKSHOP_S3_PREFIXES", "s3://class-photos/trip/")
    at = open_app(LAB1)
    at.text_input(key="lab1_s3").input("s3://app-secrets/").run()
    at.button(key="lab1_build").click().run()
    assert "not one of the S3 locations" in errors(at) and "s3://class-photos/trip/" in errors(at)


def test_two_servers_on_postgres_and_s3_share_lab_1(aws_env, monkeypatch, tmp_path, postgres_url, s3_endpoint):
    from real_engines import make_bucket

    from lib.search.index import VectorSpace, forget_shared_indexes, shared_index
    from lib.search.sources import read_original
    from lib.settings import load_settings
    from lib.storage.db import forget_engines

    bucket = f"lab1-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_endpoint, bucket)
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", postgres_url)
    monkeypatch.setenv("WORKSHOP_BLOB_URL", f"s3://{bucket}/class")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "server-one"))

    one = open_app(LAB1)
    model_id = one.selectbox(key="lab1_model").value
    space = VectorSpace(model_id, int(one.selectbox(key=f"lab1_model_dim_{model_id}").value))
    shared_index(load_settings().data_dir, space, database_url=postgres_url).clear()  # the session's database is shared
    one.file_uploader(key="lab1_uploads").set_value([("mine.png", photo(PURPLE), "image/png")]).run()
    one = build(one)
    assert "PostgreSQL" in texts(one)
    hits_one = search_everything(one, "red")
    assert hits_one and embed_calls(aws_env) > 0

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="class/search/").get("Contents", [])]
    assert any(k.startswith("class/search/thumbs/") for k in keys)
    assert any(k.startswith("class/search/uploads/") for k in keys)

    # A second server: its own process state and an empty data folder; the same database and bucket.
    forget_shared_indexes()
    forget_engines()
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "server-two"))
    calls = embed_calls(aws_env)
    two = open_app(LAB1)
    assert two.selectbox(key="lab1_model").value == model_id and "The index is empty" not in texts(two)
    hits_two = search_everything(two, "red")
    assert hits_two == hits_one and embed_calls(aws_env) == calls  # the query was cached; nothing re-embedded
    assert len(two.image) >= len(hits_two)  # every hit shows its picture
    upload = next(ref for ref in shared_index(load_settings().data_dir, space, database_url=postgres_url)
                  .sources_under("uploads").keys())
    assert read_original(upload, load_settings().data_dir, load_settings()) == photo(PURPLE)  # "Send to" on two
