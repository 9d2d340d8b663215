"""Control flow: user mistakes raise errors naming the construct, the carry path and both types;
reverse mode through while_loop names the fix; the IR and the CPU back end's callbacks."""

import numpy as np
import pytest

from jaxlite import numpy as jnp
from jaxlite.ad_api import grad, jvp
from jaxlite.control_flow import cond, fori_loop, scan, switch, while_loop
from jaxlite.jit import jit


def test_scan_carry_dtype_change_names_the_path_and_types():
    with pytest.raises(TypeError, match=r"carry c has type float32\[\] but the corresponding output "
                                        r"carry component has type float16\[\], so the dtypes"):
        scan(lambda c, x: (c.astype(jnp.float16), x), np.float32(0), jnp.arange(3.0))


def test_scan_carry_shape_change_names_the_component():
    with pytest.raises(TypeError, match=r"carry component c\['a'\] has type float32\[\] .* "
                                        r"float32\[1\], so the shapes do not match"):
        scan(lambda c, x: ({"a": c["a"][None]}, x), {"a": np.float32(0)}, jnp.arange(3.0))


def test_carry_structure_change():
    with pytest.raises(TypeError, match="scan body function carry input and carry output must have "
                                        "the same pytree structure"):
        scan(lambda c, x: ((c, c), x), np.float32(0), jnp.arange(3.0))
    with pytest.raises(TypeError, match="while_loop body function carry input and carry output must "
                                        "have the same pytree structure"):
        while_loop(lambda c: c < 3, lambda c: (c + 1, 2), 0)
    with pytest.raises(TypeError, match="while_loop body .* equal types"):
        while_loop(lambda c: c < 3, lambda c: jnp.stack([c, c]), np.int32(0))


def test_scan_body_must_return_a_pair():
    with pytest.raises(TypeError, match="scan body output must be a pair"):
        scan(lambda c, x: c, 0.0, jnp.arange(3.0))


def test_scan_lengths():
    with pytest.raises(ValueError, match="different leading axis sizes"):
        scan(lambda c, x: (c, x), 0.0, (jnp.arange(3.0), jnp.arange(4.0)))
    with pytest.raises(ValueError, match="`length` argument of 5"):
        scan(lambda c, x: (c, x), 0.0, jnp.arange(3.0), length=5)
    with pytest.raises(ValueError, match="length"):
        scan(lambda c, x: (c, x), 0.0, None)


def test_cond_errors():
    with pytest.raises(TypeError, match=r"(?s)output types .* float32\[\] .* int32\[\], so the dtypes"):
        cond(True, lambda x: x, lambda x: x.astype(jnp.int32), 1.0)
    with pytest.raises(TypeError, match="same pytree structure"):
        cond(True, lambda x: x, lambda x: (x, x), 1.0)
    with pytest.raises(TypeError, match="pred must be a scalar"):
        cond(jnp.ones(3) > 0, lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="callable"):
        cond(True, 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="index must be an integer"):
        switch(1.0, [lambda: 1.0, lambda: 2.0])
    with pytest.raises(ValueError, match="empty"):
        switch(0, [])


def test_cond_operand_keyword_and_numeric_predicate():
    assert float(cond(2, lambda x: x + 1, lambda x: x - 1, operand=1.0)) == 2.0
    assert float(cond(0.0, lambda x: x + 1, lambda x: x - 1, 1.0)) == 0.0
    assert float(switch(0, [lambda: 3.0])) == 3.0


def test_while_cond_must_return_a_bool_scalar():
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        while_loop(lambda c: c, lambda c: c + 1, 0)


def test_reverse_mode_through_while_names_scan_and_fori_loop():
    f = lambda x: while_loop(lambda c: c < 3, lambda c: c * 2, x)  # noqa: E731
    for g in (grad(f), jit(grad(f))):
        with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for "
                                             "lax.while_loop or lax.fori_loop with dynamic start/stop"
                                             ".*Try using lax.scan"):
            g(1.0)
    h = jit(lambda x, n: fori_loop(0, n, lambda i, c: c * 2, x))
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        grad(h)(1.0, 3)
    # forward mode and static trip counts are fine
    assert float(jvp(f, (1.0,), (1.0,))[1]) == 4.0
    assert float(grad(lambda x: fori_loop(0, 3, lambda i, c: c * 2, x))(1.0)) == 8.0
    assert float(grad(lambda x, n: fori_loop(0, n, lambda i, c: c * 2, x))(1.0, 3)) == 8.0


def test_fori_loop_dynamic_unroll_and_bounds_types():
    with pytest.raises(TypeError, match="integers"):
        fori_loop(0.0, 3, lambda i, c: c, 1.0)
    assert float(fori_loop(5, 2, lambda i, c: c + 1, 0.0)) == 0.0


def test_jit_of_a_scan_runs_the_loop_natively():
    from compiler import runtime
    from compiler.cpu.coverage import coverage_table

    table = coverage_table()
    for name in ("cond", "while", "scan"):
        assert table[name].startswith("native")
    f = jit(lambda c, xs: scan(lambda c, x: (c * 0.5 + x, c), c, xs))
    before = runtime.STATS["interpreter_callbacks"]
    c, ys = f(1.0, jnp.arange(1000.0))
    assert runtime.STATS["interpreter_callbacks"] == before
    ref, refs = 1.0, []
    for x in range(1000):
        refs.append(ref)
        ref = ref * 0.5 + x
    np.testing.assert_allclose(np.asarray(c), ref, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ys), refs, rtol=1e-5)


def test_eager_results_match_jax_when_installed():
    jax = pytest.importorskip("jax")
    jl = jax.lax
    xs = np.linspace(-1, 1, 5).astype(np.float32)

    def body(c, x):
        return c * 0.9 + jnp.sin(x), c * x

    got = scan(body, np.float32(0.3), xs)
    want = jl.scan(lambda c, x: (c * 0.9 + jax.numpy.sin(x), c * x), np.float32(0.3), xs)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6)
    got = grad(lambda w: scan(lambda c, x: (jnp.tanh(c * w + x), c), 0.1, xs)[0])(0.7)
    want = jax.grad(lambda w: jl.scan(lambda c, x: (jax.numpy.tanh(c * w + x), c), 0.1, xs)[0])(0.7)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5)
