"""The differentiation API: grad / value_and_grad (argnums, has_aux, allow_int), jvp, vjp,
linearize, jacobians and the Hessian, higher order, errors, and the backward pass as IR."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from jaxlite import lax
from jaxlite.ad import grad, hessian, jacfwd, jacobian, jacrev, jvp, linearize, value_and_grad, vjp
from jaxlite.config import enable_x64
from jaxlite.lax.ad_util import stop_gradient
from jaxlite.partial_eval import make_jaxpr


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---- grad and value_and_grad ------------------------------------------------------------------


def test_grad_value_and_grad_argnums():
    f = lambda x, y, z: jnp.sin(x) * y + z ** 2
    x, y, z = 0.3, 2.0, -1.5
    close(grad(f)(x, y, z), np.cos(x) * y)
    gx, gz = grad(f, argnums=(0, 2))(x, y, z)
    close(gx, np.cos(x) * y)
    close(gz, 2 * z)
    close(grad(f, argnums=-1)(x, y, z), 2 * z)
    v, g = value_and_grad(f, argnums=1)(x, y, z)
    close(v, np.sin(x) * y + z ** 2)
    close(g, np.sin(x))
    (gy,) = grad(f, argnums=(1,))(x, y, z)
    close(gy, np.sin(x))


def test_grad_of_pytree_arguments_and_keywords():
    def loss(params, x, scale=1.0):
        return scale * jnp.sum(jnp.tanh(x @ params["w"] + params["b"]) ** 2)

    params = {"w": np.ones((3, 2), np.float32) * 0.1, "b": np.zeros(2, np.float32)}
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    g = grad(loss)(params, x, scale=2.0)
    assert set(g) == {"w", "b"} and g["w"].shape == (3, 2) and g["b"].shape == (2,)
    eps = 1e-3
    p2 = {"w": params["w"], "b": params["b"] + np.array([eps, 0], np.float32)}
    num = (loss(p2, x, 2.0) - loss(params, x, 2.0)) / eps
    close(g["b"][0], num, 2e-2)


def test_has_aux():
    f = lambda x: (jnp.sum(x ** 2), {"mean": jnp.mean(x)})
    g, aux = grad(f, has_aux=True)(np.array([1.0, 2.0], np.float32))
    close(g, [2.0, 4.0])
    close(aux["mean"], 1.5)
    assert not isinstance(aux["mean"], jaxlite.core.Tracer)
    (v, aux), g = value_and_grad(f, has_aux=True)(np.array([1.0, 3.0], np.float32))
    close(v, 10.0)
    close(aux["mean"], 2.0)
    close(g, [2.0, 6.0])
    with pytest.raises(TypeError, match="pair"):
        grad(lambda x: x, has_aux=True)(1.0)


def test_allow_int_gives_float0_cotangents():
    f = lambda x, n: x * n
    gx, gn = grad(f, argnums=(0, 1), allow_int=True)(2.0, 3)
    close(gx, 3.0)
    assert gn.dtype == dtypes.float0 and gn.shape == ()
    _, pullback = vjp(lambda x, n: x * n, np.ones(2, np.float32), np.arange(2))
    ct_x, ct_n = pullback(np.ones(2, np.float32))
    assert ct_n.dtype == dtypes.float0 and ct_n.shape == (2,)


def test_grad_errors_name_the_problem():
    def f(x, n):
        return x * n

    with pytest.raises(TypeError, match=r"grad requires real- or complex-valued inputs .* but got "
                                        r"int32 for argument 'n' \(position 1\)"):
        grad(f, argnums=1)(1.0, 2)
    with pytest.raises(TypeError, match=r"argument 'params' \(position 0\)\['k'\]"):
        grad(lambda params: params["k"] * 1.0)({"k": 3})
    with pytest.raises(TypeError, match=r"Gradient only defined for scalar-output functions\. "
                                        r"Output had shape: \(3,\)"):
        grad(lambda x: x * 2)(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="grad requires real-valued outputs .* but got int32"):
        grad(lambda x: lax.convert_element_type(x, np.int32))(1.0)
    with pytest.raises(TypeError, match="holomorphic=True"):
        grad(lambda x: lax.complex(x, x))(1.0)
    with pytest.raises(TypeError, match="requires at least 3 positional arguments"):
        grad(f, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        grad(f, argnums="x")
    with pytest.raises(TypeError, match="callable"):
        grad(3)


def test_holomorphic_grad():
    z = np.complex64(1.0 + 2.0j)
    close(grad(lambda z: z * z, holomorphic=True)(z), 2 * z)
    with pytest.raises(TypeError, match="complex dtype"):
        grad(lambda z: z * z, holomorphic=True)(1.0)


# ---- jvp, vjp, linearize ----------------------------------------------------------------------


def test_jvp_vjp_linearize_agree():
    f = lambda x, y: (jnp.sin(x) * y, jnp.exp(x) + y)
    x, y = np.array([0.1, 0.5], np.float32), np.array([1.0, 2.0], np.float32)
    tx, ty = np.array([1.0, 0.0], np.float32), np.array([0.5, 1.0], np.float32)
    out, t_out = jvp(f, (x, y), (tx, ty))
    out2, f_lin = linearize(f, x, y)
    close(out[0], out2[0])
    for a, b in zip(t_out, f_lin(tx, ty)):
        close(a, b)
    _, pullback = vjp(f, x, y)
    cx, cy = pullback((np.ones(2, np.float32), np.ones(2, np.float32)))
    close(cx, np.cos(x) * y + np.exp(x))
    close(cy, np.sin(x) + 1)


def test_jvp_errors():
    f = lambda x: x * 2
    with pytest.raises(ValueError, match="different primal and tangent shapes"):
        jvp(f, (1.0,), (np.ones(3, np.float32),))
    with pytest.raises(TypeError, match="dtypes must be equal.*float16"):
        jvp(f, (1.0,), (np.float16(1),))
    with pytest.raises(TypeError, match="same tree structure"):
        jvp(f, (1.0,), [1.0])
    with pytest.raises(TypeError, match="must be tuples or lists"):
        jvp(f, 1.0, 1.0)
    with pytest.raises(TypeError, match="tangent dtype must be float0"):
        jvp(f, (1,), (1,))
    out, t = jvp(f, (np.int32(3),), (np.zeros((), dtypes.float0),))
    assert t.dtype == dtypes.float0


def test_vjp_cotangent_errors():
    _, pullback = vjp(lambda x: x * 2, 1.0)
    with pytest.raises(ValueError, match=r"got f32\[3\], but expected f32\[\]"):
        pullback(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="Tree structure of cotangent"):
        pullback((1.0, 2.0))


def test_symbolic_zeros_stay_symbolic():
    # y does not reach the output: its tangent is never materialised in the linear program
    f = lambda x, y: ([jnp.sin(x) * 2.0], [])
    _, lin, _ = jaxlite.ad.linearize_flat(f, [np.float32(1), np.float32(2)])
    prims = [e.prim.name for e in lin.jaxpr.jaxpr.eqns]
    assert prims == ["mul", "mul"], prims
    g = grad(lambda x, y: jnp.sin(x), argnums=(0, 1))(1.0, 2.0)
    close(g[1], 0.0)
    _, t = jvp(lambda x: 3.0, (1.0,), (1.0,))
    close(t, 0.0)


# ---- Higher order ---------------------------------------------------------------------------


def test_third_derivative():
    f = lambda x: jnp.sin(x) * jnp.exp(x)
    x = 0.7
    # (sin x e^x)''' = 2 e^x (cos x - sin x)
    close(grad(grad(grad(f)))(x), 2 * np.exp(x) * (np.cos(x) - np.sin(x)), 1e-4)


def test_hessian_equals_jacfwd_of_jacrev_and_analytic():
    with enable_x64():
        def f(x):
            return jnp.sum(x ** 3) + x[0] * x[1] * x[2]

        x = np.array([0.5, -1.0, 2.0])
        h = hessian(f)(x)
        expected = np.diag(6 * x) + np.array([[0, x[2], x[1]], [x[2], 0, x[0]], [x[1], x[0], 0]])
        close(h, expected, 1e-12)
        close(jacfwd(jacrev(f))(x), expected, 1e-12)
        close(jacrev(jacfwd(f))(x), expected, 1e-12)


def test_jacobians_with_pytrees_argnums_and_aux():
    def f(a, b):
        return {"s": jnp.sin(a) * b[0], "t": jnp.sum(a) * b[1]}, "aux"

    a, b = np.array([0.1, 0.2, 0.3], np.float32), (np.float32(2.0), np.float32(3.0))
    for jac in (jacfwd, jacrev, jacobian):
        j, aux = jac(f, argnums=(0, 1), has_aux=True)(a, b)
        assert aux == "aux"
        ja, (jb0, jb1) = j["s"]
        assert ja.shape == (3, 3) and jb0.shape == (3,) and jb1.shape == (3,)
        close(ja, np.diag(np.cos(a) * 2.0))
        close(jb0, np.sin(a))
        close(jb1, 0.0)
        close(j["t"][0], np.full(3, 3.0))


def test_jvp_of_vjp():
    with enable_x64():
        f = lambda x: jnp.sin(x) * x ** 2
        x, ct, t = np.array([0.3, 1.2]), np.array([1.0, -0.5]), np.array([0.2, 1.0])
        # d/dx [J(x)^T ct] . t  ==  H-weighted: diag(f''(x)) ct t for an elementwise f
        pull = lambda x: vjp(f, x)[1](ct)[0]
        _, tangent = jvp(pull, (x,), (t,))
        f2 = -np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x)
        close(tangent, f2 * ct * t, 1e-12)
        # and the pullback is linear in ct: its jvp in ct is itself
        _, t_ct = jvp(lambda c: vjp(f, x)[1](c)[0], (ct,), (t,))
        close(t_ct, vjp(f, x)[1](t)[0], 1e-12)


# ---- Control flow on concrete values, staging ------------------------------------------------


def test_python_if_on_concrete_values_under_grad():
    def f(x):
        if x > 0:
            return x * 2.0
        return x * 3.0

    close(grad(f)(1.0), 2.0)
    close(grad(f)(-1.0), 3.0)
    close(grad(grad(lambda x: f(x) * x))(1.0), 4.0)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="bool"):
        make_jaxpr(grad(f))(1.0)


def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = jnp.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    return jnp.mean((out - y) ** 2)


def _mlp_data():
    rng = np.random.default_rng(0)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    params = ((f(4, 8) * 0.5, f(8) * 0.1), (f(8, 2) * 0.5, f(2) * 0.1))
    return params, f(16, 4), f(16, 2)


def test_backward_pass_of_an_mlp_is_plain_ir():
    params, x, y = _mlp_data()
    closed = make_jaxpr(grad(_mlp_loss))(params, x, y)
    names = {e.prim.name for e in closed.jaxpr.eqns}
    core_names = {p.name for p in P.ALL_PRIMITIVES if p.group != P.CALL}
    assert names <= core_names, names - core_names  # no callbacks, no custom rules, no calls
    assert "dot_general" in names
    text = str(closed)
    assert "custom" not in text and "callback" not in text
    flat = jaxlite.tree_util.tree_leaves((params, x, y))
    consts = [np.asarray(c) for c in closed.consts]
    staged = eval_jaxpr(closed.jaxpr, consts, *flat)
    eager = jaxlite.tree_util.tree_leaves(grad(_mlp_loss)(params, x, y))
    for a, b in zip(staged, eager):
        close(a, b)


def test_grad_matches_jax():
    jax = pytest.importorskip("jax")
    params, x, y = _mlp_data()

    def jax_loss(params, x, y):
        (w1, b1), (w2, b2) = params
        h = jax.numpy.tanh(x @ w1 + b1)
        return jax.numpy.mean((h @ w2 + b2 - y) ** 2)

    ours = jaxlite.tree_util.tree_leaves(grad(_mlp_loss)(params, x, y))
    theirs = jax.tree_util.tree_leaves(jax.grad(jax_loss)(params, x, y))
    for a, b in zip(ours, theirs):
        close(a, b, 1e-5)
    h1 = hessian(lambda v: jnp.sum(jnp.sin(v) * v[::-1]))(x[0])
    h2 = jax.hessian(lambda v: jax.numpy.sum(jax.numpy.sin(v) * v[::-1]))(x[0])
    close(h1, h2, 1e-5)


def test_grad_under_jit_and_jit_under_grad():
    jit = pytest.importorskip("jaxlite.jit").jit
    params, x, y = _mlp_data()
    expected = jaxlite.tree_util.tree_leaves(grad(_mlp_loss)(params, x, y))
    for g in (jit(grad(_mlp_loss)), grad(jit(_mlp_loss))):
        for a, b in zip(jaxlite.tree_util.tree_leaves(g(params, x, y)), expected):
            close(a, b, 1e-5)


def test_stop_gradient():
    f = lambda x: stop_gradient(x) * x + stop_gradient(jnp.sin(x))
    close(grad(f)(3.0), 3.0)
    close(grad(grad(f))(3.0), 0.0)
    text = str(make_jaxpr(lambda x: stop_gradient(x) + 1)(1.0))
    assert "stop_gradient" in text
    close(grad(lambda x: make_jaxpr_free(x))(2.0), 0.0)
    assert stop_gradient(np.int32(3)) == 3
    tree = stop_gradient({"a": 1.0, "b": np.ones(2)})
    assert set(tree) == {"a", "b"}


def make_jaxpr_free(x):
    return stop_gradient(x * x)
