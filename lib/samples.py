"""Sample photos, read at run time from the packages that ship them (see images/manifest.json).

Why not copy them into the repo: the packages are installed anyway, and the
manifest keeps each photo's source and licence next to its id.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = PROJECT_ROOT / "images" / "manifest.json"


@dataclass(frozen=True)
class Sample:
    id: str
    title: str
    package: str
    path: str
    subjects: tuple[str, ...]
    source: str
    licence: str

    def file(self) -> Path | None:
        """Where the installed package keeps the photo, or None if the package is missing."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        candidate = Path(list(spec.submodule_search_locations)[0]) / self.path
        return candidate if candidate.is_file() else None

    def read_bytes(self) -> bytes:
        path = self.file()
        if path is None:
            raise FileNotFoundError(f"Sample “{self.title}” needs the package {self.package}; "
                                    f"install requirements.txt.")
        return path.read_bytes()

    @property
    def credit(self) -> str:
        return f"{self.title} — {self.licence}. Source: {self.source}."


@lru_cache(maxsize=1)
def all_samples() -> tuple[Sample, ...]:
    """Every sample in the manifest, in manifest order."""
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return tuple(Sample(id=s["id"], title=s["title"], package=s["package"], path=s["path"],
                        subjects=tuple(s.get("subjects", ())), source=s["source"], licence=s["licence"])
                 for s in data["samples"])


def available_samples() -> list[Sample]:
    """Samples whose package is installed (the rest are quietly left out)."""
    return [s for s in all_samples() if s.file() is not None]


def get_sample(sample_id: str) -> Sample:
    for s in all_samples():
        if s.id == sample_id:
            return s
    raise KeyError(sample_id)


@lru_cache(maxsize=32)
def sample_bytes(sample_id: str) -> bytes:
    return get_sample(sample_id).read_bytes()


MASK_PRESETS = PROJECT_ROOT / "images" / "mask_presets.json"
Box = tuple[float, float, float, float]


@lru_cache(maxsize=1)
def _mask_presets() -> dict:
    return json.loads(MASK_PRESETS.read_text(encoding="utf-8"))


def rectangle_presets(sample_id: str | None) -> dict[str, Box]:
    """Named boxes (fractions of the image) for a sample, then the workshop's desk placements."""
    data = _mask_presets()
    presets: dict[str, Box] = {name: tuple(box) for name, box in data["samples"].get(sample_id or "", {}).items()}
    presets.update({f"Workshop: {name}": tuple(box) for name, box in data["workshop"].items()})
    return presets


def to_pixels(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A fractional box in whole pixels of an image of `size`."""
    w, h = size
    return round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)
