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
from .wire import encode_list_token

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["KinesisVideoClient", "KinesisVideoOperations", "PageIterator", "Paginator"]

SERVICE_NAME = "kinesisvideo"
_ACCOUNT_ID = re.compile(r"[0-9]{12}").fullmatch
_REGION_NAME = re.compile(r"[a-z]{2}(-[a-z0-9]+)+-[0-9]+").fullmatch


def check_account_region(account_id: object, region_name: object) -> None:
    """Raise ``ValueError`` unless both look like AWS's (12 digits; ``xx-name-N``)."""
    if not isinstance(account_id, str) or not _ACCOUNT_ID(account_id):
        raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
    if not isinstance(region_name, str) or not _REGION_NAME(region_name):
        raise ValueError(f"region_name must look like 'us-east-1', got {region_name!r}")


class KinesisVideoOperations:
    """The 15 boto3-named methods of a ``kinesisvideo`` client, each taking
    keyword arguments only; subclasses say how a call is made (``_call``)."""

    def _call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

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


class PageIterator:
    """The pages of one ``paginate()`` call, as botocore's ``PageIterator``.

    Iterate it for the response pages; :meth:`build_full_result` merges them;
    :attr:`resume_token` (after iterating) continues where ``MaxItems`` stopped.
    Because kvsim's tokens are continuation keys, a resume token is an ordinary
    ``NextToken`` that starts exactly after the last item returned.
    """

    def __init__(
        self, client: KinesisVideoOperations, kwargs: dict[str, Any], max_items: int | None
    ):
        self._client = client
        self._kwargs = kwargs
        self._max_items = max_items
        #: A token to pass as ``StartingToken`` to continue, or None when done.
        self.resume_token: str | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        kwargs, seen, max_items = dict(self._kwargs), 0, self._max_items
        self.resume_token = None
        while True:
            # A copy: the trace keeps the response the simulator returned.
            page = dict(self._client._call("ListStreams", kwargs))
            items = page["StreamInfoList"]
            token = page.get("NextToken")
            if max_items is not None and seen + len(items) >= max_items:
                kept = items[: max_items - seen]
                page["StreamInfoList"] = kept
                page.pop("NextToken", None)
                if len(kept) < len(items):
                    self.resume_token = encode_list_token(kept[-1]["StreamName"])
                else:
                    self.resume_token = token
                yield page
                return
            seen += len(items)
            yield page
            if not token:
                return
            kwargs["NextToken"] = token

    def build_full_result(self) -> dict[str, Any]:
        """Every item of every page in one response, with ``NextToken`` if truncated."""
        items: list[dict[str, Any]] = []
        for page in self:
            items.extend(page["StreamInfoList"])
        result: dict[str, Any] = {"StreamInfoList": items}
        if self.resume_token is not None:
            result["NextToken"] = self.resume_token
        return result


class Paginator:
    """``client.get_paginator("list_streams")``: iterate ListStreams pages.

    ``PaginationConfig`` takes ``MaxItems``, ``PageSize`` and ``StartingToken``
    as botocore's paginators do.

    >>> import kvsim
    >>> kv = kvsim.Simulator().client()
    >>> for name in ("a", "b", "c"):
    ...     _ = kv.create_stream(StreamName=name)
    >>> pages = kv.get_paginator("list_streams").paginate(PaginationConfig={"MaxItems": 2})
    >>> [s["StreamName"] for s in pages.build_full_result()["StreamInfoList"]]
    ['a', 'b']
    >>> rest = kv.get_paginator("list_streams").paginate(
    ...     PaginationConfig={"StartingToken": pages.resume_token})
    >>> [s["StreamName"] for page in rest for s in page["StreamInfoList"]]
    ['c']
    """

    def __init__(self, client: KinesisVideoOperations, operation: str = "ListStreams") -> None:
        if operation != "ListStreams":
            raise ValueError(f"kvsim paginates ListStreams only, not {operation!r}")
        self._client = client

    def paginate(self, **kwargs: Any) -> PageIterator:
        """The pages of ListStreams for these arguments, up to ``MaxItems`` items."""
        config = dict(kwargs.pop("PaginationConfig", None) or {})
        unknown = set(config) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise ParamValidationError(
                report=f"Unknown PaginationConfig keys: {', '.join(sorted(unknown))}"
            )
        max_items = config.get("MaxItems")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1
        ):
            raise ParamValidationError(report=f"MaxItems must be an int >= 1, got {max_items!r}")
        if config.get("PageSize") is not None:
            kwargs["MaxResults"] = config["PageSize"]
        if config.get("StartingToken") is not None:
            kwargs["NextToken"] = config["StartingToken"]
        return PageIterator(self._client, kwargs, max_items)


class KinesisVideoClient(KinesisVideoOperations):
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
        return Paginator(self)
