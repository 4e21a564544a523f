"""Where botocore is installed, kvsim's errors are botocore's (and without it, plain ones)."""

from __future__ import annotations

import subprocess
import sys

import botocore.exceptions
import pytest
from hypothesis.stateful import run_state_machine_as_test

import kvsim
from kvsim.stateful import KinesisVideoStateMachine


def test_facade_errors_are_botocore_client_errors_with_their_attributes() -> None:
    kv = kvsim.Simulator().client("kinesisvideo")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        kv.describe_stream(StreamName="nope")
    error = info.value
    assert isinstance(error, kv.exceptions.ResourceNotFoundException)
    assert error.response["Error"]["Code"] == "ResourceNotFoundException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error.operation_name == "DescribeStream"
    assert str(error).startswith("An error occurred (ResourceNotFoundException) when calling")


def test_param_validation_errors_are_botocores_and_still_value_errors() -> None:
    kv = kvsim.Simulator().client("kinesisvideo")
    with pytest.raises(botocore.exceptions.ParamValidationError) as info:
        kv.create_stream()
    assert isinstance(info.value, ValueError)
    assert info.value.kwargs == {"report": 'Missing required parameter in input: "StreamName"'}
    assert str(info.value) == (
        'Parameter validation failed:\nMissing required parameter in input: "StreamName"'
    )


def test_a_retry_loop_written_for_boto3_catches_the_state_machines_errors() -> None:
    caught: list[str] = []

    class Machine(KinesisVideoStateMachine):
        def teardown(self) -> None:
            try:
                self.kv.describe_stream(StreamName="no-such-stream-here")
            except botocore.exceptions.ClientError as error:  # what boto3 code writes
                caught.append(error.response["Error"]["Code"])

    from hypothesis import settings

    run_state_machine_as_test(
        Machine, settings=settings(max_examples=2, stateful_step_count=3, deadline=None)
    )
    assert caught and set(caught) == {"ResourceNotFoundException"}


def test_without_botocore_the_errors_keep_their_attributes() -> None:
    code = (
        "import sys\n"
        "sys.modules['botocore'] = None\n"
        "import kvsim\n"
        "from kvsim.model.errors import BOTOCORE_BASES\n"
        "kv = kvsim.Simulator().client()\n"
        "try:\n"
        "    kv.describe_stream(StreamName='nope')\n"
        "except kvsim.ClientError as e:\n"
        "    print(BOTOCORE_BASES, kvsim.ClientError.__bases__[0].__name__, e.response['Error']['Code'])\n"
        "try:\n"
        "    kv.create_stream()\n"
        "except ValueError as e:\n"
        "    print(type(e).__name__, e.report)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "False Exception ResourceNotFoundException",
        'ParamValidationError Missing required parameter in input: "StreamName"',
    ]
