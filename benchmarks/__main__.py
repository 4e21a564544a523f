"""``python -m benchmarks`` (from the repository's root): the same as ``kvsim bench``."""

import sys

from benchmarks.harness import main

sys.exit(main())
