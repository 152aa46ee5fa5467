"""Lab 1's embedding engines: Cohere Embed v4 and TwelveLabs Marengo Embed 3.0 bodies and replies against their
documented shapes (botocore Stubber), batching in the index build (the fake endpoint), the registry dispatch and
the query-language facts.

Documented shapes: AWS pages model-parameters-embed-v4 and model-parameters-marengo-3 (bedrock-models.md §6.4).
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lib.catalog import (EMBEDDING_MODELS, LOCAL_TAGS_ID, EmbeddingPurpose, QueryLanguages, get_embedding_model,
                         multilingual_alternative)
from lib.engines.embedding_base import Embedding, EmbeddingEngine, PreparedInput
from lib.engines.embeddings import (COHERE_MAX_REQUEST_BYTES, CohereEmbedEngine, MarengoEmbedEngine,
                                    NovaEmbedEngine, TitanEmbedEngine)
from lib.engines.local_embeddings import LocalEmbedEngine
from lib.engines.registry import ENGINES, engine_for, register
from lib.errors import BackendUnavailable, InvalidInput
from lib.search.build import RetryPolicy, build_index
from lib.search.embeddings import EmbeddingInput, MultimodalEmbeddings, embedder_for, language_hint
from lib.search.index import ImageIndex, VectorSpace
from lib.search.sources import FolderSource
from lib.settings import load_settings
from stub_support import StubbedBedrock, stub  # noqa: F401  (stub is a fixture)

TITAN = "amazon.titan-embed-image-v1"
NOVA = "amazon.nova-2-multimodal-embeddings-v1:0"
COHERE = "cohere.embed-v4:0"
MARENGO = "twelvelabs.marengo-embed-3-0-v1:0"
SETTINGS = load_settings({"WORKSHOP_REGION": "us-east-1"})
FAST_RETRY = RetryPolicy(max_tries=4, first_delay_s=0.01, max_delay_s=0.02)


def image_bytes(size=(64, 48), fmt="PNG", color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def vector(dimension: int, hot: int = 0) -> list[float]:
    out = [0.0] * dimension
    out[hot] = 3.0  # not unit length: the client normalises
    return out


def from_data_uri(uri: str) -> Image.Image:
    head, _, data = uri.partition(",")
    assert head.startswith("data:image/") and head.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(data)))


# --- Cohere Embed v4 -------------------------------------------------------------------------------------------


def cohere_by_type(*vectors: list[float]) -> dict:
    """The documented reply when embedding_types is given ("embeddings_by_type")."""
    return {"id": "836a33cc-61ec-4e65-afaf-c4628171a315", "embeddings": {"float": list(vectors)},
            "response_type": "embeddings_by_type"}


def test_cohere_image_query_body_and_reply(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", cohere_by_type(vector(512, hot=7)))
    result = MultimodalEmbeddings(COHERE, 512, SETTINGS).embed(
        EmbeddingInput(image=image_bytes(), purpose=EmbeddingPurpose.RETRIEVAL))
    (call,) = stub.sent
    assert call.params["modelId"] == "us.cohere.embed-v4:0"  # through the us. inference profile
    body = call.body
    assert set(body) == {"input_type", "images", "embedding_types", "output_dimension"}
    assert body["input_type"] == "search_query" and body["embedding_types"] == ["float"]
    assert body["output_dimension"] == 512 and len(body["images"]) == 1
    assert body["images"][0].startswith("data:image/png;base64,")
    assert base64.b64decode(body["images"][0].split(",", 1)[1]) == image_bytes()  # small PNG: sent as it is
    assert result.vector.shape == (512,) and result.vector[7] == pytest.approx(1.0)


def test_cohere_text_query_and_the_embeddings_floats_reply(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", {"response_type": "embeddings_floats", "embeddings": [vector(1024, hot=3)],
                                "texts": ["빨간 자동차"]})
    found = MultimodalEmbeddings(COHERE, settings=SETTINGS).embed_query("  빨간   자동차 ")
    body = stub.sent[0].body
    assert body == {"input_type": "search_query", "texts": ["빨간 자동차"], "embedding_types": ["float"],
                    "output_dimension": 1024, "truncate": "RIGHT"}
    assert np.argmax(found) == 3 and float(np.linalg.norm(found)) == pytest.approx(1.0)


def test_cohere_text_and_image_are_one_inputs_item(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", cohere_by_type(vector(256, hot=1)))
    MultimodalEmbeddings(COHERE, 256, SETTINGS).embed_text_and_image("a red car", image_bytes(fmt="JPEG"))
    body = stub.sent[0].body
    assert "texts" not in body and "images" not in body and len(body["inputs"]) == 1
    text_part, image_part = body["inputs"][0]["content"]
    assert text_part == {"type": "text", "text": "a red car"}
    assert image_part["type"] == "image_url" and image_part["image_url"]["url"].startswith("data:image/jpeg;base64,")


def test_cohere_documents_go_in_one_call_indexed_as_documents(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", cohere_by_type(vector(1024, 0), vector(1024, 5), vector(1024, 9)))
    vectors = MultimodalEmbeddings(COHERE, settings=SETTINGS).embed_documents(["tacos", "italian food", "김치"])
    (call,) = stub.sent
    assert call.body["input_type"] == "search_document" and call.body["texts"] == ["tacos", "italian food", "김치"]
    assert [int(np.argmax(v)) for v in vectors] == [0, 5, 9]


def test_cohere_sends_96_images_per_call(stub: StubbedBedrock) -> None:
    images = [image_bytes((8, 8), color=(i, 0, 0)) for i in range(100)]
    stub.add_json("us-east-1", cohere_by_type(*[vector(256, i % 256) for i in range(96)]))
    stub.add_json("us-east-1", cohere_by_type(*[vector(256, i) for i in range(4)]))
    vectors = MultimodalEmbeddings(COHERE, 256, SETTINGS).embed_images(images)
    assert [len(call.body["images"]) for call in stub.sent] == [96, 4]
    assert {call.body["input_type"] for call in stub.sent} == {"search_document"}
    assert len(vectors) == 100 and int(np.argmax(vectors[97])) == 1  # the replies' vectors, in the inputs' order


def test_cohere_splits_a_batch_that_would_pass_the_request_size() -> None:
    model = get_embedding_model(COHERE)
    big = PreparedInput(None, b"x" * 4_000_000, "png", image_size=(1000, 1000))  # ~5.3 MB in base64
    groups = CohereEmbedEngine().calls(model, [big] * 10)
    assert [len(g) for g in groups] == [3, 3, 3, 1]
    assert all(sum(CohereEmbedEngine.request_bytes(i) for i in g) <= COHERE_MAX_REQUEST_BYTES for g in groups)
    small = PreparedInput(None, b"x" * 100, "png", image_size=(1568, 1568))  # 12,544 tokens each (pixels/784×4)
    assert [len(g) for g in CohereEmbedEngine().calls(model, [small] * 12)] == [10, 2]  # within 128k tokens


def test_cohere_images_are_fitted_to_its_pixel_budget_before_sending(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", cohere_by_type(vector(1024)))
    result = MultimodalEmbeddings(COHERE, settings=SETTINGS).embed(EmbeddingInput(image=image_bytes((2400, 1600))))
    sent = from_data_uri(stub.sent[0].body["images"][0])
    assert sent.width * sent.height <= 2_458_624 and sent.width / sent.height == pytest.approx(1.5, abs=0.01)
    assert any("2,458,624 pixels" in note for note in result.notes)


def test_cohere_reply_with_fewer_vectors_than_inputs_is_an_error(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", cohere_by_type(vector(256)))
    with pytest.raises(BackendUnavailable, match="1 embeddings for 2 inputs"):
        MultimodalEmbeddings(COHERE, 256, SETTINGS).embed_documents(["a", "b"])


def test_cohere_reply_without_embeddings_is_an_error(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", {"id": "x", "response_type": "embeddings_by_type"})
    with pytest.raises(BackendUnavailable, match="without an embedding"):
        MultimodalEmbeddings(COHERE, 256, SETTINGS).embed_query("cat")


def test_cohere_dimensions_are_its_four_sizes() -> None:
    with pytest.raises(InvalidInput, match="256, 512, 1024, 1536"):
        MultimodalEmbeddings(COHERE, 384, SETTINGS)


# --- TwelveLabs Marengo Embed 3.0 ------------------------------------------------------------------------------


def test_marengo_text_body_and_the_documented_object_reply(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", {"data": {"embedding": vector(512, hot=11)}})
    found = MultimodalEmbeddings(MARENGO, settings=SETTINGS).embed_query("man walking a dog")
    (call,) = stub.sent
    assert call.params["modelId"] == MARENGO  # the base model, on demand in us-east-1
    assert call.body == {"inputType": "text", "text": {"inputText": "man walking a dog"}}
    assert len(found) == 512 and int(np.argmax(found)) == 11


def test_marengo_image_and_text_image_bodies_and_the_list_reply(stub: StubbedBedrock) -> None:
    embedder = MultimodalEmbeddings(MARENGO, 512, SETTINGS)
    stub.add_json("us-east-1", {"data": [{"embedding": vector(512, hot=1)}]})
    stub.add_json("us-east-1", {"data": [{"embedding": vector(512, hot=2)}]})
    embedder.embed_image(image_bytes())
    joint = embedder.embed_text_and_image("a red car", image_bytes())
    image_body, joint_body = stub.sent[0].body, stub.sent[1].body
    assert image_body == {"inputType": "image", "image": {"mediaSource": {"base64String": base64.b64encode(
        image_bytes()).decode()}}}
    assert joint_body["inputType"] == "text_image" and set(joint_body) == {"inputType", "text_image"}
    assert joint_body["text_image"]["inputText"] == "a red car"
    assert set(joint_body["text_image"]["mediaSource"]) == {"base64String"}
    assert int(np.argmax(joint.vector)) == 2


def test_marengo_gets_png_or_jpeg_and_only_512_dimensions(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", {"data": {"embedding": vector(512)}})
    result = MultimodalEmbeddings(MARENGO, settings=SETTINGS).embed(EmbeddingInput(image=image_bytes(fmt="WEBP")))
    sent = Image.open(io.BytesIO(base64.b64decode(stub.sent[0].body["image"]["mediaSource"]["base64String"])))
    assert sent.format == "PNG" and any("Converted from WEBP" in n for n in result.notes)
    with pytest.raises(InvalidInput, match="makes vectors of 512 dimensions"):
        MultimodalEmbeddings(MARENGO, 1024, SETTINGS)


def test_marengo_text_is_cut_to_500_tokens(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", {"data": {"embedding": vector(512)}})
    result = MultimodalEmbeddings(MARENGO, settings=SETTINGS).embed(
        EmbeddingInput(text=" ".join(["cat"] * 700), purpose=EmbeddingPurpose.RETRIEVAL))
    assert len(stub.sent[0].body["text"]["inputText"].split()) == 500 and "500 tokens" in result.notes[0]


def test_marengo_is_called_in_seoul_from_seoul_and_in_us_east_1_from_elsewhere(stub: StubbedBedrock) -> None:
    stub.add_json("ap-northeast-2", {"data": {"embedding": vector(512)}})
    stub.add_json("us-east-1", {"data": {"embedding": vector(512)}})
    MultimodalEmbeddings(MARENGO, settings=load_settings({"WORKSHOP_REGION": "ap-northeast-2"})).embed_query("cat")
    moved = MultimodalEmbeddings(MARENGO, settings=load_settings({"WORKSHOP_REGION": "eu-west-1"})).embed(
        EmbeddingInput(text="cat", purpose=EmbeddingPurpose.RETRIEVAL))
    assert [c.region for c in stub.sent] == ["ap-northeast-2", "us-east-1"]
    assert "called in us-east-1" in moved.notes[0]


def test_marengo_reply_of_another_size_is_an_error(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", {"data": [{"embedding": vector(1024)}]})  # Marengo 2.7's size
    with pytest.raises(BackendUnavailable, match="expected 512"):
        MultimodalEmbeddings(MARENGO, settings=SETTINGS).embed_query("cat")


# --- the registry: one map from a row's engine key to its engine ----------------------------------------------


@pytest.mark.parametrize(("model_id", "engine_type"), [(TITAN, TitanEmbedEngine), (NOVA, NovaEmbedEngine),
                                                        (COHERE, CohereEmbedEngine), (MARENGO, MarengoEmbedEngine),
                                                        (LOCAL_TAGS_ID, LocalEmbedEngine)])
def test_every_embedding_row_finds_its_engine(model_id: str, engine_type: type) -> None:
    model = get_embedding_model(model_id)
    assert model.engine in ENGINES and isinstance(engine_for(model), engine_type)
    assert embedder_for(model).engine is engine_for(model)  # made once, shared


def test_batch_sizes_are_the_engines_word() -> None:
    assert [embedder_for(m, settings=SETTINGS).batch_size for m in map(get_embedding_model, (TITAN, NOVA, COHERE,
                                                                                               MARENGO))] == [1, 1, 96, 1]
    assert embedder_for(LOCAL_TAGS_ID, settings=SETTINGS).parallel_calls == 2
    assert embedder_for(TITAN, settings=SETTINGS).parallel_calls == SETTINGS.embed_workers


class _ToyEngine(EmbeddingEngine):
    """A made-up family: every input is the same axis; it says it takes 3 inputs a call."""

    batch_size = 3

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, model, dimension, items, settings) -> list[Embedding]:
        self.calls.append(len(items))
        return [Embedding(np.eye(dimension, dtype=np.float32)[0], 0, ()) for _ in items]


def test_a_made_up_family_is_one_engine_and_one_registry_line(tmp_path: Path) -> None:
    toy = _ToyEngine()
    register("toy-embed", toy)
    try:
        row = replace(get_embedding_model(TITAN), id="toy.embed-v1", label="Toy", engine="toy-embed",
                      dimensions=(4,), default_dimension=4)
        embedder = embedder_for(row, settings=SETTINGS)
        assert embedder.engine is toy and embedder.batch_size == 3
        assert len(embedder.embed_documents(["a", "b", "c", "d"])) == 4 and toy.calls == [3, 1]
        photos = tmp_path / "photos"
        photos.mkdir()
        for i in range(7):
            (photos / f"p{i}.png").write_bytes(image_bytes((16, 16), color=(i * 30, 0, 0)))
        index = ImageIndex(tmp_path / "index", VectorSpace(row.id, 4))
        report = build_index(index, embedder, [FolderSource(photos)], thumbs=tmp_path / "thumbs", workers=1)
        assert report.progress.embedded == 7 and toy.calls[2:] == [3, 3, 1]
    finally:
        ENGINES.pop("toy-embed", None)


# --- which languages a query may be in --------------------------------------------------------------------------


def test_every_embedding_row_says_which_languages_it_reads() -> None:
    languages = {m.id: m.query_languages for m in EMBEDDING_MODELS}
    assert languages == {TITAN: QueryLanguages.ENGLISH, NOVA: QueryLanguages.UNDOCUMENTED,
                         COHERE: QueryLanguages.MULTILINGUAL, MARENGO: QueryLanguages.MULTILINGUAL,
                         LOCAL_TAGS_ID: QueryLanguages.ENGLISH}
    assert multilingual_alternative(get_embedding_model(TITAN)).id == COHERE
    assert multilingual_alternative(get_embedding_model(COHERE)).id == MARENGO


@pytest.mark.parametrize(("model_id", "query", "says"), [
    (TITAN, "빨간 자동차", "Titan Multimodal Embeddings G1 reads English only"),
    (LOCAL_TAGS_ID, "파란 하늘", "reads English only"),
    (NOVA, "빨간 자동차", "documentation doesn't say"),
    (TITAN, "猫", "reads English only"),
])
def test_a_query_in_another_script_gets_a_hint_naming_a_multilingual_model(model_id, query, says) -> None:
    hint = language_hint(get_embedding_model(model_id), query)
    assert hint is not None and says in hint and "Switch to Cohere Embed v4" in hint


@pytest.mark.parametrize(("model_id", "query"), [(COHERE, "빨간 자동차"), (MARENGO, "파란 하늘"),
                                                 (TITAN, "a red car"), (TITAN, "crème brûlée, ½ 2024!"),
                                                 (TITAN, "")])
def test_no_hint_where_the_model_reads_the_query(model_id, query) -> None:
    assert language_hint(get_embedding_model(model_id), query) is None


# --- batching in the index build, against the fake endpoint -----------------------------------------------------


def colour_photos(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    colours = [(220, 30, 30), (30, 60, 220), (40, 200, 60), (230, 220, 40)]
    for i in range(n):
        img = Image.new("RGB", (24, 20), colours[i % 4])
        img.putpixel((i % 24, (i // 24) % 20), (i % 256, 7, 7))  # every file's bytes differ
        img.save(folder / f"img{i:03d}.png")
    return folder


def cohere_calls(fake) -> list:
    return [c for c in fake.calls if c.model_id.endswith(COHERE)]


def test_the_build_sends_96_new_photos_per_cohere_call(aws_env, tmp_path: Path) -> None:
    embedder = MultimodalEmbeddings(COHERE, 256, load_settings())
    index = ImageIndex(tmp_path / "index", VectorSpace(COHERE, 256))
    seen: list[int] = []
    report = build_index(index, embedder, [FolderSource(colour_photos(tmp_path / "p", 200))],
                         thumbs=tmp_path / "thumbs", workers=2, on_progress=lambda p: seen.append(p.done))
    assert (report.progress.embedded, report.progress.failed, len(index)) == (200, 0, 200)
    assert sorted(len(c.body["images"]) for c in cohere_calls(aws_env)) == [8, 96, 96]
    assert seen[-1] == 200 and seen == sorted(seen)  # progress counted as batches finish
    again = build_index(index, embedder, [FolderSource(tmp_path / "p")], thumbs=tmp_path / "thumbs")
    assert again.progress.reused == 200 and len(cohere_calls(aws_env)) == 3  # nothing new: no call
    query = np.asarray(embedder.embed_query("빨간 것"), dtype=np.float32)  # "something red", in Korean
    assert all(hit.image.title in {f"img{i:03d}.png" for i in range(0, 200, 4)}
               for hit in index.search(index.space, query, k=5))  # the red photos


def test_one_refused_photo_does_not_lose_the_other_95(aws_env, tmp_path: Path) -> None:
    """Bedrock refuses a whole call for one bad input (ValidationException): the batch is halved until the bad
    one is alone; the others are indexed, the refused calls cost nothing."""
    embedder = MultimodalEmbeddings(COHERE, 256, load_settings())
    real = embedder.embed_prepared
    batches: list[int] = []

    def refuse_the_poison(items):
        batches.append(len(items))
        if any(item.name == "“img042.png”" for item in items):
            raise InvalidInput("Cohere Embed v4 refused the request: #/images/42: the image could not be read",
                               "Adjust the highlighted setting and try again.")
        return real(items)

    embedder.embed_prepared = refuse_the_poison
    index = ImageIndex(tmp_path / "index", VectorSpace(COHERE, 256))
    report = build_index(index, embedder, [FolderSource(colour_photos(tmp_path / "p", 96))],
                         thumbs=tmp_path / "thumbs", workers=1)
    assert (report.progress.embedded, report.progress.failed, len(index)) == (95, 1, 95)
    assert [f.title for f in report.failures] == ["img042.png"] and "refused" in report.failures[0].reason
    assert report.error is None and not report.stopped  # one bad photo does not stop the build
    assert batches[0] == 96 and len(batches) <= 15  # halving: a handful of calls, not 96
    assert sum(len(c.body["images"]) for c in cohere_calls(aws_env)) == 95  # each good photo sent once


def test_a_throttled_batch_is_retried_whole(aws_env, tmp_path: Path) -> None:
    aws_env.fail_next("throttle", model_prefix="us.cohere")
    embedder = MultimodalEmbeddings(COHERE, 256, load_settings())
    index = ImageIndex(tmp_path / "index", VectorSpace(COHERE, 256))
    report = build_index(index, embedder, [FolderSource(colour_photos(tmp_path / "p", 40))],
                         thumbs=tmp_path / "thumbs", workers=1, retry=FAST_RETRY)
    assert (report.progress.embedded, report.progress.failed, report.progress.retries) == (40, 0, 1)
    assert [len(c.body["images"]) for c in cohere_calls(aws_env)] == [40, 40]  # the throttled call, then again


def test_marengo_builds_and_finds_a_korean_query(aws_env, tmp_path: Path) -> None:
    embedder = MultimodalEmbeddings(MARENGO, 512, load_settings())
    index = ImageIndex(tmp_path / "index", VectorSpace(MARENGO, 512))
    report = build_index(index, embedder, [FolderSource(colour_photos(tmp_path / "p", 8))],
                         thumbs=tmp_path / "thumbs", workers=2)
    assert report.progress.embedded == 8
    hits = index.search(index.space, np.asarray(embedder.embed_query("파란 하늘"), dtype=np.float32), k=2)
    assert {hit.image.title for hit in hits} == {"img001.png", "img005.png"}  # the blue photos


# --- lab 1's code: the engine's bodies and vector paths, run against the fake --------------------------------


@pytest.mark.parametrize("style", ["boto3", "langchain"])
@pytest.mark.parametrize(("model_id", "dimension", "text", "image"), [
    (COHERE, 512, "빨간 자동차", None),
    (COHERE, 256, "something blue", image_bytes((90, 90), color=(30, 30, 200))),
    (MARENGO, 512, None, image_bytes((90, 90), color=(40, 210, 40))),
    (MARENGO, 512, "a red car", image_bytes((64, 64), color=(220, 30, 30))),
])
def test_search_code_for_the_new_models_ranks_like_the_app(model_id, dimension, text, image, style, aws_env,
                                                           tmp_path: Path) -> None:
    from test_codegen import _app_ranking, _photos, assert_clean, run_script

    from lib.codegen import SearchHit, search_bundle

    photos = _photos()
    expected = _app_ranking(model_id, dimension, text, image, photos, 3, -1.0)
    bundle = search_bundle(model_id=model_id, dimension=dimension, preferred_region="us-east-1", text=text,
                           image=image, k=3, min_score=-1.0,
                           hits=[SearchHit(name, 0.5, (lambda d=data: d)) for name, data in photos])
    code = bundle.script(style)
    assert_clean(code)
    folder = run_script(bundle, style, tmp_path / style, aws_env.url)
    assert [r["photo"] for r in json.loads((folder / "results.json").read_text())] == expected
    if model_id == COHERE:
        assert 'MODEL_ID = "us.cohere.embed-v4:0"' in code and "def data_uri(path):" in code
        assert '"search_query"' in code and '"search_document"' in code  # query and photos, as the app embeds them
    else:
        assert f'MODEL_ID = "{MARENGO}"' in code and "data_uri" not in code


@pytest.mark.skipif(not (shutil.which("aws") and shutil.which("jq")), reason="needs the AWS CLI and jq")
@pytest.mark.parametrize(("model_id", "dimension"), [(COHERE, 256), (MARENGO, 512)])
def test_search_cli_embeds_an_image_query_with_the_new_models(model_id, dimension, aws_env, tmp_path: Path) -> None:
    from test_codegen import run_script

    from lib.codegen import search_bundle

    bundle = search_bundle(model_id=model_id, dimension=dimension, preferred_region="us-east-1", text="빨간 컵",
                           image=image_bytes((64, 64)), hits=[])
    folder = run_script(bundle, "cli", tmp_path / "cli", aws_env.url)
    reply = json.loads((folder / "query-vector.json").read_text())
    found = reply["embeddings"]["float"][0] if model_id == COHERE else reply["data"][0]["embedding"]
    assert len(found) == dimension
