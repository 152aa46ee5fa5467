"""What each lab can do on Bedrock and on this machine: the home page's capability table.

Built from the catalog rows (a local engine is a row with `runs_locally`), so a new local
engine shows up here by itself; the per-lab wording of what is missing lives in LOCAL_GAPS.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.catalog import CHAT_MODELS, EMBEDDING_MODELS, MODELS, Task
from lib.labs import LABS

# What a lab's Bedrock models do, and what is still missing offline (and why).
LAB_TASKS: dict[int, tuple[str, str]] = {
    1: ("Search by text, image or both (multimodal embeddings)", ""),
    2: ("Text to image", "No packaged image-generation model exists; nothing local can draw."),
    3: ("Image variation", "Needs a generative model; none ships offline."),
    4: ("Inpainting / outpainting with a mask image or mask prompt", "Painting new content needs Bedrock."),
    5: ("Replace or remove a named object", "Finding an object by name needs a prompted mask (not offline yet); "
                                           "remove it with a drawn mask in lab 7."),
    6: ("Replace the background", "Needs a generative model for the new scene."),
    7: ("Fill a drawn mask from a prompt, or erase it", "Painting from a prompt needs Bedrock."),
    8: ("Describe, classify, list, transcribe, translate, answer", "Story, emotion, translation and free questions "
                                                                  "need a language model."),
    9: ("Chat about several images", "Chat needs a language model; none ships offline."),
}


@dataclass(frozen=True)
class Capability:
    lab: str
    bedrock: str
    local: str  # the local engines and what they do, or "—"
    limits: str


def _local_engines(number: int) -> list[str]:
    if number == 1:
        return [m.label for m in EMBEDDING_MODELS if m.runs_locally]
    if number == 8:
        return [m.label for m in CHAT_MODELS if m.runs_locally]
    if number == 7:
        return [f"{m.label}: erase" for m in MODELS if m.runs_locally and m.supports(Task.ERASE)]
    return []


def capability_table() -> list[Capability]:
    rows = []
    for item in LABS:
        task, gap = LAB_TASKS[item.number]
        engines = _local_engines(item.number)
        notes = {1: "ImageNet's 1000 classes only: no colours, text, people or scenes.",
                 8: "Six of nine presets; captions are templates.",
                 7: "Classical fill: fine on smooth backgrounds, smeared on texture."}
        limits = " ".join(part for part in (notes.get(item.number, "") if engines else "", gap) if part)
        rows.append(Capability(f"{item.number}. {item.title}", task, "; ".join(engines) or "—", limits))
    return rows
