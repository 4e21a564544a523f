"""Errors raised by simulated calls, shaped like botocore's (the public home of
:mod:`kvsim.model.errors`).

Every service-side failure is a :class:`ClientError` subclass named after its
error code, with the HTTP status its service model gives it;
:func:`service_errors` lists a service's classes, and each client has them as
``client.exceptions``. Input botocore would refuse to send raises
:class:`ParamValidationError`.

>>> err = ResourceInUseException("The stream already exists.", "CreateStream", "req-1")
>>> err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]
('ResourceInUseException', 400)
>>> str(err)
'An error occurred (ResourceInUseException) when calling the CreateStream operation: The stream already exists.'
"""

from __future__ import annotations

from .model.errors import *  # noqa: F403
from .model.errors import __all__ as __all__
