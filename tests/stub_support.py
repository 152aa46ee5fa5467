"""Helpers for unit tests that inject botocore-Stubber-wrapped bedrock-runtime clients.

`StubbedBedrock.install(monkeypatch)` replaces `lib.bedrock.runtime_client`, the one
place `invoke_json` gets its client from, so the app's own code builds and sends
the request; the Stubber answers it and every sent parameter set is captured.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from PIL import Image


def sbody(obj: Any) -> StreamingBody:
    """A StreamingBody holding `obj` as JSON (or raw bytes), like InvokeModel's `body`."""
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def png(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A small solid-colour PNG."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def b64png(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (30, 120, 200)) -> str:
    """Base64 of `png(size, color)`, as Bedrock returns images."""
    return base64.b64encode(png(size, color)).decode("ascii")


@dataclass
class SentCall:
    """One InvokeModel call as the app made it."""

    region: str
    params: dict[str, Any]

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.params["body"])


@dataclass
class StubbedBedrock:
    """Stubbed bedrock-runtime clients, one per region, that record what they were sent."""

    clients: dict[str, Any] = field(default_factory=dict)
    stubbers: dict[str, Stubber] = field(default_factory=dict)
    sent: list[SentCall] = field(default_factory=list)
    requested_regions: list[str] = field(default_factory=list)

    def client(self, region: str) -> Any:
        """The (lazily built, activated) stubbed client for `region`."""
        if region not in self.clients:
            client = boto3.client("bedrock-runtime", region_name=region, aws_access_key_id="x",
                                  aws_secret_access_key="x")

            def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
                self.sent.append(SentCall(region, dict(params)))

            client.meta.events.register("before-parameter-build.bedrock-runtime.InvokeModel", capture)
            stubber = Stubber(client)
            stubber.activate()
            self.clients[region] = client
            self.stubbers[region] = stubber
        return self.clients[region]

    def install(self, monkeypatch: pytest.MonkeyPatch) -> "StubbedBedrock":
        """Route `lib.bedrock.invoke_json` to these clients."""
        import lib.bedrock

        def runtime_client(region: str, settings: Any = None) -> Any:
            self.requested_regions.append(region)
            return self.client(region)

        monkeypatch.setattr(lib.bedrock, "runtime_client", runtime_client)
        return self

    def add_json(self, region: str, payload: Any) -> None:
        """Queue a 200 answer with `payload` as the JSON body."""
        self.client(region)
        self.stubbers[region].add_response(
            "invoke_model", {"body": sbody(payload), "contentType": "application/json"})

    def add_error(self, region: str, code: str, message: str, status: int = 400) -> None:
        """Queue a service error answer, as botocore would raise it."""
        self.client(region)
        self.stubbers[region].add_client_error("invoke_model", service_error_code=code, service_message=message,
                                               http_status_code=status)

    def assert_all_used(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()

    def close(self) -> None:
        for stubber in self.stubbers.values():
            stubber.deactivate()


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> StubbedBedrock:
    """A StubbedBedrock installed into lib.bedrock for the test."""
    stubbed = StubbedBedrock().install(monkeypatch)
    yield stubbed
    stubbed.close()


class EventStreamStubber(Stubber):
    """A Stubber that also accepts responses with an event stream (ConverseStream's `stream`).

    botocore's Stubber validates a whole response against the output shape, and an
    event-stream member can only be a live `EventStream`, so it refuses every stream
    response. Here the stream is given as the list of events a caller would iterate;
    each event is still validated against the stream's shape and the rest of the
    response against the output shape, so a malformed event fails the test as before.
    An exception in the list is raised at that point of the iteration, as botocore
    raises an error event mid-stream.
    """

    def add_response(self, method: str, service_response: dict[str, Any],
                     expected_params: dict[str, Any] | None = None) -> None:
        operation = self.client.meta.service_model.operation_model(self.client.meta.method_to_api_mapping[method])
        stream_shape = operation.get_event_stream_output()
        if stream_shape is None:
            super().add_response(method, service_response, expected_params)
            return
        name = next(key for key, member in operation.output_shape.members.items() if member is stream_shape
                    or member.name == stream_shape.name)
        events = list(service_response.get(name, []))
        for event in events:
            if not isinstance(event, BaseException):
                validate_parameters(event, stream_shape)
        rest = {key: value for key, value in service_response.items() if key != name}
        super().add_response(method, rest, expected_params)
        self._queue[-1]["response"][1][name] = _event_iterator(events)


def _event_iterator(events: list[Any]) -> Iterator[Any]:
    """Yield the events, raising any exception placed among them."""
    for event in events:
        if isinstance(event, BaseException):
            raise event
        yield event
