"""check_jaxpr: every variable defined once before use, every equation's types re-derived."""

from __future__ import annotations

from .ir import ClosedJaxpr, Jaxpr, Literal, Var, _Namer, _pp_eqn
from .primitives import shape_rules


class JaxprTypeError(TypeError):
    pass


def _same_type(a, b):
    # Weak types are a property of the tracing front end; the IR's meaning does not depend on them.
    return a.shape == b.shape and a.dtype == b.dtype


def _sub_jaxprs(params):
    """The Jaxprs a higher-order primitive carries (jit, remat, cond branches, scan bodies)."""
    for key, value in params.items():
        items = value if isinstance(value, (tuple, list)) else (value,)
        for i, item in enumerate(items):
            if isinstance(item, (Jaxpr, ClosedJaxpr)):
                yield (key if item is value else f"{key}[{i}]"), item


def check_jaxpr(jaxpr) -> None:
    if isinstance(jaxpr, ClosedJaxpr):
        if len(jaxpr.consts) != len(jaxpr.jaxpr.constvars):
            raise JaxprTypeError(
                f"ClosedJaxpr has {len(jaxpr.consts)} consts for "
                f"{len(jaxpr.jaxpr.constvars)} constvars"
            )
        jaxpr = jaxpr.jaxpr
    namer = _Namer()
    defined = set()

    def bind(v, where):
        if not isinstance(v, Var):
            raise JaxprTypeError(f"{where}: binder {v!r} is not a Var")
        if v in defined:
            raise JaxprTypeError(f"{where}: variable {namer(v)} is defined twice")
        defined.add(v)

    def use(v, where):
        if isinstance(v, Literal):
            return
        if not isinstance(v, Var):
            raise JaxprTypeError(f"{where}: operand {v!r} is neither a Var nor a Literal")
        if v not in defined:
            raise JaxprTypeError(f"{where}: variable {namer(v)} is used before it is defined")

    for v in jaxpr.constvars:
        bind(v, "constvars")
    for v in jaxpr.invars:
        bind(v, "invars")
    for i, eqn in enumerate(jaxpr.eqns):
        where = f"equation {i} `{_pp_eqn(eqn, namer, 0).strip()}`"
        for v in eqn.invars:
            use(v, where)
        for key, sub in _sub_jaxprs(eqn.params):
            try:
                check_jaxpr(sub)
            except JaxprTypeError as e:
                raise JaxprTypeError(f"{where}: in its sub-program `{key}`: {e}") from None
        rule = shape_rules.get(eqn.prim)
        if rule is None:
            raise JaxprTypeError(f"{where}: {eqn.prim} is not a known primitive")
        try:
            out = rule(*(v.aval for v in eqn.invars), **eqn.params)
        except TypeError as e:
            raise JaxprTypeError(f"{where}: {e}") from None
        outs = out if eqn.prim.multiple_results else [out]
        if len(outs) != len(eqn.outvars):
            raise JaxprTypeError(f"{where}: {len(eqn.outvars)} outputs bound, rule gives {len(outs)}")
        for v, aval in zip(eqn.outvars, outs):
            if not _same_type(v.aval, aval):
                raise JaxprTypeError(
                    f"{where}: output {namer(v)} is declared {v.aval.str_short()} "
                    f"but the rule gives {aval.str_short()}"
                )
            bind(v, where)
    for v in jaxpr.outvars:
        use(v, "outvars")
