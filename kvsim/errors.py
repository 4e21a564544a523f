"""Errors raised by simulated calls, shaped like botocore's.

A service-side failure raises a subclass of :class:`ClientError`, one per
error code the ``kinesisvideo`` model declares (15 of them), with the HTTP
status the model gives that code. The attributes are botocore's, so code
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

from typing import Any, ClassVar

__all__ = [
    "ERROR_CLASSES",
    "AccessDeniedException",
    "AccountChannelLimitExceededException",
    "AccountStreamLimitExceededException",
    "ClientError",
    "ClientLimitExceededException",
    "DeviceStreamLimitExceededException",
    "InvalidArgumentException",
    "InvalidDeviceException",
    "InvalidResourceFormatException",
    "NoDataRetentionException",
    "NotAuthorizedException",
    "ParamValidationError",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "StreamEdgeConfigurationNotFoundException",
    "TagsPerResourceExceededLimitException",
    "VersionMismatchException",
]


class ParamValidationError(ValueError):
    """Raised for input botocore rejects before sending a request.

    Missing required members, unknown members, wrong Python types and values
    below a model ``min`` are caught on the client, as botocore does; the text
    is botocore's report format.

    >>> str(ParamValidationError(report='Missing required parameter in input: "StreamName"'))
    'Parameter validation failed:\\nMissing required parameter in input: "StreamName"'
    """

    def __init__(self, *, report: str) -> None:
        super().__init__(f"Parameter validation failed:\n{report}")
        self.kwargs = {"report": report}
        self.report = report


class ClientError(Exception):
    """Base of every modeled service error; same attributes as botocore's.

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
        self.response: dict[str, Any] = {}
        self.operation_name = operation_name
        self._bind(message, operation_name, request_id)

    def _bind(self, message: str, operation_name: str, request_id: str) -> None:
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


# One class per error shape of the kinesisvideo service model, with its HTTP status.


class AccessDeniedException(ClientError):
    """The caller may not do this (401)."""

    code = "AccessDeniedException"
    http_status = 401


class AccountChannelLimitExceededException(ClientError):
    """Too many signaling channels in the account and region."""

    code = "AccountChannelLimitExceededException"


class AccountStreamLimitExceededException(ClientError):
    """Too many streams in the account and region."""

    code = "AccountStreamLimitExceededException"


class ClientLimitExceededException(ClientError):
    """The call was throttled: too many requests."""

    code = "ClientLimitExceededException"


class DeviceStreamLimitExceededException(ClientError):
    """The device has too many streams."""

    code = "DeviceStreamLimitExceededException"


class InvalidArgumentException(ClientError):
    """A parameter failed the service's validation."""

    code = "InvalidArgumentException"


class InvalidDeviceException(ClientError):
    """The device is not valid."""

    code = "InvalidDeviceException"


class InvalidResourceFormatException(ClientError):
    """The resource ARN is malformed."""

    code = "InvalidResourceFormatException"


class NoDataRetentionException(ClientError):
    """The stream keeps no data (retention 0)."""

    code = "NoDataRetentionException"


class NotAuthorizedException(ClientError):
    """The caller is not authorized (401)."""

    code = "NotAuthorizedException"
    http_status = 401


class ResourceInUseException(ClientError):
    """The resource exists, or its status does not allow this."""

    code = "ResourceInUseException"


class ResourceNotFoundException(ClientError):
    """No such resource (404)."""

    code = "ResourceNotFoundException"
    http_status = 404


class StreamEdgeConfigurationNotFoundException(ClientError):
    """The stream has no edge configuration (404)."""

    code = "StreamEdgeConfigurationNotFoundException"
    http_status = 404


class TagsPerResourceExceededLimitException(ClientError):
    """The resource would hold too many tags."""

    code = "TagsPerResourceExceededLimitException"


class VersionMismatchException(ClientError):
    """CurrentVersion is not the stream's latest version."""

    code = "VersionMismatchException"


#: Every modeled error class by its code.
ERROR_CLASSES: dict[str, type[ClientError]] = {
    cls.code: cls
    for cls in (
        AccessDeniedException,
        AccountChannelLimitExceededException,
        AccountStreamLimitExceededException,
        ClientLimitExceededException,
        DeviceStreamLimitExceededException,
        InvalidArgumentException,
        InvalidDeviceException,
        InvalidResourceFormatException,
        NoDataRetentionException,
        NotAuthorizedException,
        ResourceInUseException,
        ResourceNotFoundException,
        StreamEdgeConfigurationNotFoundException,
        TagsPerResourceExceededLimitException,
        VersionMismatchException,
    )
}
