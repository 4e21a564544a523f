"""The input shapes of the 15 stream operations, written from the service's documentation.

These are kvsim's own declarations of the members, types and constraints of
each request. The conformance tests compare every one of them with botocore's
installed ``kinesisvideo`` model, so a drift in either direction fails CI.

>>> sorted(INPUTS["DeleteStream"].members)
['CurrentVersion', 'StreamARN']
>>> INPUTS["DeleteStream"].required
('StreamARN',)
"""

from __future__ import annotations

from .validation import Integer, List, Map, String, Structure, TagText

__all__ = ["INPUTS", "RESOURCE_ARN_PATTERN"]

RESOURCE_ARN_PATTERN = r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+"
_NAME_PATTERN = r"[a-zA-Z0-9_.-]+"
_MEDIA_TYPE_PATTERN = r"[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*"

STREAM_NAME = String(min=1, max=256, pattern=_NAME_PATTERN)
DEVICE_NAME = String(min=1, max=128, pattern=_NAME_PATTERN)
RESOURCE_ARN = String(min=1, max=1024, pattern=RESOURCE_ARN_PATTERN)
MEDIA_TYPE = String(min=1, max=128, pattern=_MEDIA_TYPE_PATTERN)
# Java's "." stops at every line terminator, Python's only at "\n".
KMS_KEY_ID = String(min=1, max=2048, pattern=".+", regex="[^\n\r\u0085\u2028\u2029]+")
VERSION = String(min=1, max=64, pattern="[a-zA-Z0-9]+")
NEXT_TOKEN = String(min=0, max=1024, pattern="[a-zA-Z0-9+/=]*")
TAG_KEY = TagText(min=1, max=128, pattern=r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
TAG_VALUE = TagText(min=0, max=256, pattern=r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
# The model caps a request at 50 tags; kvsim instead checks the total a stream
# would hold against Limits.max_tags_per_resource and answers
# TagsPerResourceExceededLimitException, as AWS documents for these operations.
RESOURCE_TAGS = Map(TAG_KEY, TAG_VALUE, min=1)
# The tagging operations answer a malformed stream ARN with
# InvalidResourceFormatException, so the service (not validation) checks its pattern.
TAGGED_STREAM_ARN = String(min=1, max=1024)
TAG_KEY_LIST = List(TAG_KEY, min=1, max=50)
STORAGE_CONFIGURATION = Structure(
    {"DefaultStorageTier": String(enum=("HOT", "WARM"))}, required=("DefaultStorageTier",)
)
RETENTION_HOURS = Integer(min=0)

_NAME_OR_ARN = {"StreamName": STREAM_NAME, "StreamARN": RESOURCE_ARN}

#: Input structure of every simulated operation, by API name.
INPUTS: dict[str, Structure] = {
    "CreateStream": Structure(
        {
            "DeviceName": DEVICE_NAME,
            "StreamName": STREAM_NAME,
            "MediaType": MEDIA_TYPE,
            "KmsKeyId": KMS_KEY_ID,
            "DataRetentionInHours": RETENTION_HOURS,
            "Tags": RESOURCE_TAGS,
            "StreamStorageConfiguration": STORAGE_CONFIGURATION,
        },
        required=("StreamName",),
    ),
    "DescribeStream": Structure(_NAME_OR_ARN),
    "ListStreams": Structure(
        {
            "MaxResults": Integer(min=1, max=10_000),
            "NextToken": NEXT_TOKEN,
            "StreamNameCondition": Structure(
                {
                    "ComparisonOperator": String(enum=("BEGINS_WITH",)),
                    "ComparisonValue": STREAM_NAME,
                }
            ),
        }
    ),
    "UpdateStream": Structure(
        {
            **_NAME_OR_ARN,
            "CurrentVersion": VERSION,
            "DeviceName": DEVICE_NAME,
            "MediaType": MEDIA_TYPE,
        },
        required=("CurrentVersion",),
    ),
    "UpdateDataRetention": Structure(
        {
            **_NAME_OR_ARN,
            "CurrentVersion": VERSION,
            "Operation": String(enum=("INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION")),
            "DataRetentionChangeInHours": Integer(min=1),
        },
        required=("CurrentVersion", "Operation", "DataRetentionChangeInHours"),
    ),
    "DeleteStream": Structure(
        {"StreamARN": RESOURCE_ARN, "CurrentVersion": VERSION}, required=("StreamARN",)
    ),
    "GetDataEndpoint": Structure(
        {
            **_NAME_OR_ARN,
            "APIName": String(
                enum=(
                    "PUT_MEDIA",
                    "GET_MEDIA",
                    "LIST_FRAGMENTS",
                    "GET_MEDIA_FOR_FRAGMENT_LIST",
                    "GET_HLS_STREAMING_SESSION_URL",
                    "GET_DASH_STREAMING_SESSION_URL",
                    "GET_CLIP",
                    "GET_IMAGES",
                )
            ),
        },
        required=("APIName",),
    ),
    "TagStream": Structure(
        {"StreamARN": TAGGED_STREAM_ARN, "StreamName": STREAM_NAME, "Tags": RESOURCE_TAGS},
        required=("Tags",),
    ),
    "UntagStream": Structure(
        {"StreamARN": TAGGED_STREAM_ARN, "StreamName": STREAM_NAME, "TagKeyList": TAG_KEY_LIST},
        required=("TagKeyList",),
    ),
    "ListTagsForStream": Structure(
        {"NextToken": NEXT_TOKEN, "StreamARN": TAGGED_STREAM_ARN, "StreamName": STREAM_NAME}
    ),
    "TagResource": Structure(
        {
            "ResourceARN": RESOURCE_ARN,
            "Tags": List(
                Structure({"Key": TAG_KEY, "Value": TAG_VALUE}, required=("Key", "Value")),
                min=1,
            ),
        },
        required=("ResourceARN", "Tags"),
    ),
    "UntagResource": Structure(
        {"ResourceARN": RESOURCE_ARN, "TagKeyList": TAG_KEY_LIST},
        required=("ResourceARN", "TagKeyList"),
    ),
    "ListTagsForResource": Structure(
        {"NextToken": NEXT_TOKEN, "ResourceARN": RESOURCE_ARN}, required=("ResourceARN",)
    ),
    "DescribeStreamStorageConfiguration": Structure(_NAME_OR_ARN),
    "UpdateStreamStorageConfiguration": Structure(
        {
            **_NAME_OR_ARN,
            "CurrentVersion": VERSION,
            "StreamStorageConfiguration": STORAGE_CONFIGURATION,
        },
        required=("CurrentVersion", "StreamStorageConfiguration"),
    ),
}
