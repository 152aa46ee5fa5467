"""Embedding request bodies for Titan Multimodal Embeddings G1 and Nova Multimodal Embeddings (botocore Stubber)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from lib.catalog import EmbeddingPurpose, get_embedding_model
from lib.errors import BackendUnavailable, InvalidInput
from lib.search.embeddings import EmbeddingInput, MultimodalEmbeddings, estimate_tokens, fit_text, prepare_input
from lib.settings import load_settings
from stub_support import StubbedBedrock, stub  # noqa: F401  (stub is a fixture)

TITAN = "amazon.titan-embed-image-v1"
NOVA = "amazon.nova-2-multimodal-embeddings-v1:0"
SETTINGS = load_settings({"WORKSHOP_REGION": "us-east-1"})


def unit(dimension: int, hot: int = 0) -> list[float]:
    vector = [0.0] * dimension
    vector[hot] = 2.0  # not unit length: the client normalises
    return vector


def titan_reply(dimension: int = 1024, hot: int = 0, tokens: int = 3) -> dict:
    return {"embedding": unit(dimension, hot), "inputTextTokenCount": tokens, "message": None}


def nova_reply(dimension: int = 1024, hot: int = 0, kind: str = "TEXT") -> dict:
    return {"embeddings": [{"embeddingType": kind, "embedding": unit(dimension, hot)}]}


def image_bytes(size=(64, 48), fmt="PNG", color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def test_titan_text_query_body_and_unit_vector(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_reply(384, hot=5))
    vector = MultimodalEmbeddings(TITAN, 384, SETTINGS).embed_query("  two   cats ")
    (call,) = stub.sent
    assert call.params["modelId"] == TITAN
    assert call.body == {"inputText": "two cats", "embeddingConfig": {"outputEmbeddingLength": 384}}
    assert len(vector) == 384 and vector[5] == pytest.approx(1.0)


def test_titan_image_and_joint_text_image_bodies(stub: StubbedBedrock) -> None:
    embedder = MultimodalEmbeddings(TITAN, settings=SETTINGS)
    stub.add_json("us-east-1", titan_reply())
    stub.add_json("us-east-1", titan_reply(tokens=2))
    embedder.embed_image(image_bytes())
    joint = embedder.embed_text_and_image("red car", image_bytes())
    image_body, joint_body = stub.sent[0].body, stub.sent[1].body
    assert set(image_body) == {"inputImage", "embeddingConfig"}
    assert base64.b64decode(image_body["inputImage"]) == image_bytes()  # sent as is: already PNG and small
    assert joint_body["inputText"] == "red car" and "inputImage" in joint_body and len(stub.sent) == 2
    assert joint.input_tokens == 2


def test_titan_gets_png_or_jpeg_only_and_at_most_2048_px(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_reply())
    result = MultimodalEmbeddings(TITAN, settings=SETTINGS).embed(EmbeddingInput(image=image_bytes((3000, 1000), "WEBP")))
    sent = Image.open(io.BytesIO(base64.b64decode(stub.sent[0].body["inputImage"])))
    assert sent.format == "PNG" and sent.size == (2048, 683)
    assert any("Converted from WEBP" in n for n in result.notes) and any("Downscaled" in n for n in result.notes)


def test_nova_index_and_query_use_their_purposes(stub: StubbedBedrock) -> None:
    embedder = MultimodalEmbeddings(NOVA, 256, SETTINGS)
    stub.add_json("us-east-1", nova_reply(256, kind="IMAGE"))
    stub.add_json("us-east-1", nova_reply(256))
    embedder.embed_image(image_bytes(fmt="WEBP"))
    embedder.embed_query("a cat")
    image_body, query_body = stub.sent[0].body, stub.sent[1].body
    assert image_body["taskType"] == "SINGLE_EMBEDDING" and image_body["schemaVersion"] == "nova-multimodal-embed-v1"
    params = image_body["singleEmbeddingParams"]
    assert params["embeddingPurpose"] == "GENERIC_INDEX" and params["embeddingDimension"] == 256
    assert params["image"]["format"] == "webp" and "text" not in params  # Nova reads WebP: no conversion
    query = query_body["singleEmbeddingParams"]
    assert query["embeddingPurpose"] == "GENERIC_RETRIEVAL"
    assert query["text"] == {"truncationMode": "END", "value": "a cat"} and "image" not in query


def test_nova_text_and_image_are_two_calls_averaged(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", nova_reply(hot=0))
    stub.add_json("us-east-1", nova_reply(hot=1, kind="IMAGE"))
    result = MultimodalEmbeddings(NOVA, settings=SETTINGS).embed_text_and_image("a cat", image_bytes())
    assert len(stub.sent) == 2
    assert result.vector[:2] == pytest.approx([2 ** -0.5, 2 ** -0.5])
    assert float(np.linalg.norm(result.vector)) == pytest.approx(1.0)


def test_documents_are_embedded_for_the_index(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", nova_reply())
    stub.add_json("us-east-1", nova_reply(hot=2))
    vectors = MultimodalEmbeddings(NOVA, settings=SETTINGS).embed_documents(["tacos", "italian food"])
    assert [v.index(max(v)) for v in vectors] == [0, 2]
    assert {c.body["singleEmbeddingParams"]["embeddingPurpose"] for c in stub.sent} == {"GENERIC_INDEX"}


def test_long_text_is_cut_to_whole_words_before_the_call(stub: StubbedBedrock) -> None:
    model = get_embedding_model(TITAN)
    text = " ".join(f"word{i}" for i in range(400))
    fitted, notes = fit_text(model, text)
    assert estimate_tokens(fitted) <= model.max_text_tokens and text.startswith(fitted)
    assert "Text shortened" in notes[0]
    stub.add_json("us-east-1", titan_reply())
    MultimodalEmbeddings(model, settings=SETTINGS).embed_query(text)
    assert stub.sent[0].body["inputText"] == fitted


def test_bad_inputs_are_refused_before_any_call(stub: StubbedBedrock) -> None:
    embedder = MultimodalEmbeddings(TITAN, settings=SETTINGS)
    with pytest.raises(InvalidInput, match="not an image"):
        embedder.embed_image(b"%PDF-1.4 not an image")
    with pytest.raises(InvalidInput, match="nothing to embed"):
        EmbeddingInput(text="   ")
    with pytest.raises(InvalidInput):
        MultimodalEmbeddings(TITAN, 3072, SETTINGS)  # Titan has no 3072
    assert stub.sent == []


def test_nova_text_and_image_prepare_together_and_are_sent_as_two_bodies() -> None:
    """Nova takes one input per call: its engine (not the caller) splits a text + image input in two."""
    from lib.engines.registry import engine_for

    model = get_embedding_model(NOVA)
    prepared = prepare_input(model, EmbeddingInput(text="a cat", image=image_bytes(), purpose=EmbeddingPurpose.RETRIEVAL))
    text_body, image_body = engine_for(model).requests(model, 256, [prepared])
    assert text_body["singleEmbeddingParams"]["text"]["value"] == "a cat" and "image" not in text_body["singleEmbeddingParams"]
    assert image_body["singleEmbeddingParams"]["image"]["format"] == "png" and "text" not in image_body["singleEmbeddingParams"]
    assert {b["singleEmbeddingParams"]["embeddingPurpose"] for b in (text_body, image_body)} == {"GENERIC_RETRIEVAL"}


def test_a_reply_of_the_wrong_size_is_an_error_not_a_vector(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", titan_reply(256))
    with pytest.raises(BackendUnavailable, match="expected 1024"):
        MultimodalEmbeddings(TITAN, settings=SETTINGS).embed_query("cat")


def test_nova_is_called_in_us_east_1_wherever_the_app_runs(stub: StubbedBedrock) -> None:
    stub.add_json("us-east-1", nova_reply())
    result = MultimodalEmbeddings(NOVA, settings=load_settings({"WORKSHOP_REGION": "eu-west-1"})).embed(
        EmbeddingInput(text="cat", purpose=EmbeddingPurpose.RETRIEVAL))
    assert stub.sent[0].region == "us-east-1" and "called in us-east-1" in result.notes[0]
