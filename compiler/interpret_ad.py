"""NumPy meaning of the autodiff primitives (compiler/primitives.py, "Automatic differentiation").

stop_gradient is the identity; the call primitives run their body; custom_lin only exists inside
linearized programs, which are transposed, never run forward.
"""

from __future__ import annotations

from . import primitives as P


def _run_body(param):
    def impl(*args, **params):
        from .interpret import eval_jaxpr  # interpret.py imports this table: import lazily

        body = params[param]
        return eval_jaxpr(body.jaxpr, body.consts, *args)

    return impl


def _custom_lin(*args, **params):
    raise TypeError(
        "can't apply forward-mode autodiff (jvp) to a custom_vjp function: a custom_vjp function "
        "only has a reverse-mode rule. Use grad/vjp, or define the function with custom_jvp.")


AD_IMPLS = {
    P.stop_gradient_p: lambda x: x,
    P.custom_jvp_call_p: _run_body("call_jaxpr"),
    P.custom_vjp_call_p: _run_body("call_jaxpr"),
    P.custom_lin_p: _custom_lin,
    P.remat_p: _run_body("jaxpr"),
}
