"""Where lab 1's images come from: the bundled samples, a local folder, uploads, or an S3 prefix.

Every source lists `SourceItem`s whose bytes are read lazily (in the build's worker
threads, so S3 downloads overlap). `ref` names one file uniquely and is what the
index stores; `read_original(ref)` gets the file back for "send to another lab".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import urlparse

import botocore.exceptions as bex

from lib.bedrock import s3_client, translate_error
from lib.errors import AccessDenied, InvalidInput, WorkshopError
from lib.imaging import EXTENSIONS, sniff_format
from lib.samples import available_samples, sample_bytes
from lib.settings import Settings, load_settings

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
SAMPLES_ROOT = "samples"
UPLOADS_ROOT = "uploads"


@dataclass(frozen=True)
class SourceItem:
    ref: str
    title: str
    root: str
    read: Callable[[], bytes]


class ImageSource(Protocol):
    root: str
    label: str
    complete: bool  # True when a listing names every file under root, so files not listed were removed

    def list_items(self) -> list[SourceItem]: ...


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class SampleSource:
    """The sample photos that ship inside installed packages (images/manifest.json)."""

    root: str = SAMPLES_ROOT
    label: str = "Sample photos"
    complete: bool = True

    def list_items(self) -> list[SourceItem]:
        return [SourceItem(f"sample:{s.id}", s.title, self.root, lambda s=s: s.read_bytes())
                for s in available_samples()]


@dataclass
class FolderSource:
    """Image files in a local folder (and its subfolders)."""

    path: Path
    recursive: bool = True
    complete: bool = True

    def __post_init__(self) -> None:
        self.path = Path(self.path).expanduser()
        if not self.path.is_dir():
            raise InvalidInput(f"The folder “{self.path}” does not exist on the machine running the app.",
                               "Type the full path of a folder on that machine (the server, not your browser).")
        self.path = self.path.resolve()
        self.root = str(self.path)
        self.label = f"Folder {self.path}"

    def list_items(self) -> list[SourceItem]:
        pattern = "**/*" if self.recursive else "*"
        files = sorted(p for p in self.path.glob(pattern) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        return [SourceItem(str(p), p.name, self.root, p.read_bytes) for p in files]


@dataclass
class UploadSource:
    """Files uploaded in the browser, kept under the data folder so results can show and reuse them."""

    files: list[tuple[str, bytes]]
    store: Path
    root: str = UPLOADS_ROOT
    label: str = "Uploads"
    complete: bool = False  # each upload adds to the collection; earlier uploads stay

    def list_items(self) -> list[SourceItem]:
        self.store.mkdir(parents=True, exist_ok=True)
        items = []
        for name, data in self.files:
            digest = sha256(data)
            ext = EXTENSIONS.get(sniff_format(data) or "", "bin")
            target = self.store / f"{digest}.{ext}"
            if not target.exists():
                target.write_bytes(data)
            items.append(SourceItem(f"upload:{digest}.{ext}", name, self.root, target.read_bytes))
        return items


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket/prefix, or a clear refusal."""
    parsed = urlparse(uri.strip())
    if parsed.scheme != "s3" or not parsed.netloc:
        raise InvalidInput(f"“{uri}” is not an S3 location.", "Write it as s3://bucket/prefix/ (prefix optional).")
    return parsed.netloc, parsed.path.lstrip("/")


@dataclass
class S3Source:
    """Image objects under an S3 prefix, listed and read with boto3 and the app's credentials."""

    uri: str
    settings: Settings | None = None
    client: Any = None
    complete: bool = True

    def __post_init__(self) -> None:
        self.bucket, self.prefix = parse_s3_uri(self.uri)
        self.root = f"s3://{self.bucket}/{self.prefix}"
        self.label = f"S3 {self.root}"
        self.client = self.client or s3_client(self.settings or load_settings())

    def list_items(self) -> list[SourceItem]:
        items = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    if Path(key).suffix.lower() in IMAGE_SUFFIXES:
                        items.append(SourceItem(f"s3://{self.bucket}/{key}", key.rsplit("/", 1)[-1], self.root,
                                                lambda key=key: self._read(key)))
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise s3_error(exc, self.root) from exc
        return items

    def _read(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:  # noqa: BLE001
            raise s3_error(exc, f"s3://{self.bucket}/{key}") from exc


def s3_error(exc: BaseException, where: str) -> WorkshopError:
    """An S3 failure in plain words (missing bucket or key, access denied), else the general translation."""
    if isinstance(exc, bex.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404", "NoSuchKey"):
            return InvalidInput(f"{where} does not exist.", "Check the bucket name, the prefix and the region.")
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return AccessDenied(f"Your AWS credentials may not read {where}.",
                                "Allow s3:ListBucket and s3:GetObject on it for this user or role.")
    return translate_error(exc)


def read_original(ref: str, data_dir: Path, settings: Settings | None = None) -> bytes:
    """The full-size bytes of an indexed file, wherever it lives."""
    if ref.startswith("sample:"):
        return sample_bytes(ref.removeprefix("sample:"))
    if ref.startswith("upload:"):
        return (data_dir / "search" / "uploads" / ref.removeprefix("upload:")).read_bytes()
    if ref.startswith("s3://"):
        bucket, key = parse_s3_uri(ref)
        try:
            return s3_client(settings).get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:  # noqa: BLE001
            raise s3_error(exc, ref) from exc
    path = Path(ref)
    if not path.is_file():
        raise InvalidInput(f"{path} is no longer there.", "Rebuild the index to drop files that were removed.")
    return path.read_bytes()


def shown_ref(ref: str, root: str) -> str:
    """Where a file came from, as attendees may see it: never a server path.

    A folder file is named relative to its folder ("Pictures/cat.jpg"), a sample or upload by its kind;
    an S3 object by its URI, which the attendee typed.
    """
    if ref.startswith("sample:"):
        return "sample photo"
    if ref.startswith("upload:"):
        return "uploaded photo"
    if ref.startswith("s3://"):
        return ref
    path, folder = Path(ref), Path(root)
    try:
        return str(Path(folder.name) / path.relative_to(folder))
    except ValueError:
        return path.name
