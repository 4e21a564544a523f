"""Errors raised by simulated calls, shaped like botocore's.

A service-side failure raises a subclass of :class:`ClientError`, one per
error code a service model declares, with the HTTP status that model gives the
code. The classes are made from the generated model tables
(:mod:`kvsim.model.tables`): where two services give a code the same status
they share one class; where they disagree each service has its own. Where the
real service is seen to answer another status than its model
(:data:`kvsim.model.deviations.STATUSES`: a denied ``kinesisvideo`` call is
403, not the model's 401), the class has the real one. :func:`service_errors`
gives a service's classes by code. The attributes are botocore's, so code
written against ``botocore.exceptions.ClientError`` reads them unchanged:

>>> err = ResourceInUseException("The stream already exists.", "CreateStream", "req-1")
>>> err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]
('ResourceInUseException', 400)
>>> str(err)
'An error occurred (ResourceInUseException) when calling the CreateStream operation: The stream already exists.'

Problems botocore catches before sending anything raise
:class:`ParamValidationError`, whose text is botocore's report.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import import_module
from types import MappingProxyType
from typing import Any, ClassVar

from .deviations import STATUSES
from .tables import MODULES

__all__ = [
    "BOTOCORE_BASES",
    "ERROR_CLASSES",
    "TRANSIENT_ERRORS",
    "AccessDeniedException",
    "AccountChannelLimitExceededException",
    "AccountStreamLimitExceededException",
    "ClientError",
    "ClientLimitExceededException",
    "DeviceStreamLimitExceededException",
    "InternalFailure",
    "InvalidArgumentException",
    "InvalidDeviceException",
    "InvalidResourceFormatException",
    "NoDataRetentionException",
    "NotAuthorizedException",
    "ParamValidationError",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ServiceUnavailable",
    "StreamEdgeConfigurationNotFoundException",
    "TagsPerResourceExceededLimitException",
    "ThrottlingException",
    "UnsupportedOperationException",
    "VersionMismatchException",
    "access_denied",
    "fault_errors",
    "service_errors",
]


# Where botocore is installed, kvsim's errors are botocore's, so code that
# catches botocore.exceptions.ClientError or ParamValidationError catches
# kvsim's too (its exceptions module alone: ~9 ms to import, no HTTP stack).
# Without botocore, plain bases with the same attributes stand in.
try:
    from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
        ClientError as _ClientErrorBase,
    )
    from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
        ParamValidationError as _ParamValidationErrorBase,
    )
except ImportError:  # exercised in a subprocess without botocore (tests/engine)
    _ClientErrorBase = Exception

    class _ParamValidationErrorBase(Exception):  # type: ignore[no-redef]
        """Stands in for botocore's base (Exception itself would clash with ValueError)."""


#: Whether kvsim's errors derive from botocore's (botocore is installed).
BOTOCORE_BASES = _ClientErrorBase is not Exception


class ParamValidationError(_ParamValidationErrorBase, ValueError):  # type: ignore[misc]
    """Raised for input botocore rejects before sending a request.

    Missing required members, unknown members, wrong Python types and values
    below a model ``min`` are caught on the client, as botocore does; the text
    is botocore's report format. Where botocore is installed it is a
    ``botocore.exceptions.ParamValidationError``; it is always a ``ValueError``.

    >>> str(ParamValidationError(report='Missing required parameter in input: "StreamName"'))
    'Parameter validation failed:\\nMissing required parameter in input: "StreamName"'
    """

    def __init__(self, *, report: str) -> None:
        # Exception's own constructor: botocore's would format the message itself.
        Exception.__init__(self, f"Parameter validation failed:\n{report}")
        self.kwargs = {"report": report}
        self.report = report

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_param_error, (self.report,)


def _rebuild_param_error(report: str) -> ParamValidationError:
    return ParamValidationError(report=report)


class ClientError(_ClientErrorBase):  # type: ignore[misc]
    """Base of every modeled service error; same attributes as botocore's, and
    a ``botocore.exceptions.ClientError`` where botocore is installed.

    ``response`` holds ``Error`` (``Code``, ``Message``) and
    ``ResponseMetadata`` (``RequestId``, ``HTTPStatusCode``, ``HTTPHeaders``,
    ``RetryAttempts``); ``operation_name`` is the API name, e.g. ``"CreateStream"``.
    """

    #: The error code, as in ``x-amzn-ErrorType``; set on each subclass.
    code: ClassVar[str] = "ClientError"
    #: The HTTP status the service model gives this error.
    http_status: ClassVar[int] = 400

    MSG_TEMPLATE: ClassVar[str] = (
        "An error occurred ({error_code}) when calling the {operation_name} "
        "operation: {error_message}"
    )

    def __init__(self, message: str, operation_name: str = "", request_id: str = "") -> None:
        # Not botocore's constructor (it takes a parsed response): bind() sets
        # the same attributes, response and operation_name.
        Exception.__init__(self)
        self.response: dict[str, Any] = {}
        self.operation_name = operation_name
        self.bind(message, operation_name, request_id)

    def bind(self, message: str, operation_name: str, request_id: str) -> None:
        # The service raises with the message only; the client that made the
        # call binds the operation and request id before the error escapes.
        self.response = {
            "Error": {"Code": self.code, "Message": message},
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": self.http_status,
                "HTTPHeaders": {
                    "x-amzn-requestid": request_id,
                    "x-amzn-errortype": self.code,
                    "content-type": "application/json",
                },
                "RetryAttempts": 0,
            },
            "Message": message,
        }
        self.operation_name = operation_name
        self.args = (
            self.MSG_TEMPLATE.format(
                error_code=self.code, operation_name=operation_name, error_message=message
            ),
        )

    @property
    def message(self) -> str:
        """The error's message text."""
        return str(self.response["Error"]["Message"])

    def __reduce__(self) -> tuple[Any, ...]:
        rm = self.response["ResponseMetadata"]
        return (type(self), (self.message, self.operation_name, rm["RequestId"]))


class UnsupportedOperationException(ClientError):
    """kvsim's answer to an operation of a model that it does not simulate yet (400).

    Not a modeled error: no AWS service sends it; kvsim names the operation
    so a test fails with a clear reason instead of a missing method.
    """

    code = "UnsupportedOperationException"


class InternalFailure(ClientError):
    """A transient server failure (500): AWS answers it outside any model, and
    botocore retries it. kvsim raises it only through ``sim.faults.add``."""

    code = "InternalFailure"
    http_status = 500


class ServiceUnavailable(ClientError):
    """The service is briefly unavailable (503); botocore retries it. Only through faults."""

    code = "ServiceUnavailable"
    http_status = 503


class ThrottlingException(ClientError):
    """A throttle botocore retries (its model-independent throttling code, 400),
    unlike the models' ``ClientLimitExceededException``. Only through faults."""

    code = "ThrottlingException"


#: The server-side errors AWS answers that no model declares, which botocore's
#: standard and legacy retry modes retry; ``sim.faults.add`` accepts them for
#: any operation.
TRANSIENT_ERRORS: Mapping[str, type[ClientError]] = MappingProxyType(
    {cls.code: cls for cls in (InternalFailure, ServiceUnavailable, ThrottlingException)}
)


# -- the modeled classes, made from the tables ---------------------------------------------

# One class per (code, HTTP status): services that agree on a code's status share it.
_CLASSES: dict[tuple[str, int], type[ClientError]] = {}


def _error_class(code: str, status: int) -> type[ClientError]:
    found = _CLASSES.get((code, status))
    if found is None:
        found = type(
            code,
            (ClientError,),
            {
                # Shown as kvsim.errors.<Code>, the public home of the classes.
                "__module__": "kvsim.errors",
                "__doc__": f"The service's {code} (HTTP {status}).",
                "code": code,
                "http_status": status,
            },
        )
        _CLASSES[code, status] = found
    return found


@functools.cache
def service_errors(service_name: str) -> Mapping[str, type[ClientError]]:
    """Every error class the model of ``service_name`` declares, by code.

    >>> service_errors("kinesisvideo")["NotAuthorizedException"].http_status
    401
    >>> service_errors("kinesisvideo")["AccessDeniedException"].http_status  # the real status
    403
    >>> (service_errors("kinesis-video-media")["ResourceNotFoundException"]
    ...  is service_errors("kinesisvideo")["ResourceNotFoundException"])
    True
    """
    table = import_module(f"{__package__}.tables.{MODULES[service_name]}")
    errors: dict[str, int] = table.ERRORS
    return MappingProxyType(
        {
            code: _error_class(code, _real_status(service_name, code, status))
            for code, status in errors.items()
        }
    )


def _real_status(service_name: str, code: str, modeled: int) -> int:
    deviation = STATUSES.get((service_name, code))
    return modeled if deviation is None else deviation.status


def access_denied(service_name: str) -> type[ClientError]:
    """The error a caller without the IAM right gets from any operation of
    ``service_name``: ``AccessDeniedException``, HTTP 403, as the real service
    answers (the service's own class where its model declares the code).

    >>> access_denied("kinesisvideo").http_status, access_denied("kinesis-video-media").code
    (403, 'AccessDeniedException')
    """
    return service_errors(service_name).get("AccessDeniedException") or _error_class(
        "AccessDeniedException", 403
    )


@functools.cache
def fault_errors(service_name: str) -> Mapping[str, type[ClientError]]:
    """What ``sim.faults.add`` may inject into an operation of ``service_name``:
    its model's errors and the :data:`TRANSIENT_ERRORS`.

    >>> fault_errors("kinesisvideo")["InternalFailure"].http_status
    500
    """
    return MappingProxyType({**service_errors(service_name), **TRANSIENT_ERRORS})


_KINESISVIDEO = service_errors("kinesisvideo")

#: Every ``kinesisvideo`` error class by its code.
ERROR_CLASSES: dict[str, type[ClientError]] = dict(_KINESISVIDEO)

# The kinesisvideo classes by name, so that type checkers and IDEs see them.
AccessDeniedException = _KINESISVIDEO["AccessDeniedException"]
AccountChannelLimitExceededException = _KINESISVIDEO["AccountChannelLimitExceededException"]
AccountStreamLimitExceededException = _KINESISVIDEO["AccountStreamLimitExceededException"]
ClientLimitExceededException = _KINESISVIDEO["ClientLimitExceededException"]
DeviceStreamLimitExceededException = _KINESISVIDEO["DeviceStreamLimitExceededException"]
InvalidArgumentException = _KINESISVIDEO["InvalidArgumentException"]
InvalidDeviceException = _KINESISVIDEO["InvalidDeviceException"]
InvalidResourceFormatException = _KINESISVIDEO["InvalidResourceFormatException"]
NoDataRetentionException = _KINESISVIDEO["NoDataRetentionException"]
NotAuthorizedException = _KINESISVIDEO["NotAuthorizedException"]
ResourceInUseException = _KINESISVIDEO["ResourceInUseException"]
ResourceNotFoundException = _KINESISVIDEO["ResourceNotFoundException"]
StreamEdgeConfigurationNotFoundException = _KINESISVIDEO["StreamEdgeConfigurationNotFoundException"]
TagsPerResourceExceededLimitException = _KINESISVIDEO["TagsPerResourceExceededLimitException"]
VersionMismatchException = _KINESISVIDEO["VersionMismatchException"]
