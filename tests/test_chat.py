"""The chat invariants hold after any sequence of successes, failures and rejected images."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.chat import (
    ChatImage,
    ChatSession,
    ConversationError,
    Turn,
    converse_messages,
    export_zip,
    rejected_image,
    trim_to_limits,
)


def image(name: str) -> ChatImage:
    return ChatImage(data=name.encode(), format="png", name=name)


def assert_valid(history: list[Turn]) -> None:
    """What Converse needs: alternating roles starting with the user, no empty user turn."""
    for i, turn in enumerate(history):
        assert turn.role == ("user" if i % 2 == 0 else "assistant")
        if turn.role == "user":
            assert turn.text.strip() or turn.images


EVENTS = st.lists(st.tuples(
    st.sampled_from(["ok", "fail", "reject"]),
    st.text(alphabet="abc ", max_size=5),
    st.integers(min_value=0, max_value=2),
), max_size=25)


@settings(max_examples=300, deadline=None)
@given(EVENTS)
def test_invariants_hold_under_random_successes_failures_and_rejections(events):
    chat = ChatSession()
    counter = 0
    for outcome, text, n_images in events:
        images = tuple(image(f"img{counter + k}") for k in range(n_images))
        counter += n_images
        if not text.strip() and not images:
            with pytest.raises(ValueError):
                chat.ask(text, images)
            continue
        sent = chat.ask(text, images)
        assert_valid(sent)
        assert sent[-1].role == "user"
        if outcome == "ok":
            chat.answered("fine")
        elif outcome == "fail":
            assert chat.failed() == text  # the text goes back to the input box
        else:
            if images:
                chat.reject_image(images[0].name, "the model could not read it")
            if chat.pending and (chat.pending.text.strip() or chat.pending.images):
                chat.answered("after removal")
            else:
                chat.failed()
        assert chat.pending is None
        assert_valid(chat.turns)
        assert len(chat.turns) % 2 == 0  # every question has its answer
        rejected = {n for n in (note.split("“")[1].split("”")[0] for note in chat.notes)}
        assert not rejected & {i.name for t in chat.turns for i in t.images}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 50)), min_size=1, max_size=12),
       st.integers(0, 6), st.integers(0, 200))
def test_trimming_drops_whole_exchanges_oldest_first_and_keeps_the_question(exchanges, max_images, max_chars):
    history: list[Turn] = []
    for n, (imgs, chars) in enumerate(exchanges):
        history.append(Turn("user", "q" * max(chars, 1), tuple(image(f"{n}-{k}") for k in range(imgs))))
        history.append(Turn("assistant", "a"))
    history.append(Turn("user", "now?"))
    trimmed, dropped = trim_to_limits(history, max_images=max_images, max_chars=max_chars)
    assert_valid(trimmed)
    assert trimmed[-1] == history[-1]
    assert trimmed == history[2 * dropped:]  # a suffix of whole exchanges
    if len(trimmed) > 1:  # anything kept besides the question fits
        assert sum(len(t.images) for t in trimmed) <= max_images
        assert sum(len(t.text) for t in trimmed) <= max_chars
    if dropped:  # and one more exchange would not have fitted
        longer = history[2 * (dropped - 1):]
        assert (sum(len(t.images) for t in longer) > max_images or sum(len(t.text) for t in longer) > max_chars)


def test_out_of_order_calls_are_refused():
    chat = ChatSession()
    with pytest.raises(ConversationError):
        chat.answered("x")
    chat.ask("hi")
    with pytest.raises(ConversationError):
        chat.ask("again")


def test_converse_shape_has_images_then_text_and_an_image_only_turn_is_valid():
    messages = converse_messages([Turn("user", "Compare the two images:", (image("a"), image("b"))),
                                  Turn("assistant", "They differ."), Turn("user", "", (image("c"),))])
    assert messages[0] == {"role": "user", "content": [
        {"image": {"format": "png", "source": {"bytes": b"a"}}},
        {"image": {"format": "png", "source": {"bytes": b"b"}}},
        {"text": "Compare the two images:"}]}
    assert messages[2]["content"] == [{"image": {"format": "png", "source": {"bytes": b"c"}}}]


def test_rejecting_the_only_content_of_an_old_turn_drops_that_exchange():
    chat = ChatSession()
    chat.ask("", (image("bad"),))
    chat.answered("ok")
    chat.ask("next")
    chat.answered("fine")
    chat.reject_image("bad", "unsupported")
    assert [t.text for t in chat.turns] == ["next", "fine"]
    assert "Removed “bad”" in chat.notes[0]


def test_rejected_image_is_found_from_the_bedrock_message():
    sent = [Turn("user", "a", (image("x"),)), Turn("assistant", "b"), Turn("user", "c", (image("y"), image("z")))]
    detail = ("The model returned the following errors: messages.2.content.1.image.source.bytes: The image was "
              "specified using the image/jpeg media type, but the image appears to be a image/png image")
    assert rejected_image(sent, detail).name == "z"
    assert rejected_image(sent, "something else") is None


def test_export_zip_has_markdown_and_images():
    import io
    import zipfile

    data = export_zip([Turn("user", "Compare", (image("a"),)), Turn("assistant", "Same.")])
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert set(zf.namelist()) == {"conversation.md", "images/turn1-1.png"}
    md = zf.read("conversation.md").decode()
    assert "## You" in md and "![a](images/turn1-1.png)" in md and "Same." in md
