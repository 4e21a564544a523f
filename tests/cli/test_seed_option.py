"""`--seed` takes an int in [0, 2**64): anything else is a usage error, not a traceback."""

from __future__ import annotations

import pytest

from kvsim.cli import main


@pytest.mark.parametrize("seed", ["-1", str(2**64), "1e3", "x", "1_0"])
def test_kvsim_run_refuses_a_seed_out_of_range(
    seed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--seed", seed])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"kvsim run: error: argument --seed: a seed is an int in [0, 2**64), got {seed!r}"
    )


def test_the_largest_seed_runs_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--seed", str(2**64 - 1)]) == 0
    assert "seed 18446744073709551615" in capsys.readouterr().out
