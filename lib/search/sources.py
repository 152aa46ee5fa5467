"""Where lab 1's images come from: the bundled samples, a local folder, uploads, or an S3 prefix.

Every source lists `SourceItem`s whose bytes are read lazily (in the build's worker
threads, so S3 downloads overlap). `ref` names one file uniquely and is what the
index stores; `read_original(ref)` gets the file back for "send to another lab".

What an attendee types is untrusted (one app serves a whole class), so the page builds its sources through
`folder_source` and `s3_source`, which read only what the settings allow:
- folders under the allowed roots (`allowed_roots`: the sample photos, the data folder, WORKSHOP_FOLDER_ROOTS);
  no `~`, and every path is resolved (symlinks, `..`) before its containment is checked, so `/proc/self/cwd`
  or a link to `~/.aws` is refused; a file inside that links outside is skipped; the app's own stores in the
  data folder (History's images, lab 1's uploads and thumbnails) are never listed;
- S3 prefixes under WORKSHOP_S3_PREFIXES only;
- uploads only when they decode as images, within WORKSHOP_UPLOAD_QUOTA per attendee, each refusal named.
A refusal says what is allowed and which setting allows more; it never echoes a server path the user
did not type. Refusals are made where the input is checked (the page's script run, or the build's threads, which
speak the language of whoever started the build), so they come out in the attendee's language.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import urlparse

import botocore.exceptions as bex
from babel.lists import format_list

from lib.bedrock import s3_client, translate_error
from lib.errors import AccessDenied, InvalidInput, WorkshopError
from lib.i18n import _, babel_locale
from lib.imaging import EXTENSIONS, decode_image, sniff_format
from lib.samples import PROJECT_ROOT, available_samples, sample_bytes
from lib.settings import Settings, load_settings
from lib.storage.blobs import BlobStore, FileBlobs, S3Blobs

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
SAMPLES_ROOT = "samples"
UPLOADS_ROOT = "uploads"
SHARED = ""  # the owner of what everyone may see (samples, and what the instructor adds); lib/search/index.py
FOLDER_ROOTS_SETTING = "WORKSHOP_FOLDER_ROOTS"
S3_PREFIXES_SETTING = "WORKSHOP_S3_PREFIXES"
QUOTA_SETTING = "WORKSHOP_UPLOAD_QUOTA"
APP_STORES = ("images", "search")  # inside the data folder: History's images, lab 1's uploads, thumbnails, indexes


@dataclass(frozen=True)
class SourceItem:
    ref: str
    title: str
    root: str
    read: Callable[[], bytes]
    shared: bool = False  # True for the sample photos: shared whoever builds them


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
    label: str = field(default_factory=lambda: _("Sample photos"))  # for people, in the builder's language
    complete: bool = True
    shared: bool = True  # whoever builds them, the sample photos are everyone's

    def list_items(self) -> list[SourceItem]:
        return [SourceItem(f"sample:{s.id}", s.title, self.root, lambda s=s: s.read_bytes(), shared=True)
                for s in available_samples()]


@dataclass(frozen=True)
class FolderRoots:
    """The folders lab 1 may read (resolved), how to name them to a user, and the app's stores it never lists."""

    roots: tuple[Path, ...]
    shown: tuple[str, ...]
    private: tuple[Path, ...] = ()

    def allows(self, path: Path) -> bool:
        """True when the resolved `path` is inside an allowed root and outside the app's own stores."""
        return (any(_inside(path, root) for root in self.roots)
                and not any(_inside(path, store) for store in self.private))

    def refusal(self, typed: str) -> InvalidInput:
        return InvalidInput(
            _("“{folder}” is outside the folders this app may read.").format(folder=typed),
            _("Use a folder under {folders}. Whoever runs the app can allow more folders with {setting} (several "
              "separated by “{separator}”).").format(folders=_listed(self.shown), setting=FOLDER_ROOTS_SETTING,
                                                     separator=os.pathsep))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _listed(names: tuple[str, ...] | list[str]) -> str:
    """“a”, “b” or “c”, as the current language lists alternatives (Babel's "or" list)."""
    return format_list([f"“{name}”" for name in names], style="or", locale=babel_locale())


def _shown(path: Path) -> str:
    """A root as a user may type it: relative to the app's working folder when inside it, else as configured."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def allowed_roots(settings: Settings) -> FolderRoots:
    """The sample photos' folders, the data folder and WORKSHOP_FOLDER_ROOTS; never the app's own stores."""
    from lib import samples

    candidates: list[Path] = [PROJECT_ROOT / "images"]
    own = getattr(samples, "samples_dir", None)  # the instructor's photos (WORKSHOP_SAMPLES_DIR), when set
    if own is not None and own() is not None:
        candidates.append(own())
    candidates += [settings.data_dir, *settings.folder_roots]
    roots: list[Path] = []
    shown: list[str] = []
    for folder in candidates:
        resolved = Path(folder).resolve()
        if resolved not in roots:
            roots.append(resolved)
            shown.append(_shown(Path(folder)))
    data = Path(settings.data_dir).resolve()
    return FolderRoots(tuple(roots), tuple(shown), tuple(data / store for store in APP_STORES))


def folder_source(typed: str, settings: Settings) -> FolderSource:
    """The folder a user typed, if the settings allow it: the only way the page makes a FolderSource."""
    typed = typed.strip()
    roots = allowed_roots(settings)
    if not typed or typed.startswith("~") or "\0" in typed:
        raise roots.refusal(typed)
    path = Path(typed).resolve()  # follows every symlink and `..` (/proc/self/cwd included) before the check
    if not roots.allows(path):
        raise roots.refusal(typed)
    return FolderSource(path, roots=roots, label=_("Folder {folder}").format(folder=typed))


@dataclass
class FolderSource:
    """Image files in a local folder (and its subfolders).

    With `roots`, files whose real location is outside them (a symlink pointing away) are skipped and every
    read checks again; without, the caller trusts the folder (benchmarks and tests building from a temp folder).
    """

    path: Path
    recursive: bool = True
    complete: bool = True
    roots: FolderRoots | None = None
    label: str = ""

    def __post_init__(self) -> None:
        typed = str(self.path)
        self.path = Path(self.path).expanduser() if self.roots is None else Path(self.path)
        if self.roots is not None and not self.roots.allows(self.path.resolve()):
            raise self.roots.refusal(typed)
        if not self.path.is_dir():
            raise InvalidInput(_("The folder “{folder}” does not exist on the machine running the app.").format(
                folder=typed), _("Type the full path of a folder on that machine (the server, not your browser)."))
        self.path = self.path.resolve()
        self.root = str(self.path)
        self.label = self.label or _("Folder {folder}").format(folder=typed)

    def _allowed(self, path: Path) -> bool:
        return self.roots is None or self.roots.allows(path.resolve())

    def list_items(self) -> list[SourceItem]:
        files: list[Path] = []
        for folder, subfolders, names in os.walk(self.path, followlinks=False):
            here = Path(folder)
            if not self.recursive:
                subfolders.clear()
            # Never descend into the app's own stores (another attendee's images) or a linked-away folder.
            subfolders[:] = sorted(d for d in subfolders if self._allowed(here / d))
            files += [here / name for name in names if Path(name).suffix.lower() in IMAGE_SUFFIXES]
        kept = sorted(p for p in files if p.is_file() and self._allowed(p))  # a link pointing outside is skipped
        return [SourceItem(str(p), p.name, self.root, lambda p=p: self._read(p)) for p in kept]

    def _read(self, path: Path) -> bytes:
        real = path.resolve()
        if not self._allowed(real):  # replaced by a link since it was listed
            raise InvalidInput(_("{file} now points outside the folders this app may read.").format(file=path.name),
                               _("Copy the file itself into the folder."))
        return real.read_bytes()


def search_store(data_dir: Path, blob_url: str | None, kind: str) -> BlobStore:
    """Where lab 1 keeps `kind` ("uploads" or "thumbs"): under WORKSHOP_BLOB_URL/search/<kind> when set, so every
    server of a class reads them, else in <data>/search/<kind>."""
    if blob_url:
        return S3Blobs(f"{blob_url.rstrip('/')}/search/{kind}")
    return FileBlobs(Path(data_dir) / "search" / kind)


def owner_folder(owner: str) -> str:
    """The blob folder of one owner's uploads: a hash, so an email or a workspace id never becomes a path."""
    return hashlib.sha256(owner.encode()).hexdigest()[:24]


def _stored_names(store: BlobStore, folder: str) -> set[str]:
    """The names of the blobs kept in `folder` (an owner's uploads), to count them against the quota."""
    if isinstance(store, FileBlobs):
        where = store.root / folder
        return {p.name for p in where.iterdir() if p.is_file() and not p.name.endswith(".tmp")} if where.is_dir() else set()
    if isinstance(store, S3Blobs):
        prefix = f"{store._key(folder)}/"
        names: set[str] = set()
        for page in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=prefix):
            names |= {obj["Key"][len(prefix):] for obj in page.get("Contents", [])}
        return names
    raise TypeError(f"can't count the blobs of {type(store).__name__}")


@dataclass
class UploadSource:
    """Files uploaded in the browser, kept in the uploads store so results can show and reuse them.

    Only files that decode as images are kept (a renamed PDF or text file is refused), within `quota` images
    per owner (None: no limit, for the instructor). An attendee's uploads are kept in their own folder and
    their refs name it, so two attendees uploading the same photo each own their copy. `accept()` checks and
    keeps them once and returns the refused files with the reason for each.
    """

    files: list[tuple[str, bytes]]
    store: Path | BlobStore
    owner: str = SHARED
    quota: int | None = None
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    root: str = UPLOADS_ROOT
    label: str = field(default_factory=lambda: _("Uploads"))  # for people, in the uploader's language
    complete: bool = False  # each upload adds to the collection; earlier uploads stay
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.store, (str, Path)):
            self.store = FileBlobs(Path(self.store))
        self._kept: list[SourceItem] | None = None

    def _name(self, digest: str, ext: str) -> str:
        return f"{digest}.{ext}" if self.owner == SHARED else f"{owner_folder(self.owner)}/{digest}.{ext}"

    def accept(self) -> list[tuple[str, str]]:
        """Check and keep every file (once); returns (file name, why) for each file refused."""
        if self._kept is not None:
            return self.refused
        store: BlobStore = self.store  # type: ignore[assignment]
        kept: list[SourceItem] = []
        held = None if self.quota is None or self.owner == SHARED else {
            name.rsplit(".", 1)[0] for name in _stored_names(store, owner_folder(self.owner))}
        for name, data in self.files:
            try:
                fmt = decode_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels).format
            except InvalidInput as err:
                self.refused.append((name, err.message))
                continue
            digest = sha256(data)
            if held is not None and digest not in held:
                if len(held) >= (self.quota or 0):
                    self.refused.append((name, _("You already keep {count} uploaded images for lab 1, the most each "
                                                 "attendee may ({setting}).").format(count=len(held),
                                                                                    setting=QUOTA_SETTING)))
                    continue
                held.add(digest)
            blob = self._name(digest, EXTENSIONS.get(fmt, fmt))
            store.put(blob, data)  # content-addressed: keeping the same photo again writes nothing
            kept.append(SourceItem(f"upload:{blob}", name, self.root, lambda blob=blob: store.get(blob)))
        self._kept = kept
        return self.refused

    def list_items(self) -> list[SourceItem]:
        self.accept()
        return list(self._kept or [])


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket/prefix, or a clear refusal."""
    parsed = urlparse(uri.strip())
    if parsed.scheme != "s3" or not parsed.netloc:
        raise InvalidInput(_("“{location}” is not an S3 location.").format(location=uri),
                           _("Write it as s3://bucket/prefix/ (prefix optional)."))
    return parsed.netloc, parsed.path.lstrip("/")


def _allowed_prefixes(settings: Settings) -> list[tuple[str, str]]:
    allowed = []
    for uri in settings.s3_prefixes:
        try:
            allowed.append(parse_s3_uri(uri))
        except InvalidInput:
            continue  # a malformed entry allows nothing
    return allowed


def s3_allowed(bucket: str, key_or_prefix: str, settings: Settings) -> bool:
    """True when everything under s3://bucket/key_or_prefix is under one of WORKSHOP_S3_PREFIXES (string prefixes,
    as S3 lists them: "s3://b/trip/" allows "s3://b/trip/day1/" but not "s3://b/trips/")."""
    return any(bucket == b and key_or_prefix.startswith(p) for b, p in _allowed_prefixes(settings))


def s3_source(uri: str, settings: Settings) -> S3Source:
    """The S3 prefix a user typed, if WORKSHOP_S3_PREFIXES allows it: the only way the page makes an S3Source."""
    bucket, prefix = parse_s3_uri(uri)
    if not s3_allowed(bucket, prefix, settings):
        allowed = [f"s3://{b}/{p}" for b, p in _allowed_prefixes(settings)]
        raise InvalidInput(
            _("“{location}” is not one of the S3 locations this app may read.").format(location=uri.strip()),
            (_("Use a prefix under {prefixes}, or ask whoever runs the app to add yours to {setting} (comma-separated "
               "s3://bucket/prefix).").format(prefixes=_listed(allowed), setting=S3_PREFIXES_SETTING) if allowed else
             _("Reading from S3 is off. Whoever runs the app can allow buckets or prefixes with "
               "{setting}=s3://bucket/prefix/ (comma-separated).").format(setting=S3_PREFIXES_SETTING)))
    return S3Source(uri, settings)


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
            return InvalidInput(_("{location} does not exist.").format(location=where),
                                _("Check the bucket name, the prefix and the region."))
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return AccessDenied(_("Your AWS credentials may not read {location}.").format(location=where),
                                _("Allow s3:ListBucket and s3:GetObject on it for this user or role."))
    return translate_error(exc)


def read_original(ref: str, data_dir: Path, settings: Settings | None = None) -> bytes:
    """The full-size bytes of an indexed file, wherever it lives.

    With `settings` (the page), a folder file or an S3 object is read only while the settings still allow it,
    and uploads come from WORKSHOP_BLOB_URL when set.
    """
    if ref.startswith("sample:"):
        return sample_bytes(ref.removeprefix("sample:"))
    if ref.startswith("upload:"):
        store = search_store(data_dir, settings.blob_url if settings else None, "uploads")
        return store.get(ref.removeprefix("upload:"))
    if ref.startswith("s3://"):
        bucket, key = parse_s3_uri(ref)
        if settings is not None and not s3_allowed(bucket, key, settings):
            raise InvalidInput(_("{location} is no longer in an S3 location this app may read.").format(location=ref),
                               _("Ask whoever runs the app to add it to {setting}.").format(
                                   setting=S3_PREFIXES_SETTING))
        try:
            return s3_client(settings).get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:  # noqa: BLE001
            raise s3_error(exc, ref) from exc
    path = Path(ref)
    if settings is not None and not allowed_roots(settings).allows(path.resolve()):
        raise InvalidInput(_("{file} is no longer in a folder this app may read.").format(file=path.name),
                           _("Ask whoever runs the app to add its folder to {setting}.").format(
                               setting=FOLDER_ROOTS_SETTING))
    if not path.is_file():
        raise InvalidInput(_("{file} is no longer there.").format(file=path.name),
                           _("Rebuild the index to drop files that were removed."))
    return path.resolve().read_bytes()


def shown_ref(ref: str, root: str) -> str:
    """Where a file came from, as attendees may see it: never a server path.

    A folder file is named relative to its folder ("Pictures/cat.jpg"), a sample or upload by its kind;
    an S3 object by its URI, which the attendee typed.
    """
    if ref.startswith("sample:"):
        return _("sample photo")
    if ref.startswith("upload:"):
        return _("uploaded photo")
    if ref.startswith("s3://"):
        return ref
    path, folder = Path(ref), Path(root)
    try:
        return str(Path(folder.name) / path.relative_to(folder))
    except ValueError:
        return path.name
