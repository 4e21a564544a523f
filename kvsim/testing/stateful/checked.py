"""The checked client: every call predicted by the reference model, then compared.

:class:`CheckedClient` wraps a simulator's ``kinesisvideo`` client. Before a
call it asks the :class:`~kvsim.testing.stateful.reference.ReferenceModel`
what should happen; after it, it compares the simulator's answer with the
prediction and raises :class:`ModelMismatch` when they disagree. It reports
to the state machine that owns it through the small :class:`Machine` protocol,
so this module does not depend on the machine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol, cast

from ...core.ids import dns_suffix
from ...engine.client import KinesisVideoClient, KinesisVideoOperations, Paginator, paginator_for
from ...engine.simulator import Simulator
from ...model.errors import ClientError, ParamValidationError
from .channel_model import CHANNEL_OPERATIONS
from .config_model import CONFIG_OPERATIONS, edge_info
from .reference import (
    DELETING,
    METADATA_UPDATES,
    STREAM_RATED,
    THROTTLED,
    UPDATING,
    Expectation,
    ExpectedStream,
    ReferenceModel,
    is_version,
)

__all__ = ["CheckedClient", "Machine", "ModelMismatch"]

# The GetDataEndpoint APIs served by an ``s-`` (media) endpoint; the rest get ``b-``.
_MEDIA_APIS = frozenset({"PUT_MEDIA", "GET_MEDIA"})


class ModelMismatch(AssertionError):
    """The simulator did something the reference model did not expect."""


class Machine(Protocol):
    """What a :class:`CheckedClient` needs of the state machine that owns it."""

    #: The simulator the wrapped client belongs to.
    sim: Simulator
    #: The reference model every call is predicted from and applied to.
    model: ReferenceModel
    #: Disagreements found so far; the client appends each one it raises.
    mismatches: list[str]

    def now_ms(self) -> int:
        """The virtual time in epoch milliseconds."""
        ...

    def record(self, outcome: str) -> None:
        """Count one outcome (``ok:<Operation>``, ``error:<Code>``, ``status:<Status>``…)."""
        ...


class CheckedClient(KinesisVideoOperations):
    """A ``kinesisvideo`` client that checks every call against a :class:`ReferenceModel`.

    Same methods, arguments, responses and errors as the client it wraps.
    Before each call it settles the model to the virtual time and predicts
    the outcome; after it, it compares the response (or error code) with the
    prediction, applies the effect to the model, and counts the outcome in
    the machine's ``coverage``. A disagreement raises :class:`ModelMismatch`
    (and is remembered, so code that swallows exceptions cannot hide it).
    """

    def __init__(self, machine: Machine, client: KinesisVideoClient) -> None:
        self._machine = machine
        self._client = client
        self.meta = client.meta
        self.exceptions = client.exceptions
        self.account_id = client.account_id

    def __repr__(self) -> str:
        return f"<CheckedClient of {self._client!r}>"

    @property
    def waiter_names(self) -> list[str]:
        """As the wrapped client's."""
        return self._client.waiter_names

    def get_waiter(self, waiter_name: str) -> Any:
        """As the wrapped client's (it has no waiters)."""
        return self._client.get_waiter(waiter_name)

    def close(self) -> None:
        """As the wrapped client's."""
        self._client.close()

    def can_paginate(self, operation_name: str) -> bool:
        """As the wrapped client's."""
        return self._client.can_paginate(operation_name)

    def get_paginator(self, operation_name: str) -> Paginator:
        """A ``list_streams`` paginator whose pages are checked too."""
        return paginator_for(self, operation_name)

    # -- the check around every call ------------------------------------------------------

    def _fail(self, message: str) -> ModelMismatch:
        self._machine.mismatches.append(message)
        calls = "\n".join(f"  {call}" for call in self._machine.sim.last_calls(3))
        return ModelMismatch(f"{message}\nlast calls (sim.last_calls(3)):\n{calls}")

    def _make_api_call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        machine, model = self._machine, self._machine.model
        now = machine.now_ms()
        model.settle(now)
        try:
            expectation: Expectation | None = model.predict(operation, params)
        except (KeyError, TypeError, AttributeError):
            expectation = None  # input botocore refuses; the call must say so
        try:
            response = self._client._make_api_call(operation, params)
        except ParamValidationError:
            machine.record("ParamValidationError")
            raise
        except ClientError as error:
            if expectation is None:
                raise self._fail(f"{operation}: the model cannot read {params!r}") from error
            self._check_error(expectation, error.response["Error"]["Code"], now)
            raise
        if expectation is None:
            raise self._fail(f"{operation}: the model cannot read {params!r}")
        self._check_success(expectation, params, response, now)
        return response

    def _throttling(self, expectation: Expectation, now: int) -> tuple[bool, bool]:
        model, op = self._machine.model, expectation.operation
        may, must = model.throttle_bounds(op, None, now)
        # The bucket of the stream or channel the call is about.
        resource = expectation.stream or expectation.channel
        if expectation.unresolved is None and resource is not None and op in STREAM_RATED:
            stream_may, stream_must = model.throttle_bounds(op, resource.arn, now)
            may, must = may or stream_may, must or stream_must
        return may, must

    def _check_error(self, expectation: Expectation, code: str, now: int) -> None:
        op = expectation.operation
        self._machine.record(f"error:{code}")
        if op in CHANNEL_OPERATIONS:
            self._machine.record(f"error:{op}:{code}")
        if not expectation.known:
            return
        predicted = self._predicted_error(expectation, code, now)
        if code == predicted:
            return
        if self._machine.sim.faults:
            self._machine.record(f"fault:{code}")
            return
        raise self._fail(
            f"{op}: the simulator answered {code}, the model expected "
            f"{predicted or 'success'} ({expectation})"
        )

    def _predicted_error(self, expectation: Expectation, code: str, now: int) -> str | None:
        if expectation.invalid is not None:
            return expectation.invalid
        may, must = self._throttling(expectation, now)
        if code == THROTTLED and may:
            return THROTTLED
        if must:
            return THROTTLED
        return expectation.unresolved or expectation.error

    def _check_success(
        self,
        expectation: Expectation,
        params: Mapping[str, Any],
        response: dict[str, Any],
        now: int,
    ) -> None:
        machine, model, op = self._machine, self._machine.model, expectation.operation
        machine.record(f"ok:{op}")
        if not expectation.known:
            model.record_success(op, None, now)
            self._learn_tokens(params, response)
            return
        predicted = self._predicted_error(expectation, "", now)
        if predicted is not None:
            raise self._fail(f"{op}: the call succeeded, the model expected {predicted}")
        if expectation.channel is not None or op in CHANNEL_OPERATIONS:
            body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
            arn, problem = model.signaling.succeed(
                expectation, params, body, now, self._actual_channel_version, machine.record
            )
            model.record_success(op, arn, now)
            if problem is not None:
                raise self._fail(problem)
            return
        stream = expectation.stream
        if op == "CreateStream":
            name = params["StreamName"]
            stream = model.create(params, now, self._actual_version(name) or "")
            if response["StreamARN"] != stream.arn:
                raise self._fail(f"CreateStream: ARN {response['StreamARN']} != {stream.arn}")
            self._check_version_format(stream)
        elif stream is not None:
            before = stream.version
            model.apply(op, params, stream)
            if op in CONFIG_OPERATIONS:
                model.apply_config(op, params, stream, now)
            if op in METADATA_UPDATES:
                model.start(stream, UPDATING, now)
                stream.version = self._actual_version(stream.name) or ""
                self._check_version_format(stream)
                if stream.version == before:
                    raise self._fail(f"{op}: the version of {stream.name} did not change")
            elif op == "DeleteStream":
                model.start(stream, DELETING, now)
        model.record_success(op, stream.arn if stream is not None else None, now)
        self._check_response(expectation, params, response, stream)

    def _actual_channel_version(self, name: str) -> str | None:
        region = self._machine.sim.runtime.dump().get(f"{self.account_id}/{self.meta.region_name}")
        for dumped in region.get("channels", []) if region else []:
            if dumped["name"] == name:
                return cast(str, dumped["version"])
        return None

    def _actual_version(self, name: str) -> str | None:
        region = self._machine.sim.runtime.dump().get(f"{self.account_id}/{self.meta.region_name}")
        for dumped in region["streams"] if region else []:
            if dumped["name"] == name:
                return cast(str, dumped["version"])
        return None

    def _check_version_format(self, stream: ExpectedStream) -> None:
        if not is_version(stream.version):
            raise self._fail(
                f"{stream.name}: version {stream.version!r} is not [a-zA-Z0-9]{{1,64}}"
            )

    def _check_response(
        self,
        expectation: Expectation,
        params: Mapping[str, Any],
        response: Mapping[str, Any],
        stream: ExpectedStream | None,
    ) -> None:
        model, op = self._machine.model, expectation.operation
        body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        if op == "ListStreams":
            self._check_list_page(params, body)
            return
        if op == "ListEdgeAgentConfigurations":
            self._check_edge_page(params, body)
            return
        expected: dict[str, Any]
        if op == "CreateStream":
            expected = {"StreamARN": stream.arn if stream else None}
        elif stream is None:
            raise self._fail(f"{op}: succeeded without a stream")
        elif op == "DescribeStream":
            expected = {"StreamInfo": model.stream_info(stream)}
            self._machine.record(f"status:{stream.status}")
        elif op in ("ListTagsForStream", "ListTagsForResource"):
            expected = {"Tags": dict(stream.tags)}
        elif op == "DescribeStreamStorageConfiguration":
            expected = {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStorageConfiguration": {"DefaultStorageTier": stream.tier},
            }
        elif op == "GetDataEndpoint":
            expected = {"DataEndpoint": self._expected_endpoint(stream, params, body)}
        elif op in CONFIG_OPERATIONS:
            expected = self._expected_config(op, stream)
        else:
            expected = {}
        if body != expected:
            raise self._fail(f"{op}: response {body!r}, the model expected {expected!r}")

    def _expected_config(self, op: str, stream: ExpectedStream) -> dict[str, Any]:
        if op == "DescribeImageGenerationConfiguration":
            images = stream.images
            return {} if images is None else {"ImageGenerationConfiguration": images}
        if op == "DescribeNotificationConfiguration":
            found = stream.notifications
            return {} if found is None else {"NotificationConfiguration": found}
        edge = stream.edge
        if op in ("StartEdgeConfigurationUpdate", "DescribeEdgeConfiguration") and edge is not None:
            self._machine.record(f"edge:{edge.status}")
            info = edge_info(stream.name, stream.arn, edge)
            if op == "DescribeEdgeConfiguration" and edge.status == "IN_SYNC":
                at = info["LastUpdatedTime"]
                info["EdgeAgentStatus"] = {
                    "LastRecorderStatus": {
                        "LastCollectedTime": at,
                        "LastUpdatedTime": at,
                        "RecorderStatus": "SUCCESS",
                    },
                    "LastUploaderStatus": {
                        "LastCollectedTime": at,
                        "LastUpdatedTime": at,
                        "UploaderStatus": "SUCCESS",
                    },
                }
            return info
        return {}

    def _check_edge_page(self, params: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        model = self._machine.model
        names, more = model.edge_page(params)
        configs = []
        for name in names:
            stream = model.streams[name]
            assert stream.edge is not None
            configs.append(edge_info(name, stream.arn, stream.edge))
            self._machine.record(f"edge:{stream.edge.status}")
        expected: dict[str, Any] = {"EdgeConfigs": configs}
        token = body.get("NextToken")
        if more:
            if not isinstance(token, str) or not token:
                raise self._fail("ListEdgeAgentConfigurations: no NextToken although more follow")
            expected["NextToken"] = token
            model.edge_tokens[token] = names[-1]
        if body != expected:
            raise self._fail(
                f"ListEdgeAgentConfigurations: page {body!r}, the model expected {expected!r}"
            )

    def _expected_endpoint(
        self, stream: ExpectedStream, params: Mapping[str, Any], body: Mapping[str, Any]
    ) -> str:
        kind = "s" if params["APIName"] in _MEDIA_APIS else "b"
        known = stream.endpoints.get(kind)
        if known is not None:
            return known
        region = self.meta.region_name
        suffix = dns_suffix(region)
        url = str(body.get("DataEndpoint"))
        pattern = (
            rf"https://{kind}-[0-9a-f]{{8}}\.kinesisvideo\.{re.escape(region)}\.{re.escape(suffix)}"
        )
        if not re.fullmatch(pattern, url):
            raise self._fail(f"GetDataEndpoint: {url!r} does not match {pattern}")
        stream.endpoints[kind] = url
        return url

    def _check_list_page(self, params: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        model = self._machine.model
        names, more = model.list_page(params)
        expected: dict[str, Any] = {
            "StreamInfoList": [model.stream_info(model.streams[n]) for n in names]
        }
        token = body.get("NextToken")
        if more:
            if not isinstance(token, str) or not token:
                raise self._fail(f"ListStreams: no NextToken although more than {names} follow")
            expected["NextToken"] = token
            model.tokens[token] = names[-1]
        if body != expected:
            raise self._fail(f"ListStreams: page {body!r}, the model expected {expected!r}")
        for name in names:
            self._machine.record(f"status:{model.streams[name].status}")

    def _learn_tokens(self, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        # A page after a token the model did not issue: only its own token can be learned.
        token = response.get("NextToken")
        listed = response.get("StreamInfoList") or []
        if token and listed:
            self._machine.model.tokens[token] = listed[-1]["StreamName"]
        configs = response.get("EdgeConfigs") or []
        if token and configs:
            self._machine.model.edge_tokens[token] = configs[-1]["StreamName"]
