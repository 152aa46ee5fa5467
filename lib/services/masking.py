"""Masks made on this machine for the mask editor: an object found by name, a rectangle cut to its object.

Why a service: the mask editor (lib/ui) shows what the offline engines would select before anything runs,
and reaches them here rather than importing the engines itself.
"""

from __future__ import annotations

from PIL import Image

from lib.local.object_finder import FoundObject, find_object
from lib.local.segmentation import grabcut_available, refine_boxes

__all__ = ["FoundObject", "find_named_object", "can_refine_boxes", "refine_to_objects"]


def find_named_object(image: Image.Image, prompt: str) -> FoundObject:
    """What the offline eraser would remove for `prompt` (ImageNet's classes only; deterministic)."""
    return find_object(image, prompt)


def can_refine_boxes() -> bool:
    """Whether GrabCut (OpenCV) is installed here."""
    return grabcut_available()


def refine_to_objects(image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """The selection cut along the object's edges inside each box (GrabCut)."""
    return refine_boxes(image, boxes)
