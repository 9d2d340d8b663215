"""The xla_math primitive (compiler/cpu/xla_math.py): its interpreter kernel against live JAX on
many inputs and edge values, fused (jit) against the interpreter bit for bit, its shape rule,
and its kernels through the disk cache in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu
from compiler.primitives.xla_math import FUNCTIONS

f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
_UINT = {f32: np.uint32, f64: np.uint64}
_EDGES = [
    0.0,
    -0.0,
    np.inf,
    -np.inf,
    np.nan,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    1e-300,
    -1e-300,
    0.41421356,
    -0.41421356,
    709.5,
    -708.5,
    710.0,
    -745.2,
    1e-17,
    1 - 2**-53,
    -1 + 2**-53,
]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def _edges(dt):
    info = np.finfo(dt)
    extra = [
        info.tiny,
        -info.tiny,
        info.smallest_subnormal,
        -info.smallest_subnormal,
        info.tiny / 4,
        info.max,
        -info.max,
        info.eps,
        1 + info.eps,
    ]
    return np.array(_EDGES + extra, dt)


def _inputs(fn, dt):
    """>= 1e5 operands over the function's domain, plus the edge values."""
    with np.errstate(over="ignore"):  # float32 casts of the float64 ranges overflow to inf
        return _draw(fn, dt)


def _draw(fn, dt):
    rng = np.random.default_rng(0)
    u = rng.random(100_000)
    edges = _edges(dt)
    if fn == "log":
        x = np.concatenate([u * 4, u * 1e-300, u * 1e300, 1 + (u - 0.5) * 1e-3, u * 1e-30, u * 1e30])
    elif fn == "log1p":
        x = np.concatenate([-u, u * 3, (u - 0.5) * 0.9, (u - 0.5) * 1e-6])
    elif fn == "exp":
        x = np.concatenate([(u - 0.5) * 1500, (u - 0.5) * 2e-3, (u - 0.5) * 40])
    elif fn == "erf":
        x = np.concatenate([(u - 0.5) * 12, u * 1e-3])
    elif fn == "erf_inv":
        x = np.concatenate([u * 2 - 1, 1 - u * 1e-4, -1 + u * 1e-15, (u - 0.5) * 1e-6])
    elif fn == "rsqrt":
        x = np.concatenate([u * 10, u * 1e-300, u * 1e300, 1 + u * 1e-6])
    elif fn == "pow":
        base = np.concatenate([u * 3, u, 1 - u * 1e-6, u * 1e-20])
        expo = np.concatenate([(u - 0.5) * 8, 1 / (u + 0.01), 1 / (u + 0.01), (u - 0.5) * 3])
        edge_base = np.repeat(edges, len(edges))
        # glibc's pow under DAZ gives odd results for denormal bases; XLA's are not reproduced
        keep = ~((np.abs(edge_base) < np.finfo(dt).tiny) & (edge_base != 0))
        return [
            np.concatenate([base, edge_base[keep]]).astype(dt),
            np.concatenate([expo, np.tile(edges, len(edges))[keep]]).astype(dt),
        ]
    elif fn == "fma":
        a, b, c = (rng.standard_normal(100_000) * 10.0 ** rng.integers(-5, 5, 100_000) for _ in range(3))
        return [
            np.concatenate([a, edges]).astype(dt),
            np.concatenate([b, edges[::-1]]).astype(dt),
            np.concatenate([c, np.roll(edges, 3)]).astype(dt),
        ]
    return [np.concatenate([x, edges]).astype(dt)]


def _jax_reference(fn):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    return {
        "log": jnp.log,
        "log1p": jnp.log1p,
        "exp": jnp.exp,
        "erf": jax.lax.erf,
        "erf_inv": jax.lax.erf_inv,
        "pow": jnp.power,
        "rsqrt": jax.lax.rsqrt,
        "fma": lambda a, b, c: a * b + c,
    }[fn]


def _cases():
    return [(fn, dt) for fn, (_, dts) in FUNCTIONS.items() for dt in dts]


def _interpret(fn, *xs):
    jb = JaxprBuilder()
    args = [jb.arg(ShapedArray(x.shape, x.dtype)) for x in xs]
    closed = jb.build([jb.op(P.xla_math_p, *args, fn=fn)])
    return closed, eval_jaxpr(closed.jaxpr, closed.consts, *xs)[0]


def assert_same_bits(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    it = _UINT[got.dtype]
    bad = (got.view(it) != want.view(it)) & ~(np.isnan(got) & np.isnan(want))
    assert not bad.any(), f"{what}: {bad.sum()} of {bad.size} differ, e.g. {got[bad][:4]} vs {want[bad][:4]}"


@pytest.mark.parametrize("fn,dt", _cases(), ids=[f"{fn}-{dt}" for fn, dt in _cases()])
def test_matches_jax_jit_bit_for_bit(fn, dt):
    ref = _jax_reference(fn)
    import jax

    xs = _inputs(fn, dt)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        want = np.asarray(jax.jit(ref)(*xs))
    finally:
        jax.config.update("jax_enable_x64", old)
    _, got = _interpret(fn, *xs)
    assert_same_bits(got, want, f"xla_math[{fn}] {dt}")


@pytest.mark.parametrize("fn,dt", _cases(), ids=[f"{fn}-{dt}" for fn, dt in _cases()])
def test_fused_kernel_equals_the_interpreter(fn, dt):
    """jit fuses the emitter into a loop with other work; the interpreter runs it as a kernel of
    its own: the same bits, and no interpreter callback in the program."""
    xs = [x[:5000] for x in _inputs(fn, dt)]
    jb = JaxprBuilder()
    args = [jb.arg(ShapedArray(x.shape, x.dtype)) for x in xs]
    doubled = jb.op(P.add_p, args[0], args[0])
    out = jb.op(P.xla_math_p, doubled, *args[1:], fn=fn)
    closed = jb.build([jb.op(P.mul_p, out, out)])
    exe = compile_cpu(closed, check=True)
    assert exe.program.count("interpret") == 0
    (got,) = exe(*xs)
    (want,) = eval_jaxpr(closed.jaxpr, closed.consts, *xs)
    assert_same_bits(got, want, f"fused xla_math[{fn}] {dt}")


def test_rank0_operands_broadcast_and_empty_arrays():
    x = np.linspace(0.1, 3, 7)
    _, got = _interpret("pow", x, np.float64(0.5))
    _, want = _interpret("pow", x, np.full(7, 0.5))
    assert_same_bits(got, want, "pow with a scalar exponent")
    _, empty = _interpret("exp", np.zeros((0, 3)))
    assert empty.shape == (0, 3) and empty.dtype == f64


def test_flushes_denormals_as_xla_does():
    tiny = np.finfo(f64).smallest_subnormal
    _, out = _interpret("exp", np.array([-740.0, np.log(tiny * 4)]))
    assert np.all(out == 0.0)  # denormal results come out as zero
    _, out = _interpret("log", np.array([tiny, -tiny]))
    assert np.all(out == -np.inf)  # a denormal reads as zero


def test_shape_rule_names_the_function_and_what_is_wrong():
    a64, a32 = ShapedArray((3,), f64), ShapedArray((3,), f32)
    rule = P.shape_rules[P.xla_math_p]
    assert rule(a64, fn="exp") == a64
    with pytest.raises(TypeError, match="unknown function fn='sin'"):
        rule(a64, fn="sin")
    with pytest.raises(TypeError, match=r"xla_math\[fn=rsqrt\]: is defined for float32, float64 only, got float16"):
        rule(ShapedArray((3,), np.dtype(np.float16)), fn="rsqrt")
    with pytest.raises(TypeError, match=r"xla_math\[fn=pow\]: takes 2 operand\(s\), got 1"):
        rule(a64, fn="pow")
    with pytest.raises(TypeError, match="share one dtype"):
        rule(a64, a32, fn="pow")
    with pytest.raises(TypeError, match="equal or rank 0"):
        rule(a64, ShapedArray((4,), f64), fn="pow")


_CHILD = """
import json, numpy as np
from compiler import runtime
from compiler.cpu import xla_math
out = xla_math.evaluate("log1p", np.array([0.25, 3.0]))
print(json.dumps({"bits": out.view(np.uint64).tolist(), "compiles": runtime.STATS["llvm_compiles"],
                  "disk_hits": runtime.STATS["disk_hits"]}))
"""


def test_kernels_come_back_from_the_disk_cache_and_link(tmp_path):
    """A cached object calls our glibc symbols: they must resolve in a process that never
    emitted the kernel."""
    env = {**os.environ, "JAXLITE_CACHE_DIR": str(tmp_path / "shared")}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True, cwd=root
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["compiles"] == 1 and runs[1]["compiles"] == 0 and runs[1]["disk_hits"] == 1
    assert runs[0]["bits"] == runs[1]["bits"]
