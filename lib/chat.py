"""A multimodal conversation that stays valid for Converse after any failure.

Invariants (checked by tests/test_chat.py under random sequences of events):
- roles alternate, starting with the user; a finished history ends with the assistant;
- a failed turn is rolled back and its text handed back for the input box;
- an image the model rejected is removed from the history (with a note), so it can't break later turns;
- trimming drops whole exchanges (user + assistant), oldest first, to fit the model's limits,
  and never drops the turn being asked.

`conversation_fingerprint` names a conversation by its content, so an answer kept in History can be
replayed for the very same conversation when Bedrock can't be called.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from lib.catalog import ChatModel

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class ChatImage:
    data: bytes
    format: str  # the real format, sniffed: png | jpeg | gif | webp
    name: str = "image"


@dataclass(frozen=True)
class AnsweredBy:
    """Which model answered an assistant turn, through which id and where: what its code view reproduces."""

    model_id: str  # the catalog id
    invoke_id: str  # what Converse was called with (an inference profile id where the model needs one)
    region: str


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str = ""
    images: tuple[ChatImage, ...] = ()
    replayed_from: str = ""  # an assistant turn shown again from History: when and by which model it was made
    answered_by: AnsweredBy | None = None  # assistant turns: the call that made it (not part of the conversation)

    def to_converse(self) -> dict[str, Any]:
        """{"role", "content": [...]} with images before the text, as the workshop did."""
        content: list[dict[str, Any]] = [
            {"image": {"format": img.format, "source": {"bytes": img.data}}} for img in self.images]
        if self.text.strip() or not content:
            content.append({"text": self.text})
        return {"role": self.role, "content": content}


@dataclass
class ChatAnswer:
    """An answer so far, as a chat engine fills it; complete once its stream is exhausted."""

    model: "ChatModel"
    region: str
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def cost_usd(self) -> float:
        return self.model.price.cost(self.input_tokens, self.output_tokens)


class ConversationError(RuntimeError):
    """A call out of order (a programming error, not a user one)."""


@dataclass
class ChatSession:
    turns: list[Turn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: Turn | None = None  # the user turn being answered

    def ask(self, text: str, images: tuple[ChatImage, ...] = ()) -> list[Turn]:
        """Start a user turn; returns the whole history to send (committed turns + this one)."""
        if self.pending is not None:
            raise ConversationError("A turn is already waiting for its answer.")
        if not text.strip() and not images:
            raise ValueError("Nothing to send.")
        self.pending = Turn("user", text, tuple(images))
        return [*self.turns, self.pending]

    def answered(self, text: str, *, replayed_from: str = "", answered_by: AnsweredBy | None = None) -> None:
        """The model answered (or History held its earlier answer: `replayed_from`): both turns join the history."""
        turn = self._take_pending()
        self.turns += [turn, Turn("assistant", text, replayed_from=replayed_from, answered_by=answered_by)]

    def failed(self) -> str:
        """The call failed: forget the turn, hand its text back so the user can retry."""
        return self._take_pending().text

    def reject_image(self, name: str, reason: str) -> None:
        """Remove an image the model refused from every turn (and the pending one), with a note."""
        def strip(turn: Turn) -> Turn:
            return replace(turn, images=tuple(i for i in turn.images if i.name != name))

        self.turns = [strip(t) for t in self.turns]
        if self.pending is not None:
            self.pending = strip(self.pending)
        # A user turn left with neither text nor images would be invalid: drop its whole exchange.
        kept: list[Turn] = []
        for user, assistant in zip(self.turns[0::2], self.turns[1::2]):
            if user.text.strip() or user.images:
                kept += [user, assistant]
        self.turns = kept
        self.notes.append(f"Removed “{name}” from the conversation: {reason}")

    def clear(self) -> None:
        self.turns, self.pending, self.notes = [], None, []

    def _take_pending(self) -> Turn:
        if self.pending is None:
            raise ConversationError("No turn is waiting for an answer.")
        turn, self.pending = self.pending, None
        return turn


def trim_to_limits(history: list[Turn], *, max_images: int, max_chars: int) -> tuple[list[Turn], int]:
    """Drop whole exchanges, oldest first, until images and characters fit; returns (turns, exchanges dropped).

    The last turn (the question being asked) is always kept, even if it alone is over a limit:
    the service then reports that case precisely.
    """
    if not history:
        return [], 0
    *older, last = history
    exchanges = [older[i:i + 2] for i in range(0, len(older), 2)]
    dropped = 0

    def fits(turns: list[Turn]) -> bool:
        images = sum(len(t.images) for t in turns)
        chars = sum(len(t.text) for t in turns)
        return images <= max_images and chars <= max_chars

    while exchanges and not fits([t for ex in exchanges for t in ex] + [last]):
        exchanges.pop(0)
        dropped += 1
    return [t for ex in exchanges for t in ex] + [last], dropped


def conversation_fingerprint(model_id: str, turns: list[Turn]) -> str:
    """sha256 of the model and every turn sent (role, text, each image's bytes): the key of its answer.

    Whether an earlier answer was itself replayed does not count: the model saw the same words.
    """
    data = {"model_id": model_id,
            "turns": [{"role": t.role, "text": t.text,
                       "images": [hashlib.sha256(img.data).hexdigest() for img in t.images]} for t in turns]}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def converse_messages(history: list[Turn]) -> list[dict[str, Any]]:
    return [turn.to_converse() for turn in history]


_REJECTED_IMAGE = re.compile(r"messages\.(\d+)\.content\.(\d+)\.image")


def rejected_image(sent: list[Turn], detail: str) -> ChatImage | None:
    """The image a Bedrock validation message points at ("messages.2.content.0.image…"), if any."""
    match = _REJECTED_IMAGE.search(detail or "")
    if not match:
        return None
    turn_index, block_index = int(match.group(1)), int(match.group(2))
    if turn_index < len(sent) and block_index < len(sent[turn_index].images):
        return sent[turn_index].images[block_index]  # images come first in each turn's content
    return None


def export_zip(turns: list[Turn], title: str = "Multimodal chat") -> bytes:
    """The conversation as Markdown with its images beside it, zipped."""
    from lib.imaging import EXTENSIONS
    from lib.text import plain

    buf = io.BytesIO()
    lines = [f"# {title}", ""]
    with zipfile.ZipFile(buf, "w") as zf:
        for n, turn in enumerate(turns, start=1):
            lines.append(f"## {'You' if turn.role == 'user' else 'Assistant'}")
            for k, img in enumerate(turn.images, start=1):
                name = f"images/turn{n}-{k}.{EXTENSIONS.get(img.format, img.format)}"
                zf.writestr(name, img.data)
                lines.append(f"![{img.name}]({name})")
            if turn.text:
                # the attendee's words as text (a Markdown viewer fetches nothing); the model's answer as written
                lines.append(turn.text if turn.role == "assistant" else plain(turn.text))
            lines.append("")
        zf.writestr("conversation.md", "\n".join(lines))
    return buf.getvalue()
