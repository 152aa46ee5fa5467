"""Replaying an identical earlier result when Bedrock can't be called (issue 6, local mode).

Fingerprints of image requests and chat conversations, the History lookups and the migration of an
old database, then the labs: a result made with (fake) credentials is replayed without them, with no call.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import _clear_app_caches, png_bytes
from lib.catalog import Task, get_model
from lib.chat import ChatImage, ChatSession, Turn, conversation_fingerprint
from lib.generation.requests import (
    EditRequest,
    GenerationRequest,
    GenerationResult,
    ImageOutput,
    VariationRequest,
    request_fingerprint,
)
from lib.history import HistoryStore
from test_pages import captions, open_app, texts

SD35 = "stability.sd3-5-large-v1:0"
TITAN_V2 = "amazon.titan-image-generator-v2:0"
GEN, VAR, LAB6, LAB9 = ("pages/2_image_generation.py", "pages/3_image_variation.py", "pages/6_replace_background.py",
                         "pages/9_multimodal_chatbot.py")
RED, BLUE = png_bytes(color=(255, 0, 0)), png_bytes(color=(0, 0, 255))
BADGE = "Replayed from history"


def made(request, *, seed: int = 7, region: str = "us-west-2", output: bytes = RED) -> GenerationResult:
    """A result as the service returns it for `request` (the seed drawn filled in), without a call."""
    req = request.with_seed(seed)
    return GenerationResult(model=get_model(request.model_id), request=req,
                            images=[ImageOutput(data=output, format="png", seed=seed, width=64, height=48)],
                            latency_s=1.0, cost_usd=0.08, region=region, request_body={"seed": seed})


def set_created(store: HistoryStore, entry_id: str, when: float) -> None:
    with sqlite3.connect(store.db_path) as db:
        db.execute("UPDATE results SET created_at=? WHERE id=?", (when, entry_id))
    db.close()


# --- request fingerprints --------------------------------------------------------------------------

def test_fingerprint_is_stable_and_ignores_only_the_seed() -> None:
    base = GenerationRequest(model_id=SD35, prompt="a fox", negative_prompt="blurry")
    assert request_fingerprint(base) == request_fingerprint(GenerationRequest(SD35, "a fox", "blurry"))
    assert request_fingerprint(base) == request_fingerprint(base.with_seed(42))
    for changed in (replace(base, prompt="a fox "), replace(base, negative_prompt=""), replace(base, count=2),
                    replace(base, aspect_ratio="16:9"), replace(base, model_id=TITAN_V2),
                    replace(base, cfg_scale=8.0), replace(base, output_format="jpeg")):
        assert request_fingerprint(changed) != request_fingerprint(base), changed


def test_fingerprint_counts_images_and_masks_by_their_bytes() -> None:
    vary = VariationRequest(model_id=TITAN_V2, images=(RED,), prompt="softer")
    assert request_fingerprint(vary) == request_fingerprint(VariationRequest(TITAN_V2, (bytes(RED),), "softer"))
    assert request_fingerprint(vary) != request_fingerprint(replace(vary, images=(BLUE,)))
    assert request_fingerprint(vary) != request_fingerprint(replace(vary, images=(RED, RED)))
    one_byte_off = RED[:-1] + bytes([RED[-1] ^ 1])
    assert request_fingerprint(vary) != request_fingerprint(replace(vary, images=(one_byte_off,)))

    edit = EditRequest(model_id=TITAN_V2, task=Task.INPAINT, image=RED, mask=BLUE, prompt="a cat")
    assert request_fingerprint(edit) != request_fingerprint(replace(edit, mask=RED))
    assert request_fingerprint(edit) != request_fingerprint(replace(edit, mask=None))
    assert request_fingerprint(edit) != request_fingerprint(replace(edit, task=Task.OUTPAINT))
    assert request_fingerprint(edit) != request_fingerprint(replace(edit, extend=(0, 10, 0, 0)))
    assert request_fingerprint(edit) == request_fingerprint(replace(edit, seed=3))


def test_fingerprint_tells_tasks_apart() -> None:
    """A variation without images and a generation with the same texts are different requests."""
    gen = GenerationRequest(model_id=TITAN_V2, prompt="a fox")
    vary = VariationRequest(model_id=TITAN_V2, images=(), prompt="a fox")
    assert request_fingerprint(gen) != request_fingerprint(vary)


# --- HistoryStore.find_identical -------------------------------------------------------------------

@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "data")


def test_find_identical_prefers_the_newest_and_applies_the_seed_rule(store: HistoryStore) -> None:
    asked = GenerationRequest(model_id=SD35, prompt="a fox")
    older = store.record(made(asked, seed=7), "lab2")
    newer = store.record(made(asked, seed=9, output=BLUE), "lab2")
    store.record(made(replace(asked, prompt="a wolf"), seed=11), "lab2")
    set_created(store, older.id, 1_700_000_000)
    set_created(store, newer.id, 1_700_000_100)

    found = store.find_identical(asked)  # random seed: any earlier seed will do, the newest wins
    assert found is not None and found.id == newer.id
    assert found.outputs[0].read_bytes() == BLUE
    chosen = store.find_identical(asked.with_seed(7))  # a chosen seed must be the one used
    assert chosen is not None and chosen.id == older.id
    assert store.find_identical(asked.with_seed(8)) is None
    assert store.find_identical(replace(asked, prompt="a fox in snow")) is None
    assert store.find_identical(replace(asked, model_id=TITAN_V2)) is None


def test_find_identical_never_replays_a_local_engine(store: HistoryStore) -> None:
    asked = GenerationRequest(model_id=SD35, prompt="a fox")
    store.record(made(asked, region="local"), "lab2")
    assert store.find_identical(asked) is None
    cloud = store.record(made(asked), "lab2")
    store.record(made(asked, region="local"), "lab2")  # newer, but local
    found = store.find_identical(asked)
    assert found is not None and found.id == cloud.id


def test_find_identical_skips_a_result_whose_images_are_gone(store: HistoryStore) -> None:
    asked = GenerationRequest(model_id=SD35, prompt="a fox")
    kept = store.record(made(asked, output=RED), "lab2")
    gone = store.record(made(asked, output=BLUE), "lab2")
    set_created(store, kept.id, 1_700_000_000)
    (store.images_dir / gone.outputs[0].name).unlink()
    found = store.find_identical(asked)
    assert found is not None and found.id == kept.id


def test_record_keys_the_request_the_lab_asked(store: HistoryStore) -> None:
    """Stability background replacement fills in the mask on the way: the key follows the lab's request."""
    asked = EditRequest(model_id="stability.stable-image-inpaint-v1:0", task=Task.OUTPAINT_BY_PROMPT,
                        image=RED, mask_prompt="astronaut", prompt="on the moon")
    result = made(replace(asked, mask=BLUE))
    store.record(result, "lab6", inputs=[RED], asked=asked)
    assert store.find_identical(asked) is not None
    assert store.find_identical(result.request) is None


def test_an_old_database_gains_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    data = tmp_path / "old"
    (data / "images").mkdir(parents=True)
    with sqlite3.connect(data / "history.sqlite3") as db:  # the schema before request_key existed
        db.executescript("""
            CREATE TABLE results (id TEXT PRIMARY KEY, created_at REAL NOT NULL, lab TEXT NOT NULL,
                task TEXT NOT NULL, model_id TEXT NOT NULL, model_label TEXT NOT NULL,
                prompt TEXT NOT NULL DEFAULT '', negative_prompt TEXT NOT NULL DEFAULT '', seed INTEGER,
                latency_s REAL, cost_usd REAL, region TEXT, request_json TEXT NOT NULL, body_json TEXT NOT NULL,
                notes_json TEXT NOT NULL DEFAULT '[]');
            CREATE TABLE images (id TEXT PRIMARY KEY, result_id TEXT NOT NULL REFERENCES results(id) ON DELETE CASCADE,
                role TEXT NOT NULL, idx INTEGER NOT NULL, sha256 TEXT NOT NULL, file TEXT NOT NULL,
                format TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, seed INTEGER);
        """)
        db.execute("INSERT INTO results VALUES ('old1', 1700000000, 'lab2', 'text-to-image', ?, 'SD 3.5', "
                   "'a fox', '', 7, 1.0, 0.08, 'us-west-2', '{\"prompt\": \"a fox\"}', '{}', '[]')", (SD35,))
    db.close()

    store = HistoryStore(data)
    with sqlite3.connect(store.db_path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(results)")]
        indexes = [row[1] for row in db.execute("PRAGMA index_list(results)")]
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    db.close()
    assert columns[-3:] == ["request_key", "after_cancel", "owner"] and "results_request_key" in indexes
    assert "alembic_version" in tables  # adopted by the named migrations (lib/storage/migrations)
    assert "chat_answers" in tables
    old = store.get("old1")
    assert old is not None and old.prompt == "a fox" and old.request == {"prompt": "a fox"}
    asked = GenerationRequest(model_id=SD35, prompt="a fox")
    assert store.find_identical(asked) is None  # an old row has no key: it never matches
    new = store.record(made(asked), "lab2")
    assert store.find_identical(asked).id == new.id  # type: ignore[union-attr]
    assert HistoryStore(data).totals()[0] == 2  # opening again migrates nothing twice


# --- chat fingerprints and answers -----------------------------------------------------------------

CLAUDE = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_conversation_fingerprint_covers_model_roles_texts_and_image_bytes() -> None:
    cat = ChatImage(RED, "png", "cat")
    turns = [Turn("user", "What is it?", (cat,)), Turn("assistant", "A cat."), Turn("user", "Its colour?")]
    key = conversation_fingerprint(CLAUDE, turns)
    assert key == conversation_fingerprint(CLAUDE, list(turns))
    renamed = [Turn("user", "What is it?", (ChatImage(RED, "png", "another name"),)), *turns[1:]]
    assert conversation_fingerprint(CLAUDE, renamed) == key  # the model sees bytes, not names
    replayed = [turns[0], Turn("assistant", "A cat.", replayed_from="on 2026-01-01 by X"), turns[2]]
    assert conversation_fingerprint(CLAUDE, replayed) == key
    assert conversation_fingerprint("amazon.nova-pro-v1:0", turns) != key
    assert conversation_fingerprint(CLAUDE, turns[:1]) != key
    assert conversation_fingerprint(CLAUDE, [*turns[:2], Turn("user", "Its color?")]) != key
    assert conversation_fingerprint(CLAUDE, [Turn("user", "What is it?", (ChatImage(BLUE, "png", "cat"),)),
                                             *turns[1:]]) != key
    assert conversation_fingerprint(CLAUDE, [Turn("assistant", "What is it?", (cat,)), *turns[1:]]) != key


def test_a_replayed_answer_joins_the_conversation_like_any_other() -> None:
    chat = ChatSession()
    chat.ask("Hello")
    chat.answered("Hi!", replayed_from="on 2026-01-01 12:00:00 by Claude")
    sent = chat.ask("And now?")
    assert [t.role for t in sent] == ["user", "assistant", "user"]
    assert chat.turns[1].replayed_from.startswith("on 2026") and chat.turns[1].to_converse() == {
        "role": "assistant", "content": [{"text": "Hi!"}]}
    assert chat.failed() == "And now?" and len(chat.turns) == 2


def test_answers_are_found_newest_first_and_never_from_a_local_engine(store: HistoryStore) -> None:
    key = conversation_fingerprint(CLAUDE, [Turn("user", "Hello")])
    assert store.find_answer(key) is None
    first = store.record_answer(key, "Hi.", model_id=CLAUDE, model_label="Claude", region="us-east-1",
                                input_tokens=10, output_tokens=2, cost_usd=0.001, latency_s=0.5)
    assert (first.text, first.model_label, first.input_tokens, first.output_tokens) == ("Hi.", "Claude", 10, 2)
    second = store.record_answer(key, "Hello!", model_id=CLAUDE, model_label="Claude", region="us-east-1")
    with sqlite3.connect(store.db_path) as db:
        db.execute("UPDATE chat_answers SET created_at=? WHERE id=?", (1_700_000_000, first.id))
        db.execute("UPDATE chat_answers SET created_at=? WHERE id=?", (1_700_000_100, second.id))
    db.close()
    store.record_answer(key, "local words", model_id=CLAUDE, model_label="Local", region="local")
    found = store.find_answer(key)
    assert found is not None and found.text == "Hello!" and found.when.startswith("20")
    assert store.find_answer(conversation_fingerprint(CLAUDE, [Turn("user", "Bye")])) is None


# --- the labs, without credentials ------------------------------------------------------------------

def drop_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same data folder, no credentials: the app can no longer call Bedrock (the fake endpoint stays set)."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    _clear_app_caches()


def test_lab2_replays_an_identical_result_without_calling(aws_env, monkeypatch) -> None:
    at = open_app(GEN)
    at.text_area(key="lab2_prompt").input("A lighthouse at dawn").run()
    at.button(key="lab2_go").click().run()
    assert len(captions(at)) == 1 and len(aws_env.calls) == 1
    made_seed = aws_env.calls[0].body["seed"]

    drop_credentials(monkeypatch)
    at = open_app(GEN)
    assert at.button(key="lab2_go").disabled
    at.text_area(key="lab2_prompt").input("A lighthouse at dawn").run()
    offer = at.button(key="lab2_replay")
    assert offer.label.startswith("Replay the identical result from 20")
    assert captions(at) == []  # nothing shown until asked
    offer.click().run()
    assert not at.exception
    assert len(aws_env.calls) == 1  # nothing reached the endpoint
    caps = captions(at)
    assert len(caps) == 1 and f"Seed {made_seed}" in caps[0] and "Stable Diffusion 3.5 Large" in caps[0]
    assert any(BADGE in m.value for m in at.markdown)
    assert "Bedrock was not called" in texts(at)
    count, _ = HistoryStore(Path(aws_env_data())).totals()
    assert count == 1  # replaying adds nothing to History

    at.text_area(key="lab2_prompt").input("A lighthouse at dusk").run()
    assert not [b for b in at.button if b.key == "lab2_replay"]
    assert "Nothing identical in History to replay" in texts(at)
    assert len(captions(at)) == 1  # the replayed result stays on screen


def aws_env_data() -> str:
    import os

    return os.environ["WORKSHOP_DATA_DIR"]


def test_lab2_chosen_seed_must_match_to_replay(aws_env, monkeypatch) -> None:
    at = open_app(GEN)
    at.text_area(key="lab2_prompt").input("A red kite").run()
    at.button(key="lab2_go").click().run()
    seed = aws_env.calls[0].body["seed"]
    drop_credentials(monkeypatch)
    at = open_app(GEN)
    at.text_area(key="lab2_prompt").input("A red kite").run()
    at.checkbox(key="lab2_random_seed").uncheck().run()
    at.number_input(key="lab2_seed").set_value(seed + 1 if seed < 1000 else seed - 1).run()
    assert not [b for b in at.button if b.key == "lab2_replay"]
    at.number_input(key="lab2_seed").set_value(seed).run()
    assert at.button(key="lab2_replay").label.startswith("Replay the identical result")


def test_lab3_replays_a_variation_of_the_same_photo(aws_env, monkeypatch) -> None:
    at = open_app(VAR)
    at.text_input(key="lab3_prompt").input("As a watercolour").run()
    at.button(key="lab3_go").click().run()
    assert not at.exception and len(aws_env.calls) >= 1
    calls = len(aws_env.calls)
    drop_credentials(monkeypatch)
    at = open_app(VAR)
    at.text_input(key="lab3_prompt").input("As a watercolour").run()
    at.button(key="lab3_replay").click().run()  # the same sample photo, fitted the same way: identical bytes
    assert len(aws_env.calls) == calls and any(BADGE in m.value for m in at.markdown)


def test_edit_lab_offers_the_replay_through_run_edit_button(aws_env, monkeypatch) -> None:
    at = open_app(LAB6)
    at.button(key="lab6_go").click().run()
    assert not at.exception and len(captions(at)) >= 1
    calls = len(aws_env.calls)
    drop_credentials(monkeypatch)
    at = open_app(LAB6)
    assert at.button(key="lab6_go").disabled and at.button(key="lab6_compare_go").disabled
    at.button(key="lab6_replay").click().run()
    assert len(aws_env.calls) == calls
    assert any(BADGE in m.value for m in at.markdown) and len(captions(at)) >= 1
    at.text_input(key="lab6_prompt").input("An astronaut on a beach").run()
    assert not [b for b in at.button if b.key == "lab6_replay"]


def assistant_texts(at) -> list[str]:
    """Every chat message's Markdown, the attendee's own words unescaped (they are shown as plain text)."""
    return [m.value.replace("\\", "") for m in at.markdown if not m.value.startswith(("#", "**Region", ":"))]


def test_lab9_replays_an_answered_conversation_and_keeps_a_new_message(aws_env, monkeypatch) -> None:
    at = open_app(LAB9)
    at.button(key="lab9_add_chelsea").click().run()
    at.chat_input(key="lab9_input").set_value("What is in this picture?").run()
    at.chat_input(key="lab9_input").set_value("Tell me more.").run()
    answers = [t for t in assistant_texts(at) if t not in ("What is in this picture?", "Tell me more.")]
    assert len(answers) == 2 and len(aws_env.calls) == 2

    drop_credentials(monkeypatch)
    at = open_app(LAB9)
    chat_box = at.chat_input(key="lab9_input")
    assert not chat_box.disabled
    at.button(key="lab9_add_chelsea").click().run()
    at.chat_input(key="lab9_input").set_value("What is in this picture?").run()
    assert not at.exception
    assert answers[0] in assistant_texts(at)
    assert sum(BADGE in m.value for m in at.markdown) == 1
    assert "Bedrock was not called" in texts(at)
    at.chat_input(key="lab9_input").set_value("Tell me more.").run()  # the second turn replays too
    assert answers[1] in assistant_texts(at) and sum(BADGE in m.value for m in at.markdown) == 2

    at.chat_input(key="lab9_input").set_value("Something never asked").run()
    assert len(aws_env.calls) == 2  # no call at all
    info = "\n".join(i.value for i in at.info)
    assert "needs Amazon Bedrock" in info and "aws configure" in info
    assert at.chat_input(key="lab9_input").value == "Something never asked"  # handed back
    assert "Something never asked" in at.button(key="lab9_retry_go").label
    assert "Something never asked" not in assistant_texts(at)  # not part of the conversation


def test_lab9_suggestion_pills_replay_too(aws_env, monkeypatch) -> None:
    at = open_app(LAB9)
    at.button(key="lab9_add_rocket").click().run()
    at.pills(key="lab9_suggestion").set_value("Which one looks more fun?").run()
    assert len(aws_env.calls) == 1
    drop_credentials(monkeypatch)
    at = open_app(LAB9)
    at.pills(key="lab9_suggestion").set_value("Which one looks more fun?").run()  # without the image: new
    assert "needs Amazon Bedrock" in "\n".join(i.value for i in at.info)
    at.button(key="lab9_add_rocket").click().run()
    at.pills(key="lab9_suggestion").set_value("Which one looks more fun?").run()
    assert any(BADGE in m.value for m in at.markdown) and len(aws_env.calls) == 1
