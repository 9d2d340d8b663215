"""jit: trace once per signature, compile the Jaxpr to one native program, cache, run.

`jit(f)(*args)` at the top level (no transformation running) looks up its trace cache by
(static argument values, the arguments' pytree structure, their avals including weak types,
the x64 flag), traces on a miss (partial_eval.trace_to_jaxpr), compiles through
compiler.pipeline (whose own caches are keyed by the rendered program, in memory and on disk)
and runs the executable. Under a transformation (make_jaxpr, grad, vmap, another jit) it binds
the call primitive `jit` with params `jaxpr` (a ClosedJaxpr whose consts are hoisted into
leading operands) and `name`, so the call is staged or transformed like any primitive.

A warm call with plain array arguments takes a fast path: the key is built from the arguments'
shapes and dtypes without flattening pytrees, and the executable (its ctypes function and
pointer-array type built once) is called directly.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading

import numpy as np

from compiler import dtypes, gc_pause, pipeline
from compiler import primitives as P
from compiler.ir import ClosedJaxpr, ShapedArray

from . import core, donation, tree_util
from .array import Array, wrap
from .config import config
from .partial_eval import ShapeDtypeStruct, hoist_consts, trace_to_jaxpr

jit_p = P.jit_p
_trace_ctx, _eval_trace, _flags = core.trace_ctx, core.eval_trace, config._values
logger = logging.getLogger("jaxlite.jit")
_trace_lock = threading.RLock()  # one trace at a time: tracing state is per process


def _normalize_argnums(argnums, what):
    if argnums is None:
        return ()
    if isinstance(argnums, (int, np.integer)):
        argnums = (argnums,)
    out = []
    for a in argnums:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"jit: {what} must be ints or a sequence of ints, got {argnums!r}")
        out.append(int(a))
    return tuple(out)


def _normalize_argnames(argnames, what="static_argnames"):
    if argnames is None:
        return ()
    if isinstance(argnames, str):
        return (argnames,)
    out = tuple(argnames)
    for a in out:
        if not isinstance(a, str):
            raise TypeError(f"jit: {what} must be strings, got {argnames!r}")
    return out


class _Entry:
    """One traced signature: its call Jaxpr, hoisted consts, output structure and executable."""

    __slots__ = (
        "closed",
        "consts",
        "in_avals",
        "out_avals",
        "out_tree",
        "exe",
        "lock",
        "unflatten",
        "np_consts",
        "out_weak",
        "fast",
    )

    def __init__(self, closed, consts, in_avals, out_tree):
        self.closed, self.consts, self.in_avals = closed, consts, in_avals
        self.out_avals = closed.out_avals
        self.out_weak = [a.weak_type for a in self.out_avals]
        self.out_tree = out_tree
        self.exe = None
        self.np_consts = None  # consts as NumPy buffers, once run at the top level
        self.fast = None  # the warm-call runner, built on the first fast call
        self.lock = threading.Lock()
        self.unflatten = _unflattener(out_tree)

    def executable(self):
        if self.exe is None:
            with self.lock:
                if self.exe is None:
                    self.exe = pipeline.compile_cpu(self.closed)
        return self.exe


def _unflattener(out_tree):
    leaf = tree_util.tree_structure(0)
    if out_tree == leaf:
        return lambda outs: outs[0]
    if out_tree == tree_util.tree_structure((0,) * out_tree.num_leaves):
        return tuple
    return lambda outs: tree_util.tree_unflatten(out_tree, outs)


def _as_input(x, aval):
    """The NumPy buffer an executable reads for argument `x` of type `aval`."""
    if type(x) is Array:
        v = x._value
    elif isinstance(x, core.Tracer):
        raise core.UnexpectedTracerError(
            f"jit: encountered a tracer ({x}) outside the transformation that created it; "
            "return traced values from transformed functions instead of storing them"
        )
    else:
        v = x
    if type(v) is not np.ndarray or v.dtype != aval.dtype or not v.flags.c_contiguous:
        v = np.asarray(v, dtype=aval.dtype, order="C")
    return v


class Lowered:
    """`jitted.lower(*args)`: the traced program, before compilation."""

    def __init__(self, wrapped, entry):
        self._wrapped, self._entry = wrapped, entry

    def as_text(self) -> str:
        return str(self._entry.closed)

    @property
    def jaxpr(self):
        return self._entry.closed

    def compile(self):
        return Compiled(self._wrapped, self._entry, self._entry.executable())


class Compiled:
    """A compiled signature: callable with arguments of that signature; `as_text()` gives the
    kernel/fusion report and the optimised LLVM IR."""

    def __init__(self, wrapped, entry, exe):
        self._wrapped, self._entry, self._exe = wrapped, entry, exe

    def as_text(self) -> str:
        return self._exe.as_text()

    def report(self) -> str:
        return self._exe.report()

    @property
    def program(self):
        return self._exe.program

    def as_svg(self) -> str:
        """The fused program drawn as a graph (kernels with their ops, gemm calls, interpreter
        callbacks, buffers); needs matplotlib and networkx."""
        from compiler.render_graph import program_svg

        return program_svg(self.program)

    def render(self, path) -> str:
        """Write the program graph to `path`, as SVG or PNG by its extension; returns the path."""
        from compiler.render_graph import render_program

        return render_program(self.program, path)

    def __call__(self, *args, **kwargs):
        # As JAX's Compiled: it runs only the signature it was lowered for, never retraces.
        leaves, tree = self._wrapped._dynamic_leaves(args, kwargs)
        got = self._wrapped._avals(leaves, tree)
        want = tuple(self._entry.in_avals)
        if tuple((a.shape, a.dtype) for a in got) != tuple((a.shape, a.dtype) for a in want):
            raise TypeError(
                f"Compiled({self._wrapped._name}): called with arguments of shapes/dtypes "
                f"{[f'{a.dtype}{list(a.shape)}' for a in got]}, but it was lowered for "
                f"{[f'{a.dtype}{list(a.shape)}' for a in want]}; lower() again for new shapes")
        return self._wrapped(*args, **kwargs)


class JitWrapped:
    """The result of `jit(fun, ...)`: a callable with a trace cache."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), donate_argnums=(), donate_argnames=()):
        if not callable(fun):
            raise TypeError(f"jit: expected a function as the first argument, got {fun!r}")
        functools.update_wrapper(self, fun, updated=())
        self._fun = fun
        self._name = getattr(fun, "__name__", type(fun).__name__)
        nums = _normalize_argnums(static_argnums, "static_argnums")
        names = _normalize_argnames(static_argnames)
        donate_nums = _normalize_argnums(donate_argnums, "donate_argnums")
        donate_names = _normalize_argnames(donate_argnames, "donate_argnames")
        try:
            params = list(inspect.signature(fun).parameters.values())
        except (TypeError, ValueError):
            params = []
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # As JAX: a static argument may be marked by position or name and passed either way.
        names = tuple(
            dict.fromkeys(
                names + tuple(positional[i] for i in nums if -len(positional) <= i < len(positional))
            )
        )
        nums = tuple(dict.fromkeys(nums + tuple(positional.index(n) for n in names if n in positional)))
        self._static_nums, self._static_names = nums, names
        # donated arguments, by position and by name, either way as for static ones (donation.py)
        npos = len(positional)
        donate_names += tuple(positional[i] for i in donate_nums if -npos <= i < npos)
        donate_nums += tuple(positional.index(n) for n in donate_names if n in positional)
        donate_names, donate_nums = tuple(dict.fromkeys(donate_names)), tuple(dict.fromkeys(donate_nums))
        donation.check_static_overlap(self._name, nums, names, donate_nums, donate_names)
        self._donate_nums, self._donate_names = donate_nums, donate_names
        self._donation_plans = {}
        self._cache = {}
        self._fast = {}
        self._keys = []  # insertion order, for explaining misses

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f"<jitted function {self._name}>"

    # -- the key ----------------------------------------------------------------------------

    def _split(self, args, kwargs):
        n = len(args)
        static_pos = {}
        for i in self._static_nums:
            j = i + n if i < 0 else i
            if 0 <= j < n:
                static_pos[j] = args[j]
        static_kw = {k: v for k, v in kwargs.items() if k in self._static_names}
        dyn_args = tuple(a for i, a in enumerate(args) if i not in static_pos)
        dyn_kw = {k: v for k, v in kwargs.items() if k not in static_kw}
        statics = (tuple(sorted(static_pos.items())), tuple(sorted(static_kw.items())))
        try:
            hash(statics)
        except TypeError:
            bad = [f"argument {i}" for i, v in static_pos.items() if not _hashable(v)]
            bad += [f"argument {k!r}" for k, v in static_kw.items() if not _hashable(v)]
            raise ValueError(
                f"jit({self._name}): non-hashable static arguments are not supported: {', '.join(bad)} "
                "must be hashable (use a tuple instead of a list, or pass arrays as regular, "
                "non-static arguments)"
            ) from None
        return static_pos, static_kw, dyn_args, dyn_kw, statics

    def _avals(self, leaves, tree):
        avals = []
        for i, x in enumerate(leaves):
            if isinstance(x, ShapeDtypeStruct):  # a placeholder for AOT lower(), as in JAX
                dt = dtypes.canonicalize(x.dtype, config.x64)
                avals.append(ShapedArray(x.shape, dt, bool(x.weak_type)))
                continue
            if type(x) is np.ndarray:  # its aval without core.get_aval's defensive copy (the MLP
                # train step's pytree arguments miss the fast path: 2.7 MB copied per call)
                try:
                    avals.append(ShapedArray(x.shape, dtypes.canonicalize(x.dtype, config.x64), False))
                    continue
                except TypeError:
                    pass  # an unsupported dtype: get_aval below raises the full message
            try:
                avals.append(core.get_aval(x))
            except TypeError as e:
                path = tree_util.keystr(tree_util.tree_flatten_with_path(tree)[0][i][0])
                raise TypeError(
                    f"jit({self._name}): argument {path} of type {type(x).__name__} is not a valid "
                    f"jaxlite type ({e}). Pass arrays or scalars, or mark the argument static "
                    "with static_argnums / static_argnames."
                ) from None
        return tuple(avals)

    # -- tracing ----------------------------------------------------------------------------

    def _dynamic_leaves(self, args, kwargs):
        """(flat dynamic arguments, their pytree) without tracing."""
        _, _, dyn_args, dyn_kw, _ = self._split(args, kwargs)
        return tree_util.tree_leaves((dyn_args, dyn_kw)), (dyn_args, dyn_kw)

    def _lookup(self, args, kwargs):
        """(entry, flat dynamic arguments), tracing on a miss."""
        static_pos, static_kw, dyn_args, dyn_kw, statics = self._split(args, kwargs)
        leaves, treedef = tree_util.tree_flatten((dyn_args, dyn_kw))
        avals = self._avals(leaves, (dyn_args, dyn_kw))
        key = (statics, treedef, avals, config.x64)
        entry = self._cache.get(key)
        if entry is not None:
            return entry, leaves, key
        with _trace_lock:
            entry = self._cache.get(key)
            if entry is not None:
                return entry, leaves, key
            if config.jax_explain_cache_misses:
                self._explain_miss(key, (dyn_args, dyn_kw))
            with gc_pause.paused():
                entry = self._trace(static_pos, static_kw, len(args), treedef, avals)
            if not any(isinstance(c, core.Tracer) for c in entry.consts):
                self._cache[key] = entry  # closed-over tracers belong to one outer trace only
                self._keys.append(key)
        return entry, leaves, key

    def _trace(self, static_pos, static_kw, nargs, treedef, avals):
        fun, name = self._fun, self._name
        box = []

        def flat_fun(*leaves):
            dargs, dkw = tree_util.tree_unflatten(treedef, leaves)
            it = iter(dargs)
            full = [static_pos[i] if i in static_pos else next(it) for i in range(nargs)]
            out = fun(*full, **dkw, **static_kw)
            flat_out, out_tree = tree_util.tree_flatten(out)
            for i, o in enumerate(flat_out):
                if not core.is_valid_value(o):
                    path = tree_util.keystr(tree_util.tree_flatten_with_path(out)[0][i][0])
                    raise TypeError(
                        f"jit({name}): output {path or '(the result)'} has type "
                        f"{type(o).__name__}, which is not a valid jaxlite type; "
                        "return arrays or scalars only"
                    )
            box.append(out_tree)
            return flat_out

        closed = trace_to_jaxpr(flat_fun, list(avals), name)
        jaxpr, consts = hoist_consts(closed)
        return _Entry(ClosedJaxpr(jaxpr, []), consts, avals, box[0])

    def _explain_miss(self, key, dyn):
        if not self._keys:
            logger.warning("TRACING CACHE MISS for jit(%s): tracing for the first time", self._name)
            return
        prev = self._keys[-1]
        reasons = []
        if prev[3] != key[3]:
            reasons.append(f"the x64 flag (jax_enable_x64) changed from {prev[3]} to {key[3]}")
        if prev[0] != key[0]:
            old, new = dict(prev[0][0]) | dict(prev[0][1]), dict(key[0][0]) | dict(key[0][1])
            for k in sorted(set(old) | set(new), key=str):
                if old.get(k, "<absent>") != new.get(k, "<absent>"):
                    what = f"argument {k}" if isinstance(k, int) else f"argument {k!r}"
                    reasons.append(
                        f"static {what} changed from {old.get(k, '<absent>')!r} to {new.get(k, '<absent>')!r}"
                    )
        if prev[1] != key[1]:
            reasons.append(f"the pytree structure of the arguments changed from {prev[1]} to {key[1]}")
        elif prev[2] != key[2]:
            paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(dyn)[0]]
            for path, a, b in zip(paths, prev[2], key[2], strict=False):
                if a != b:
                    kind = "weak type" if (a.shape, a.dtype) == (b.shape, b.dtype) else "shape/dtype"
                    reasons.append(f"{kind} of argument {path} changed from {a!r} to {b!r}")
        logger.warning(
            "TRACING CACHE MISS for jit(%s) because:\n  %s",
            self._name,
            "\n  ".join(reasons) or "the key differs from every cached one",
        )

    # -- calling ----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if not kwargs and _trace_ctx.trace is _eval_trace and not _flags["jax_disable_jit"]:
            key = _fast_key(args)
            entry = self._fast.get(key) if key is not None else None
            if entry is not None:
                return self._fast_call(entry, args)
        if config.jax_disable_jit:
            return self._fun(*args, **kwargs)
        entry, leaves, key = self._lookup(args, kwargs)
        if core.trace_ctx.trace is not core.eval_trace:
            outs = core.bind(jit_p, *entry.consts, *leaves, jaxpr=entry.closed, name=self._name)
            return entry.unflatten(outs)
        for c in entry.consts:
            if isinstance(c, core.Tracer):
                raise core.UnexpectedTracerError(
                    f"jit({self._name}) closes over a tracer ({c}) of a transformation that is no "
                    "longer running; pass the value as an argument instead"
                )
        if self._donate_nums or self._donate_names:  # never cached on the fast path below
            return entry.unflatten(self._call_donating(entry, leaves, key, args, kwargs))
        outs = _run(entry, leaves)
        if not kwargs and not self._static_nums and all(type(a) in (Array, np.ndarray) for a in args):
            self._fast[_fast_key(args)] = entry
        return entry.unflatten(outs)

    def _call_donating(self, entry, leaves, key, args, kwargs):
        static_pos, static_kw, _, _, _ = self._split(args, kwargs)
        mask = donation.donated_mask(args, kwargs, static_pos, static_kw, self._donate_nums, self._donate_names)
        plan = self._donation_plans.get((key, mask))
        if plan is None:
            plan = self._donation_plans[(key, mask)] = donation.Plan(entry, mask, self._name)
        return donation.run_donating(entry, leaves, plan, _as_input)

    @staticmethod
    def _fast_call(entry, args):
        runner = entry.fast
        if runner is None:
            runner = entry.fast = _fast_runner(entry)
        return runner(args)

    def lower(self, *args, **kwargs):
        entry, _, _ = self._lookup(args, kwargs)
        return Lowered(self, entry)

    def clear_cache(self):
        self._cache.clear()
        self._fast.clear()
        self._keys.clear()

    def _cache_size(self):
        return len(self._cache)


def _fast_key(args):
    key = [_flags["jax_enable_x64"]]
    for a in args:
        t = type(a)
        if t is Array:
            v = a._value
            key.append((v.shape, v.dtype, a._weak))
        elif t is np.ndarray:
            key.append((a.shape, a.dtype, False))
        else:
            return None
    return tuple(key)


def _fast_runner(entry):
    """The warm call of one signature: array arguments in, Arrays out, nothing re-derived."""
    run, consts, weak = entry.exe.run, tuple(entry.np_consts), entry.out_weak
    dts, unflatten = [a.dtype for a in entry.in_avals], entry.unflatten

    def value(a, dt):
        v = a._value if type(a) is Array else a
        if type(v) is not np.ndarray or (v.dtype is not dt and v.dtype != dt) or not v.flags.c_contiguous:
            v = np.asarray(v, dtype=dt, order="C")
        return v

    if len(dts) == 1 and len(weak) == 1 and not consts:
        (dt,), (w,) = dts, weak

        def fast1(args):
            (out,) = run((value(args[0], dt),))
            return unflatten([wrap(out, w)])

        return fast1

    def fast(args):
        vals = [value(a, dt) for a, dt in zip(args, dts, strict=False)]
        outs = run((*consts, *vals) if consts else vals)
        return unflatten([wrap(o, w) for o, w in zip(outs, weak, strict=False)])

    return fast


def _hashable(v):
    try:
        hash(v)
        return True
    except TypeError:
        return False


def _run(entry, leaves):
    exe = entry.executable()
    vals = [_as_input(x, a) for x, a in zip(leaves, entry.in_avals, strict=False)]
    if entry.np_consts is None:
        entry.np_consts = [
            _as_input(c, c_aval) for c, c_aval in zip(entry.consts, entry.closed.in_avals, strict=False)
        ]
    outs = exe.run((*entry.np_consts, *vals))
    return [wrap(o, a.weak_type) for o, a in zip(outs, entry.out_avals, strict=False)]


def call_jaxpr(closed: ClosedJaxpr, args, name="jit"):
    """Call a consts-free ClosedJaxpr as a jit call: compiled now at the top level, a `jit`
    equation under a transformation. For rules of other primitives that build programs."""
    if core.trace_ctx.trace is not core.eval_trace:
        return core.bind(jit_p, *args, jaxpr=closed, name=name)
    entry = _Entry(closed, [], tuple(closed.in_avals), tree_util.tree_structure([0] * len(closed.out_avals)))
    return _run(entry, args)


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=(), donate_argnames=(), **unsupported):
    """Compile `fun` for the CPU: traced once per signature, one native program per signature.

    `static_argnums` / `static_argnames` mark arguments whose (hashable) values are part of the
    signature; every other argument is traced by shape and dtype. `donate_argnums` /
    `donate_argnames` donate arguments' buffers to outputs of the same shape and dtype; donated
    Arrays are deleted after the call (see jaxlite/donation.py). Usable as `@jit` or
    `@partial(jit, static_argnums=...)`.
    """
    for k in unsupported:
        if k not in (
            "inline",
            "keep_unused",
            "device",
            "backend",
            "abstracted_axes",
            "in_shardings",
            "out_shardings",
            "compiler_options",
        ):
            raise TypeError(f"jit() got an unexpected keyword argument {k!r}")
    if fun is None:
        return functools.partial(
            jit,
            static_argnums=static_argnums,
            static_argnames=static_argnames,
            donate_argnums=donate_argnums,
            donate_argnames=donate_argnames,
            **unsupported,
        )
    return JitWrapped(fun, static_argnums, static_argnames, donate_argnums, donate_argnames)


from . import jit_rules  # noqa: E402,F401  (jvp rule of the call primitive)
