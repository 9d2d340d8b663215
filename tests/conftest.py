"""Test-session setup: compile caches go to a temporary directory, never the user's home."""

import os
import tempfile

# Set before jaxlite is imported by any test module, so the runtime picks it up.
_CACHE_DIR = tempfile.mkdtemp(prefix="jaxlite-test-cache-")
os.environ.setdefault("JAXLITE_CACHE_DIR", _CACHE_DIR)
