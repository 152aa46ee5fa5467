"""Sample photos: read at run time from the packages that ship them, a few kept in images/samples/, and an
instructor's own folder (WORKSHOP_SAMPLES_DIR) — see images/manifest.json.

Why most are not copied into the repo: the packages are installed anyway, and the manifest keeps each
photo's source and licence next to its id. Photos of subjects no Python package ships (a house, a car, a
sign, fruit) are copies from a Debian package whose licence allows it, recorded in the same manifest.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lib.i18n import N_, _

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IMAGES = PROJECT_ROOT / "images"
MANIFEST = IMAGES / "manifest.json"
SAMPLES_DIR_ENV = "WORKSHOP_SAMPLES_DIR"  # an instructor's own photos, shown in every lab's sample picker
OWN_MANIFEST = "manifest.json"  # optional, inside that folder: titles and per-photo suggestions
OWN_PREFIX = "own:"
PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})


# The shipped photos' words (images/manifest.json) as messages, so the catalog holds them: a photo's title, licence
# and source are kept in English in the manifest and translated where they are shown (Sample.shown_title,
# Sample.credit). tests/test_samples.py fails when the manifest has a text this list lacks.
SAMPLE_TITLES = (
    N_("Chelsea the cat"),
    N_("Coffee cup"),
    N_("Astronaut Eileen Collins"),
    N_("Falcon 9 launch"),
    N_("Grace Hopper"),
    N_("Temple in China"),
    N_("Flower"),
    N_("Hubble eXtreme Deep Field"),
    N_("Cameraman (greyscale)"),
    N_("Scanned page of text"),
    N_("Handwritten maths (greyscale)"),
    N_("Parking notice on a street"),
    N_("Road sign to the Sports Centre"),
    N_("Street corner with a red car"),
    N_("Red brick house"),
    N_("Fruit: orange, lemon, lime and kiwi"),
)
SAMPLE_LICENCES = (
    N_("CC0 — photographer Stefan van der Walt"),
    N_("CC0 — photographer Rachel Michetti"),
    N_("Public domain (NASA; no known copyright restrictions)"),
    N_("Public domain (released by SpaceX)"),
    N_("Public domain (U.S. Navy photograph)"),
    N_("CC BY 2.0 — danielbuechele on Flickr"),
    N_("CC BY 2.0 — vultilion on Flickr"),
    N_("Public domain (NASA)"),
    N_("CC0 — photographer Lav Varshney"),
    N_("Distributed with scikit-image under its BSD-3-Clause licence (no separate photo credit given)"),
    N_("Public domain (Wikipedia File:Corner.png; no known copyright restrictions)"),
    N_("Apache-2.0 AND BSD-3-Clause, as Debian's copyright file for OpenCV declares for its source tree (Files: *), "
       "which includes these sample images"),
)
SAMPLE_SOURCES = (
    N_("scikit-image data module (skimage.data.chelsea)"),
    N_("scikit-image data module (skimage.data.coffee), courtesy of Pikolo Espresso Bar"),
    N_("scikit-image data module (skimage.data.astronaut), NASA Great Images"),
    N_("scikit-image data module (skimage.data.rocket), SpaceX Photos"),
    N_("matplotlib sample data (matplotlib.cbook.get_sample_data)"),
    N_("scikit-learn sample images (sklearn.datasets.load_sample_image)"),
    N_("scikit-image data module (skimage.data.hubble_deep_field), HubbleSite"),
    N_("scikit-image data module (skimage.data.camera)"),
    N_("scikit-image data module (skimage.data.page)"),
    N_("scikit-image data module (skimage.data.text)"),
    N_("OpenCV text-module sample (scenetext01.jpg), shipped in Debian's opencv-doc"),
    N_("OpenCV text-module sample (scenetext02.jpg), shipped in Debian's opencv-doc"),
    N_("OpenCV text-module sample (scenetext06.jpg), shipped in Debian's opencv-doc"),
    N_("OpenCV reg-module sample (home.png), shipped in Debian's opencv-doc"),
    N_("OpenCV sample data (samples/data/fruits.jpg), shipped in Debian's opencv-doc"),
)
OWN_SOURCE = N_("The instructor's own photos (WORKSHOP_SAMPLES_DIR)")
OWN_LICENCE = N_("as the instructor states")


@dataclass(frozen=True)
class Sample:
    id: str
    title: str
    package: str
    path: str
    subjects: tuple[str, ...]
    source: str
    licence: str
    local_file: Path | None = None  # kept in images/ or in the instructor's folder, not in a package
    suggestions: tuple[str, ...] = ()  # ideas for this photo, from the instructor's manifest

    @property
    def own(self) -> bool:
        """One of the instructor's photos (WORKSHOP_SAMPLES_DIR)."""
        return self.id.startswith(OWN_PREFIX)

    def file(self) -> Path | None:
        """Where the photo is: its own file, or inside the installed package; None if it is missing."""
        if self.local_file is not None:
            return self.local_file if self.local_file.is_file() else None
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        candidate = Path(list(spec.submodule_search_locations)[0]) / self.path
        return candidate if candidate.is_file() else None

    def read_bytes(self) -> bytes:
        path = self.file()
        if path is None and self.local_file is not None:
            raise FileNotFoundError(_("Sample “{title}”: the file {path} is missing.").format(
                title=self.shown_title, path=self.local_file))
        if path is None:
            raise FileNotFoundError(_("Sample “{title}” needs the package {package}; install requirements.txt.")
                                    .format(title=self.shown_title, package=self.package))
        return path.read_bytes()

    @property
    def shown_title(self) -> str:
        """The title in the current language (an instructor's own photo: as their manifest or file names it).

        `title` stays the manifest's English: History, the search index and generated code keep it."""
        return self.title if self.own else _(self.title)

    @property
    def credit(self) -> str:
        """Title, licence and source in the current language (an instructor's texts as written)."""
        return _("{title} — {licence}. Source: {source}.").format(
            title=self.shown_title, licence=_(self.licence), source=_(self.source))


@lru_cache(maxsize=1)
def all_samples() -> tuple[Sample, ...]:
    """Every sample in the manifest, in manifest order."""
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return tuple(Sample(id=s["id"], title=s["title"], package=s.get("package", ""), path=s.get("path") or s["file"],
                        subjects=tuple(s.get("subjects", ())), source=s["source"], licence=s["licence"],
                        local_file=IMAGES / s["file"] if s.get("file") else None)
                 for s in data["samples"])


def samples_dir(env: dict[str, str] | None = None) -> Path | None:
    """The instructor's folder of photos (WORKSHOP_SAMPLES_DIR), when it is set and exists."""
    value = (os.environ if env is None else env).get(SAMPLES_DIR_ENV, "").strip()
    folder = Path(value).expanduser() if value else None
    return folder if folder is not None and folder.is_dir() else None


def own_samples(folder: Path | None = None) -> tuple[Sample, ...]:
    """The photos in the instructor's folder, with the titles and suggestions of its optional manifest.json.

    The manifest (all keys optional but "file"): {"samples": [{"file": "desk.jpg", "title": "Antique desk",
    "subjects": ["desk", "wall"], "suggestions": ["A hutch on the desk"], "source": "…", "licence": "…"}]}.
    Photos it does not list are shown under their file name.
    """
    folder = folder if folder is not None else samples_dir()
    if folder is None:
        return ()
    manifest = folder / OWN_MANIFEST
    stamp = (folder.stat().st_mtime, manifest.stat().st_mtime if manifest.is_file() else 0.0)
    return _own_samples(str(folder.resolve()), stamp)


@lru_cache(maxsize=4)
def _own_samples(folder: str, _stamp: tuple[float, float]) -> tuple[Sample, ...]:
    root = Path(folder)
    described: dict[str, dict] = {}
    manifest = root / OWN_MANIFEST
    if manifest.is_file():
        try:
            rows = json.loads(manifest.read_text(encoding="utf-8")).get("samples", [])
            described = {str(row["file"]): row for row in rows if isinstance(row, dict) and row.get("file")}
        except (ValueError, AttributeError):
            described = {}  # a broken manifest leaves the photos listed under their file names
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())
    samples = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        row = described.get(rel, {})
        samples.append(Sample(
            id=f"{OWN_PREFIX}{rel}", title=str(row.get("title") or path.stem.replace("_", " ")), package="",
            path=rel, subjects=tuple(str(x) for x in row.get("subjects", ())),
            source=str(row.get("source") or OWN_SOURCE), licence=str(row.get("licence") or OWN_LICENCE),
            local_file=path,
            suggestions=tuple(str(x) for x in row.get("suggestions", ()))))
    return tuple(samples)


def available_samples() -> list[Sample]:
    """The instructor's own photos first, then the shipped samples that are installed (missing ones are left out)."""
    return [*own_samples(), *(s for s in all_samples() if s.file() is not None)]


def get_sample(sample_id: str) -> Sample:
    for s in (*all_samples(), *own_samples()):
        if s.id == sample_id:
            return s
    raise KeyError(sample_id)


@lru_cache(maxsize=32)
def sample_bytes(sample_id: str) -> bytes:
    return get_sample(sample_id).read_bytes()


MASK_PRESETS = PROJECT_ROOT / "images" / "mask_presets.json"
Box = tuple[float, float, float, float]
# The named rectangles of images/mask_presets.json as messages (shown translated in the mask editor's placements and
# in the labs' example lists); tests/test_samples.py fails when the file names one this list lacks.
PLACEMENT_NAMES = (
    N_("Background on the right"), N_("Cat's eyes"), N_("Chimney"), N_("Cup of coffee"), N_("Flag"),
    N_("Hanging sign"), N_("Helmet"), N_("Kiwi"), N_("Lemon"), N_("Lime"), N_("Newspaper box"), N_("Notice sign"),
    N_("Orange"), N_("Red car"), N_("Road sign"), N_("Silver car"), N_("Sky"), N_("Space shuttle"), N_("Spoon"),
    N_("Table on the left"), N_("Temple"), N_("Trees on the right"), N_("Window"),
)


@lru_cache(maxsize=1)
def _mask_presets() -> dict:
    return json.loads(MASK_PRESETS.read_text(encoding="utf-8"))


def rectangle_presets(sample_id: str | None) -> dict[str, Box]:
    """Named boxes (fractions of the image) of what a sample photo shows.

    The workshop's desk placements are kept in the file for the record but not offered: no sample shows a
    desk, and a placement must name something in the photo.
    """
    data = _mask_presets()
    return {name: tuple(box) for name, box in data["samples"].get(sample_id or "", {}).items()}


def to_pixels(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A fractional box in whole pixels of an image of `size`."""
    w, h = size
    return round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)
