"""Speed of the offline engines (issue 6, local mode), on photos that ship in installed packages.

Run from the repository root: `.venv/bin/python bench/local_bench.py` (about a minute on 2 CPUs).
Prints a Markdown report and writes it to bench/local_results.md. No AWS, no network: the engines'
weights ship inside the installed wheels.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["WORKSHOP_DATA_DIR"] = tempfile.mkdtemp(prefix="local-bench-")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont, ImageOps  # noqa: E402

from lib.catalog import LOCAL_SEARCH_DIMENSION, LOCAL_TAGS_ID, Task  # noqa: E402
from lib.generation.requests import EditRequest  # noqa: E402
from lib.services.images import edit  # noqa: E402
from lib.local.object_finder import find_object  # noqa: E402
from lib.local.understanding import read_text  # noqa: E402
from lib.samples import available_samples  # noqa: E402
from lib.search.build import build_index  # noqa: E402
from lib.search.index import ImageIndex, VectorSpace  # noqa: E402
from lib.search.local_embeddings import LocalEmbeddings  # noqa: E402
from lib.search.sources import FolderSource  # noqa: E402

ROUNDS = 20


def ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"{statistics.median(ordered) * 1000:.1f} / {p95 * 1000:.1f} ms"


def gallery(folder: Path, copies: int = 5) -> int:
    """The sample photos, each also mirrored, rotated and cropped, so every file differs (55 images)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for sample in available_samples():
        img = Image.open(io.BytesIO(sample.read_bytes())).convert("RGB")
        variants = [img, ImageOps.mirror(img), img.rotate(8, expand=True),
                    img.crop((0, 0, img.width * 3 // 4, img.height * 3 // 4)), ImageOps.grayscale(img).convert("RGB")]
        for i, variant in enumerate(variants[:copies]):
            variant.save(folder / f"{sample.id}-{i}.jpg", quality=90)
            n += 1
    return n


def main() -> None:
    work = Path(os.environ["WORKSHOP_DATA_DIR"])
    lines = ["# Offline engines — benchmark results", "",
             f"`bench/local_bench.py` on {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
             f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", ""]

    started = time.perf_counter()
    embedder = LocalEmbeddings()
    embedder.embed_query("warm up")  # loads EfficientNet-Lite0 and MiniLM and embeds the 1000 labels once
    load_s = time.perf_counter() - started

    n = gallery(work / "photos")
    index = ImageIndex(work / "index", VectorSpace(LOCAL_TAGS_ID, LOCAL_SEARCH_DIMENSION))
    report = build_index(index, embedder, [FolderSource(work / "photos")], thumbs=work / "thumbs", workers=2)
    build_s = report.progress.elapsed_s

    queries = ["a cat", "a cup of coffee", "a rocket", "a flower", "a temple"]
    text_s = []
    for _ in range(ROUNDS // len(queries)):
        for q in queries:
            t = time.perf_counter()
            embedder.embed_query(q)
            text_s.append(time.perf_counter() - t)
    vector = embedder.embed_query("a cat")
    search_s = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        index.search(index.space, np.asarray(vector, dtype=np.float32), k=8)
        search_s.append(time.perf_counter() - t)

    photos = sorted((work / "photos").glob("*.jpg"))
    image_s = []
    for path in photos[:ROUNDS]:
        data = path.read_bytes()
        t = time.perf_counter()
        embedder.embed_image(data, query=True)
        image_s.append(time.perf_counter() - t)
    same = 0  # "find similar" on every photo: is the nearest other photo a variant of the same sample?
    for path in photos:
        sha = next(h.image.sha for h in index.search(index.space, np.asarray(
            embedder.embed_image(path.read_bytes()), dtype=np.float32), k=1))
        hits = index.search(index.space, embedder.similar_query(index.vector(sha)), k=1, exclude=frozenset({sha}))
        same += bool(hits) and Path(hits[0].image.sources[0].ref).name.rsplit("-", 1)[0] == path.name.rsplit("-", 1)[0]

    page = Image.new("RGB", (900, 200), "white")
    ImageDraw.Draw(page).text((30, 60), "Hello Offline World", fill="black", font=ImageFont.load_default(size=56))
    read_text(page)  # loads the OCR models
    ocr_s = []
    for _ in range(ROUNDS // 2):
        t = time.perf_counter()
        read_text(page)
        ocr_s.append(time.perf_counter() - t)

    coffee = Image.open(io.BytesIO(next(s for s in available_samples() if s.id == "coffee").read_bytes()))
    buf = io.BytesIO()
    coffee.convert("RGB").save(buf, "PNG")
    selection = Image.new("L", coffee.size, 0)
    ImageDraw.Draw(selection).rectangle((200, 80, 420, 300), fill=255)
    sel = io.BytesIO()
    selection.save(sel, "PNG")
    removal_s = []
    for method in ("telea", "navier-stokes"):
        for _ in range(ROUNDS // 4):
            t = time.perf_counter()
            edit(EditRequest(model_id=f"local.opencv-inpaint-{method}", task=Task.ERASE, image=buf.getvalue(),
                             mask=sel.getvalue()))
            removal_s.append(time.perf_counter() - t)

    cup = coffee.convert("RGB")
    find_object(cup, "cup")  # warm
    finder_s = []
    for _ in range(ROUNDS // 4):
        t = time.perf_counter()
        find_object(cup, "cup")
        finder_s.append(time.perf_counter() - t)

    lines += ["| Measure | Result |", "|---|---|",
              f"| Load the search engine (EfficientNet-Lite0 + MiniLM + 1000 label vectors), once per process "
              f"| {load_s:.1f} s |",
              f"| Build a local index of {n} photos (decode, tags, thumbnail, 2 workers) | {build_s:.1f} s — "
              f"**{n / build_s:.1f} images/s** |",
              f"| Text query embedding, p50 / p95 | {ms(text_s)} |",
              f"| Image query embedding (decode + one CNN pass), p50 / p95 | {ms(image_s)} |",
              f"| Find similar (pooled features): the nearest other photo is a variant of the same one "
              f"| **{same} of {len(photos)}** |",
              f"| Index search of {len(index)} vectors incl. metadata ({n - len(index)} files were identical), p50 / p95 "
              f"| {ms(search_s)} |",
              f"| OCR of a 900×200 line of text (RapidOCR), p50 / p95 | {ms(ocr_s)} |",
              f"| Remove a 220×220 area from a 600×400 photo (cv2.inpaint, both methods), p50 / p95 "
              f"| {ms(removal_s)} |",
              f"| Find an object from a prompt (“cup” on the 600×400 coffee photo: MiniLM match, two CNN passes, "
              f"activation map, GrabCut), p50 / p95 | {ms(finder_s)} |", ""]
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench" / "local_results.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
