"""custom_jvp and custom_vjp: the examples of JAX's documentation behave as documented, also
under grad of grad, under staging, and with clear errors for misuse."""

from functools import partial

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.ad import grad, jvp, value_and_grad, vjp
from jaxlite.config import enable_x64
from jaxlite.custom_derivatives import custom_jvp, custom_vjp
from jaxlite.lax.ad_util import stop_gradient
from jaxlite.partial_eval import make_jaxpr
from jaxlite.test_util import check_grads


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---- custom_jvp ------------------------------------------------------------------------------


@custom_jvp
def log1pexp(x):
    return jnp.log(1.0 + jnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    ans = log1pexp(x)
    ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
    return ans, ans_dot


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_log1pexp_is_numerically_stable():
    naive = lambda x: jnp.log(1.0 + jnp.exp(x))
    assert np.isnan(grad(naive)(100.0))
    close(grad(log1pexp)(100.0), 1.0)
    close(log1pexp(3.0), np.log1p(np.exp(3.0)))
    y, y_dot = jvp(log1pexp, (3.0,), (1.0,))
    close(y_dot, sigmoid(3.0))
    # grad of grad differentiates the rule: sigmoid'(x)
    close(grad(grad(log1pexp))(1.0), sigmoid(1.0) * (1 - sigmoid(1.0)))
    close(grad(grad(grad(log1pexp)))(0.5), sigmoid(0.5) * (1 - sigmoid(0.5)) * (1 - 2 * sigmoid(0.5)), 1e-5)


def test_custom_jvp_is_staged_with_its_rule():
    text = str(make_jaxpr(log1pexp)(3.0))
    assert "custom_jvp_call" in text and "jvp=log1pexp_jvp" in text
    # differentiating the staged program still uses the rule
    jit = pytest.importorskip("jaxlite.jit").jit
    close(grad(jit(log1pexp))(100.0), 1.0)
    close(jit(grad(log1pexp))(100.0), 1.0)
    close(jit(log1pexp)(3.0), np.log1p(np.exp(3.0)), 1e-6)


def test_defjvps():
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
              lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)
    close(grad(f)(2.0, 3.0), np.cos(2.0) * 3.0)
    close(grad(f, 1)(2.0, 3.0), np.sin(2.0))
    with enable_x64():
        check_grads(f, (np.array([0.3, 1.1]), np.array([2.0, -1.0])), 2)


def test_custom_jvp_nondiff_argnums():
    @partial(custom_jvp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    @app.defjvp
    def app_jvp(f, primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return f(x), 2.0 * x_dot

    close(app(lambda x: x ** 3, 3.0), 27.0)
    close(grad(app, 1)(lambda x: x ** 3, 3.0), 2.0)


def test_custom_jvp_pytrees_and_keywords():
    @custom_jvp
    def f(p):
        return {"s": jnp.sin(p["a"]) * p["b"]}

    @f.defjvp
    def f_jvp(primals, tangents):
        (p,), (t,) = primals, tangents
        out = f(p)
        return out, {"s": jnp.cos(p["a"]) * t["a"] * p["b"] + jnp.sin(p["a"]) * t["b"]}

    g = grad(lambda p: f(p=p)["s"])({"a": 0.5, "b": 2.0})
    close(g["a"], np.cos(0.5) * 2.0)
    close(g["b"], np.sin(0.5))


def test_custom_jvp_rule_errors():
    @custom_jvp
    def f(x):
        return x

    with pytest.raises(AttributeError, match="No JVP defined"):
        f(1.0)
    f.defjvp(lambda p, t: (p[0], jnp.ones(3)))
    with pytest.raises(TypeError, match="corresponding shapes and dtypes"):
        jvp(f, (1.0,), (1.0,))
    f.defjvp(lambda p, t: p[0])
    with pytest.raises(TypeError, match="pair"):
        jvp(f, (1.0,), (1.0,))


def test_custom_jvp_with_integer_argument():
    @custom_jvp
    def f(x, n):
        return x * n

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, n), (x_dot, n_dot) = primals, tangents
        assert n_dot.dtype == jaxlite.numpy.float0
        return f(x, n), x_dot * n

    close(grad(f)(2.0, 3), 3.0)


# ---- custom_vjp ------------------------------------------------------------------------------


@custom_vjp
def clip_gradient(lo, hi, x):
    return x  # the identity function


def clip_gradient_fwd(lo, hi, x):
    return x, (lo, hi)  # save the bounds as residuals


def clip_gradient_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))  # None: zero cotangents for lo and hi


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


def test_gradient_clipping():
    t = np.linspace(0.0, 10.0, 7, dtype=np.float32)
    g = [float(grad(lambda x: jnp.sin(clip_gradient(-0.75, 0.75, x)))(float(v))) for v in t]
    close(g, np.clip(np.cos(t), -0.75, 0.75))
    close(grad(lambda x: 3.0 * clip_gradient(-0.75, 0.75, x))(1.0), 0.75)
    # grad of grad differentiates the bwd rule like any function (values checked against JAX)
    f = lambda x: jnp.sin(clip_gradient(-0.75, 0.75, x))
    close(grad(grad(f))(1.2), -np.sin(1.2), 1e-6)
    close(grad(grad(f))(0.5), 0.0)  # cos(0.5) > 0.75: the clipped gradient is constant
    close(grad(grad(lambda x: clip_gradient(-0.75, 0.75, x) ** 2))(0.3), 2.0)


def test_custom_vjp_backward_pass_is_plain_ir():
    closed = make_jaxpr(grad(lambda x: jnp.sin(clip_gradient(-0.75, 0.75, x))))(1.0)
    names = {e.prim.name for e in closed.jaxpr.eqns}
    assert "custom_lin" not in names and "custom_vjp_call" not in names
    assert {"max", "min", "cos"} <= names
    assert "custom_vjp_call" in str(make_jaxpr(lambda x: clip_gradient(-1.0, 1.0, x))(1.0))


def test_custom_vjp_sin_example_and_pytrees():
    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    close(grad(f)(2.0, 3.0), np.cos(2.0) * 3.0)
    v, (gx, gy) = value_and_grad(f, (0, 1))(2.0, 3.0)
    close(v, np.sin(2.0) * 3.0)
    close(gy, np.sin(2.0))
    with enable_x64():
        check_grads(f, (np.array([0.3, 1.0]), np.array([1.5, -2.0])), 2, modes=("rev",))

    @custom_vjp
    def h(p):
        return p["a"] * p["b"]

    h.defvjp(lambda p: (h(p), p), lambda p, g: ({"a": g * p["b"], "b": None},))
    g = grad(h)({"a": 2.0, "b": 5.0})
    close(g["a"], 5.0)
    close(g["b"], 0.0)


def test_custom_vjp_under_jit():
    jit = pytest.importorskip("jaxlite.jit").jit
    f = lambda x: jnp.sin(clip_gradient(-0.5, 0.5, x))
    close(grad(jit(f))(0.1), 0.5)
    close(jit(grad(f))(0.1), 0.5)


def test_custom_vjp_nondiff_argnums():
    @partial(custom_vjp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    def app_fwd(f, x):
        return f(x), x

    def app_bwd(f, x, g):
        return (5 * g,)

    app.defvjp(app_fwd, app_bwd)
    close(app(lambda x: x ** 2, 4.0), 16.0)
    close(grad(app, 1)(lambda x: x ** 2, 4.0), 5.0)
    with pytest.raises(TypeError, match="nondiff_argnums is for non-array values"):
        grad(app, 1)(jnp.ones(3), 4.0)


def test_custom_vjp_errors():
    @custom_vjp
    def f(x):
        return x * 2

    with pytest.raises(AttributeError, match="No VJP defined"):
        f(1.0)
    f.defvjp(lambda x: (f(x), None), lambda res, g: (jnp.ones(3),))
    with pytest.raises(ValueError, match=r"same shape/dtypes .* f32\[3\]"):
        grad(f)(1.0)
    f.defvjp(lambda x: (f(x), None), lambda res, g: g)
    with pytest.raises(TypeError, match="tuple of length"):
        grad(f)(1.0)
    f.defvjp(lambda x: (f(x), None), lambda res, g: (2 * g,))
    with pytest.raises(TypeError, match="forward-mode"):
        jvp(f, (1.0,), (1.0,))
    close(vjp(f, 1.0)[1](1.0)[0], 2.0)


def test_custom_vjp_with_integer_input_and_output():
    @custom_vjp
    def f(x, n):
        return x * n, n

    f.defvjp(lambda x, n: (f(x, n), n), lambda n, g: (g[0] * n, None))
    close(grad(lambda x: f(x, 3)[0])(2.0), 3.0)


def test_custom_jvp_on_values_without_tangents():
    # Inside grad, a custom_jvp applied to a value with no tangent just runs the function.
    c = np.log1p(np.exp(2.0))
    close(grad(lambda x: x * log1pexp(2.0))(1.0), c)
    close(grad(lambda x: x * log1pexp(stop_gradient(x)))(2.0), c)
