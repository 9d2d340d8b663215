"""jaxlite.numpy reductions and statistics against NumPy (and JAX where it is installed).

Every comparison runs twice: eagerly, and staged with make_jaxpr then evaluated by the reference
interpreter, which must give the same values, shapes and dtypes.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr

# The interpreter computes through NaN and inf on purpose (JAX never warns).
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning:compiler.*"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning:jaxlite.*")]

# JNP_MAX_EXAMPLES=500 for a deeper local run; the default keeps the file under a minute.
SETTINGS = settings(max_examples=int(os.environ.get("JNP_MAX_EXAMPLES", 25)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ---- Shared helpers ---------------------------------------------------------------------------


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(f, *args):
    """f(*args) eagerly and through make_jaxpr + eval_jaxpr: same dtypes, shapes and values.
    Returns the eager outputs as NumPy arrays (a list when f returns several)."""
    args = [jaxlite.Array(a) for a in args]
    out = f(*args)
    eager = [np.asarray(o) for o in _flat(out)]
    closed = jaxlite.make_jaxpr(f)(*args)
    staged = eval_jaxpr(closed.jaxpr, [np.asarray(c) for c in closed.consts],
                        *[np.asarray(a) for a in args])
    assert len(staged) == len(eager)
    for e, s in zip(eager, staged):
        assert e.dtype == s.dtype and e.shape == s.shape, (e.dtype, e.shape, s.dtype, s.shape)
        np.testing.assert_allclose(s, e, rtol=1e-6, atol=1e-6, equal_nan=True)
    return eager if isinstance(out, (tuple, list)) else eager[0]


def close(actual, expected, dtype=None, rtol=None, atol=0.0):
    expected = np.asarray(expected)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if rtol is None:
        rtol = 2e-5 if actual.dtype in (np.float32, np.complex64) else 1e-12
        if actual.dtype.kind in "iub":
            rtol = 0
    np.testing.assert_allclose(actual, expected.astype(actual.dtype) if actual.dtype.kind != "b"
                               else expected, rtol=rtol, atol=atol, equal_nan=True)


def np_ref(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args, **kw)


DTYPES = ["float32", "float64", "int32", "bool"]


@st.composite
def arrays(draw, dtypes=DTYPES, min_dims=0, max_dims=3, min_side=0, nan=False):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=4))
    if dtype.kind == "f":
        elems = st.floats(-100, 100, width=32) | (st.just(np.nan) if nan else st.nothing())
    elif dtype.kind == "i":
        elems = st.integers(-20, 20)
    else:
        elems = st.booleans()
    return draw(hnp.arrays(dtype, shape, elements=elems))


@st.composite
def axes(draw, ndim):
    """None, an int (maybe negative) or a tuple of distinct axes."""
    if ndim == 0:
        return draw(st.sampled_from([None, (), 0, -1]))
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)))


def x64_for(x):
    """enable_x64 exactly when the test array is float64, so it stays float64 in jaxlite."""
    return jaxlite.enable_x64(x.dtype == np.float64)


def _nd_axis(axis, ndim):
    return axis if ndim or axis in (None, ()) else None


# ---- sum, prod, max, min, any, all ------------------------------------------------------------


def _sum_dtype(dt):
    x64 = jaxlite.config.x64
    if dt == np.bool_ or dt.kind == "i":
        return np.dtype(np.int64 if x64 else np.int32)
    return dt


@SETTINGS
@given(st.data())
def test_sum_prod_max_min_any_all(data):
    x = data.draw(arrays())
    axis = _nd_axis(data.draw(axes(x.ndim)), x.ndim)
    keepdims = data.draw(st.booleans())
    with x64_for(x):
        for name in ["sum", "prod", "max", "min", "any", "all"]:
            fn = getattr(jnp, name)
            if name in ("max", "min") and x.dtype != np.bool_:
                reduced = range(x.ndim) if axis is None else \
                    np.atleast_1d(np.array(axis, int)) % max(x.ndim, 1)
                if any(x.shape[d] == 0 for d in reduced):
                    with pytest.raises(ValueError, match="zero-size array to reduction operation"):
                        fn(jaxlite.Array(x), axis=axis)
                    continue
            if name in ("max", "min") and x.size == 0 and x.dtype == np.bool_:
                continue
            got = check(lambda a: fn(a, axis=axis, keepdims=keepdims), x)
            if name in ("sum", "prod"):
                dt = _sum_dtype(x.dtype)
                want = np_ref(getattr(np, name), x.astype(dt), axis=axis, keepdims=keepdims, dtype=dt)
            elif name in ("any", "all"):
                dt = np.bool_
                want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
            else:
                dt = x.dtype
                want = np_ref(getattr(np, name), x, axis=axis, keepdims=keepdims)
            close(got, want, dt)


@SETTINGS
@given(st.data())
def test_where_and_initial(data):
    x = data.draw(arrays(dtypes=["float32", "int32"], min_dims=1))
    where = data.draw(hnp.arrays(np.bool_, x.shape[data.draw(st.integers(0, x.ndim)):]))
    axis = data.draw(axes(x.ndim))
    init = data.draw(st.integers(-5, 5))
    for name in ["sum", "prod", "max", "min"]:
        fn = getattr(jnp, name)
        got = check(lambda a, w: fn(a, axis=axis, where=w, initial=init), x, where)
        dt = _sum_dtype(x.dtype) if name in ("sum", "prod") else x.dtype
        want = np_ref(getattr(np, name), x.astype(dt), axis=axis, where=where, initial=init)
        close(got, want, dt)
    for name in ["sum", "prod", "any", "all", "mean"]:
        got = check(lambda a, w: getattr(jnp, name)(a, axis=axis, where=w), x, where)
        want = np_ref(getattr(np, name), x, axis=axis, where=where)
        close(got, want, rtol=1e-5, atol=1e-4)
    got = check(lambda a, w: jnp.var(a, axis=axis, where=w), x, where)
    close(got, np_ref(np.var, x.astype(np.float64), axis=axis, where=where), np.float32,
          rtol=1e-4, atol=1e-3)


def test_reduction_dtypes_follow_jax():
    i8 = np.arange(5, dtype=np.int8)
    assert jnp.sum(i8).dtype == np.int32 and jnp.prod(np.array([True, False])).dtype == np.int32
    assert jnp.sum(np.arange(3, dtype=np.uint8)).dtype == np.uint32
    assert jnp.sum(i8, promote_integers=False).dtype == np.int8
    assert jnp.sum(np.ones(3, np.float16)).dtype == np.float16
    assert jnp.sum(np.array([True, True]), dtype=bool).dtype == np.bool_
    assert jnp.mean(i8).dtype == np.float32 and jnp.var(i8).dtype == np.float32
    assert jnp.mean(i8, dtype=jnp.int32).dtype == np.int32
    assert jnp.var(np.array([1 + 1j, 2], np.complex64)).dtype == np.float32
    assert jnp.max(np.arange(3), initial=2.5).dtype == np.int32
    assert jnp.argmax(np.arange(3.0)).dtype == np.int32
    assert not jnp.sum(jaxlite.lax.add(jnp.ones(2), 1.0)).weak_type
    assert not jnp.sum(3.0).weak_type and jnp.sum(3).dtype == np.int32
    with jaxlite.enable_x64():
        assert jnp.sum(np.arange(3, dtype=np.int32)).dtype == np.int64
        assert jnp.mean(np.arange(3, dtype=np.int32)).dtype == np.float32  # JAX's to_inexact
        assert jnp.mean(np.arange(3, dtype=np.int64)).dtype == np.float64
        assert jnp.argmax(np.arange(3)).dtype == np.int64


# ---- mean, var, std ---------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_mean_var_std(data):
    x = data.draw(arrays())
    axis = _nd_axis(data.draw(axes(x.ndim)), x.ndim)
    keepdims = data.draw(st.booleans())
    ddof = data.draw(st.integers(0, 2))
    with x64_for(x):
        fdt = np.float64 if x.dtype == np.float64 else np.float32
        xf = x.astype(np.float64)
        close(check(lambda a: jnp.mean(a, axis, keepdims=keepdims), x),
              np_ref(np.mean, xf, axis, keepdims=keepdims), fdt, rtol=1e-5, atol=1e-5)
        for name in ["var", "std"]:
            got = check(lambda a: getattr(jnp, name)(a, axis, ddof=ddof, keepdims=keepdims), x)
            want = np_ref(getattr(np, name), xf, axis, ddof=ddof, keepdims=keepdims)
            n = x.size if axis is None else int(np.prod([x.shape[d] for d in np.atleast_1d(axis)]))
            if n - ddof <= 0:
                want = np.full_like(want, np.nan)  # JAX: NaN, NumPy: inf or NaN
            close(got, want, fdt, rtol=1e-4, atol=1e-4)
        got = check(lambda a: jnp.var(a, axis, correction=ddof), x)


def test_var_errors_and_complex():
    with pytest.raises(ValueError, match="ddof and correction"):
        jnp.var(np.arange(3.0), ddof=1, correction=1)
    z = np.array([1 + 2j, 3 - 1j, -2j], np.complex64)
    close(np.asarray(jnp.var(z)), np.var(z), np.float32)
    close(np.asarray(jnp.std(z)), np.std(z), np.float32)
    close(np.asarray(jnp.var(np.arange(4.0), mean=np.float32(1.5))), np.var(np.arange(4.0)), np.float32)


# ---- argmax / argmin and the nan-reductions ---------------------------------------------------


@SETTINGS
@given(st.data())
def test_argmax_argmin(data):
    x = data.draw(arrays(dtypes=["float32", "int32", "bool"], min_dims=1, min_side=1, nan=True))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    keepdims = data.draw(st.booleans())
    for name in ["argmax", "argmin"]:
        got = check(lambda a: getattr(jnp, name)(a, axis, keepdims=keepdims), x)
        close(got, getattr(np, name)(x, axis, keepdims=keepdims), np.int32)


@SETTINGS
@given(st.data())
def test_nan_reductions(data):
    x = data.draw(arrays(dtypes=["float32", "float64", "int32"], min_dims=1, min_side=1, nan=True))
    axis = data.draw(axes(x.ndim))
    keepdims = data.draw(st.booleans())
    with x64_for(x):
        for name in ["nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd"]:
            got = check(lambda a: getattr(jnp, name)(a, axis, keepdims=keepdims), x)
            if x.dtype.kind == "i" and name in ("nansum", "nanprod"):
                want = np_ref(getattr(np, name), x, axis, keepdims=keepdims, dtype=np.int32)
            else:
                want = np_ref(getattr(np, name), x.astype(np.float64) if x.dtype.kind == "i" else x,
                              axis, keepdims=keepdims)
            close(got, want, rtol=1e-4, atol=1e-3 if name in ("nanvar", "nanstd", "nanprod") else 1e-4)
        if not isinstance(axis, tuple):
            for name in ["nanargmax", "nanargmin"]:
                got = check(lambda a: getattr(jnp, name)(a, axis, keepdims=keepdims), x)
                ref = np.asarray(np.ma.masked_invalid(x.astype(np.float64)).filled(np.nan))
                want = _nanarg_ref(getattr(np, name), ref, axis, keepdims)
                close(got, want)


def _nanarg_ref(fn, x, axis, keepdims):
    """NumPy's nanargmax, with JAX's -1 for all-NaN slices (NumPy raises)."""
    if axis is None:
        return np.array(-1 if np.isnan(x).all() else fn(x)).reshape((1,) * x.ndim if keepdims else ())
    all_nan = np.isnan(x).all(axis=axis, keepdims=True)
    filled = np.where(all_nan, 0.0, x)
    out = np.where(all_nan, -1, fn(filled, axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis)


def test_nanargmax_mixed_inf_and_nan():
    x = np.array([np.nan, -np.inf, np.nan], np.float32)
    assert int(jnp.nanargmax(x)) == 1 and int(jnp.nanargmin(x)) == 1
    assert int(jnp.nanargmax(np.full(3, np.nan, np.float32))) == -1  # JAX; NumPy raises


# ---- quantiles --------------------------------------------------------------------------------

METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _jax_nearest(x, q, axis):
    """JAX's 'nearest': halves round down (NumPy rounds them to even)."""
    s = np.sort(np.moveaxis(x, axis, -1), axis=-1)
    pos = q * (s.shape[-1] - 1)
    idx = np.where(pos - np.floor(pos) <= 0.5, np.floor(pos), np.ceil(pos)).astype(int)
    return s[..., idx]


@SETTINGS
@given(st.data())
def test_quantiles(data):
    x = data.draw(arrays(dtypes=["float32", "float64", "int32"], min_dims=1, min_side=1))
    axis = data.draw(axes(x.ndim))
    q = np.array(data.draw(st.lists(st.floats(0, 1), min_size=0, max_size=3)), np.float32)
    method = data.draw(st.sampled_from(METHODS))
    keepdims = data.draw(st.booleans())
    with x64_for(x):
        fdt = np.float64 if x.dtype == np.float64 else np.float32
        qq = q.astype(fdt)
        got = check(lambda a, qv: jnp.quantile(a, qv, axis, method=method, keepdims=keepdims), x, qq)
        if method == "nearest":
            if axis is None or isinstance(axis, tuple):
                return
            axis %= x.ndim
            want = np.moveaxis(_jax_nearest(x.astype(np.float64), qq.astype(np.float64), axis), -1, 0)
            if keepdims:
                want = np.expand_dims(want, axis + 1)
        else:
            want = np_ref(np.quantile, x.astype(np.float64), qq.astype(np.float64), axis, method=method,
                          keepdims=keepdims)
        close(got, want, fdt, rtol=1e-4, atol=1e-3)
        got = check(lambda a: jnp.percentile(a, 30.0, axis, keepdims=keepdims), x)
        close(got, np_ref(np.percentile, x.astype(np.float64), 30.0, axis, keepdims=keepdims), fdt,
              rtol=1e-4, atol=1e-3)
        got = check(lambda a: jnp.median(a, axis, keepdims=keepdims), x)
        close(got, np_ref(np.median, x.astype(np.float64), axis, keepdims=keepdims), fdt, rtol=1e-5)


@SETTINGS
@given(st.data())
def test_nan_quantiles(data):
    x = data.draw(arrays(dtypes=["float32"], min_dims=1, min_side=1, nan=True))
    axis = data.draw(axes(x.ndim))
    method = data.draw(st.sampled_from(["linear", "lower", "higher", "midpoint"]))
    got = check(lambda a: jnp.nanquantile(a, np.float32(0.3), axis, method=method), x)
    close(got, np_ref(np.nanquantile, x.astype(np.float64), 0.3, axis, method=method), np.float32,
          rtol=1e-4, atol=1e-3)
    got = check(lambda a: jnp.nanmedian(a, axis), x)
    close(got, np_ref(np.nanmedian, x.astype(np.float64), axis), np.float32, rtol=1e-5)
    got = check(lambda a: jnp.nanpercentile(a, 90, axis), x)
    close(got, np_ref(np.nanpercentile, x.astype(np.float64), 90, axis), np.float32, rtol=1e-4, atol=1e-3)
    got = check(lambda a: jnp.median(a, axis), x)  # any NaN in the slice gives NaN
    close(got, np_ref(np.median, x.astype(np.float64), axis), np.float32, rtol=1e-5)


def test_quantile_edges():
    assert np.isnan(jnp.median(np.zeros(0, np.float32)))
    assert float(jnp.quantile(np.arange(4.0), 1.5)) == 3.0  # clamped, as JAX
    close(np.asarray(jnp.quantile(np.array([1.0, np.inf, np.inf]), 0.5)), np.inf)
    with pytest.raises(ValueError, match="method"):
        jnp.quantile(np.arange(4.0), 0.5, method="foo")
    assert jnp.percentile(np.arange(4), 50).dtype == np.float32
    assert jnp.quantile(np.ones((2, 3)), np.array([0.1, 0.5]), axis=1).shape == (2, 2)


# ---- cumulative -------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_cumulative(data):
    x = data.draw(arrays(nan=True))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    with x64_for(x):
        for name in ["cumsum", "cumprod", "nancumsum", "nancumprod"]:
            got = check(lambda a: getattr(jnp, name)(a, axis), x)
            dt = np.dtype(jaxlite.numpy.int32 if not jaxlite.config.x64 else np.int64) \
                if x.dtype == np.bool_ else x.dtype
            want = np_ref(getattr(np, name), x, axis, dtype=dt)
            close(got, want, dt, rtol=1e-4, atol=1e-3)
        if x.ndim == 1:
            got = check(lambda a: jnp.cumulative_sum(a, include_initial=True), x)
            want = np_ref(np.cumulative_sum, x, include_initial=True, dtype=got.dtype)
            close(got, want, rtol=1e-4, atol=1e-3)


def test_cumulative_errors_and_dtypes():
    assert jnp.cumsum(np.arange(3, dtype=np.int8)).dtype == np.int8  # JAX keeps narrow ints
    assert jnp.cumprod(np.array([True, False])).dtype == np.int32
    with pytest.raises(ValueError, match="axis"):
        jnp.cumulative_sum(np.ones((2, 2)))
    with pytest.raises(ValueError, match="non-scalar"):
        jnp.cumulative_prod(jaxlite.Array(np.array(1.0, np.float32)))
    close(np.asarray(jnp.cumulative_prod(np.ones((2, 2)), axis=1, include_initial=True)),
          np.ones((2, 3)))


# ---- diff, ediff1d, trapezoid, ptp, count_nonzero ---------------------------------------------


@SETTINGS
@given(st.data())
def test_diff_family(data):
    x = data.draw(arrays(min_dims=1))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = data.draw(st.integers(0, 3))
    with x64_for(x):
        close(check(lambda a: jnp.diff(a, n, axis), x), np.diff(x, n, axis))
        if x.dtype != np.bool_:
            got = check(lambda a: jnp.diff(a, 1, axis, prepend=2, append=a), x)
            want = np.diff(x, 1, axis, prepend=np.array(2, x.dtype), append=x)
            close(got, want)
            close(check(jnp.ediff1d, x), np.ediff1d(x))
            got = check(lambda a: jnp.trapezoid(a, axis=axis), x)
            close(got, np.trapezoid(x.astype(np.float64), axis=axis), rtol=1e-4, atol=1e-3)
            xs = np.cumsum(np.abs(np.arange(x.shape[axis], dtype=x.dtype)) + 1)
            got = check(lambda a, b: jnp.trapezoid(a, b, axis=axis), x, xs)
            close(got, np.trapezoid(x.astype(np.float64), xs, axis=axis), rtol=1e-4, atol=1e-2)
            got = check(lambda a: jnp.ptp(a, axis), x) if x.shape[axis] else None
            if got is not None:
                close(got, np.ptp(x, axis), x.dtype)
        close(check(lambda a: jnp.count_nonzero(a, axis), x), np.count_nonzero(x, axis), np.int32
              if not jaxlite.config.x64 else np.int64)


def test_diff_details():
    close(np.asarray(jnp.ediff1d(np.arange(6).reshape(2, 3), to_end=9.5, to_begin=np.array([-1, -2]))),
          np.array([-1, -2, 1, 1, 1, 1, 1, 9]), np.int32)
    with pytest.raises(ValueError, match="at least one dimensional"):
        jnp.diff(jaxlite.Array(np.array(3.0, np.float32)))
    with pytest.raises(ValueError, match="non-negative"):
        jnp.diff(np.arange(3), n=-1)
    assert jnp.diff(np.arange(3), n=5).shape == (0,)
    with pytest.raises(TypeError, match="ptp"):
        jnp.ptp(np.array([True]))


# ---- average, cov, corrcoef -------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_average(data):
    x = data.draw(arrays(dtypes=["float32", "int32"], min_dims=1, min_side=1))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    w = data.draw(hnp.arrays(np.float32, (x.shape[axis],), elements=st.floats(0.5, 3, width=32)))
    got = check(lambda a, b: jnp.average(a, axis, b, returned=True), x, w)
    want = np.average(x.astype(np.float64), axis, w.astype(np.float64), returned=True)
    close(got[0], want[0], np.float32, rtol=1e-4, atol=1e-4)
    close(got[1], want[1], np.float32, rtol=1e-5)
    got = check(lambda a: jnp.average(a, None, returned=True), x)
    close(got[0], np.mean(x), np.float32, rtol=1e-5, atol=1e-5)
    assert float(got[1]) == x.size
    got = check(lambda a, b: jnp.average(a, None, b), x, np.ones(x.shape, np.float32))
    close(got, np.mean(x), np.float32, rtol=1e-5, atol=1e-5)


@SETTINGS
@given(st.data())
def test_cov_corrcoef(data):
    nvar, nobs = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 5))
    x = data.draw(hnp.arrays(np.float64, (nvar, nobs), elements=st.floats(-10, 10)))
    x = x + np.arange(nobs)  # rows that are not constant
    fw = data.draw(hnp.arrays(np.int32, (nobs,), elements=st.integers(1, 3)))
    aw = data.draw(hnp.arrays(np.float64, (nobs,), elements=st.floats(0.5, 2)))
    ddof = data.draw(st.sampled_from([None, 0, 1]))
    with jaxlite.enable_x64():
        close(check(lambda a: jnp.cov(a, ddof=ddof), x), np.cov(x, ddof=ddof), rtol=1e-9, atol=1e-9)
        got = check(lambda a, f, w: jnp.cov(a.T, rowvar=False, fweights=f, aweights=w), x, fw, aw)
        close(got, np.cov(x.T, rowvar=False, fweights=fw, aweights=aw), rtol=1e-9, atol=1e-9)
        close(check(lambda a: jnp.cov(a[0], a[-1], bias=True), x), np.cov(x[0], x[-1], bias=True),
              rtol=1e-9, atol=1e-9)
        got = check(jnp.corrcoef, x)
        close(got, np_ref(np.corrcoef, x), rtol=1e-7, atol=1e-9)


# ---- Errors -----------------------------------------------------------------------------------


def test_errors_name_function_argument_and_shapes():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"jaxlite.numpy.sum: axis 2 .* rank 2"):
        jnp.sum(x, axis=2)
    with pytest.raises(ValueError, match=r"axis -3 .* rank 2"):
        jnp.median(x, axis=-3)
    with pytest.raises(ValueError, match=r"axis 5 .* rank 2"):
        jnp.argmax(x, axis=5)
    with pytest.raises(TypeError, match="immutable"):
        jnp.sum(x, out=np.zeros(()))
    with pytest.raises(NotImplementedError):  # JAX's class for out=
        jnp.mean(x, out=np.zeros(()))
    with pytest.raises(TypeError, match="jaxlite.numpy.sum.*list"):
        jnp.sum([1, 2])
    with pytest.raises(ValueError, match="zero-size array to reduction operation max"):
        jnp.max(np.zeros((0, 3), np.float32))
    assert jnp.max(np.zeros((0, 3), np.float32), axis=1).shape == (0,)
    assert float(jnp.max(np.zeros((0,), np.float32), initial=1.0)) == 1.0
    with pytest.raises(ValueError, match="initial"):
        jnp.max(x, where=x > 0)
    with pytest.raises(ValueError, match="empty sequence"):
        jnp.argmax(np.zeros(0, np.float32))
    with pytest.raises(ValueError, match=r"where= of shape \(4,\)"):
        jnp.sum(x, where=np.ones(4, bool))


def test_methods_dispatch_here():
    x = jaxlite.Array(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    close(np.asarray(x.sum(axis=0)), [3, 5, 7], np.float32)
    close(np.asarray(x.mean()), 2.5, np.float32)
    close(np.asarray(x.cumsum(axis=1)), np.cumsum(np.arange(6.0).reshape(2, 3), 1), np.float32)
    assert int(x.argmax()) == 5


# ---- Against JAX, where installed ---------------------------------------------------------------

JAX_CASES = [
    ("sum", (np.arange(5, dtype=np.int8),), {}),
    ("prod", (np.array([True, False, True]),), {}),
    ("mean", (np.arange(6, dtype=np.int32).reshape(2, 3),), {"axis": 1}),
    ("var", (np.array([1.0, 2.0, 4.0], np.float32),), {"ddof": 5}),
    ("nanargmax", (np.array([np.nan, np.nan], np.float32),), {}),
    ("quantile", (np.arange(4.0, dtype=np.float32), np.array([0.5, 0.25, 0.75, 1 / 6], np.float32)),
     {"method": "nearest"}),
    ("percentile", (np.arange(4, dtype=np.int32), np.array([10.0, 50.0], np.float32)), {}),
    ("nanmedian", (np.array([1.0, np.nan, 3.0], np.float32),), {}),
    ("cumsum", (np.array([True, False, True]),), {}),
    ("diff", (np.arange(3, dtype=np.int32),), {"prepend": 5, "append": np.array([1.5], np.float32)}),
    ("average", (np.arange(3, dtype=np.int32),), {"weights": np.array([1, 2, 3], np.int32),
                                                  "returned": True}),
    ("cov", (np.arange(6, dtype=np.int32).reshape(2, 3),), {}),
    ("corrcoef", (np.array([[1.0, 2, 4], [3, 1, 0]], np.float32),), {}),
    ("count_nonzero", (np.array([[0, 1], [2, 0]], np.int32),), {"axis": 0}),
    ("trapezoid", (np.array([1, 2, 3], np.int32),), {}),
    ("nanvar", (np.array([np.nan, 1.0, 3.0], np.float32),), {"ddof": 2}),
]


@pytest.mark.parametrize("name,args,kwargs", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_matches_jax(name, args, kwargs):
    jax_np = pytest.importorskip("jax.numpy")
    want = _flat(getattr(jax_np, name)(*args, **kwargs))
    got = _flat(getattr(jnp, name)(*args, **kwargs))
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6, equal_nan=True)
