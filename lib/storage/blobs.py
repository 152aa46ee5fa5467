"""Image bytes by name: files in the data folder (embedded default) or objects in S3 (several servers).

Names are content addresses ("<sha256>.png", "thumbs/<sha256>.jpg"), so a blob is written once and never
changes: two servers writing the same image write the same bytes.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from lib.errors import InvalidInput


class BlobStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...  # FileNotFoundError when missing
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...


class FileBlobs:
    """Files under one folder; each writer uses its own temporary name and an atomic rename."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._resolved = self.root.resolve()

    def _path(self, name: str) -> Path:
        """The file of a blob name. Checked as text, not with resolve(): a page shows a result's blobs on every
        run, and resolving each one on disk was ~1 ms of every lab's run."""
        clean = os.path.normpath(name)
        if not name or os.path.isabs(clean) or clean == "." or clean.split(os.sep)[0] == "..":
            raise ValueError(f"blob name escapes the store: {name!r}")
        return self._resolved / clean

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class S3Blobs:
    """Objects under s3://bucket/prefix/, with the app's credentials (AWS_ENDPOINT_URL_S3 is honoured by boto3)."""

    def __init__(self, url: str, client=None) -> None:  # noqa: ANN001 - a boto3 S3 client
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise InvalidInput(f"WORKSHOP_BLOB_URL must look like s3://bucket/prefix, not “{url}”.")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def get(self, name: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(name) from exc

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
            return True
        except Exception as exc:  # noqa: BLE001 - botocore's ClientError 404
            if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))


def blob_store(data_dir: Path, url: str | None) -> BlobStore:
    """S3 when WORKSHOP_BLOB_URL is set, otherwise files in <data>/images."""
    return S3Blobs(url) if url else FileBlobs(Path(data_dir) / "images")
