"""check_jaxpr descends into the sub-programs of higher-order primitives."""

import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Eqn, Jaxpr, ShapedArray, Var
from compiler.typecheck import JaxprTypeError, check_jaxpr


def _jit_of(inner: Jaxpr) -> Jaxpr:
    x = Var(ShapedArray((3,), dtypes.float32))
    out = Var(ShapedArray((3,), dtypes.float32))
    eqn = Eqn(P.jit_p, [x], [out], {"jaxpr": ClosedJaxpr(inner, []), "name": "f"})
    return Jaxpr([], [x], [out], [eqn])


def _sin_program(declared_out_shape):
    a = Var(ShapedArray((3,), dtypes.float32))
    b = Var(ShapedArray(declared_out_shape, dtypes.float32))
    return Jaxpr([], [a], [b], [Eqn(P.sin_p, [a], [b], {})])


def test_well_typed_call_passes():
    check_jaxpr(_jit_of(_sin_program((3,))))


def test_error_inside_the_called_program_names_both_levels():
    bad_inner = _sin_program((4,))
    with pytest.raises(JaxprTypeError, match=r"(?s)equation 0 `.*jit.*`: in its sub-program `jaxpr`: "
                                             r"equation 0 .*declared f32\[4\]"):
        check_jaxpr(_jit_of(bad_inner))
