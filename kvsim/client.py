"""The boto3-shaped client of a simulated world: ``sim.client("kinesisvideo", ...)``.

Method names, keyword names, responses and errors are boto3's. Each call is
validated as botocore would (client side) and as AWS would (service side),
runs at the current virtual time, and then moves the clock by
``Timings.call_latency``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .errors import ERROR_CLASSES, ClientError, ParamValidationError

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["KinesisVideoClient", "Paginator"]

SERVICE_NAME = "kinesisvideo"
_ACCOUNT_ID = re.compile(r"[0-9]{12}").fullmatch
_REGION_NAME = re.compile(r"[a-z]{2}(-[a-z0-9]+)+-[0-9]+").fullmatch


def check_account_region(account_id: object, region_name: object) -> None:
    """Raise ``ValueError`` unless both look like AWS's (12 digits; ``xx-name-N``)."""
    if not isinstance(account_id, str) or not _ACCOUNT_ID(account_id):
        raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
    if not isinstance(region_name, str) or not _REGION_NAME(region_name):
        raise ValueError(f"region_name must look like 'us-east-1', got {region_name!r}")


class Paginator:
    """``client.get_paginator("list_streams")``: iterate ListStreams pages.

    ``PaginationConfig`` takes ``MaxItems``, ``PageSize`` and ``StartingToken``
    as botocore's paginators do.
    """

    def __init__(self, client: KinesisVideoClient, operation: str) -> None:
        self._client = client
        self._operation = operation

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Yield each page's response dict until the last page (or ``MaxItems``)."""
        config = dict(kwargs.pop("PaginationConfig", None) or {})
        unknown = set(config) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise ParamValidationError(
                report=f"Unknown PaginationConfig keys: {', '.join(sorted(unknown))}"
            )
        max_items = config.get("MaxItems")
        if config.get("PageSize") is not None:
            kwargs["MaxResults"] = config["PageSize"]
        if config.get("StartingToken") is not None:
            kwargs["NextToken"] = config["StartingToken"]
        return self._pages(kwargs, max_items)

    def _pages(self, kwargs: dict[str, Any], max_items: int | None) -> Iterator[dict[str, Any]]:
        seen = 0
        while True:
            # A copy: the trace keeps the response the simulator returned.
            page = dict(self._client._call(self._operation, kwargs))
            items = page["StreamInfoList"]
            if max_items is not None and seen + len(items) >= max_items:
                page["StreamInfoList"] = items[: max_items - seen]
                yield page
                return
            seen += len(items)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            kwargs = {**kwargs, "NextToken": token}


class KinesisVideoClient:
    """A ``kinesisvideo`` client bound to one account and region of a :class:`Simulator`.

    >>> import kvsim
    >>> sim = kvsim.Simulator(seed=1)
    >>> kv = sim.client("kinesisvideo", region_name="eu-west-1")
    >>> kv.create_stream(StreamName="cam-1")["StreamARN"]
    'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-1/1767225600000'
    >>> kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Status"]
    'CREATING'
    >>> try:
    ...     kv.create_stream(StreamName="cam-1")
    ... except kv.exceptions.ResourceInUseException as e:
    ...     print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
    ResourceInUseException 400
    """

    def __init__(
        self,
        simulator: Simulator,
        region_name: str,
        account_id: str,
        allowed: frozenset[str] | None = None,
    ) -> None:
        check_account_region(account_id, region_name)
        self._sim = simulator
        self._allowed = allowed
        self._region = simulator._world.region(account_id, region_name)
        self.account_id = account_id
        #: Like boto3's ``client.meta``: ``region_name`` and ``service_name``.
        self.meta = SimpleNamespace(region_name=region_name, service_name=SERVICE_NAME)
        #: Error classes by code, plus ``ClientError``, as ``client.exceptions`` in boto3.
        self.exceptions = SimpleNamespace(ClientError=ClientError, **ERROR_CLASSES)

    def __repr__(self) -> str:
        return (
            f"<KinesisVideoClient account_id={self.account_id!r} "
            f"region_name={self.meta.region_name!r}>"
        )

    def _call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return self._sim._call(self._region, operation, params, self._allowed)

    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator`` supports the method (only ``list_streams`` here)."""
        return operation_name == "list_streams"

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for ``list_streams``, as botocore's."""
        if operation_name != "list_streams":
            raise ValueError(
                f"Operation cannot be paginated: {operation_name}; kvsim paginates list_streams"
            )
        return Paginator(self, "ListStreams")

    # One method per operation; each takes boto3's keyword arguments only.

    def create_stream(self, **kwargs: Any) -> dict[str, Any]:
        """CreateStream: ``{"StreamARN": ...}``; the stream is CREATING until ``create_delay``."""
        return self._call("CreateStream", kwargs)

    def describe_stream(self, **kwargs: Any) -> dict[str, Any]:
        """DescribeStream by ``StreamName`` or ``StreamARN``: ``{"StreamInfo": {...}}``."""
        return self._call("DescribeStream", kwargs)

    def list_streams(self, **kwargs: Any) -> dict[str, Any]:
        """ListStreams in name order; ``MaxResults``, ``NextToken``, ``StreamNameCondition``."""
        return self._call("ListStreams", kwargs)

    def update_stream(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateStream (``CurrentVersion`` required): new version, UPDATING → ACTIVE."""
        return self._call("UpdateStream", kwargs)

    def update_data_retention(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateDataRetention: INCREASE/DECREASE by ``DataRetentionChangeInHours``."""
        return self._call("UpdateDataRetention", kwargs)

    def delete_stream(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteStream by ``StreamARN``: DELETING, gone after ``delete_delay``."""
        return self._call("DeleteStream", kwargs)

    def get_data_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        """GetDataEndpoint for an ``APIName``: ``{"DataEndpoint": "https://..."}``."""
        return self._call("GetDataEndpoint", kwargs)

    def tag_stream(self, **kwargs: Any) -> dict[str, Any]:
        """TagStream: add or overwrite ``Tags`` (a dict)."""
        return self._call("TagStream", kwargs)

    def untag_stream(self, **kwargs: Any) -> dict[str, Any]:
        """UntagStream: remove the keys in ``TagKeyList``."""
        return self._call("UntagStream", kwargs)

    def list_tags_for_stream(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForStream: ``{"Tags": {...}}``."""
        return self._call("ListTagsForStream", kwargs)

    def tag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """TagResource: ``ResourceARN`` and a list of ``{"Key", "Value"}``."""
        return self._call("TagResource", kwargs)

    def untag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """UntagResource: ``ResourceARN`` and ``TagKeyList``."""
        return self._call("UntagResource", kwargs)

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForResource: ``{"Tags": {...}}``."""
        return self._call("ListTagsForResource", kwargs)

    def describe_stream_storage_configuration(self, **kwargs: Any) -> dict[str, Any]:
        """DescribeStreamStorageConfiguration: the stream's ``DefaultStorageTier``."""
        return self._call("DescribeStreamStorageConfiguration", kwargs)

    def update_stream_storage_configuration(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateStreamStorageConfiguration: new tier and version, UPDATING → ACTIVE."""
        return self._call("UpdateStreamStorageConfiguration", kwargs)
