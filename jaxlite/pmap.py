"""pmap: map a function over the local devices, one thread of native code per device.

`pmap(f, axis_name)(xs)` moves each argument's mapped axis (in_axes) to the front, traces `f`
ONCE on one device's slice (the axis environment binds `axis_name` with the global device
count, so collectives see it) and binds the `pmap` primitive with that per-device program.
At the top level the program is compiled once with the CPU pipeline and run on every device
concurrently (compiler/pmap_exec.py, compiler/rendezvous.py); the outputs come back as a
ShardedArray (one shard per device, assembled only when read). Under a transformation (grad,
vmap, jit, make_jaxpr) the primitive is transformed or staged like any other: see pmap_rules.py.

Outputs are stacked along axis 0 by the primitive; `out_axes` then moves that axis (an int) or
takes device 0's copy (None, for values that are the same on every device, e.g. after psum).
"""

from __future__ import annotations

import functools

import numpy as np

from compiler import pmap_exec, rendezvous
from compiler import primitives as P
from compiler.ir import ClosedJaxpr

from . import core, distributed, tree_util
from . import device_list as D
from .array import Array
from .batching import AxisData, _describe_leaves, _flat_in_axes, extend_axis_env, moveaxis
from .config import config
from .partial_eval import hoist_consts, trace_to_jaxpr
from .sharded import make_sharded, shards_of

rendezvous.set_process_group_provider(distributed.process_group)


def _check_spec(what, spec):
    for leaf in tree_util.tree_leaves(spec, is_leaf=lambda x: x is None):
        if leaf is not None and (not isinstance(leaf, (int, np.integer)) or isinstance(leaf, bool)):
            raise TypeError(f"pmap {what} must be an int, None, or a (nested) tuple of them, got {spec!r}")


def _argnums(nums):
    if nums is None:
        return ()
    return (int(nums),) if isinstance(nums, (int, np.integer)) else tuple(int(n) for n in nums)


class PmapWrapped:
    """The result of `pmap(fun, ...)`: a callable with a cache of traced per-device programs."""

    def __init__(self, fun, axis_name, in_axes, out_axes, static_broadcasted_argnums, devices,
                 axis_size, donate_argnums):
        if not callable(fun):
            raise TypeError(f"pmap: expected a function as the first argument, got {fun!r}")
        functools.update_wrapper(self, fun, updated=())
        self._fun, self._name = fun, getattr(fun, "__name__", type(fun).__name__)
        self._axis_name = axis_name
        if isinstance(in_axes, list):
            in_axes = tuple(in_axes)
        _check_spec("in_axes", in_axes)
        _check_spec("out_axes", out_axes)
        self._in_axes, self._out_axes = in_axes, out_axes
        self._static = _argnums(static_broadcasted_argnums)
        self._donate = _argnums(donate_argnums)  # accepted; buffers are not reused
        self._devices = None if devices is None else tuple(devices)
        self._axis_size = axis_size
        self._cache = {}

    def __repr__(self):
        return f"<pmapped function {self._name}>"

    # -- arguments ---------------------------------------------------------------------------

    def _split_static(self, args):
        n = len(args)
        static = {(i + n if i < 0 else i): None for i in self._static}
        statics = tuple((i, args[i]) for i in sorted(static) if 0 <= i < n)
        try:
            hash(statics)
        except TypeError:
            raise ValueError(
                f"pmap({self._name}): static_broadcasted_argnums {self._static} must name "
                "hashable arguments (use a tuple instead of a list)") from None
        dyn = tuple(a for i, a in enumerate(args) if i not in static)
        return statics, dyn

    def _mapped_size(self, args, kwargs, leaves, axes):
        avals = [core.get_aval(x) for x in leaves]
        sizes, norm = [], []
        descs = None
        for k, (aval, ax) in enumerate(zip(avals, axes, strict=True)):
            if ax is None:
                sizes.append(None)
                norm.append(None)
                continue
            if not -aval.ndim <= ax < aval.ndim:
                descs = descs or _describe_leaves(self._fun, args, kwargs)
                raise ValueError(
                    f"pmap({self._name}): in_axes={ax} for {descs[k]} of shape {aval.shape}, "
                    f"but its rank is {aval.ndim}; map an existing axis or pass None")
            ax = int(ax) % aval.ndim
            norm.append(ax)
            sizes.append(aval.shape[ax])
        present = sorted({s for s in sizes if s is not None})
        if self._axis_size is not None:
            present = sorted(set(present) | {int(self._axis_size)})
        if not present:
            raise ValueError(
                f"pmap({self._name}): no argument is mapped (every in_axes is None); map at "
                "least one argument or pass axis_size")
        if len(present) > 1:
            descs = _describe_leaves(self._fun, args, kwargs)
            where = [f"{d} has size {s} along axis {a} (shape {av.shape})"
                     for d, s, a, av in zip(descs, sizes, norm, avals, strict=True) if s is not None]
            raise ValueError(
                f"pmap({self._name}) got inconsistent sizes for the mapped axis: "
                + "; ".join(where))
        n = present[0]
        local = D.local_device_count()
        wanted = len(self._devices) if self._devices is not None else None
        if wanted is not None and n != wanted:
            raise ValueError(
                f"pmap({self._name}): the mapped axis has size {n} but devices= lists {wanted} "
                "devices; they must be equal")
        if n > local or n < 1:
            descs = _describe_leaves(self._fun, args, kwargs)
            first = next(k for k, s in enumerate(sizes) if s is not None) if any(
                s is not None for s in sizes) else None
            which = f" ({descs[first]} has shape {avals[first].shape})" if first is not None else ""
            raise ValueError(
                f"pmap({self._name}): the mapped axis has size {n}{which}, but only {local} "
                f"local CPU device(s) are available. The leading (in_axes) size must be between "
                f"1 and jaxlite.local_device_count(); set the count with "
                f'jaxlite.config.update("jax_num_cpu_devices", N) before first use or '
                f"JAXLITE_NUM_CPU_DEVICES=N")
        return n, norm, avals

    # -- tracing -----------------------------------------------------------------------------

    def _trace(self, statics, nargs, in_tree, dev_avals, n_global):
        fun, name, axis_name = self._fun, self._name, self._axis_name
        box = []

        def flat_fun(*leaves):
            dargs, dkw = tree_util.tree_unflatten(in_tree, leaves)
            static = dict(statics)
            it = iter(dargs)
            full = [static[i] if i in static else next(it) for i in range(nargs)]
            out = fun(*full, **dkw)
            flat, out_tree = tree_util.tree_flatten(out)
            for i, o in enumerate(flat):
                if not core.is_valid_value(o):
                    raise TypeError(
                        f"pmap({name}): output {i} has type {type(o).__name__}, which is not an "
                        "array; return arrays or scalars only")
            box.append(out_tree)
            return flat

        with extend_axis_env(AxisData(axis_name, n_global, axis_name)):
            closed = trace_to_jaxpr(flat_fun, list(dev_avals), f"pmap_{name}")
        jaxpr, consts = hoist_consts(closed)
        return ClosedJaxpr(jaxpr, []), consts, box[0]

    # -- calling -----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        statics, dyn = self._split_static(args)
        leaves, in_tree = tree_util.tree_flatten((dyn, kwargs))
        in_axes = self._in_axes
        if statics and isinstance(in_axes, tuple) and len(in_axes) == len(args):
            # as JAX: in_axes lists every positional argument; the static ones are dropped
            skip = {i for i, _ in statics}
            in_axes = tuple(a for i, a in enumerate(in_axes) if i not in skip)
        try:
            axes = _flat_in_axes(in_axes, dyn, kwargs)
        except ValueError as e:
            raise ValueError(f"pmap({self._name}): {e}".replace("vmap ", "")) from None
        n, axes, avals = self._mapped_size(dyn, kwargs, leaves, axes)
        n_global = n * D.process_count()
        dev_avals = tuple(a.update(shape=a.shape[:ax] + a.shape[ax + 1:]) if ax is not None else a
                          for a, ax in zip(avals, axes, strict=True))
        key = (statics, in_tree, dev_avals, tuple(a is not None for a in axes), n, n_global,
               config.x64, len(args))
        entry = self._cache.get(key)
        if entry is None:
            entry = self._trace(statics, len(args), in_tree, dev_avals, n_global)
            if not any(isinstance(c, core.Tracer) for c in entry[1]):
                self._cache[key] = entry
        closed, consts, out_tree = entry
        mapped = (False,) * len(consts) + tuple(a is not None for a in axes)
        params = dict(jaxpr=closed, axis_name=self._axis_name, axis_size=n,
                      global_axis_size=n_global, mapped=mapped, devices=self._devices,
                      name=self._name)
        if core.trace_ctx.trace is core.eval_trace and not any(
                isinstance(c, core.Tracer) for c in consts):
            outs = _run_top_level(consts, leaves, axes, params)
        else:
            moved = [x if ax in (None, 0) else moveaxis(_as_array(x), ax, 0)
                     for x, ax in zip(leaves, axes, strict=True)]
            outs = core.bind(P.pmap_p, *consts, *moved, **params)
        return self._apply_out_axes(outs, out_tree)

    def _apply_out_axes(self, outs, out_tree):
        dummy = tree_util.tree_unflatten(out_tree, [0] * out_tree.num_leaves)
        try:
            flat_axes = tree_util.broadcast_prefix(self._out_axes, dummy)
        except ValueError as e:
            raise ValueError(f"pmap({self._name}) out_axes must be a tree prefix of the output:\n{e}") from None
        results = []
        for o, ax in zip(outs, flat_axes, strict=True):
            if ax is None:  # the same on every device: device 0's copy
                sh = shards_of(o, len(o._shards)) if hasattr(o, "_shards") else None
                results.append(Array(sh[0]) if sh is not None else o[0])
            elif int(ax) % len(o.shape) == 0:
                results.append(o)
            else:
                results.append(moveaxis(_as_array(o), 0, int(ax) % len(o.shape)))
        return tree_util.tree_unflatten(out_tree, results)


def _as_array(x):
    return x if isinstance(x, (core.Tracer, Array)) else Array(x)


def _device_shards(x, ax, n):
    """Device i's operand for leaf x mapped at axis ax (None: shared)."""
    if ax is None:
        v = x._value if isinstance(x, Array) else np.asarray(x)
        return [v] * n
    sh = shards_of(x, n) if ax == 0 else None
    if sh is not None:
        return sh
    v = x._value if isinstance(x, Array) else core.canonical_value(x, "pmap argument")[0]
    v = np.moveaxis(np.asarray(v), ax, 0)
    return [v[i] for i in range(n)]


def _run_top_level(consts, leaves, axes, params):
    n = params["axis_size"]
    closed = params["jaxpr"]
    per_leaf = [_device_shards(c, None, n) for c in consts]
    per_leaf += [_device_shards(x, ax, n) for x, ax in zip(leaves, axes, strict=True)]
    per_device = [[col[i] for col in per_leaf] for i in range(n)]
    outs = pmap_exec.run_shards(per_device, jaxpr=closed, axis_name=params["axis_name"],
                                axis_size=n, global_axis_size=params["global_axis_size"],
                                name=params["name"])
    local = D.local_devices()
    devs = [local[i] for i in range(n)] if params["devices"] is None else list(params["devices"])
    return [make_sharded([np.asarray(outs[i][k], dtype=a.dtype) for i in range(n)], devs, a.weak_type)
            for k, a in enumerate(closed.out_avals)]


def _check_devices(devices, what):
    devices = list(devices)
    local = D.local_devices()
    for d in devices:
        if d not in local:
            raise ValueError(f"{what}: {d!r} is not one of this process's devices {local}")
    return devices


def device_put_sharded(shards, devices):
    """Stack `shards` (a list of equal pytrees, one per device) into ShardedArrays on `devices`."""
    devices = _check_devices(devices, "device_put_sharded")
    if len(shards) != len(devices):
        raise ValueError(f"device_put_sharded: {len(shards)} shards for {len(devices)} devices; "
                         "pass one shard per device")
    leaves = [tree_util.tree_leaves(s) for s in shards]
    tree = tree_util.tree_structure(shards[0])
    out = []
    for k in range(len(leaves[0])):
        vals = [core.canonical_value(ls[k], "device_put_sharded")[0] for ls in leaves]
        if len({(v.shape, v.dtype) for v in vals}) != 1:
            raise ValueError("device_put_sharded: the shards of leaf "
                             f"{k} differ in shape or dtype: {[(v.shape, str(v.dtype)) for v in vals]}")
        out.append(make_sharded(vals, devices))
    return tree_util.tree_unflatten(tree, out)


def device_put_replicated(x, devices):
    """The same value on every device of `devices`, as a ShardedArray of leading size len(devices)."""
    devices = _check_devices(devices, "device_put_replicated")
    return tree_util.tree_map(
        lambda v: make_sharded([core.canonical_value(v, "device_put_replicated")[0]] * len(devices),
                               devices), x)


def pmap(fun=None, axis_name=None, *, in_axes=0, out_axes=0, static_broadcasted_argnums=(),
         devices=None, backend=None, axis_size=None, donate_argnums=(), global_arg_shapes=None):
    """Map `fun` over the local devices along the leading axis (in_axes) of its arguments.

    Collectives over `axis_name` (lax.psum, pmean, pmax, pmin, all_gather, all_to_all,
    psum_scatter, ppermute, axis_index) run between the devices. The per-device program is
    traced and compiled once per signature; shards run concurrently, one thread per device.
    """
    if fun is None:
        return functools.partial(pmap, axis_name=axis_name, in_axes=in_axes, out_axes=out_axes,
                                 static_broadcasted_argnums=static_broadcasted_argnums,
                                 devices=devices, backend=backend, axis_size=axis_size,
                                 donate_argnums=donate_argnums)
    if backend not in (None, "cpu"):
        raise ValueError(f"pmap: backend {backend!r} is not available; only 'cpu' is")
    return PmapWrapped(fun, axis_name, in_axes, out_axes, static_broadcasted_argnums, devices,
                       axis_size, donate_argnums)


from . import pmap_rules  # noqa: E402,F401  (jvp, linearize, transpose and batching of pmap)
