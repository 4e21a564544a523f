"""Every Python example in the README runs, and its assertions hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kvsim

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int) -> None:
    namespace: dict[str, object] = {"kvsim": kvsim, "__name__": f"readme_example_{index}"}
    exec(compile(BLOCKS[index], f"README.md example {index}", "exec"), namespace)
    # Examples that define pytest-style tests are run as such.
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()
