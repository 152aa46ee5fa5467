"""Engine for Amazon Nova 2 Omni (preview): images made and edited from words, through Converse.

Omni is a multimodal chat model that can answer with a picture. There is no taskType, seed, size, mask or
negative prompt: the user turn holds the input image (for an edit) and one instruction, which this module
writes from the request (`instruction`, the one place), and the assistant's content holds an image block
`{"image": {"format": "png"|"jpeg", "source": {"bytes": ...}}}` and maybe some text
(reference bedrock-models.md §6.2; [3P] daekeun-ml/nova-2-omni-examples). One image per call, so N images
are N calls in parallel, each drawn anew.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from lib import bedrock
from lib.bedrock import content_filter_error, translate_error
from lib.catalog import ModelInfo, Task
from lib.engines.image_base import CallTarget, ImageEngine, Produced, fan_out
from lib.errors import InvalidInput
from lib.generation.requests import EditRequest, GenerationRequest, ImageRequest, VariationRequest
from lib.i18n import N_, _, format_number
from lib.imaging import encode_for_model, fit_image, image_size, sniff_format
from lib.settings import Settings
from lib.task_names import task_name

# A 1 MP picture is about 1,400 output tokens (⌈w/28⌉·⌈h/28⌉) and Omni may write a sentence beside it; the
# sample asks for 4,000. Too few tokens ends the answer before the picture (stopReason "max_tokens").
MAX_TOKENS = 4096
FILTERED = ("content_filtered", "guardrail_intervened")  # stopReasons that mean a filter withheld the answer
CONVERSE_FORMATS = ("png", "jpeg", "gif", "webp")
# How an edit asks for a picture rather than a description of one (the sample ends its edits the same way).
AS_AN_IMAGE = "Answer with the new image, not with text."


def _clause(text: str) -> str:
    """`text` as the end of a sentence the instruction goes on with: no surrounding space, no final full stop."""
    return " ".join(text.split()).rstrip(".").rstrip()


def _the(name: str) -> str:
    """An object's name after "the": "the car" for "A car" (the workshop's lab 6 default), "the coffee cup"."""
    words = _clause(name).split(" ")
    return "the " + " ".join(words[1:] if len(words) > 1 and words[0].lower() in ("a", "an", "the") else words)


def instruction(req: ImageRequest) -> str:
    """The words Nova 2 Omni is sent for `req`: the lesson of each lab, said as an instruction."""
    if isinstance(req, GenerationRequest):
        # The ratio goes into the words, phrased as daekeun-ml/nova-2-omni-examples does
        # (src/image_generation.py: "Create an image: {prompt}" followed by "in 16:9 aspect ratio").
        return " ".join(part for part in ("Create an image:", _clause(req.prompt),
                                          f"in {req.aspect_ratio} aspect ratio.") if part)
    if isinstance(req, VariationRequest):
        how = _clause(req.prompt)
        return (f"Make a variation of this image: {how}." if how else "Make a variation of this image.") + \
            " " + AS_AN_IMAGE
    subject, change = _the(req.mask_prompt), _clause(req.prompt)
    if req.task is Task.INPAINT_BY_PROMPT:
        words = f"Replace {subject} with {change}."
    elif req.task is Task.ERASE_BY_PROMPT:
        words = f"Remove {subject} and fill its place with what would be behind it."
    elif req.task is Task.OUTPAINT_BY_PROMPT:
        words = f"Keep {subject} exactly as it is and change everything else to: {change}."
    else:
        raise InvalidInput(_("Nova 2 Omni can't {task}: it takes no mask.").format(task=task_name(req.task)),
                           _("Name the object in words (mask prompt) instead, or pick a model that takes a mask."))
    return f"{words} {AS_AN_IMAGE}"


def fit_input(data: bytes, model: ModelInfo) -> bytes:
    """An input image within the row's rule (about 1 megapixel), as Converse takes it; unchanged if it fits."""
    rule = model.image.edit_rule or model.image.input_rule
    if rule.accepts(*image_size(data)) and sniff_format(data) in CONVERSE_FORMATS:
        return data
    with Image.open(io.BytesIO(data)) as img:
        fitted = fit_image(img, rule).image
    return encode_for_model(fitted)[0]


def _image_block(data: bytes) -> dict[str, Any]:
    return {"image": {"format": sniff_format(data) or "png", "source": {"bytes": data}}}


def converse_body(req: ImageRequest, model: ModelInfo) -> dict[str, Any]:
    """Converse's keyword arguments besides modelId: one user turn, the image (if any) before the words."""
    inputs = req.images if isinstance(req, VariationRequest) else (req.image,) if isinstance(req, EditRequest) else ()
    content = [_image_block(fit_input(data, model)) for data in inputs]
    content.append({"text": instruction(req)})
    return {"messages": [{"role": "user", "content": content}], "inferenceConfig": {"maxTokens": MAX_TOKENS}}


def parse_image(response: dict[str, Any], model: ModelInfo) -> bytes:
    """The picture in a Converse answer, or the reason there is none (the model's own words where it wrote some)."""
    stop = response.get("stopReason")
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    said = " ".join(block["text"].strip() for block in content if block.get("text")).strip()
    if stop in FILTERED:
        # An input or prompt the filters refuse is a 400 before any answer; a withheld answer is the output.
        raise content_filter_error(said or _("{model} stopped with stopReason {stop}.").format(model=model.label,
                                                                                              stop=stop),
                                   "output image")
    for block in content:
        source = (block.get("image") or {}).get("source") or {}
        if isinstance(source.get("bytes"), (bytes, bytearray)) and source["bytes"]:
            return bytes(source["bytes"])
    if stop == "max_tokens":
        message = _("{model} reached its {limit}-token answer limit before the picture.").format(
            model=model.label, limit=format_number(MAX_TOKENS))
        hint = _("Try again with a shorter instruction that asks only for the picture.")
    else:
        message = _("{model} answered without an image.").format(model=model.label)
        hint = _("Rephrase the prompt as a picture to make (what to show, not a question), then try again.")
    if said:
        message = _("{message} It wrote: “{said}”").format(message=message, said=said[:300])
    raise InvalidInput(message, hint, detail=said)


class NovaOmniEngine(ImageEngine):
    """One Converse call per image; no seed, size, mask or negative prompt; the edit is said in words."""

    mask_polarity = None  # it takes no mask file
    one_image_per_call = True
    count_help = N_("Nova 2 Omni makes one image per call; several calls run in parallel, each drawn anew (no seed).")
    outpainting_modes: tuple[str, ...] = ()  # it keeps the object as the words say, with no DEFAULT/PRECISE mask
    operation = "converse"

    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        return converse_body(req, model)

    def instruction(self, req: ImageRequest) -> str:
        return instruction(req)

    def seeds(self, model: ModelInfo, seed: int, count: int) -> list[int]:
        return [0] * count  # no seed to send: every call is drawn anew

    def prompt_required(self, task: Task) -> bool:
        # A replacement and a new background are said in the prompt; removal and a variation need none.
        return task in (Task.TEXT_TO_IMAGE, Task.INPAINT_BY_PROMPT, Task.OUTPAINT_BY_PROMPT)

    def produce(self, req: ImageRequest, model: ModelInfo, seed: int, target: CallTarget,
                settings: Settings) -> Produced:
        body = self.body(req, model, seed)
        client = bedrock.runtime_client(target.region, settings)  # looked up at call time: tests inject a Stubber
        usage: list[dict[str, Any]] = []

        def call(kwargs: dict[str, Any]) -> tuple[bytes, int]:
            try:
                response = client.converse(modelId=target.invoke_id, **kwargs)
            except Exception as exc:  # noqa: BLE001 - translated, never swallowed
                raise translate_error(exc, model, target.region) from exc
            data = parse_image(response, model)
            usage.append(response.get("usage") or {})
            return data, 0

        produced = fan_out(model, [body] * req.count, call, self.seeds(model, seed, req.count))
        produced.notes += self._notes(req, body, produced, usage)
        return produced

    def _notes(self, req: ImageRequest, body: dict[str, Any], produced: Produced,
               usage: list[dict[str, Any]]) -> list[str]:
        notes = []
        sent = [block["image"]["source"]["bytes"] for block in body["messages"][0]["content"] if "image" in block]
        if sent:
            width, height = image_size(sent[0])
            notes.append(_("The input was sent at {width}×{height}: Nova 2 Omni is given at most about 1 megapixel "
                           "(AWS's Nova 2 Omni sample downsizes its inputs the same way).").format(width=width,
                                                                                                 height=height))
        if isinstance(req, GenerationRequest):
            made = produced.images[0]
            notes.append(_("No size or seed is sent: the aspect ratio {ratio} was asked for in the words, and the "
                           "image came back {width}×{height}.").format(ratio=req.aspect_ratio, width=made.width,
                                                                         height=made.height))
        tokens_in = sum(int(u.get("inputTokens") or 0) for u in usage)
        tokens_out = sum(int(u.get("outputTokens") or 0) for u in usage)
        if usage:
            notes.append(_("Converse counted {tokens_in} input and {tokens_out} output tokens (the picture is "
                           "output tokens).").format(tokens_in=format_number(tokens_in),
                                                     tokens_out=format_number(tokens_out)))
        return notes
