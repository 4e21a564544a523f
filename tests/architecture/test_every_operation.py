"""Every operation of the five models is simulated or says it is not, three ways.

For each operation of each service in :data:`kvsim.services.registry.SERVICES`:

- (a) through the facade (``sim.client(service)``);
- (b) through a real boto3 client served in process (``kvsim.boto.client``);
- (c) through a real boto3 client against ``kvsim serve`` (a :class:`KvsimServer`
  on a loopback port).

A simulated operation must reach its service: a response, or one of the
service's modeled errors (never ``UnsupportedOperationException``), recorded in
the trace. Any other must answer ``UnsupportedOperationException`` (HTTP 400)
naming it and its route, and leave the world and the clock as they were.

botocore validates input before sending, so (b) and (c) send valid minimal
input built from botocore's own input shape of each operation
(:func:`minimal_params`); the facade calls unsimulated operations with ``{}``
too, as the unsupported answer comes before any validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import pytest
from botocore.model import ServiceModel, Shape
from helpers import serving

import kvsim
import kvsim.boto
from kvsim.http.server import KvsimServer
from kvsim.services.data_hosts import DATA_HOSTS
from kvsim.services.registry import SERVICES

#: (service, API name) of every operation of the five models.
ALL = [(name, op) for name, service in SERVICES.items() for op in service.spec.operations]
#: botocore must neither retry nor wait: one request per call.
NO_RETRIES = botocore.config.Config(
    retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10
)


def data_host(service: str) -> str | None:
    """A data host of the kind ``service`` is served on (None: no data-plane service).
    The stream the minimal input names does not exist, so any such host reaches it."""
    kind = DATA_HOSTS.get(service)
    return None if kind is None else f"{kind}-00000000.kinesisvideo.us-east-1.amazonaws.com"


def _id(case: tuple[str, str]) -> str:
    return f"{case[0]}.{case[1]}"


def _simulated(service: str, operation: str) -> bool:
    return operation in SERVICES[service].simulated


# -- valid minimal input, from botocore's model --------------------------------------------

#: Values tried, in order, for a string member with a ``pattern``: the first one
#: the pattern fully matches (padded to the member's ``min``) is used.
_STRING_CANDIDATES = (
    "kvsim",
    "1",
    "arn:aws:kinesisvideo:us-east-1:123456789012:stream/kvsim/1767225600000",
    "arn:aws:iot:us-east-1:123456789012:thing/kvsim",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:kvsim",
    "video/h264",
    "us-east-1",
    "kvsim://bucket/key",
    "kvsim schedule",
)

#: Java's Unicode classes of the tag patterns, as ASCII Python classes.
_JAVA_CLASSES = {r"\p{L}": "a-zA-Z", r"\p{Z}": " ", r"\p{N}": "0-9"}


@pytest.fixture(scope="module")
def models() -> dict[str, ServiceModel]:
    session = botocore.session.get_session()
    return {name: session.get_service_model(name) for name in SERVICES}


def _python_pattern(pattern: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern)


def _string(shape: Shape) -> str:
    if shape.enum:
        return str(shape.enum[0])
    low = shape.metadata.get("min", 0)
    high = shape.metadata.get("max", 2**31)
    pattern = shape.metadata.get("pattern")
    for candidate in _STRING_CANDIDATES:
        value = candidate.ljust(max(low, 1), "1" if candidate.isdigit() else "k")
        if len(value) > high:
            continue
        if pattern is None or _python_pattern(pattern).fullmatch(value):
            return value
    raise AssertionError(f"no candidate matches {shape.name}'s pattern {pattern!r}")


def minimal_params(shape: Shape | None) -> Any:
    """The smallest valid value of ``shape``: required members only, one-element
    lists and maps, numbers at their ``min``, an enum's first value."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        members = list(shape.required_members)
        if not members and shape.metadata.get("union"):
            members = [next(iter(shape.members))]
        return {member: minimal_params(shape.members[member]) for member in members}
    if kind == "list":
        return [minimal_params(shape.member)] * max(shape.metadata.get("min", 0), 1)
    if kind == "map":
        assert shape.metadata.get("min", 0) <= 1, shape.name
        return {minimal_params(shape.key): minimal_params(shape.value)}
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("float", "double"):
        return float(max(shape.metadata.get("min", 1), 1))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime(2026, 1, 1, tzinfo=UTC)
    if kind == "blob":
        return b"kvsim"
    raise AssertionError(f"{shape.name}: no value for type {kind}")


def params_for(models: dict[str, ServiceModel], service: str, operation: str) -> dict[str, Any]:
    params = minimal_params(models[service].operation_model(operation).input_shape)
    assert isinstance(params, dict)
    return params


def test_minimal_params_pass_botocore_validation(models: dict[str, ServiceModel]) -> None:
    from botocore.validate import ParamValidator

    for service, operation in ALL:
        shape = models[service].operation_model(operation).input_shape
        params = params_for(models, service, operation)
        report = ParamValidator().validate(params, shape) if shape is not None else None
        assert report is None or not report.has_errors(), (operation, report.generate_report())


def test_minimal_params_match_every_pattern_and_enum(models: dict[str, ServiceModel]) -> None:
    # What botocore leaves to the service, checked here so the service sees valid input.
    def check(value: Any, shape: Shape, where: str) -> None:
        if shape.type_name == "structure":
            for member, item in value.items():
                check(item, shape.members[member], f"{where}.{member}")
        elif shape.type_name == "list":
            for item in value:
                check(item, shape.member, f"{where}[]")
        elif shape.type_name == "map":
            for key, item in value.items():
                check(key, shape.key, f"{where}{{key}}")
                check(item, shape.value, f"{where}{{value}}")
        elif shape.type_name == "string":
            pattern = shape.metadata.get("pattern")
            assert pattern is None or _python_pattern(pattern).fullmatch(value), where
            assert not shape.enum or value in shape.enum, where
            assert len(value) <= shape.metadata.get("max", len(value)), where

    for service, operation in ALL:
        shape = models[service].operation_model(operation).input_shape
        if shape is not None:
            check(params_for(models, service, operation), shape, f"{service}.{operation}")


def test_every_model_operation_is_covered() -> None:
    # The five models, every one of their operations (43 with botocore 1.35+).
    assert set(SERVICES) == set(kvsim.SERVICE_NAMES)
    assert len(ALL) == sum(len(s.spec.operations) for s in SERVICES.values())
    assert len({op for _service, op in ALL}) == len(ALL)
    assert any(_simulated(*case) for case in ALL)


# -- the expected answers --------------------------------------------------------------------


def _unsupported_prefix(service: str, operation: str) -> str:
    spec = SERVICES[service].spec.operations[operation]
    return f"kvsim does not simulate {operation} (POST {spec.path}) yet;"


def _observed(sim: kvsim.Simulator) -> tuple[Any, ...]:
    """What must not change when an operation is refused: the world, the clock, the queue."""
    return sim._dump(), sim.now, sim.pending()


def _check_unsupported(
    sim: kvsim.Simulator,
    service: str,
    operation: str,
    call: Callable[[], Any],
    error_class: type[Exception],
) -> None:
    before = _observed(sim)
    calls_before = len(sim.last_calls(10_000))
    with pytest.raises(error_class) as info:
        call()
    error: Any = info.value
    assert error.response["Error"]["Code"] == "UnsupportedOperationException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.operation_name == operation
    assert error.response["Error"]["Message"].startswith(_unsupported_prefix(service, operation))
    assert _observed(sim) == before
    # Refused at the front door: the service never saw it.
    assert len(sim.last_calls(10_000)) == calls_before


def _check_reaches_service(
    sim: kvsim.Simulator, service: str, operation: str, call: Callable[[], Any]
) -> None:
    """The call ran in the service: a response or a modeled error, and a trace entry."""
    spec = SERVICES[service].spec
    try:
        response = call()
    except (kvsim.ClientError, botocore.exceptions.ClientError) as error:
        code = error.response["Error"]["Code"]
        assert code != "UnsupportedOperationException"
        assert code in spec.errors, f"{operation} answered {code}, which the model lacks"
        assert error.operation_name == operation
    else:
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    last = sim.last_calls(1)
    assert last and last[0]["call"] == spec.operations[operation].method


# -- (a) the facade -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL, ids=_id)
def test_facade(case: tuple[str, str], models: dict[str, ServiceModel]) -> None:
    service, operation = case
    sim = kvsim.Simulator(seed=0)
    client = sim.client(service)
    method = getattr(client, SERVICES[service].spec.operations[operation].method)
    params = params_for(models, service, operation)
    if _simulated(service, operation):
        _check_reaches_service(sim, service, operation, lambda: method(**params))
    else:
        _check_unsupported(sim, service, operation, lambda: method(), kvsim.errors.ClientError)
        _check_unsupported(
            sim,
            service,
            operation,
            lambda: method(**params),
            kvsim.errors.UnsupportedOperationException,
        )


# -- (b) boto3 in process -------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL, ids=_id)
def test_boto3_in_process(case: tuple[str, str], models: dict[str, ServiceModel]) -> None:
    service, operation = case
    sim = kvsim.Simulator(seed=0)
    host = data_host(service)
    client = kvsim.boto.client(
        sim,
        service,
        region_name="us-east-1",
        config=NO_RETRIES,
        endpoint_url=None if host is None else f"https://{host}",
    )
    method = getattr(client, SERVICES[service].spec.operations[operation].method)
    params = params_for(models, service, operation)
    if _simulated(service, operation):
        _check_reaches_service(sim, service, operation, lambda: method(**params))
    else:
        _check_unsupported(
            sim, service, operation, lambda: method(**params), botocore.exceptions.ClientError
        )


# -- (c) boto3 against kvsim serve ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[KvsimServer]:
    with serving(KvsimServer(("127.0.0.1", 0), seed=0)) as srv:
        yield srv


@pytest.fixture(scope="module")
def remote(server: KvsimServer) -> dict[str, Any]:
    """One boto3 client per service, all pointed at ``server`` (the data planes at
    a data host under it)."""
    session = boto3.session.Session(
        aws_access_key_id="AKIDEVERYOP", aws_secret_access_key="x", region_name="us-east-1"
    )
    clients = {}
    for name in SERVICES:
        host = data_host(name)
        url = server.base_url if host is None else f"{server.base_url}/_endpoint/{host}"
        clients[name] = session.client(name, endpoint_url=url, config=NO_RETRIES)
    return clients


@pytest.mark.parametrize("case", ALL, ids=_id)
def test_boto3_over_http(
    case: tuple[str, str],
    models: dict[str, ServiceModel],
    server: KvsimServer,
    remote: dict[str, Any],
) -> None:
    service, operation = case
    sim = server.reset()
    method = getattr(remote[service], SERVICES[service].spec.operations[operation].method)
    params = params_for(models, service, operation)
    if _simulated(service, operation):
        _check_reaches_service(sim, service, operation, lambda: method(**params))
    else:
        _check_unsupported(
            sim, service, operation, lambda: method(**params), botocore.exceptions.ClientError
        )
