"""AppTest for lab 1 (image search) against the fake endpoint's embedding models."""

from __future__ import annotations



import pytest

from lib.catalog import LOCAL_TAGS_ID
from lib.search import build as build_module
from lib.search.local_embeddings import local_engine_problem
from test_pages import errors, follow, open_app, texts

LAB1 = "pages/1_image_search.py"
TITAN = "amazon.titan-embed-image-v1"


def finish_build(at):
    """Wait for the background build the page started, then show the page as a user would next see it."""
    for job in list(build_module._jobs.values()):
        job.thread.join(timeout=60)
    return at.run()


def built(aws_env):
    at = open_app(LAB1)
    at.button(key="lab1_build").click().run()
    assert errors(at) == ""
    return finish_build(at)


def embed_calls(fake) -> int:
    return sum(1 for c in fake.calls if c.model_id == TITAN)


def test_empty_state_says_how_to_start(aws_env):
    at = open_app(LAB1)
    assert errors(at) == "" and "The index is empty" in texts(at)
    assert at.button(key="lab1_go").disabled and not at.button(key="lab1_build").disabled


def test_build_then_search_by_text_shows_ranked_scored_hits(aws_env):
    at = built(aws_env)
    calls = embed_calls(aws_env)
    assert calls >= 8 and "Index up to date" in texts(at)
    at.text_input(key="lab1_query").input("red").run()
    at.button(key="lab1_go").click().run()
    assert errors(at) == ""
    hits = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert hits[0].startswith("**#1 · score ") and len(hits) == 8
    scores = [float(h.split("score ")[1].split("**")[0]) for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert embed_calls(aws_env) == calls + 1  # the query; the collection is not embedded again


def test_suggestion_chip_fills_the_query(aws_env):
    at = built(aws_env)
    at.pills(key="lab1_suggestion").set_value("Car and house").run()
    assert at.text_input(key="lab1_query").value == "Car and house"


def test_search_by_image_finds_the_same_photo_first(aws_env):
    at = built(aws_env)
    at.radio(key="lab1_mode").set_value("Image").run()
    at.selectbox(key="lab1_input_sample").set_value("coffee").run()
    at.button(key="lab1_go").click().run()
    first = next(m.value for m in at.markdown if m.value.startswith("**#1"))
    assert "Coffee cup" in first and "score 1.000" in first


def test_text_and_image_together_is_one_titan_call(aws_env):
    at = built(aws_env)
    at.radio(key="lab1_mode").set_value("Text + image").run()
    at.text_input(key="lab1_query").input("blue").run()
    before = embed_calls(aws_env)
    at.button(key="lab1_go").click().run()
    assert errors(at) == "" and embed_calls(aws_env) == before + 1
    body = aws_env.calls[-1].body
    assert body["inputText"] == "blue" and "inputImage" in body


def test_find_similar_uses_the_stored_vector_without_a_call(aws_env):
    at = built(aws_env)
    at.text_input(key="lab1_query").input("cat").run()
    at.button(key="lab1_go").click().run()
    before = embed_calls(aws_env)
    sha_key = next(b.key for b in at.button if b.key and b.key.startswith("lab1_similar_"))
    at.button(key=sha_key).click().run()
    assert embed_calls(aws_env) == before
    assert any(h.value.startswith("Results · Similar to") for h in at.subheader)


def test_a_second_session_reuses_the_index_with_no_embedding_call(aws_env):
    built(aws_env)
    calls = embed_calls(aws_env)
    at = open_app(LAB1)  # another browser session in the same process
    assert "The index is empty" not in texts(at) and embed_calls(aws_env) == calls


def test_send_a_hit_to_variation(aws_env):
    at = built(aws_env)
    at.text_input(key="lab1_query").input("cat").run()
    at.button(key="lab1_go").click().run()
    send_key = next(b.key for b in at.button if b.key and b.key.startswith("lab1_send_3_"))
    at.button(key=send_key).click().run()
    at = follow(at, "pages/3_image_variation.py")
    assert errors(at) == "" and at.radio(key="lab3_input_source").value == "Sent from another lab"


def test_no_access_and_throttle_are_explained(aws_env):
    at = open_app(LAB1)
    aws_env.set_mode("deny")
    at.button(key="lab1_build").click().run()
    at = finish_build(at)
    assert "no access" in errors(at).lower()
    aws_env.set_mode(None)
    at = finish_build(at.button(key="lab1_build").click().run())
    aws_env.fail_next("throttle", model_prefix=TITAN)
    at.text_input(key="lab1_query").input("red").run()
    at.button(key="lab1_go").click().run()
    assert "throttling" in errors(at).lower()


def test_a_folder_outside_the_allowed_roots_is_refused_with_the_setting(aws_env):
    at = open_app(LAB1)
    at.text_input(key="lab1_folder").input("/definitely/not/here").run()
    at.button(key="lab1_build").click().run()
    assert "outside the folders this app may read" in errors(at) and "WORKSHOP_FOLDER_ROOTS" in errors(at)
    assert "does not exist" not in errors(at)  # no probing of what exists on the server


def test_without_credentials_or_local_engines_the_page_explains_and_disables_building(isolated_env, monkeypatch):
    import lib.local.availability as availability

    monkeypatch.setattr(availability, "installed", lambda module: module not in availability.TAG_MODULES)
    at = open_app(LAB1)
    assert not at.exception and "no AWS credentials" in texts(at)
    assert "aws configure" in "\n".join(w.value for w in at.warning)
    assert at.selectbox(key="lab1_model").value != LOCAL_TAGS_ID  # a cloud-only install offers no local engine
    assert at.button(key="lab1_build").disabled and at.button(key="lab1_go").disabled


@pytest.mark.skipif(local_engine_problem() is not None, reason="local engines not installed (WORKSHOP_CLOUD_ONLY=1)")
def test_without_credentials_the_local_engine_builds_and_finds_the_cat(isolated_env):
    at = open_app(LAB1)
    assert "runs on the local search engine" in texts(at)
    assert at.selectbox(key="lab1_model").value == LOCAL_TAGS_ID
    at.button(key="lab1_build").click().run()
    at = finish_build(at)
    assert "Index up to date" in texts(at) and errors(at) == "AWS credentials not found"  # the sidebar status
    at.text_input(key="lab1_query").input("a cat").run()
    at.button(key="lab1_go").click().run()
    first = next(m.value for m in at.markdown if m.value.startswith("**#1"))
    assert "Chelsea the cat" in first and "on this machine" in texts(at)


def test_send_a_hit_to_the_chatbot_attaches_it(aws_env):
    at = built(aws_env)
    at.text_input(key="lab1_query").input("cat").run()
    at.button(key="lab1_go").click().run()
    first = next(m.value for m in at.markdown if m.value.startswith("**#1"))
    title = first.split("\n")[-1].strip()
    send_key = next(b.key for b in at.button if b.key and b.key.startswith("lab1_send_9_"))
    at.button(key=send_key).click().run()
    at = follow(at, "pages/9_multimodal_chatbot.py")
    assert errors(at) == "" and f"{title} (attached)" in [c for img in at.image for c in img.captions]


def test_a_query_that_matches_nothing_well_is_said_to(aws_env, monkeypatch):
    """Below the model's good-match score (lib/catalog.py), the page says so instead of ranking without comment."""
    from lib.catalog import get_embedding_model

    row = get_embedding_model(TITAN)
    at = built(aws_env)
    at.text_input(key="lab1_query").input("red").run()
    at.button(key="lab1_go").click().run()
    best = max(float(m.value.split("score ")[1].split("**")[0]) for m in at.markdown if m.value.startswith("**#1"))
    assert ("Nothing matches" in "\n".join(w.value for w in at.warning)) == (best < row.good_text_match)
    monkeypatch.setitem(row.__dict__, "good_text_match", best + 0.01)  # the catalog row says: not good enough
    at.button(key="lab1_go").click().run()
    warning = "\n".join(w.value for w in at.warning)
    assert "Nothing matches “red” well" in warning and f"{best:.2f}" in warning
    monkeypatch.setitem(row.__dict__, "good_text_match", best - 0.01)
    at.button(key="lab1_go").click().run()
    assert "Nothing matches" not in "\n".join(w.value for w in at.warning)
