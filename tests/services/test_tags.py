"""Tagging: TagStream, UntagStream, ListTagsForStream and the *Resource forms."""

from __future__ import annotations

import pytest
from helpers import raises

import kvsim
from kvsim.engine.client import KinesisVideoClient

NOT_FOUND = "The requested stream is not found or not active."
CHANNEL_ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:channel/ch/1767225600000"


@pytest.fixture
def arn(kv: KinesisVideoClient) -> str:
    """A freshly created stream "cam-1"."""
    created: str = kv.create_stream(StreamName="cam-1")["StreamARN"]
    return created


def tags(kv: KinesisVideoClient, arn: str) -> dict[str, str]:
    """The stream's tags by ListTagsForStream, checked against ListTagsForResource."""
    by_stream: dict[str, str] = kv.list_tags_for_stream(StreamARN=arn)["Tags"]
    assert kv.list_tags_for_resource(ResourceARN=arn)["Tags"] == by_stream
    return by_stream


# -- TagStream / UntagStream / ListTagsForStream ---------------------------------------------


def test_new_stream_has_no_tags(kv: KinesisVideoClient, arn: str) -> None:
    response = kv.list_tags_for_stream(StreamName="cam-1")
    assert set(response) == {"Tags", "ResponseMetadata"}
    assert response["Tags"] == {}
    assert "NextToken" not in response


def test_tag_stream_adds_and_overwrites(
    sim: kvsim.Simulator, kv: KinesisVideoClient, arn: str
) -> None:
    response = kv.tag_stream(StreamARN=arn, Tags={"a": "1", "b": "2"})
    assert set(response) == {"ResponseMetadata"}
    kv.tag_stream(StreamName="cam-1", Tags={"b": "two", "c": ""})
    assert tags(kv, arn) == {"a": "1", "b": "two", "c": ""}
    sim._check()


def test_tagging_keeps_the_version(sim: kvsim.Simulator, kv: KinesisVideoClient, arn: str) -> None:
    sim.advance(5)
    version = kv.describe_stream(StreamARN=arn)["StreamInfo"]["Version"]
    kv.tag_stream(StreamARN=arn, Tags={"a": "1"})
    kv.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    kv.untag_stream(StreamARN=arn, TagKeyList=["a"])
    kv.untag_resource(ResourceARN=arn, TagKeyList=["b"])
    got = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert (got["Version"], got["Status"]) == (version, "ACTIVE")
    assert sim.pending() == []


def test_tags_work_while_creating(kv: KinesisVideoClient, arn: str) -> None:
    kv.tag_stream(StreamARN=arn, Tags={"a": "1"})
    assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["Status"] == "CREATING"
    assert tags(kv, arn) == {"a": "1"}


def test_untag_removes_and_ignores_unknown_keys(kv: KinesisVideoClient, arn: str) -> None:
    kv.tag_stream(StreamARN=arn, Tags={"a": "1", "b": "2", "c": "3"})
    response = kv.untag_stream(StreamARN=arn, TagKeyList=["a", "zzz"])
    assert set(response) == {"ResponseMetadata"}
    assert tags(kv, arn) == {"b": "2", "c": "3"}
    kv.untag_stream(StreamName="cam-1", TagKeyList=["b", "c", "b"])
    assert tags(kv, arn) == {}
    kv.untag_stream(StreamName="cam-1", TagKeyList=["nothing-here"])
    assert tags(kv, arn) == {}


def test_fifty_tags_fit_and_overwrites_do_not_count(kv: KinesisVideoClient, arn: str) -> None:
    kv.tag_stream(StreamARN=arn, Tags={f"k{i}": "v" for i in range(50)})
    kv.tag_stream(StreamARN=arn, Tags={"k0": "new", "k49": "new"})
    got = tags(kv, arn)
    assert len(got) == 50
    assert (got["k0"], got["k1"], got["k49"]) == ("new", "v", "new")


@pytest.mark.parametrize("method", ["tag_stream", "tag_resource"])
def test_going_past_fifty_tags_applies_nothing(
    sim: kvsim.Simulator, kv: KinesisVideoClient, arn: str, method: str
) -> None:
    kv.tag_stream(StreamARN=arn, Tags={f"k{i}": "v" for i in range(49)})
    extra = {"k0": "changed", "x": "1", "y": "2"}  # one overwrite, two new: 51
    before = sim._dump()
    if method == "tag_stream":
        err = raises(
            kv.tag_stream, "TagsPerResourceExceededLimitException", StreamARN=arn, Tags=extra
        )
    else:
        pairs = [{"Key": k, "Value": v} for k, v in extra.items()]
        err = raises(
            kv.tag_resource, "TagsPerResourceExceededLimitException", ResourceARN=arn, Tags=pairs
        )
    assert "51" in err.response["Error"]["Message"]
    assert sim._dump() == before
    assert tags(kv, arn)["k0"] == "v"


def test_tag_limit_is_configurable() -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(max_tags_per_resource=2))
    kv = sim.client("kinesisvideo")
    raises(
        kv.create_stream,
        "TagsPerResourceExceededLimitException",
        StreamName="s",
        Tags={"a": "", "b": "", "c": ""},
    )
    arn = kv.create_stream(StreamName="s", Tags={"a": "1"})["StreamARN"]
    kv.tag_stream(StreamARN=arn, Tags={"b": "2"})
    raises(kv.tag_stream, "TagsPerResourceExceededLimitException", StreamARN=arn, Tags={"c": "3"})
    assert tags(kv, arn) == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    "bad_arn", ["not-an-arn", CHANNEL_ARN, "arn:aws:kinesisvideo:us-east-1:123:stream/x"]
)
def test_malformed_stream_arn_is_invalid_resource_format(
    kv: KinesisVideoClient, arn: str, bad_arn: str
) -> None:
    raises(kv.tag_stream, "InvalidResourceFormatException", StreamARN=bad_arn, Tags={"a": "1"})
    raises(kv.untag_stream, "InvalidResourceFormatException", StreamARN=bad_arn, TagKeyList=["a"])
    raises(kv.list_tags_for_stream, "InvalidResourceFormatException", StreamARN=bad_arn)


def test_unknown_stream_is_not_found(kv: KinesisVideoClient, arn: str) -> None:
    gone = arn.replace("cam-1", "cam-2")
    for target in ({"StreamName": "cam-2"}, {"StreamARN": gone}):
        err = raises(kv.tag_stream, "ResourceNotFoundException", Tags={"a": "1"}, **target)
        assert err.response["Error"]["Message"] == NOT_FOUND
        raises(kv.untag_stream, "ResourceNotFoundException", TagKeyList=["a"], **target)
        raises(kv.list_tags_for_stream, "ResourceNotFoundException", **target)
    raises(
        kv.tag_resource,
        "ResourceNotFoundException",
        ResourceARN=gone,
        Tags=[{"Key": "a", "Value": "1"}],
    )
    raises(kv.untag_resource, "ResourceNotFoundException", ResourceARN=gone, TagKeyList=["a"])
    raises(kv.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=gone)


def test_name_and_arn_of_different_streams_is_invalid_argument(
    kv: KinesisVideoClient, arn: str
) -> None:
    kv.create_stream(StreamName="other")
    raises(
        kv.tag_stream,
        "InvalidArgumentException",
        StreamName="other",
        StreamARN=arn,
        Tags={"a": "1"},
    )
    raises(
        kv.untag_stream,
        "InvalidArgumentException",
        StreamName="other",
        StreamARN=arn,
        TagKeyList=["a"],
    )
    raises(kv.list_tags_for_stream, "InvalidArgumentException", StreamName="other", StreamARN=arn)
    assert tags(kv, arn) == {}


def test_a_next_token_is_invalid_argument(kv: KinesisVideoClient, arn: str) -> None:
    raises(kv.list_tags_for_stream, "InvalidArgumentException", StreamARN=arn, NextToken="abcd")
    raises(kv.list_tags_for_resource, "InvalidArgumentException", ResourceARN=arn, NextToken="abcd")
    # An empty token is no token.
    assert kv.list_tags_for_stream(StreamARN=arn, NextToken="")["Tags"] == {}


def test_tag_text_validation(kv: KinesisVideoClient, arn: str) -> None:
    kv.tag_stream(StreamARN=arn, Tags={"Größe 大きさ ١٢": "wert:/=+-@_.", "k": ""})
    assert tags(kv, arn)["Größe 大きさ ١٢"] == "wert:/=+-@_."
    err = raises(kv.tag_stream, "InvalidArgumentException", StreamARN=arn, Tags={"a*b": "1"})
    assert err.response["Error"]["Message"].startswith(
        "1 validation error detected: Value '{a*b=1}' at 'tags'"
    )
    raises(kv.tag_stream, "InvalidArgumentException", StreamARN=arn, Tags={"a": "x" * 257})
    raises(kv.tag_stream, "InvalidArgumentException", StreamARN=arn, Tags={"k" * 129: "1"})
    raises(kv.tag_stream, "InvalidArgumentException", StreamARN=arn, Tags={})
    raises(kv.untag_stream, "InvalidArgumentException", StreamARN=arn, TagKeyList=["a*b"])
    raises(
        kv.untag_stream,
        "InvalidArgumentException",
        StreamARN=arn,
        TagKeyList=[f"k{i}" for i in range(51)],
    )
    with pytest.raises(kvsim.ParamValidationError, match="valid min length: 1"):
        kv.untag_stream(StreamARN=arn, TagKeyList=[])
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in input: "Tags"'
    ):
        kv.tag_stream(StreamARN=arn)
    assert len(tags(kv, arn)) == 2


# -- TagResource / UntagResource / ListTagsForResource ---------------------------------------


def test_resource_forms_take_a_list_of_pairs(
    sim: kvsim.Simulator, kv: KinesisVideoClient, arn: str
) -> None:
    response = kv.tag_resource(
        ResourceARN=arn,
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}],
    )
    assert set(response) == {"ResponseMetadata"}
    got = kv.list_tags_for_resource(ResourceARN=arn)
    assert set(got) == {"Tags", "ResponseMetadata"}
    assert got["Tags"] == {"a": "3", "b": "2"}
    kv.untag_resource(ResourceARN=arn, TagKeyList=["a", "unknown"])
    assert tags(kv, arn) == {"b": "2"}
    sim._check()


def test_resource_forms_validate_their_input(kv: KinesisVideoClient, arn: str) -> None:
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in input: "ResourceARN"'
    ):
        kv.list_tags_for_resource()
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in Tags\\[0\\]: "Value"'
    ):
        kv.tag_resource(ResourceARN=arn, Tags=[{"Key": "a"}])
    with pytest.raises(kvsim.ParamValidationError, match="Invalid type for parameter Tags"):
        kv.tag_resource(ResourceARN=arn, Tags={"a": "1"})
    raises(
        kv.tag_resource,
        "InvalidArgumentException",
        ResourceARN="not-an-arn",
        Tags=[{"Key": "a", "Value": "1"}],
    )
    raises(kv.list_tags_for_resource, "InvalidArgumentException", ResourceARN="not-an-arn")
    assert tags(kv, arn) == {}


def test_tags_are_per_incarnation_and_per_account(
    sim: kvsim.Simulator, kv: KinesisVideoClient, arn: str
) -> None:
    kv.tag_stream(StreamARN=arn, Tags={"a": "1"})
    other = sim.client("kinesisvideo", region_name="us-east-1", account_id="210987654321")
    other_arn = other.create_stream(StreamName="cam-1")["StreamARN"]
    assert other.list_tags_for_stream(StreamName="cam-1")["Tags"] == {}
    raises(other.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=arn)
    raises(
        other.tag_resource,
        "ResourceNotFoundException",
        ResourceARN=arn,
        Tags=[{"Key": "x", "Value": "y"}],
    )
    sim.advance(5)
    kv.delete_stream(StreamARN=arn)
    sim.advance(5)
    new = kv.create_stream(StreamName="cam-1")["StreamARN"]
    assert tags(kv, new) == {}
    raises(kv.list_tags_for_stream, "ResourceNotFoundException", StreamARN=arn)
    assert tags(other, other_arn) == {}
    sim._check()
