"""Tracing: Trace / Tracer, `bind` (the one interception point), the eager trace, and values.

The current trace is a single global slot (stackless, as in today's JAX): a transformation
sets it while it runs the user's function, and its trace holds a `parent` to which it binds the
primitives of the level below. A value that is not a Tracer of the current trace is a constant
for that trace; tags on the traces keep nested transformations of the same kind apart.
"""

from __future__ import annotations

import contextlib
import numbers
import threading

import numpy as np

from compiler import dtypes
from compiler.interpret import impl_rules
from compiler.ir import ShapedArray
from compiler.primitives import shape_rules

from .config import config

# ---- Errors, with JAX's class names -----------------------------------------------------------


class JaxliteTypeError(TypeError):
    pass


class ConcretizationTypeError(JaxliteTypeError):
    pass


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(JaxliteTypeError):
    pass


class TracerArrayConversionError(JaxliteTypeError):
    pass


class UnexpectedTracerError(Exception):
    pass


# ---- Canonical values ------------------------------------------------------------------------

_PY_SCALARS = (bool, int, float, complex)


def check_int_fits(x: int, dtype):
    info = np.iinfo(dtype)
    if not info.min <= x <= info.max:
        raise OverflowError(
            f"Python int {x} is too large to convert to {dtype}; "
            f"enable 64-bit types with jaxlite.config.update('jax_enable_x64', True) "
            f"or pass an explicitly typed array"
        )


def python_scalar_aval_dtype(x):
    """(dtype, weak) of a Python scalar, as JAX types it."""
    x64 = config.x64
    if isinstance(x, bool):
        return dtypes.bool_, False
    if isinstance(x, int):
        return dtypes.default_int(x64), True
    if isinstance(x, float):
        return dtypes.default_float(x64), True
    return dtypes.default_complex(x64), True


def canonical_value(x, what="argument"):
    """Turn a non-tracer value into (numpy value of a canonical dtype, weak_type)."""
    from .array import Array

    if type(x) is Array:
        return x._value, x._weak
    if isinstance(x, _PY_SCALARS) or isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        if not isinstance(x, _PY_SCALARS):
            x = complex(x) if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real) else float(x)
        dt, weak = python_scalar_aval_dtype(x)
        if dt.kind == "i":
            check_int_fits(x, dt)
        return np.asarray(x, dt), weak
    if isinstance(x, (np.ndarray, np.generic)):
        dt = dtypes.canonicalize(x.dtype, config.x64)
        # Copy writeable inputs: an Array must not alias a buffer its owner can still change.
        copy = (dt != x.dtype) or getattr(x, "flags", None) is None or x.flags.writeable
        return np.array(x, dtype=dt, copy=True if copy else None), False  # None: a NumPy scalar needs one
    if hasattr(x, "__jax_array__"):
        return canonical_value(x.__jax_array__(), what)
    if isinstance(x, Tracer):
        raise UnexpectedTracerError(
            f"{what}: encountered a tracer ({x}) outside the transformation that created it. "
            "A function probably stored a traced value in a global or a closure and used it "
            "after the transformation returned; return it from the function instead."
        )
    raise TypeError(
        f"{what}: value of type {type(x).__name__} is not a valid jaxlite type; "
        "pass a jaxlite.Array, a NumPy array or a Python scalar "
        "(convert lists and tuples with jnp.asarray)"
    )


def get_aval(x) -> ShapedArray:
    """The aval of any valid argument: tracer, Array, NumPy value or Python scalar."""
    if isinstance(x, Tracer):
        return x.aval
    from .array import Array

    if type(x) is Array:
        return ShapedArray(x._value.shape, x._value.dtype, x._weak)
    v, weak = canonical_value(x)
    return ShapedArray(v.shape, v.dtype, weak)


def is_valid_value(x) -> bool:
    from .array import Array

    return isinstance(x, (Tracer, Array, np.ndarray, np.generic) + _PY_SCALARS)


# ---- Traces -----------------------------------------------------------------------------------


class Trace:
    """A transformation's interpreter of primitives. Subclasses define process_primitive."""

    def process_primitive(self, prim, args, params):
        raise NotImplementedError(type(self).__name__)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros):
        raise NotImplementedError(f"{type(self).__name__} does not handle custom_jvp")

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        raise NotImplementedError(f"{type(self).__name__} does not handle custom_vjp")


class _TraceContext(threading.local):
    # Per thread: a thread tracing a function must not capture another thread's eager ops.
    def __init__(self):
        self.trace = globals().get("eval_trace")  # threads started later begin eager


trace_ctx = _TraceContext()


@contextlib.contextmanager
def set_current_trace(trace):
    prev = trace_ctx.trace
    trace_ctx.trace = trace
    try:
        yield
    finally:
        trace_ctx.trace = prev


def current_trace():
    return trace_ctx.trace


def bind(prim, *args, **params):
    return trace_ctx.trace.process_primitive(prim, args, params)


# Output avals of eager ops, keyed by (prim, input types, params): checking an op's shapes once per
# signature keeps eager close to NumPy's speed while still rejecting ill-typed operations.
_eager_aval_cache: dict = {}


def _freeze(v):
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, np.ndarray):
        return (v.shape, v.dtype, v.tobytes())
    return v


def eager_out_avals(prim, avals_key, params):
    key = (prim, avals_key, tuple(params.items()) if params else ())
    try:
        return _eager_aval_cache[key]
    except KeyError:
        pass
    except TypeError:  # params holding lists or arrays: freeze them, or give up caching
        try:
            key = (prim, avals_key, _freeze(params))
            return _eager_aval_cache[key]
        except KeyError:
            pass
        except TypeError:
            key = None
    avals = [ShapedArray(s, d, w) for s, d, w in avals_key]
    out = shape_rules[prim](*avals, **params)
    if key is not None and len(_eager_aval_cache) < 100_000:
        _eager_aval_cache[key] = out
    return out


class EvalTrace(Trace):
    """Runs primitives now, on NumPy values, through the interpreter: no compilation per op."""

    level = 0

    def process_primitive(self, prim, args, params):
        Array, wrap = _array_types()
        vals, key = [], []
        for i, a in enumerate(args):
            if type(a) is Array:
                v, w = a._value, a._weak
            else:
                v, w = canonical_value(a, f"{prim.name} operand {i}")
            vals.append(v)
            key.append((v.shape, v.dtype, w))
        out_avals = eager_out_avals(prim, tuple(key), params)
        rule = impl_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"{prim.name} has no eager implementation")
        out = rule(*vals, **params)
        if prim.multiple_results:
            return [wrap(_as_dtype(o, a.dtype), a.weak_type) for o, a in zip(out, out_avals)]
        return wrap(_as_dtype(out, out_avals.dtype), out_avals.weak_type)

    def __repr__(self):
        return "EvalTrace"


_ARRAY_TYPES = []


def _array_types():
    """(Array, wrap), imported once: array.py imports this module, so not at the top."""
    if not _ARRAY_TYPES:
        from .array import Array, wrap

        _ARRAY_TYPES.extend((Array, wrap))
    return _ARRAY_TYPES


def _as_dtype(v, dtype):
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    return v if v.dtype == dtype else v.astype(dtype)


eval_trace = EvalTrace()
trace_ctx.trace = eval_trace


def is_eager():
    return trace_ctx.trace is eval_trace


# ---- Tracers ----------------------------------------------------------------------------------


class Tracer:
    """A value being traced by `_trace`. Operators come from jaxlite.numpy (array_methods)."""

    __slots__ = ("_trace", "__weakref__")
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def to_concrete_value(self):
        """The concrete value behind this tracer, or None when there is none (staging)."""
        return None

    def _concrete(self, what):
        v = self.to_concrete_value()
        if v is not None:
            return v
        err = TracerBoolConversionError if what == "bool" else ConcretizationTypeError
        raise err(
            f"Attempted {what}() conversion of a traced array with shape "
            f"{self.aval.str_short()} ({self}). The value is not known while the function is "
            f"being traced (under jit, make_jaxpr, vmap or a control-flow body), so Python control "
            f"flow cannot depend on it. Use jaxlite.lax.cond / lax.switch or jnp.where for "
            f"branches, lax.while_loop / lax.fori_loop for loops, or mark the argument static "
            f"with static_argnums."
        )

    def __bool__(self):
        return bool(self._concrete("bool"))

    def __int__(self):
        return int(self._concrete("int"))

    def __float__(self):
        return float(self._concrete("float"))

    def __complex__(self):
        return complex(self._concrete("complex"))

    def __index__(self):
        if not dtypes.is_integer(self.aval.dtype):
            raise TracerIntegerConversionError(
                f"__index__ of a {self.aval.str_short()} tracer: only integer scalars can index")
        return int(self._concrete("__index__"))

    def __array__(self, dtype=None, copy=None):
        v = self.to_concrete_value()
        if v is not None:
            return np.asarray(v, dtype)
        raise TracerArrayConversionError(
            f"The numpy.ndarray conversion method __array__() was called on a traced array "
            f"{self.aval.str_short()} ({self}). NumPy functions cannot run on traced values: use "
            f"jaxlite.numpy instead of numpy inside transformed functions."
        )

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a rank-0 array)")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))

    def __setitem__(self, idx, value):
        raise TypeError(
            "jaxlite arrays are immutable: item assignment `x[idx] = y` is not supported. "
            "Use `x = x.at[idx].set(y)` (or .add, .mul, .min, .max) instead."
        )

    __hash__ = None

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{self._trace!r}>"


def ensure_no_tracer_leak(trace, x):
    if isinstance(x, Tracer) and x._trace is trace:
        raise UnexpectedTracerError(
            f"a tracer {x} escaped from the transformation that created it")

