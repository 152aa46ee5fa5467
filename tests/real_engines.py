"""Real servers the tests start themselves: PostgreSQL with pgvector (the pgserver wheel) and moto's S3 server.

Each is started in a temporary folder on 127.0.0.1 (PostgreSQL on a Unix socket) and stopped afterwards.
Nothing is mocked where a test claims to exercise the engine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def pgserver_available() -> bool:
    try:
        import pgserver  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def postgres(folder: Path) -> Iterator[str]:
    """A PostgreSQL server with the pgvector extension available; yields a postgresql:// URL."""
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        name = f"workshop_{uuid.uuid4().hex[:8]}"
        server.psql(f"CREATE DATABASE {name};")
        uri = server.get_uri(name)  # postgresql://postgres:@/NAME?host=/socket/folder
        yield uri
    finally:
        server.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def s3_server(folder: Path) -> Iterator[str]:
    """moto in server mode on 127.0.0.1; yields its endpoint URL (set AWS_ENDPOINT_URL_S3 to it)."""
    port = _free_port()
    log = open(folder / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start: " + (folder / "moto.log").read_text()[-2000:])
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def make_bucket(endpoint: str, bucket: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=bucket)
