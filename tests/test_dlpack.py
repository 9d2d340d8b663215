"""DLPack exchange: jaxlite.dlpack.from_dlpack / to_dlpack, jnp.from_dlpack, and Array's
__dlpack__ protocol, zero-copy with NumPy (and PyTorch when it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import dlpack

DTYPES = [np.bool_, np.int8, np.int32, np.uint8, np.uint32, np.float16, np.float32, np.complex64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_round_trip_dtypes(dtype):
    x = (np.arange(6) % 3).astype(dtype).reshape(2, 3)
    a = dlpack.from_dlpack(x)
    assert isinstance(a, jaxlite.Array) and a.dtype == x.dtype and a.shape == (2, 3)
    np.testing.assert_array_equal(a, x)
    back = np.from_dlpack(a)
    assert back.dtype == x.dtype
    np.testing.assert_array_equal(back, x)
    assert dlpack.is_supported_dtype(dtype)


def test_from_dlpack_shares_memory_and_copy_true_does_not():
    x = np.arange(4, dtype=np.float32)
    shared, copied = jnp.from_dlpack(x), jnp.from_dlpack(x, copy=True)
    assert np.shares_memory(np.asarray(shared), x)
    assert not np.shares_memory(np.asarray(copied), x)
    x[0] = 7.0  # the producer writes: the shared view sees it (as JAX documents for DLPack)
    assert float(shared[0]) == 7.0 and float(copied[0]) == 0.0
    assert (jnp.from_dlpack(x) + 1)[0] == 8.0  # and it is an ordinary Array


def test_export_is_zero_copy_and_read_only_for_numpy():
    a = jnp.arange(5.0) * 2
    v = np.from_dlpack(a)
    assert np.shares_memory(v, np.asarray(a))
    assert not v.flags.writeable
    with pytest.raises(ValueError):
        v[0] = 1.0
    assert a.__dlpack_device__() == (1, 0)


def test_legacy_capsules_and_to_dlpack():
    a = jnp.arange(3, dtype=jnp.int32)
    with pytest.warns(DeprecationWarning):
        capsule = dlpack.to_dlpack(a)
    b = dlpack.from_dlpack(capsule)
    np.testing.assert_array_equal(b, [0, 1, 2])
    assert b.dtype == np.int32


def test_x64_canonicalisation_copies_and_copy_false_refuses():
    x = np.arange(3, dtype=np.float64)
    a = dlpack.from_dlpack(x)
    assert a.dtype == np.float32  # x64 off: float64 buffers become float32, as every jaxlite input
    with pytest.raises(ValueError, match="copy=False"):
        dlpack.from_dlpack(x, copy=False)
    with jaxlite.enable_x64():
        assert dlpack.from_dlpack(x).dtype == np.float64


class _OnDevice:
    def __init__(self, kind):
        self.kind = kind

    def __dlpack__(self, **kwargs):
        return np.ones(2).__dlpack__()

    def __dlpack_device__(self):
        return (self.kind, 0)


def test_errors():
    with pytest.raises(RuntimeError, match="CUDA device.*cpu"):
        dlpack.from_dlpack(_OnDevice(2))
    with pytest.raises(TypeError, match="does not implement the DLPack"):
        dlpack.from_dlpack([1, 2])
    with pytest.raises(ValueError, match="CPU devices only"):
        dlpack.from_dlpack(np.ones(2), device="gpu")
    with pytest.raises(TypeError, match="jaxlite.Array"):
        with pytest.warns(DeprecationWarning):
            dlpack.to_dlpack(np.ones(2))


def test_torch_exchange():
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    a = jnp.from_dlpack(t)
    np.testing.assert_array_equal(a, t.numpy())
    t[0, 0] = 9.0
    assert float(a[0, 0]) == 9.0  # shared
    back = torch.from_dlpack(jnp.arange(3.0))
    np.testing.assert_array_equal(back.numpy(), [0.0, 1.0, 2.0])


def test_matches_jax_device_and_dtype_support():
    jax = pytest.importorskip("jax")
    assert tuple(int(v) for v in jax.numpy.ones(2).__dlpack_device__()) == jnp.ones(2).__dlpack_device__()
    for dt in DTYPES:
        assert jax.dlpack.is_supported_dtype(dt) == dlpack.is_supported_dtype(dt)
