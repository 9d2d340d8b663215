"""Test-session setup: compile caches go to a temporary directory, never the user's home."""

import os
import tempfile

# Set before jaxlite is imported by any test module, so the runtime picks it up.
_CACHE_DIR = tempfile.mkdtemp(prefix="jaxlite-test-cache-")
os.environ.setdefault("JAXLITE_CACHE_DIR", _CACHE_DIR)

# Hypothesis: the same examples on every run (no flaky tests from a lucky draw), and no per-example
# deadline (timings on a shared 2-core machine are not the property under test).
from hypothesis import settings  # noqa: E402

settings.register_profile("jaxlite", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("jaxlite")
