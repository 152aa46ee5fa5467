"""Code that reproduces a result — boto3, LangChain, the AWS CLI — generated from the request the app sent.

One source, so the code can't drift from what ran:
- image labs (2–7): the request is rebuilt from its History entry (its fields and its input files) and fed
  to the same body builders the app calls (`service.BODY_BUILDERS`, `call_seeds`, `call_target`); the body
  is then checked against the body History kept (`redact_body`), and the code says whether it matched;
- labs 8–9: the turns go through the app's own trimming (`converse.prepare_history`) and LangChain
  conversion (`lib/engines/converse.to_langchain`) into a `ChatBedrockConverse` built with the app's options
  (`lib/engines/converse.llm_options`) whose client only *records* what LangChain would send to boto3 — that recorded
  `converse_stream` call is the boto3 code;
- lab 1: the query is fitted by `embeddings.prepare_input` and its bodies made by the model's engine
  (`engine_for(model).requests`, lib/engines/embeddings.py); the per-photo body of the index is the same builder
  fed with placeholders, and the vector is read where the engine reads it (`python_vector`, `jq_vector`).

Images are never inlined: every image in a body becomes a file beside the script (`b64_file("input.png")`).
The code names no credentials, account or local path: boto3 finds credentials the standard way and
honours AWS_ENDPOINT_URL_BEDROCK_RUNTIME by itself.

Nothing here imports Streamlit (lib/ui/code_view.py shows these bundles).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import textwrap
import time
import zipfile
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

from PIL import Image

from lib.catalog import (
    ChatModel,
    EmbeddingModel,
    EmbeddingPurpose,
    Task,
    call_target,
    get_chat_model,
    get_embedding_model,
    get_model,
    is_offline,
)
from lib.chat import Turn
from lib.engines.registry import engine_for
from lib.generation.requests import EditRequest, GenerationRequest, ImageRequest, VariationRequest, redact_body
from lib.i18n import N_, _, ngettext
from lib.imaging import EXTENSIONS, MIME_TYPES, sniff_format

STYLES = ("boto3", "langchain", "cli")
STYLE_LABELS = {"boto3": "boto3", "langchain": "LangChain", "cli": "AWS CLI"}
LANGUAGES = {"boto3": "python", "langchain": "python", "cli": "bash"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")

# What each lab teaches, for the notebook's Markdown cells.
LESSONS: dict[str, str] = {
    "lab1": "**Image search with multimodal embeddings.** Every photo becomes a vector with one InvokeModel call; "
            "the query (text, an image, or both) becomes a vector with the same model and size; the photos are "
            "ranked by cosine similarity (a dot product of unit vectors) in a vector index such as FAISS. "
            "Vectors of different models or sizes can't be compared.",
    "lab2": "**Text to image.** A prompt and a negative prompt become a JSON body for InvokeModel. Titan and Nova "
            "Canvas take `taskType` + `textToImageParams` + `imageGenerationConfig` and return up to five images "
            "per call; Stability models take a flat body (`prompt`, `aspect_ratio`, `seed`) and return one. The "
            "same seed with the same request gives the same image. Nova 2 Omni is asked in words through Converse "
            "(the aspect ratio goes into the prompt, there is no seed) and answers with an image block.",
    "lab3": "**Image variation.** Input images travel base64-encoded inside the JSON body; a strength setting "
            "(`similarityStrength` for Titan/Nova, `strength` for SD3.5 image-to-image) decides how close the new "
            "images stay to them.",
    "lab4": "**Masking.** A mask image or a mask prompt says which area is meant; INPAINTING repaints it, "
            "OUTPAINTING keeps it and repaints everything else. Polarity differs: Titan/Nova repaint black, "
            "Stability repaints white.",
    "lab5": "**Replace or remove an object.** A mask prompt names the object; the prompt says what goes there "
            "instead, and an empty prompt removes it. Nova 2 Omni gets both in one sentence: “Replace the cup with "
            "a teapot.”",
    "lab6": "**Replace the background.** Outpainting keeps the named object and paints a new scene around it; "
            "DEFAULT lets its edge blend, PRECISE keeps it exact. Stability has no mask prompt: Remove Background "
            "finds the subject first, then Inpaint repaints the rest (two calls).",
    "lab7": "**Inpainting with your own mask.** A drawn or placed mask, sent as a PNG beside the image, marks the "
            "area to fill from the prompt; with no prompt the area is erased.",
    "lab8": "**Image understanding.** Converse sends the image (in its real format) and the question in one user "
            "message; the answer streams back with ConverseStream, with token usage at the end.",
    "lab9": "**Multimodal chatbot.** Every turn sends the whole conversation so far — user and assistant turns "
            "alternating, images inside the user turns — and the model answers the last one.",
}
LAB_TITLES = {"lab1": "Image search", "lab2": "Image generation", "lab3": "Image variation", "lab4": "Masking",
              "lab5": "Replace or remove an object", "lab6": "Replace the background",
              "lab7": "Inpainting with your own mask", "lab8": "Image understanding",
              "lab9": "Multimodal chatbot"}


CLI_NEEDS = N_("the AWS CLI v2 and jq")  # what the shell script needs (shown translated)


class CodeUnavailable(Exception):
    """Why a result has no code to show (an offline engine, or inputs History no longer holds)."""


# --- values written into code ----------------------------------------------------------------------


@dataclass(frozen=True)
class FileRef:
    """A value the script reads from a file beside it instead of carrying it inline."""

    name: str  # relative to the script's folder
    as_bytes: bool = False  # raw bytes (Converse) rather than base64 text (InvokeModel bodies)
    data_uri: str | None = None  # "data:image/png;base64," when the body carries the base64 as a data URI (Cohere)

    @property
    def jq_var(self) -> str:
        return "f_" + re.sub(r"\W", "_", self.name)

    @property
    def b64_name(self) -> str:
        return self.name + ".b64"


@dataclass(frozen=True)
class Code:
    """A Python expression written as it is (a variable of the script); `jq` the same in a jq program."""

    python: str
    jq: str = "null"


LINE = 100  # what fits on one line of generated code


def py(value: Any, folder: str = "", indent: int = 0) -> str:
    """`value` as Python source: short dicts and lists on one line, longer ones one item a line; FileRefs read
    their file under `folder`."""
    pad, end = "    " * (indent + 1), "    " * indent
    if isinstance(value, (dict, list, tuple)) and value:
        flat = _py_flat(value, folder)
        if len(flat) + 4 * indent + 24 <= LINE:
            return flat
    if isinstance(value, FileRef):
        path = _string(folder + value.name)
        if value.data_uri:
            return f"data_uri({path})"
        return f"Path({path}).read_bytes()" if value.as_bytes else f"b64_file({path})"
    if isinstance(value, Code):
        return value.python
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{_string(str(k))}: {py(v, folder, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{end}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        parts = [py(v, folder, indent + 1) for v in value]
        return "[\n" + "\n".join(f"{pad}{p}," for p in parts) + f"\n{end}]"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, float)):
        return repr(value)
    raise TypeError(f"can't write {type(value).__name__} into code")


def _py_flat(value: Any, folder: str) -> str:
    """`value` on one line."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(str(k))}: {_py_flat(v, folder)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py_flat(v, folder) for v in value) + "]"
    return py(value, folder)


def jq(value: Any, indent: int = 0) -> str:
    """`value` as a jq object literal (JSON, with `$f_name` where a file's base64 goes)."""
    pad, end = "  " * (indent + 1), "  " * indent
    if isinstance(value, FileRef):
        return f"({_string(value.data_uri)} + ${value.jq_var})" if value.data_uri else "$" + value.jq_var
    if isinstance(value, Code):
        return value.jq
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{_string(str(k))}: {jq(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{end}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{pad}{jq(v, indent + 1)}" for v in value) + f"\n{end}]"
    return json.dumps(value, ensure_ascii=False)


def _string(text: str) -> str:
    """A string literal valid in Python and JSON (and so in jq)."""
    return json.dumps(text, ensure_ascii=False)


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _walk(value: Any, leaf: Callable[[Any, str], Any], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, leaf, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(v, leaf, key) for v in value]
    return leaf(value, key)


# --- input files -------------------------------------------------------------------------------------


_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_DATA_URI = re.compile(r"(data:image/[A-Za-z0-9.+-]+;base64,)(.+)", re.DOTALL)
_STEMS = {"image": "input", "images": "input", "init_image": "input", "inputImage": "query", "maskImage": "mask",
          "mask": "mask", "style_image": "style", "bytes": "image", "base64": "image"}


class Files:
    """The files a script reads, each distinct content once, named after what it is."""

    def __init__(self) -> None:
        self.by_content: dict[bytes, str] = {}
        self.contents: dict[str, bytes] = {}

    def add(self, data: bytes, stem: str) -> str:
        if data in self.by_content:
            return self.by_content[data]
        ext = EXTENSIONS.get(sniff_format(data) or "", "bin")
        stems = {name.rsplit(".", 1)[0] for name in self.contents}
        base, n = stem, 2
        while stem in stems:  # image.jpg and image-2.png, never image.jpg and image.png
            stem, n = f"{base}-{n}", n + 1
        name = f"{stem}.{ext}"
        self.by_content[data], self.contents[name] = name, data
        return name


def _image_from_b64(text: str) -> bytes | None:
    if len(text) < 64 or not _B64.fullmatch(text):
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if sniff_format(data) else None


def externalise(body: Any, files: Files) -> Any:
    """A body with each base64 image or image data URI (InvokeModel) or raw image bytes (Converse) replaced by a
    FileRef."""
    def leaf(value: Any, key: str) -> Any:
        if isinstance(value, (bytes, bytearray)):
            return FileRef(files.add(bytes(value), _STEMS.get(key, "image")), as_bytes=True)
        if isinstance(value, str):
            uri = _DATA_URI.fullmatch(value)
            data = _image_from_b64(uri.group(2) if uri else value)
            if data is not None:
                return FileRef(files.add(data, _STEMS.get(key, "image")), data_uri=uri.group(1) if uri else None)
        return value

    return _walk(body, leaf)


def replace_values(body: Any, mapping: dict[str, Any]) -> Any:
    """A body with each string found in `mapping` replaced by its value (placeholders → Code)."""
    return _walk(body, lambda value, key: mapping.get(value, value) if isinstance(value, str) else value)


# --- the bundle ------------------------------------------------------------------------------------


@dataclass
class ResultOutput:
    """What the app got, shown under the notebook's code cell: an image file or the answer text."""

    kind: str  # "image" | "text"
    data: bytes | str
    name: str = ""  # the file the script writes


Renderer = Callable[[str, str, bool], str]  # (style, folder, notebook) -> source


@dataclass
class CodeBundle:
    """One result as code: scripts in several styles, the files they read, what the app got."""

    key: str  # the same result always gets the same key
    lab: str  # "lab2"
    title: str
    facts: str  # model, region, seed, when: one line
    created_at: float
    stem: str  # script names: f"{stem}_boto3.py"
    render: Renderer
    styles: tuple[str, ...]
    requirements: dict[str, str]  # style -> what to install
    outputs: list[ResultOutput] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # in the language of the session that made the bundle
    load_files: Callable[[], dict[str, bytes]] = dict
    shown_facts: str = ""  # `facts` in the language of the session that made it (the page's caption)
    _files: dict[str, bytes] | None = field(default=None, repr=False)

    @property
    def lesson(self) -> str:
        return LESSONS.get(self.lab, "")

    def script(self, style: str = "boto3", *, folder: str = "", notebook: bool = False) -> str:
        return self.render(style, folder, notebook)

    def files(self) -> dict[str, bytes]:
        if self._files is None:
            self._files = self.load_files()
        return self._files

    def script_name(self, style: str) -> str:
        return f"{self.stem}_{style}.sh" if style == "cli" else f"{self.stem}_{style}.py"

    def run_said(self, style: str) -> str:
        """How to run it, in the session's language (the page's caption; the README keeps `run_line`)."""
        command = f"bash {self.script_name(style)}" if style == "cli" else f"python {self.script_name(style)}"
        if style == "cli":
            return _("{needs}, then `{command}`").format(needs=_(self.requirements[style]), command=command)
        return _("`pip install {packages}`, then `{command}`").format(packages=self.requirements[style],
                                                                     command=command)

    def run_line(self, style: str) -> str:
        command = f"bash {self.script_name(style)}" if style == "cli" else f"python {self.script_name(style)}"
        return f"{self.requirements[style]}, then `{command}`" if style == "cli" else \
            f"`pip install {self.requirements[style]}`, then `{command}`"


def bundle_zip(bundle: CodeBundle) -> bytes:
    """"Download as a folder": every script, the files they read, and a README saying how to run them."""
    folder = bundle.stem
    readme = [f"# {bundle.title}", "", bundle.facts, "",
              "Run it from this folder; it uses your usual AWS credentials (`aws configure`, `AWS_PROFILE`, SSO):",
              ""]
    readme += [f"- {STYLE_LABELS[s]}: {bundle.run_line(s)}" for s in bundle.styles]
    readme += ["", *(f"Note: {n}" for n in bundle.notes)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for style in bundle.styles:
            info = zipfile.ZipInfo(f"{folder}/{bundle.script_name(style)}", time.localtime()[:6])
            info.external_attr = (0o755 if style == "cli" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, bundle.script(style))
        for name, data in bundle.files().items():
            zf.writestr(f"{folder}/{name}", data, compress_type=zipfile.ZIP_STORED)
        zf.writestr(f"{folder}/README.md", "\n".join(readme).rstrip() + "\n")
    return buf.getvalue()


# --- shared pieces of scripts ------------------------------------------------------------------------

_B64_FILE = '''def b64_file(path):
    """A file's bytes as base64 text: how InvokeModel bodies carry images."""
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")
'''

_INVOKE = '''def invoke(model_id, body):
    """One InvokeModel call with a JSON body; the JSON answer."""
    response = client.invoke_model(modelId=model_id, body=json.dumps(body),
                                   contentType="application/json", accept="application/json")
    return json.loads(response["body"].read())
'''


def _docstring(title: str, lines: list[str]) -> str:
    wrapped = [part for line in lines for part in (textwrap.wrap(line, LINE) or [""])]
    text = "\n".join([title, "", *wrapped]).replace('"""', "'''")
    return f'"""{text}\n"""'


def _model_comment(invoke_id: str, model_id: str) -> str:
    if invoke_id == model_id:
        return ""
    geo = invoke_id.split(".", 1)[0]
    return f'  # the "{geo}." cross-region inference profile of {model_id}'


def _imports(*names: str) -> str:
    std = sorted(n for n in names if n in ("base64", "json", "io", "pathlib"))
    lines = [f"import {n}" for n in std if n != "pathlib"]
    if "pathlib" in std:
        lines.append("from pathlib import Path")
    other = [n for n in names if n not in std]
    if other:
        lines.append("")
        lines += other
    return "\n".join(lines)


def _cli_files(refs: list[FileRef]) -> list[str]:
    return [f"base64 < {sh_quote(r.name)} | tr -d '\\n' > {sh_quote(r.b64_name)}" for r in refs]


def _jq_args(refs: list[FileRef]) -> str:
    return "".join(f" --rawfile {r.jq_var} {sh_quote(r.b64_name)}" for r in refs)


def _refs(value: Any) -> list[FileRef]:
    found: dict[str, FileRef] = {}

    def leaf(v: Any, key: str) -> Any:
        if isinstance(v, FileRef):
            found.setdefault(v.name, v)
        return v

    _walk(value, leaf)
    return list(found.values())


def _cli_folder(lines: list[str], folder: str) -> list[str]:
    return ([f"cd {sh_quote(folder)}"] if folder else []) + lines


def _called(model_id: str, invoke_id: str, region: str) -> str:
    """Model, profile and region, as the facts line says them."""
    through = "" if invoke_id == model_id else f" through the {invoke_id.split('.', 1)[0]}. inference profile"
    return f"Model {model_id}{through} in {region}"


def _called_said(model_id: str, invoke_id: str, region: str) -> str:
    """`_called` in the session's language."""
    if invoke_id == model_id:
        return _("Model {model} in {region}").format(model=model_id, region=region)
    return _("Model {model} through the {geo}. inference profile in {region}").format(
        model=model_id, geo=invoke_id.split(".", 1)[0], region=region)


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:16]


# --- labs 2-7: image results ----------------------------------------------------------------------


def _known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def request_from_entry(entry: Any) -> ImageRequest:
    """The request a History entry was made from, with its input images (and mask) read back."""
    data = dict(entry.request)
    try:
        inputs = [img.read_bytes() for img in entry.inputs]
    except (OSError, KeyError, FileNotFoundError) as exc:
        raise CodeUnavailable(N_("An input image of this result is no longer in History.")) from exc
    if "images" in data:
        wanted = len(data["images"])
        if len(inputs) < wanted:
            raise CodeUnavailable(N_("The input images of this result are no longer in History."))
        data["images"] = tuple(inputs[:wanted])
        data["task"] = Task(data.get("task") or Task.VARIATION)  # lab 3's kinds (kept since they were added)
        return VariationRequest(**_known_fields(VariationRequest, data))
    if "image" in data and "task" in data:
        if not inputs:
            raise CodeUnavailable(N_("The input image of this result is no longer in History."))
        data["task"] = Task(data["task"])
        data["image"] = inputs[0]
        data["mask"] = inputs[1] if data.get("mask") and len(inputs) > 1 else None
        data["extend"] = tuple(data.get("extend") or (0, 0, 0, 0))
        req = EditRequest(**_known_fields(EditRequest, data))
        # A drawn mask must be kept; a mask named in words, found at run time or not used has none to keep.
        if req.mask is None and req.task.draws_mask:
            raise CodeUnavailable(N_("The mask of this result was not kept (it was made before results kept their "
                                  "masks), so its code can't be rebuilt."))
        return req
    return GenerationRequest(**_known_fields(GenerationRequest, data))


@dataclass
class _ImageCall:
    model_id: str
    invoke_id: str
    region: str
    body: Any  # externalised
    seeds: list[int] | None  # Stability: one call per seed; None: one Titan/Nova call
    output_ext: str
    one_call: bool  # one call returns every image (Titan/Nova Canvas); else one call per seed
    subject_step: tuple[str, Any] | None = None  # Stability background: (Remove Background's invoke id, its body)
    operation: str = "invoke_model"  # "converse": the body is Converse's keywords and the image comes back in a block
    mask_reach: int = 0  # DEFAULT outpainting: the found subject's mask reaches this far into it (grey = partial)
    put_back: bool = False  # PRECISE outpainting without a model mode for it: the kept pixels go back afterwards


_MASK = "\x00mask\x00"


def _subject_sentinel(image: bytes) -> bytes:
    """A selection PNG the size of `image`, standing in for the mask the first call finds at run time."""
    with Image.open(io.BytesIO(image)) as img:
        size = img.size
    buf = io.BytesIO()
    Image.new("L", size, 0).save(buf, "PNG")
    return buf.getvalue()


def image_bundle(entry: Any) -> CodeBundle:
    """The code of an image lab's History entry (labs 2–7); CodeUnavailable when there is none to show."""
    from lib.services.images import engine_of, helper_models  # service imports boto3 helpers: only when used

    if is_offline(entry.model_id):
        raise CodeUnavailable(N_("This result was made on this machine by an offline engine: there is no Bedrock "
                              "request to show."))
    model = get_model(entry.model_id)
    req = request_from_entry(entry)
    if req.seed is None:
        req = req.with_seed(entry.seed or 0)
    seed = req.seed or 0
    region, invoke_id, _profile = call_target(model, entry.region or model.regions[0])
    engine = engine_of(model)
    notes: list[str] = []
    files = Files()
    for n, data in enumerate(getattr(req, "images", ()) or ([req.image] if isinstance(req, EditRequest) else [])):
        files.add(data, "input")
    helpers = helper_models(model, req.task) if isinstance(req, EditRequest) else []
    two_step = bool(helpers)  # the subject to keep is found by a first call (Remove Background)
    subject_step = None
    if two_step:
        helper = helpers[0]
        _region, helper_id, _helper_profile = call_target(helper, region)
        subject_step = (helper_id, externalise(engine_of(helper).body(replace(req, model_id=helper.id,
                                                                               task=Task.REMOVE_BACKGROUND),
                                                                       helper, 0), files))
        req = replace(req, mask=_subject_sentinel(req.image))
    one_call = not engine.one_image_per_call
    seeds = None if one_call else engine.seeds(model, seed, req.count)
    raw = engine.body(req, model, seed if seeds is None else seeds[0])
    kept = dict(entry.body) if isinstance(entry.body, dict) else {}
    checked = dict(redact_body(raw))
    if two_step:
        checked.pop("mask", None)
        kept.pop("mask", None)
    if checked != kept:
        notes.append(_("This code was rebuilt from History's record of the request, and its body differs from the "
                       "body History kept (a result made by an earlier version of the app?)."))
    if two_step:  # the mask is found at run time by the first call: a variable of the script
        raw = {**raw, "mask": _MASK}
    body = replace_values(externalise(raw, files), {_MASK: Code("mask_b64", "$mask")})
    fmt = entry.outputs[0].format if entry.outputs else (getattr(req, "output_format", "") or "png")
    call = _ImageCall(model.id, invoke_id, region, body, seeds, EXTENSIONS.get(fmt, fmt), one_call, subject_step,
                      engine.operation, mask_reach=engine.mask_reach_px(req) if isinstance(req, EditRequest) else 0,
                      put_back=isinstance(req, EditRequest) and engine.puts_back_kept_object(req))
    lab = entry.lab if entry.lab in LESSONS else "lab2"
    title = f"Lab {lab[3:]} · {LAB_TITLES[lab]} — {model.label}"
    seeded = f" · seed {seed}" if model.image.seed_max else " · no seed"
    facts = f"{_called(model.id, invoke_id, region)}{seeded} · made {entry.when} in the Bedrock Image Workshop"
    shown = " · ".join([_called_said(model.id, invoke_id, region),
                        _("seed {seed}").format(seed=seed) if model.image.seed_max else _("no seed"),
                        _("made {when} in the Bedrock Image Workshop").format(when=entry.when)])
    outputs = []
    for n, img in enumerate(entry.outputs, start=1):
        try:
            outputs.append(ResultOutput("image", img.read_bytes(), f"output-{n}.{call.output_ext}"))
        except (OSError, KeyError, FileNotFoundError):
            pass
    pillow = two_step or call.put_back  # the script makes or applies a mask itself
    styles = ("boto3",) if pillow else ("boto3", "cli")
    contents = dict(files.contents)
    requirements = {"boto3": "boto3 pillow" if pillow else "boto3", "cli": CLI_NEEDS}
    return CodeBundle(key=_key("image", entry.id), lab=lab, title=title, facts=facts, created_at=entry.created_at,
                      stem=f"{lab}_{entry.id}", render=lambda style, folder, nb: _render_image(
                          call, title, facts, style, folder, nb), styles=styles, requirements=requirements,
                      outputs=outputs, notes=notes, load_files=lambda: contents, shown_facts=shown)


def _render_image(call: _ImageCall, title: str, facts: str, style: str, folder: str, notebook: bool) -> str:
    if call.operation == "converse":
        return _image_converse_cli(call, title, facts, folder) if style == "cli" else \
            _image_converse_boto3(call, title, facts, folder, notebook)
    return _image_cli(call, title, facts, folder) if style == "cli" else _image_boto3(call, title, facts, folder,
                                                                                     notebook)


def _calls_of(call: _ImageCall, one: list[str]) -> list[str]:
    """`one` call's lines for `number` 1, or a loop over the calls of a seedless one-image-per-call model."""
    assert call.seeds is not None
    if len(call.seeds) == 1:
        return ["number = 1", *one]
    return [f"# One image per call and no seed to send: {len(call.seeds)} calls, each drawn anew.",
            f"for number in range(1, {len(call.seeds) + 1}):", *("    " + line for line in one)]


def _image_converse_boto3(call: _ImageCall, title: str, facts: str, folder: str, notebook: bool) -> str:
    """A Converse call whose answer holds the picture as an image block (Nova 2 Omni)."""
    out = []
    if not notebook:
        out += [_docstring(title, [facts + ".", "", "The same model, region and Converse request as the app. "
                                   "Credentials come from your usual AWS configuration."]), ""]
    extra = ["import boto3"] + (["from IPython.display import Image as ShowImage, display"] if notebook else [])
    kwargs = dict(call.body)
    messages = kwargs.pop("messages")
    out += [_imports("pathlib", *extra), "", "",
            f'client = boto3.client("bedrock-runtime", region_name={_string(call.region)})',
            f"MODEL_ID = {_string(call.invoke_id)}{_model_comment(call.invoke_id, call.model_id)}",
            f"messages = {py(messages, folder)}"]
    one = [*_converse_lines("converse", kwargs, folder),
           'if response["stopReason"] in ("content_filtered", "guardrail_intervened"):',
           '    raise SystemExit(f"No image: the content filter withheld it ({response[\'stopReason\']}).")',
           'content = response["output"]["message"]["content"]',
           'pictures = [block["image"] for block in content if "image" in block]',
           "if not pictures:  # the model answered in words instead",
           '    raise SystemExit("No image: " + " ".join(block.get("text", "") for block in content))',
           f'path = Path(f"{folder}output-{{number}}.{call.output_ext}")',
           'path.write_bytes(pictures[0]["source"]["bytes"])', 'print("saved", path)',
           *(["display(ShowImage(filename=str(path)))"] if notebook else [])]
    return "\n".join(out + _calls_of(call, one)).rstrip() + "\n"


def _image_converse_cli(call: _ImageCall, title: str, facts: str, folder: str) -> str:
    kwargs = dict(call.body)
    messages = kwargs.pop("messages")
    setup, command = _converse_cli_call(messages, kwargs, call.region, call.invoke_id)
    one = [*command, "stop=$(jq -r '.stopReason' response.json)",
           'if [ "$stop" = content_filtered ] || [ "$stop" = guardrail_intervened ]; then echo "No image: $stop"; '
           "exit 1; fi",
           "picture=$(jq -r '[.output.message.content[] | select(.image)][0].image.source.bytes // empty' "
           "response.json)",
           "if [ -z \"$picture\" ]; then jq -r '.output.message.content[].text // empty' response.json; exit 1; fi",
           f"echo \"$picture\" | base64 --decode > \"output-$number.{call.output_ext}\"",
           f"echo \"saved output-$number.{call.output_ext}\""]
    assert call.seeds is not None
    calls = ["number=1", *one] if len(call.seeds) == 1 else \
        [f"for number in $(seq 1 {len(call.seeds)}); do  # one image per call, no seed: each drawn anew",
         *("  " + line for line in one), "done"]
    head = ["#!/usr/bin/env bash", f"# {title}", f"# {facts}.",
            "# The same Converse request with the AWS CLI v2 and jq; credentials from your AWS configuration.",
            "set -euo pipefail"]
    return "\n".join(head + _cli_folder(setup + calls, folder)) + "\n"


def _image_boto3(call: _ImageCall, title: str, facts: str, folder: str, notebook: bool) -> str:
    out = []
    if not notebook:
        out += [_docstring(title, [facts + ".", "", "The same model, region, request body and seed as the app. "
                                   "Credentials come from your usual AWS configuration."]), ""]
    extra = ["import boto3"]
    pillow = bool(call.subject_step) or call.put_back
    if pillow:
        extra.append("from PIL import Image" + (", ImageChops, ImageFilter" if call.mask_reach and call.subject_step
                                                 else ""))
    if notebook:
        extra.append("from IPython.display import Image as ShowImage, display")
    out += [_imports("base64", "json", "pathlib", *(["io"] if pillow else []), *extra), "", ""]
    out += [f'client = boto3.client("bedrock-runtime", region_name={_string(call.region)})',
            f"MODEL_ID = {_string(call.invoke_id)}{_model_comment(call.invoke_id, call.model_id)}", "", ""]
    if _refs(call.body) or call.subject_step:
        out += [_B64_FILE, ""]
    out += [_INVOKE, ""]
    if call.subject_step:
        helper_id, helper_body = call.subject_step
        out += ["# Step 1: Remove Background finds the subject to keep (Stability has no mask prompt).",
                f"cutout = invoke({_string(helper_id)}, {py(helper_body, folder)})",
                "with Image.open(io.BytesIO(base64.b64decode(cutout[\"images\"][0]))) as picture:",
                "    alpha = picture.convert(\"RGBA\").getchannel(\"A\")",
                "# Everything but the subject is repainted: white = change, black = keep.",
                "mask = alpha.point(lambda value: 0 if value >= 128 else 255)",
                *(_reach_lines(call.mask_reach) if call.mask_reach else []),
                "buffer = io.BytesIO()",
                "mask.save(buffer, \"PNG\")",
                "mask_b64 = base64.b64encode(buffer.getvalue()).decode(\"ascii\")", "",
                "# Step 2: Inpaint repaints the background."]
    out += [f"body = {py(call.body, folder)}"]
    save = [f'path = Path(f"{folder}output-{{number}}.{call.output_ext}")', "path.write_bytes(image)",
            'print("saved", path)'] + (["display(ShowImage(filename=str(path)))"] if notebook else [])
    if call.one_call:
        out += ["result = invoke(MODEL_ID, body)",
                "if result.get(\"error\"):  # a blocked prompt or image is reported here",
                "    raise SystemExit(f\"No image: {result['error']}\")",
                "for number, encoded in enumerate(result[\"images\"], start=1):",
                "    image = base64.b64decode(encoded)",
                *("    " + line for line in save)]
    else:
        assert call.seeds is not None
        one = ["result = invoke(MODEL_ID, body)",
               "reason = (result.get(\"finish_reasons\") or [None])[0]",
               "if reason:  # e.g. \"Filter reason: prompt\"",
               "    raise SystemExit(f\"No image: {reason}\")",
               "image = base64.b64decode(result[\"images\"][0])", *(_PUT_BACK if call.put_back else []), *save]
        if len(call.seeds) > 1:
            out += [f"# Stability models make one image per call: one call per seed ({len(call.seeds)} calls).",
                    f"for number, seed in enumerate({py(call.seeds)}, start=1):",
                    "    body[\"seed\"] = seed", *("    " + line for line in one)]
        else:
            out += ["number = 1", *one]
    return "\n".join(out).rstrip() + "\n"


def _reach_lines(pixels: int) -> list[str]:
    """DEFAULT outpainting: the mask reaches `pixels` into the subject with falling strength (lib/masks.reach_into)."""
    return [f"# DEFAULT: the mask reaches {pixels} px into the subject, strength falling from the edge inward "
            "(grey = partial),",
            "# so the model may reshape the subject's edge to blend it into the new scene.",
            "grown, reached = mask, Image.new(\"L\", mask.size, 0)",
            f"for step in range({pixels}):",
            "    grown = grown.filter(ImageFilter.MaxFilter(3))",
            "    reached = ImageChops.add(reached, grown.point(lambda value: 1 if value >= 128 else 0))",
            f"mask = ImageChops.lighter(mask, reached.point(lambda count: count * 255 // {pixels + 1}))"]


# PRECISE outpainting on a model without an exact mode: the kept pixels (black in the mask) go back, unchanged.
_PUT_BACK = [
    "# PRECISE: put the kept object's original pixels (black in the mask) back over the result, exactly.",
    "with Image.open(io.BytesIO(base64.b64decode(body[\"image\"]))) as photo, \\",
    "        Image.open(io.BytesIO(base64.b64decode(body[\"mask\"]))) as sent_mask, \\",
    "        Image.open(io.BytesIO(image)) as made:",
    "    made = made.convert(\"RGB\")",
    "    if made.size != photo.size:",
    "        made = made.resize(photo.size, Image.Resampling.LANCZOS)",
    "    kept = sent_mask.convert(\"L\").point(lambda value: 255 if value < 128 else 0)",
    "    restored = Image.composite(photo.convert(\"RGB\"), made, kept)",
    "buffer = io.BytesIO()",
    "restored.save(buffer, \"PNG\")",
    "image = buffer.getvalue()",
]


def _image_cli(call: _ImageCall, title: str, facts: str, folder: str) -> str:
    refs = _refs(call.body)
    out = ["#!/usr/bin/env bash", f"# {title}", f"# {facts}.",
           "# The same request with the AWS CLI v2 and jq; credentials from your AWS configuration.",
           "set -euo pipefail"]
    body_lines = (["# The request body, each image read from its file as base64:"] if refs else
                  ["# The request body:"]) + _cli_files(refs) + [
        f"jq -n{_jq_args(refs)} {sh_quote(jq(call.body))} > body.json"]
    invoke = ["aws bedrock-runtime invoke-model \\", f"  --region {call.region} \\",
              f"  --model-id {call.invoke_id} \\",
              "  --content-type application/json --accept application/json \\"]
    lines = list(body_lines)
    if call.one_call:
        lines += [*invoke, "  --body fileb://body.json response.json",
                  "if [ \"$(jq -r '.error // empty' response.json)\" ]; then jq -r .error response.json; exit 1; fi",
                  "count=$(jq '.images | length' response.json)",
                  "for number in $(seq 1 \"$count\"); do",
                  f"  jq -r \".images[$((number - 1))]\" response.json | base64 --decode > "
                  f"\"output-$number.{call.output_ext}\"",
                  f"  echo \"saved output-$number.{call.output_ext}\"",
                  "done"]
    else:
        assert call.seeds is not None
        if len(call.seeds) == 1:
            return "\n".join(out + _cli_folder(lines + [
                *invoke, "  --body fileb://body.json response.json",
                "reason=$(jq -r '.finish_reasons[0] // empty' response.json)",
                "if [ -n \"$reason\" ]; then echo \"No image: $reason\"; exit 1; fi",
                f"jq -r '.images[0]' response.json | base64 --decode > output-1.{call.output_ext}",
                f"echo \"saved output-1.{call.output_ext}\""], folder)) + "\n"
        lines += ["number=0",
                  f"for seed in {' '.join(str(s) for s in call.seeds)}; do  # Stability: one image per call",
                  "  number=$((number + 1))",
                  "  jq --argjson seed \"$seed\" '.seed = $seed' body.json > \"body-$seed.json\"",
                  *("  " + line for line in invoke), "    --body \"fileb://body-$seed.json\" response.json",
                  "  reason=$(jq -r '.finish_reasons[0] // empty' response.json)",
                  "  if [ -n \"$reason\" ]; then echo \"No image: $reason\"; exit 1; fi",
                  f"  jq -r '.images[0]' response.json | base64 --decode > \"output-$number.{call.output_ext}\"",
                  f"  echo \"saved output-$number.{call.output_ext}\"",
                  "done"]
    return "\n".join(out + _cli_folder(lines, folder)) + "\n"


# --- labs 8-9: chat turns ---------------------------------------------------------------------------


class _Recorded(Exception):
    pass


class _RecordingClient:
    """Stands in for boto3's client: keeps what ChatBedrockConverse would send, sends nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def converse(self, **kwargs: Any) -> Any:
        self.calls.append(("converse", kwargs))
        raise _Recorded

    def converse_stream(self, **kwargs: Any) -> Any:
        self.calls.append(("converse_stream", kwargs))
        raise _Recorded


def recorded_converse(model: ChatModel, invoke_id: str, region: str, history: list[Turn], *,
                      stream: bool = True) -> tuple[str, dict[str, Any], list[Any], dict[str, Any]]:
    """(operation, its keyword arguments, the LangChain messages, the LLM's options) the app sends for `history`."""
    from langchain_aws import ChatBedrockConverse

    from lib.converse import prepare_history
    from lib.engines.converse import llm_options, to_langchain

    sent, _dropped = prepare_history(model, history)
    messages = to_langchain(sent)
    options = llm_options(model)
    client = _RecordingClient()
    # bedrock_client too: otherwise LangChain builds a real boto3 control-plane client for every bundle
    # (0.2-0.7 s of service-model loading under the GIL, on the page's thread; issue 16's profile).
    llm = ChatBedrockConverse(client=client, bedrock_client=client, model=invoke_id, region_name=region, **options)
    try:
        if stream:
            for _chunk in llm.stream(messages):
                pass
        else:
            llm.invoke(messages)
    except _Recorded:
        pass
    if not client.calls:
        raise CodeUnavailable(N_("LangChain sent nothing for this conversation."))
    operation, kwargs = client.calls[-1]
    return operation, kwargs, messages, options


def chat_bundle(history: list[Turn], answer: str, *, model_id: str, invoke_id: str, region: str, lab: str,
                created_at: float | None = None) -> CodeBundle:
    """The code of one chat answer: `history` is the conversation it answered (ending with the user turn)."""
    if not history or history[-1].role != "user":
        raise CodeUnavailable(N_("There is no question to show the code of."))
    model = get_chat_model(model_id)
    operation, kwargs, messages, options = recorded_converse(model, invoke_id, region, history)
    files = Files()
    converse_kwargs = externalise({k: v for k, v in kwargs.items() if v not in ([], None, {})}, files)
    lc_messages = [(type(m).__name__, externalise(m.content, files)) for m in messages]
    title = f"Lab {lab[3:]} · {LAB_TITLES.get(lab, 'Chat')} — {model.label}"
    turns = sum(1 for t in history if t.role == "user")
    facts = (f"{_called(model.id, invoke_id, region)} · "
             + (f"turn {turns} of the conversation" if turns > 1 else "one question") + " · Bedrock Image Workshop")
    shown = " · ".join([_called_said(model.id, invoke_id, region),
                        _("turn {turn} of the conversation").format(turn=turns) if turns > 1 else _("one question"),
                        _("Bedrock Image Workshop")])
    contents = dict(files.contents)
    chat = _Chat(operation, converse_kwargs, lc_messages, options, invoke_id, region, model.id)
    return CodeBundle(
        key=_key("chat", lab, invoke_id, region, [(t.role, t.text, [hashlib.sha256(i.data).hexdigest()
                                                                     for i in t.images]) for t in history], answer),
        lab=lab, title=title, facts=facts, created_at=created_at or time.time(), stem=f"{lab}_chat_turn{turns}",
        render=lambda style, folder, nb: _render_chat(chat, title, facts, style, folder, nb),
        styles=("boto3", "langchain", "cli"),
        requirements={"boto3": "boto3", "langchain": "langchain-aws", "cli": CLI_NEEDS},
        outputs=[ResultOutput("text", answer, "answer.md")], load_files=lambda: contents, shown_facts=shown)


@dataclass
class _Chat:
    operation: str
    kwargs: dict[str, Any]  # externalised
    lc_messages: list[tuple[str, Any]]
    options: dict[str, Any]
    invoke_id: str
    region: str
    model_id: str


def _render_chat(chat: _Chat, title: str, facts: str, style: str, folder: str, notebook: bool) -> str:
    if style == "cli":
        return _chat_cli(chat, title, facts, folder)
    out = [] if notebook else [_docstring(title, [facts + ".", "", "The same conversation the app sent. "
                                                  "Credentials come from your usual AWS configuration."]), ""]
    save = f'Path({_string(folder + "answer.md")}).write_text(answer, encoding="utf-8")'
    if style == "langchain":
        needs_b64 = bool(_refs([c for _, c in chat.lc_messages]))
        classes = sorted({name for name, _ in chat.lc_messages})
        out += [_imports(*(["base64"] if needs_b64 else []), "pathlib", "from langchain_aws import ChatBedrockConverse",
                         f"from langchain_core.messages import {', '.join(classes)}"), "", ""]
        if needs_b64:
            out += [_B64_FILE, ""]
        options = "".join(f", {k}={py(v)}" for k, v in chat.options.items())
        out += [f"llm = ChatBedrockConverse(",
                f"    model={_string(chat.invoke_id)},{_model_comment(chat.invoke_id, chat.model_id)}",
                f"    region_name={_string(chat.region)}{options},", ")",
                "messages = ["]
        for name, content in chat.lc_messages:
            out.append(f"    {name}(content={py(content, folder, 1)}),")
        out += ["]", "answer = \"\"", "for chunk in llm.stream(messages):  # the answer as it is written",
                "    print(chunk.text, end=\"\", flush=True)", "    answer += chunk.text", "print()", save]
        return "\n".join(out) + "\n"
    kwargs = dict(chat.kwargs)
    messages = kwargs.pop("messages")
    model_id = kwargs.pop("modelId", chat.invoke_id)
    out += [_imports("pathlib", "import boto3"), "", "",
            f'client = boto3.client("bedrock-runtime", region_name={_string(chat.region)})',
            f"MODEL_ID = {_string(model_id)}{_model_comment(model_id, chat.model_id)}",
            f"messages = {py(messages, folder)}", *_converse_lines(chat.operation, kwargs, folder)]
    if chat.operation == "converse_stream":
        out += ["answer, usage = \"\", {}", "for event in response[\"stream\"]:  # the answer as it is written",
                "    if \"contentBlockDelta\" in event:",
                "        text = event[\"contentBlockDelta\"][\"delta\"].get(\"text\", \"\")",
                "        print(text, end=\"\", flush=True)", "        answer += text",
                "    elif \"metadata\" in event:  # the last event: token counts",
                "        usage = event[\"metadata\"][\"usage\"]", "print()"]
    else:
        out += ["answer = response[\"output\"][\"message\"][\"content\"][0][\"text\"]", "usage = response[\"usage\"]",
                "print(answer)"]
    out += ["print(f\"({usage.get('inputTokens')} tokens in, {usage.get('outputTokens')} out)\")", save]
    return "\n".join(out) + "\n"


def presets_bundle(rows: list[tuple[str, list[Turn], str]], *, model_id: str, invoke_id: str, region: str,
                   lab: str = "lab8", created_at: float | None = None) -> CodeBundle:
    """Lab 8's "run all nine presets": one Converse call per preset prompt about the same image.

    `rows` are (preset name, the question sent, its answer). The call is the one the app makes for the first
    preset (recorded as for a single answer), with the prompt as the loop's variable."""
    rows = [r for r in rows if r[1] and r[1][-1].role == "user"]
    if not rows:
        raise CodeUnavailable(N_("No preset was answered by a Bedrock model."))
    model = get_chat_model(model_id)
    first_prompt = rows[0][1][-1].text
    operation, kwargs, messages, options = recorded_converse(model, invoke_id, region, rows[0][1], stream=False)
    files = Files()
    prompt = Code("prompt", "$prompt")
    converse_kwargs = replace_values(externalise({k: v for k, v in kwargs.items() if v not in ([], None, {})}, files),
                                     {first_prompt: prompt})
    lc_messages = [(type(m).__name__, replace_values(externalise(m.content, files), {first_prompt: prompt}))
                   for m in messages]
    presets = {name: sent[-1].text for name, sent, _answer in rows}
    chat = _Chat(operation, converse_kwargs, lc_messages, options, invoke_id, region, model.id)
    title = f"Lab {lab[3:]} · {LAB_TITLES.get(lab, 'Chat')}, every preset — {model.label}"
    facts = f"{_called(model.id, invoke_id, region)} · {len(presets)} preset prompts, one call each · " \
            "Bedrock Image Workshop"
    shown = " · ".join([_called_said(model.id, invoke_id, region),
                        _("{count} preset prompts, one call each").format(count=len(presets)), _("Bedrock Image Workshop")])
    answers = "\n".join(f"{name}: {text}" for name, _sent, text in rows)
    contents = dict(files.contents)
    return CodeBundle(
        key=_key("presets", lab, invoke_id, region, presets, [hashlib.sha256(i.data).hexdigest()
                                                              for i in rows[0][1][-1].images], answers),
        lab=lab, title=title, facts=facts, created_at=created_at or time.time(), stem=f"{lab}_presets",
        render=lambda style, folder, nb: _render_presets(chat, presets, title, facts, style, folder, nb),
        styles=("boto3", "langchain"), requirements={"boto3": "boto3", "langchain": "langchain-aws"},
        outputs=[ResultOutput("text", answers, "answers.json")], load_files=lambda: contents, shown_facts=shown)


def _render_presets(chat: _Chat, presets: dict[str, str], title: str, facts: str, style: str, folder: str,
                    notebook: bool) -> str:
    out = [] if notebook else [_docstring(title, [facts + ".", "", "The same question about the same image, "
                                                  "once per preset prompt."]), ""]
    save = [f'Path({_string(folder + "answers.json")}).write_text(json.dumps(answers, indent=2, '
            'ensure_ascii=False), encoding="utf-8")']
    loop = ["answers = {}", "for name, prompt in PRESETS.items():"]
    if style == "langchain":
        needs_b64 = bool(_refs([c for _, c in chat.lc_messages]))
        classes = sorted({name for name, _ in chat.lc_messages})
        out += [_imports(*(["base64"] if needs_b64 else []), "json", "pathlib",
                         "from langchain_aws import ChatBedrockConverse",
                         f"from langchain_core.messages import {', '.join(classes)}"), "", ""]
        if needs_b64:
            out += [_B64_FILE, ""]
        options = "".join(f", {k}={py(v)}" for k, v in chat.options.items())
        out += ["llm = ChatBedrockConverse(",
                f"    model={_string(chat.invoke_id)},{_model_comment(chat.invoke_id, chat.model_id)}",
                f"    region_name={_string(chat.region)}{options},", ")",
                f"PRESETS = {py(presets)}", *loop, "    messages = ["]
        out += [f"        {name}(content={py(content, folder, 2)})," for name, content in chat.lc_messages]
        out += ["    ]", "    answers[name] = llm.invoke(messages).text", '    print(f"{name}: {answers[name]}")',
                *save]
        return "\n".join(out) + "\n"
    kwargs = dict(chat.kwargs)
    messages = kwargs.pop("messages")
    model_id = kwargs.pop("modelId", chat.invoke_id)
    out += [_imports("json", "pathlib", "import boto3"), "", "",
            f'client = boto3.client("bedrock-runtime", region_name={_string(chat.region)})',
            f"MODEL_ID = {_string(model_id)}{_model_comment(model_id, chat.model_id)}",
            f"PRESETS = {py(presets)}", *loop,
            f"    response = client.{chat.operation}(", "        modelId=MODEL_ID,",
            f"        messages={py(messages, folder, 2)},"]
    out += [f"        {k}={py(v, folder, 2)}," for k, v in kwargs.items()]
    out += ["    )", '    answers[name] = response["output"]["message"]["content"][0]["text"]',
            '    print(f"{name}: {answers[name]}")', *save]
    return "\n".join(out) + "\n"


def _converse_lines(operation: str, kwargs: dict[str, Any], folder: str) -> list[str]:
    """`response = client.converse(...)` with MODEL_ID, `messages` and the other keywords written out."""
    return [f"response = client.{operation}(", "    modelId=MODEL_ID,", "    messages=messages,",
            *(f"    {k}={py(v, folder, 1)}," for k, v in kwargs.items()), ")"]


def _cli_option(name: str) -> str:
    """boto3's keyword → the CLI's option: inferenceConfig → --inference-config."""
    return "--" + re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name)


def _converse_cli_call(messages: Any, kwargs: dict[str, Any], region: str,
                       model_id: str) -> tuple[list[str], list[str]]:
    """(lines writing messages.json, the `aws bedrock-runtime converse … > response.json` command's lines)."""
    refs = _refs(messages)
    setup = ["# The messages, each image's bytes as base64 (how the CLI takes binary values):",
             *_cli_files(refs), f"jq -n{_jq_args(refs)} {sh_quote(jq(messages))} > messages.json"]
    names = {"inferenceConfig": "--inference-config", "system": "--system",
             "additionalModelRequestFields": "--additional-model-request-fields"}
    command = ["aws bedrock-runtime converse \\", f"  --region {region} \\", f"  --model-id {model_id} \\",
               "  --messages file://messages.json \\",
               *(f"  {names.get(k) or _cli_option(k)} {sh_quote(json.dumps(v, ensure_ascii=False))} \\"
                 for k, v in kwargs.items()), "  > response.json"]
    return setup, command


def _chat_cli(chat: _Chat, title: str, facts: str, folder: str) -> str:
    kwargs = dict(chat.kwargs)
    messages = kwargs.pop("messages")
    model_id = kwargs.pop("modelId", chat.invoke_id)
    setup, command = _converse_cli_call(messages, kwargs, chat.region, model_id)
    lines = [*setup, *command,
             "jq -r '.output.message.content[0].text' response.json | tee answer.md",
             "jq -r '.usage | \"(\\(.inputTokens) tokens in, \\(.outputTokens) out)\"' response.json"]
    head = ["#!/usr/bin/env bash", f"# {title}", f"# {facts}.",
            "# The same conversation with the AWS CLI v2 (Converse; the CLI has no streaming) and jq.",
            "set -euo pipefail"]
    return "\n".join(head + _cli_folder(lines, folder)) + "\n"


# --- lab 1: build an index and search it --------------------------------------------------------------


@dataclass
class SearchHit:
    """A photo the search returned: its title, score, and how to read the file the app indexed."""

    title: str
    score: float
    read: Callable[[], bytes]


_TEXT, _FORMAT, _PURPOSE = "\x00text\x00", "\x00format\x00", "\x00purpose\x00"


def _sentinel_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


def _body_template(model: EmbeddingModel, dimension: int, *, text: str | None, image: str | None,
                   purpose: str | None) -> Any:
    """The engine's body builder fed with placeholders, which become the script's variables (`text`, `path`,
    `purpose`)."""
    from lib.search.embeddings import PreparedInput

    engine = engine_for(model)
    sentinel = _sentinel_png()
    prepared = PreparedInput(text=_TEXT if text else None, image=sentinel if image else None,
                             image_format=_FORMAT if image else None, purpose=EmbeddingPurpose.INDEX,
                             image_size=(8, 8) if image else None)
    body = engine.requests(model, dimension, [prepared])[0]  # one call: text, image, or both where one call takes both
    image_b64 = base64.b64encode(sentinel).decode("ascii")
    mapping: dict[str, Any] = {_TEXT: Code(text or "None"), image_b64: Code(f"b64_file({image})"),
                               _FORMAT: Code(f"image_format({image})"),
                               f"data:image/{_FORMAT};base64,{image_b64}": Code(f"data_uri({image})")}
    marker = engine.purpose_value(EmbeddingPurpose.INDEX)
    if purpose and marker:
        mapping[marker] = Code(purpose)
    return replace_values(body, mapping)


def _purpose(model: EmbeddingModel, purpose: EmbeddingPurpose) -> str:
    """The purpose as the model's body says it, as a string literal (its catalog value where the body has none)."""
    return _string(engine_for(model).purpose_value(purpose) or purpose.value)


@dataclass
class _Search:
    model: EmbeddingModel
    dimension: int
    region: str
    invoke_id: str
    query_bodies: list[Any]  # externalised; several are averaged (Nova: text and image separately)
    query_text: str | None  # as sent (fitted)
    query_image: str | None  # its file name
    similar_to: str | None  # the stem of a photo in images/: the query is that photo's own vector
    k: int
    min_score: float


def search_bundle(*, model_id: str, dimension: int, preferred_region: str, text: str | None = None,
                  image: bytes | None = None, similar_to: SearchHit | None = None, k: int = 8,
                  min_score: float = 0.0, hits: list[SearchHit] | None = None,
                  created_at: float | None = None) -> CodeBundle:
    """Lab 1's build-and-search as code: embed the photos in images/, embed the query, rank by cosine."""
    from lib.search.embeddings import EmbeddingInput, prepare_input

    model = get_embedding_model(model_id)
    if model.runs_locally:
        raise CodeUnavailable(N_("This search ran on this machine's offline engine: there is no Bedrock request to "
                              "show."))
    region, invoke_id, _profile = call_target(model, preferred_region)
    files = Files()
    bodies: list[Any] = []
    query_text = query_image = None
    if image is not None and similar_to is None:  # the query photo is named "query", beside images/
        files.add(prepare_input(model, EmbeddingInput(image=image)).image or image, "query")
    if similar_to is None:  # the engine's bodies: one call, or two averaged (Nova's text and image, as the app does)
        prepared = prepare_input(model, EmbeddingInput(text=text or None, image=image,
                                                       purpose=EmbeddingPurpose.RETRIEVAL))
        query_text = prepared.text
        bodies = [externalise(body, files) for body in engine_for(model).requests(model, dimension, [prepared])]
        query_image = next((r.name for r in _refs(bodies)), None)
    hits = list(hits or [])
    named: list[tuple[str, SearchHit]] = []
    used: set[str] = set()
    for hit in ([similar_to] if similar_to else []) + hits:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", hit.title.rsplit(".", 1)[0]).strip("-.") or "photo"
        name, n = stem, 2
        while name in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name)
        named.append((name, hit))

    def load() -> dict[str, bytes]:
        out = {name: data for name, data in files.contents.items()}
        for stem, hit in named:
            try:
                data = prepare_input(model, EmbeddingInput(image=hit.read())).image or b""
            except Exception:  # noqa: BLE001 - a file gone since the search: left out of the download
                continue
            ext = EXTENSIONS.get(sniff_format(data) or "", "png")
            out[f"images/{stem}.{ext}"] = data
        return out

    search = _Search(model, dimension, region, invoke_id, bodies, query_text, query_image,
                     named[0][0] if similar_to is not None else None, k, min_score)
    title = f"Lab 1 · Image search — {model.label}, {dimension} dimensions"
    what = "photos like an indexed one" if similar_to else \
        "by text and image" if text and image else "by image" if image else "by text"
    facts = f"Model {model.id} in {region} · search {what} · k {k}, minimum score {min_score:g} · Bedrock Image Workshop"
    how = (_("search for photos like an indexed one") if similar_to else _("search by text and image") if text and image
           else _("search by image") if image else _("search by text"))
    shown = " · ".join([_("Model {model} in {region}").format(model=model.id, region=region), how,
                        _("k {k}, minimum score {score}").format(k=k, score=f"{min_score:g}"),
                        _("Bedrock Image Workshop")])
    ranking = "\n".join(f"{n}. {name}  score {hit.score:.3f}"
                        for n, (name, hit) in enumerate(named[1 if similar_to else 0:], start=1))
    if similar_to:
        said = ngettext("images/ holds the {count} photo this search returned and the photo searched from; put more "
                        "photos there to search a bigger collection.",
                        "images/ holds the {count} photos this search returned and the photo searched from; put more "
                        "photos there to search a bigger collection.", len(hits))
    else:
        said = ngettext("images/ holds the {count} photo this search returned; put more photos there to search a "
                        "bigger collection.",
                        "images/ holds the {count} photos this search returned; put more photos there to search a "
                        "bigger collection.", len(hits))
    notes = [said.format(count=len(hits))]
    return CodeBundle(
        key=_key("search", model.id, dimension, region, text, hashlib.sha256(image or b"").hexdigest(),
                 similar_to.title if similar_to else None, k, min_score, [h.title for h in hits]),
        lab="lab1", title=title, facts=facts, created_at=created_at or time.time(),
        stem="lab1_search", render=lambda style, folder, nb: _render_search(search, title, facts, style, folder,
                                                                             nb),
        styles=("boto3", "langchain", "cli") if bodies else ("boto3", "langchain"),
        requirements={"boto3": "boto3 numpy", "langchain": "boto3 numpy faiss-cpu langchain-community",
                      "cli": CLI_NEEDS},
        outputs=[ResultOutput("text", ranking + "\n", "results.json")], notes=notes, load_files=load,
        shown_facts=shown)


_IMAGE_FORMAT = '''def image_format(path):
    """The format name Bedrock expects for an image file."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"jpg": "jpeg"}.get(suffix, suffix)
'''

_DATA_URI_FILE = '''def data_uri(path):
    """An image file as a data URI: how Cohere Embed v4 bodies carry images."""
    return f"data:image/{image_format(path)};base64,{b64_file(path)}"
'''


def _jq_vector(model: EmbeddingModel) -> str:
    return engine_for(model).jq_vector


def _vector_expr(model: EmbeddingModel) -> str:
    return engine_for(model).python_vector


def _render_search(s: _Search, title: str, facts: str, style: str, folder: str, notebook: bool) -> str:
    if style == "cli":
        return _search_cli(s, title, facts, folder)
    out = [] if notebook else [_docstring(title, [facts + ".", "", "Builds a small index of the photos in images/ "
                                                  "(one embedding each), embeds the query the app embedded, and "
                                                  "ranks the photos by cosine similarity."]), ""]
    doc_body = _body_template(s.model, s.dimension, text=None, image="path", purpose="purpose")
    index_purpose = _purpose(s.model, EmbeddingPurpose.INDEX)
    head = ["import base64", "import json", "from pathlib import Path", "", "import boto3", "import numpy as np"]
    if style == "langchain":
        head += ["from langchain_community.vectorstores import FAISS",
                 "from langchain_community.vectorstores.utils import DistanceStrategy",
                 "from langchain_core.embeddings import Embeddings"]
    out += head + ["", ""]
    out += [f"MODEL_ID = {_string(s.invoke_id)}", f"K, MIN_SCORE = {s.k}, {s.min_score!r}",
            f"PHOTOS = Path({_string(folder + 'images')})", "", ""]
    out += [_B64_FILE, ""]
    helpers_at = len(out)  # image_format / data_uri go here when the code uses them
    paths = ("paths = sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in "
             f"{py(list(IMAGE_SUFFIXES))})")
    results = [f"Path({_string(folder + 'results.json')}).write_text(json.dumps(results, indent=2))"]
    if style == "langchain":
        text_doc = _body_template(s.model, s.dimension, text="text", image=None, purpose="purpose")
        out += [f"class BedrockImageEmbeddings(Embeddings):",
                f'    """LangChain Embeddings for {s.model.label}: texts, and photos with embed_image."""', "",
                "    def __init__(self, model_id, region_name):", "        self.model_id = model_id",
                '        self.client = boto3.client("bedrock-runtime", region_name=region_name)', "",
                "    def _embed(self, body):",
                "        response = self.client.invoke_model(modelId=self.model_id, body=json.dumps(body),",
                '                                            contentType="application/json", '
                'accept="application/json")',
                '        result = json.loads(response["body"].read())',
                f"        vector = np.array({_vector_expr(s.model)}, dtype=np.float32)",
                "        return (vector / np.linalg.norm(vector)).tolist()  # unit length: dot product = cosine",
                "",
                f"    def _text(self, text, purpose):",
                f"        return self._embed({py(text_doc, folder, 2)})", "",
                "    def embed_documents(self, texts):",
                f"        return [self._text(text, {index_purpose}) for text in texts]", "",
                "    def embed_query(self, text):",
                f"        return self._text(text, {_purpose(s.model, EmbeddingPurpose.RETRIEVAL)})", "",
                f"    def embed_image(self, path, purpose={index_purpose}):",
                f"        return self._embed({py(doc_body, folder, 2)})", "", "",
                f"embeddings = BedrockImageEmbeddings(MODEL_ID, region_name={_string(s.region)})",
                "# 1. Build the index: one embedding per photo, in FAISS (inner product = cosine for unit vectors).",
                paths,
                "index = FAISS.from_embeddings(",
                "    [(path.name, embeddings.embed_image(path)) for path in paths], embeddings,",
                '    metadatas=[{"image_path": path.name} for path in paths],',
                "    distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT)",
                'print(f"indexed {len(paths)} photos")', ""]
        out += _search_query_langchain(s)
        out += ["# 3. The K best photos with at least MIN_SCORE.",
                "found = index.similarity_search_with_score_by_vector(query, k=K + len(skip))",
                "hits = [(Path(doc.metadata[\"image_path\"]).stem, float(score)) for doc, score in found",
                "        if Path(doc.metadata[\"image_path\"]).stem not in skip and score >= MIN_SCORE][:K]"]
    else:
        out += [f'client = boto3.client("bedrock-runtime", region_name={_string(s.region)})', "", "",
                "def embed(body):",
                '    """One InvokeModel call; the embedding as a unit vector (so a dot product is the cosine)."""',
                "    response = client.invoke_model(modelId=MODEL_ID, body=json.dumps(body),",
                '                                   contentType="application/json", accept="application/json")',
                '    result = json.loads(response["body"].read())',
                f"    vector = np.array({_vector_expr(s.model)}, dtype=np.float32)",
                "    return vector / np.linalg.norm(vector)", "", "",
                f"def image_body(path, purpose={index_purpose}):",
                '    """The body that embeds one photo."""',
                f"    return {py(doc_body, folder, 1)}", "", "",
                "# 1. Build the index: one embedding per photo.", paths,
                "vectors = np.stack([embed(image_body(path)) for path in paths])",
                'print(f"indexed {len(paths)} photos")', ""]
        out += _search_query_boto3(s, folder)
        out += ["# 3. Rank by cosine similarity, best first: the K best with at least MIN_SCORE.",
                "scores = vectors @ query",
                "hits = [(paths[i].stem, float(scores[i])) for i in np.argsort(-scores)",
                "        if paths[i].stem not in skip and scores[i] >= MIN_SCORE][:K]"]
    out += ["results = []", "for rank, (name, score) in enumerate(hits, start=1):",
            '    print(f"{rank}. {name}  score {score:.3f}")',
            '    results.append({"rank": rank, "photo": name, "score": round(score, 4)})', *results]
    code = "\n".join(out)
    helpers = [_IMAGE_FORMAT, ""] if "image_format(" in code or "data_uri(" in code else []
    out[helpers_at:helpers_at] = helpers + ([_DATA_URI_FILE, ""] if "data_uri(" in code else [])
    return "\n".join(out) + "\n"


def _search_query_boto3(s: _Search, folder: str) -> list[str]:
    if s.similar_to:
        name = _string(s.similar_to)
        return ["# 2. The query: the indexed photo's own vector (no call), the photo itself left out.",
                f"skip = {{{name}}}", f"query = vectors[[path.stem for path in paths].index({name})]", ""]
    lines = ["# 2. Embed the query, exactly as the app did."]
    if len(s.query_bodies) == 1:
        lines.append(f"query = embed({py(s.query_bodies[0], folder)})")
    else:
        lines += ["# This model embeds text and image in separate calls; the two vectors are averaged.",
                  *(f"part_{n} = embed({py(b, folder)})" for n, b in enumerate(s.query_bodies, start=1)),
                  "query = part_1 + part_2", "query = query / np.linalg.norm(query)"]
    return lines + ["skip = set()", ""]


def _search_query_langchain(s: _Search) -> list[str]:
    retrieval = _purpose(s.model, EmbeddingPurpose.RETRIEVAL)
    if s.similar_to:
        name = _string(s.similar_to)
        return ["# 2. The query: the indexed photo's vector, the photo itself left out.",
                f"skip = {{{name}}}",
                f"query = embeddings.embed_image(next(path for path in paths if path.stem == {name}))", ""]
    lines = ["# 2. Embed the query, exactly as the app did."]
    image = f"PHOTOS.parent / {_string(s.query_image)}" if s.query_image else None
    if s.query_text and image and len(s.query_bodies) == 1:
        joint = _body_template(s.model, s.dimension, text="text", image="path", purpose="purpose")
        lines += [f"text, path, purpose = {_string(s.query_text)}, {image}, {retrieval}",
                  f"query = embeddings._embed({py(joint, '', 0)})"]
    elif s.query_text and image:
        lines += ["# This model embeds text and image in separate calls; the two vectors are averaged.",
                  f"query = np.add(embeddings.embed_query({_string(s.query_text)}), "
                  f"embeddings.embed_image({image}, {retrieval}))",
                  "query = (query / np.linalg.norm(query)).tolist()"]
    elif image:
        lines.append(f"query = embeddings.embed_image({image}, {retrieval})")
    else:
        lines.append(f"query = embeddings.embed_query({_string(s.query_text or '')})")
    return lines + ["skip = set()", ""]


def _search_cli(s: _Search, title: str, facts: str, folder: str) -> str:
    lines: list[str] = []
    for n, body in enumerate(s.query_bodies, start=1):
        refs = _refs(body)
        name = "query" if len(s.query_bodies) == 1 else f"query-{n}"
        lines += _cli_files(refs) + [f"jq -n{_jq_args(refs)} {sh_quote(jq(body))} > {name}-body.json",
                                     "aws bedrock-runtime invoke-model \\", f"  --region {s.region} \\",
                                     f"  --model-id {s.invoke_id} \\",
                                     "  --content-type application/json --accept application/json \\",
                                     f"  --body fileb://{name}-body.json {name}-vector.json",
                                     f"jq '{_jq_vector(s.model)} | length' {name}-vector.json  # its size"]
    head = ["#!/usr/bin/env bash", f"# {title}", f"# {facts}.",
            "# The query's embedding call with the AWS CLI v2 and jq (ranking needs code: see the Python "
            "versions).", "set -euo pipefail"]
    return "\n".join(head + _cli_folder(lines, folder)) + "\n"


# --- notebooks ------------------------------------------------------------------------------------


def _outputs(bundle: CodeBundle, folder: str) -> list[Any]:
    from nbformat.v4 import new_output

    outputs: list[Any] = []
    for item in bundle.outputs:
        if item.kind == "image" and isinstance(item.data, bytes):
            fmt = sniff_format(item.data) or "png"
            mime = MIME_TYPES.get(fmt, "image/png")
            data = item.data
            if mime not in ("image/png", "image/jpeg"):
                with Image.open(io.BytesIO(data)) as img:
                    buf = io.BytesIO()
                    img.save(buf, "PNG")
                    data, mime = buf.getvalue(), "image/png"
            outputs.append(new_output("stream", name="stdout", text=f"saved {folder}{item.name}\n"))
            outputs.append(new_output("display_data", data={mime: base64.b64encode(data).decode("ascii"),
                                                            "text/plain": "<IPython.core.display.Image object>"}))
        elif isinstance(item.data, str):
            outputs.append(new_output("stream", name="stdout", text=item.data.rstrip("\n") + "\n"))
    return outputs


def notebook(bundles: list[CodeBundle], title: str = "Bedrock Image Workshop") -> Any:
    """A Jupyter notebook: per step a Markdown cell (what the lab teaches) and the code cell that reproduces it,
    with what the app got already shown as its output. Step N reads and writes its files under stepNN/."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"},
                                "language_info": {"name": "python"}})
    installs = sorted({word for b in bundles for word in b.requirements.get("boto3", "boto3").split()})
    nb.cells.append(new_markdown_cell(
        f"# {title}\n\nEach step is a result from the workshop: what the lab teaches, then the code that makes it "
        "with boto3 — the same model, region and request the app sent. The outputs below each cell are what the "
        "app got; run a cell to make them again (each call is charged as in the app).\n\n"
        f"Needs `pip install {' '.join(installs)}` and your usual AWS credentials (`aws configure`, `AWS_PROFILE`, "
        "SSO). Step N's input files are in the folder `stepNN/` beside this notebook."))
    for n, bundle in enumerate(bundles, start=1):
        folder = f"step{n:02d}/"
        notes = "".join(f"\n\n> {note}" for note in bundle.notes)
        nb.cells.append(new_markdown_cell(f"## Step {n} · {bundle.title}\n\n{bundle.lesson}\n\n*{bundle.facts}*"
                                          f"{notes}"))
        cell = new_code_cell(bundle.script("boto3", folder=folder, notebook=True).rstrip("\n"),
                             outputs=_outputs(bundle, folder), execution_count=n)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook_zip(bundles: list[CodeBundle], title: str = "Bedrock Image Workshop",
                 folder: str = "workshop-notebook") -> bytes:
    """The notebook with each step's input files, zipped: unzip and open workshop.ipynb."""
    import nbformat

    nb = notebook(bundles, title)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{folder}/workshop.ipynb", nbformat.writes(nb))
        for n, bundle in enumerate(bundles, start=1):
            zf.writestr(f"{folder}/step{n:02d}/", b"")  # every step writes its outputs into its folder
            for name, data in bundle.files().items():
                zf.writestr(f"{folder}/step{n:02d}/{name}", data, compress_type=zipfile.ZIP_STORED)
        zf.writestr(f"{folder}/README.md", f"# {title}\n\nOpen `workshop.ipynb` in Jupyter from this folder "
                                           "(`pip install notebook boto3`, then `jupyter notebook workshop.ipynb`)."
                                           "\n")
    return buf.getvalue()


def entry_bundles(entries: list[Any]) -> tuple[list[CodeBundle], list[str]]:
    """The code of each History entry that has some, oldest first, and why the others have none."""
    bundles, skipped = [], []
    for entry in sorted(entries, key=lambda e: e.created_at):
        try:
            bundles.append(image_bundle(entry))
        except CodeUnavailable as why:
            skipped.append(f"{entry.when} · {entry.model_label}: {why}")
    return bundles, skipped


def history_notebook(entries: list[Any], title: str = "Bedrock Image Workshop — chosen results") -> bytes:
    """Chosen History entries as a notebook (zip with the input files): the History page's export."""
    bundles, _ = entry_bundles(entries)
    if not bundles:
        raise CodeUnavailable(N_("None of these results has code to export."))
    return notebook_zip(bundles, title)
