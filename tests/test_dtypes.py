"""Type promotion follows JAX's documented lattice table (x64 on), and canonicalisation."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from compiler import dtypes

# JAX's type promotion table (https://jax.readthedocs.io/en/latest/type_promotion.html), x64 on.
TABLE = """
       b1   u8  u16  u32  u64   i8  i16  i32  i64  f16  f32  f64  c64 c128   i*   f*   c*
  b1   b1   u8  u16  u32  u64   i8  i16  i32  i64  f16  f32  f64  c64 c128   i*   f*   c*
  u8   u8   u8  u16  u32  u64  i16  i16  i32  i64  f16  f32  f64  c64 c128   u8   f*   c*
 u16  u16  u16  u16  u32  u64  i32  i32  i32  i64  f16  f32  f64  c64 c128  u16   f*   c*
 u32  u32  u32  u32  u32  u64  i64  i64  i64  i64  f16  f32  f64  c64 c128  u32   f*   c*
 u64  u64  u64  u64  u64  u64   f*   f*   f*   f*  f16  f32  f64  c64 c128  u64   f*   c*
  i8   i8  i16  i32  i64   f*   i8  i16  i32  i64  f16  f32  f64  c64 c128   i8   f*   c*
 i16  i16  i16  i32  i64   f*  i16  i16  i32  i64  f16  f32  f64  c64 c128  i16   f*   c*
 i32  i32  i32  i32  i64   f*  i32  i32  i32  i64  f16  f32  f64  c64 c128  i32   f*   c*
 i64  i64  i64  i64  i64   f*  i64  i64  i64  i64  f16  f32  f64  c64 c128  i64   f*   c*
 f16  f16  f16  f16  f16  f16  f16  f16  f16  f16  f16  f32  f64  c64 c128  f16  f16  c64
 f32  f32  f32  f32  f32  f32  f32  f32  f32  f32  f32  f32  f64  c64 c128  f32  f32  c64
 f64  f64  f64  f64  f64  f64  f64  f64  f64  f64  f64  f64  f64 c128 c128  f64  f64 c128
 c64  c64  c64  c64  c64  c64  c64  c64  c64  c64  c64  c64 c128  c64 c128  c64  c64  c64
c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128
  i*   i*   u8  u16  u32  u64   i8  i16  i32  i64  f16  f32  f64  c64 c128   i*   f*   c*
  f*   f*   f*   f*   f*   f*   f*   f*   f*   f*  f16  f32  f64  c64 c128   f*   f*   c*
  c*   c*   c*   c*   c*   c*   c*   c*   c*   c*  c64  c64 c128  c64 c128   c*   c*   c*
"""

_BY_NAME = {
    "b1": (dtypes.bool_, False), "u8": (dtypes.uint8, False), "u16": (dtypes.uint16, False),
    "u32": (dtypes.uint32, False), "u64": (dtypes.uint64, False), "i8": (dtypes.int8, False),
    "i16": (dtypes.int16, False), "i32": (dtypes.int32, False), "i64": (dtypes.int64, False),
    "f16": (dtypes.float16, False), "f32": (dtypes.float32, False), "f64": (dtypes.float64, False),
    "c64": (dtypes.complex64, False), "c128": (dtypes.complex128, False),
    "i*": (dtypes.int64, True), "f*": (dtypes.float64, True), "c*": (dtypes.complex128, True),
}


def _cases():
    lines = TABLE.strip().splitlines()
    cols = lines[0].split()
    for line in lines[1:]:
        row, *results = line.split()
        for col, res in zip(cols, results):
            yield row, col, res


@pytest.mark.parametrize("a,b,expected", list(_cases()))
def test_promotion_table_x64(a, b, expected):
    assert dtypes.promote([_BY_NAME[a], _BY_NAME[b]], x64=True) == _BY_NAME[expected]


@pytest.mark.parametrize("a,b,expected", [("i*", "f*", (dtypes.float32, True)),
                                          ("i64", "i8", (dtypes.int32, False)),
                                          ("u64", "i64", (dtypes.float32, True)),
                                          ("f64", "c*", (dtypes.complex64, False))])
def test_promotion_x32_canonicalises(a, b, expected):
    assert dtypes.promote([_BY_NAME[a], _BY_NAME[b]], x64=False) == expected


def test_defaults_and_weak_scalars():
    x = jnp.asarray(np.arange(3))
    assert x.dtype == np.int32 and not x.weak_type
    y = x * 2
    assert y.dtype == np.int32 and not y.weak_type
    z = x * 2.5
    assert z.dtype == np.float32 and z.weak_type  # i32 with f* joins at f*: weak, as JAX
    f = jnp.asarray(np.ones(2))  # float64 input, x64 off: stored as float32
    assert f.dtype == np.float32
    assert (jnp.asarray(np.ones(2, np.float16)) + 1.0).dtype == np.float16
    assert (jnp.asarray(np.ones(2, np.int8)) + 3).dtype == np.int8


def test_x64_opt_in_is_scoped():
    assert not jaxlite.config.jax_enable_x64
    with jaxlite.enable_x64():
        assert jnp.asarray(np.ones(2)).dtype == np.float64
        assert (jnp.asarray(np.arange(2)) + 1).dtype == np.int64
    assert jnp.asarray(np.ones(2)).dtype == np.float32
    assert not jaxlite.config.jax_enable_x64


def test_config_update_and_env(monkeypatch):
    jaxlite.config.update("jax_enable_x64", True)
    try:
        assert jnp.asarray(1.5).dtype == np.float64
    finally:
        jaxlite.config.update("jax_enable_x64", False)
    with pytest.raises(AttributeError, match="unknown flag"):
        jaxlite.config.update("jax_no_such_flag", True)
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import jaxlite.numpy as jnp; print(jnp.asarray(1.5).dtype)"],
                         env={**__import__("os").environ, "JAX_ENABLE_X64": "1"}, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "float64"


def test_int_overflow_is_an_error():
    with pytest.raises(OverflowError, match="int32"):
        jnp.asarray(np.arange(3)) + 2**40


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="not supported|not a valid dtype"):
        dtypes.canonicalize("float8", x64=False)
    with pytest.raises(TypeError):
        jnp.asarray(np.array(["a", "b"]))
