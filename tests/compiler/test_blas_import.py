"""The BLAS/LAPACK pointers come from SciPy's Cython capsule modules loaded on their own: the
first jit call in a process must not pay for `scipy.linalg`'s package import (150-300 ms, more
than a warm-cache compile), and a later ordinary import must still work and reuse them."""

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAM = textwrap.dedent(
    """
    import sys
    import numpy as np
    import jaxlite
    import jaxlite.numpy as jnp

    a = np.arange(9, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(np.asarray(jaxlite.jit(lambda x: x @ x)(a)), a @ a)
    spd = np.eye(3) * 4.0 + 1.0
    np.testing.assert_allclose(np.asarray(jaxlite.jit(jnp.linalg.cholesky)(spd)), np.linalg.cholesky(spd))
    assert "scipy.linalg" not in sys.modules, "the package scipy.linalg was imported"
    capsules = sys.modules["scipy.linalg.cython_blas"]
    import scipy.linalg
    from scipy.linalg import cython_blas, cython_lapack

    assert cython_blas is capsules and "dpotrf" in cython_lapack.__pyx_capi__
    np.testing.assert_allclose(scipy.linalg.cholesky(spd, lower=True), np.linalg.cholesky(spd))
    print("ok")
    """
)


def test_first_jit_loads_the_capsules_without_the_scipy_linalg_package(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, JAXLITE_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
