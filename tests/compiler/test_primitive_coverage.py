"""The closed primitive set against its tables, the one import direction, and check_jaxpr."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from compiler import interpret
from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Eqn, Jaxpr, ShapedArray, Var
from compiler.typecheck import JaxprTypeError, check_jaxpr

COMPILER_DIR = Path(interpret.__file__).resolve().parent

# ---- Every primitive has a NumPy meaning, or says why not --------------------------------------


def test_every_primitive_has_an_interpreter_rule_or_a_reason():
    known = set(interpret.impl_rules) | set(interpret.UNSUPPORTED)
    missing = [p.name for p in P.ALL_PRIMITIVES if p not in known]
    assert not missing, f"primitives with neither an impl rule nor an UNSUPPORTED reason: {missing}"


def test_unsupported_entries_are_explained_and_not_also_implemented():
    for prim, reason in interpret.UNSUPPORTED.items():
        assert prim in P.ALL_PRIMITIVES
        assert isinstance(reason, str) and reason.strip(), f"{prim}: give the reason"
        assert prim not in interpret.impl_rules, f"{prim} is both implemented and unsupported"


def test_the_primitive_set_is_well_formed():
    names = [p.name for p in P.ALL_PRIMITIVES]
    assert len(names) == len(set(names)), "two primitives share a name"
    assert all(p in P.shape_rules for p in P.ALL_PRIMITIVES)
    assert set(interpret.impl_rules) <= set(P.ALL_PRIMITIVES), "a rule for an undeclared primitive"


# ---- compiler never imports jaxlite ------------------------------------------------------------


def jaxlite_imports(source: str, module: str) -> list[str]:
    """The imports of jaxlite in `source`, the text of module `module` (e.g. "compiler.cpu.emit")."""
    package = module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names = [".".join(base + ([node.module] if node.module else []))]
            if not node.module:  # `from .. import jaxlite`
                names += [".".join(base + [alias.name]) for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"line {node.lineno}: {n}" for n in names if n == "jaxlite" or n.startswith("jaxlite.")]
    return found


def test_the_import_checker_catches_every_spelling():
    sources = [
        "import jaxlite", "import jaxlite.numpy as jnp", "from jaxlite import core",
        "from jaxlite.lax import add", "from .. import jaxlite", "from ..jaxlite import core",
        "importlib.import_module('jaxlite.core')", "__import__('jaxlite')",
    ]
    for source in sources:
        assert jaxlite_imports(source, "compiler.interpret"), source
    clean = "from . import dtypes\nimport numpy\nfrom .ir import Var"
    assert not jaxlite_imports(clean, "compiler.interpret")


def test_compiler_never_imports_jaxlite():
    files = sorted(COMPILER_DIR.rglob("*.py"))
    assert files
    offenders = []
    for path in files:
        module = ".".join(("compiler",) + path.relative_to(COMPILER_DIR).with_suffix("").parts)
        hits = jaxlite_imports(path.read_text(), module)
        offenders += [f"{path.relative_to(COMPILER_DIR.parent)} {hit}" for hit in hits]
    rule = "compiler must not import jaxlite (jaxlite imports compiler):\n"
    assert not offenders, rule + "\n".join(offenders)


# ---- check_jaxpr ------------------------------------------------------------------------------


def f32(*shape):
    return ShapedArray(shape, np.float32)


def two_equations(second_out=None, second_ins=None):
    """{ a b. c = add a b; d = mul c a; in (d) }, with the second equation's parts replaceable."""
    a, b, c = Var(f32(3)), Var(f32(3)), Var(f32(3))
    d = second_out or Var(f32(3))
    eqns = [Eqn(P.add_p, [a, b], [c], {}), Eqn(P.mul_p, second_ins or [c, a], [d], {})]
    return Jaxpr([], [a, b], [d], eqns)


def test_check_jaxpr_accepts_a_well_typed_jaxpr():
    check_jaxpr(two_equations())
    check_jaxpr(ClosedJaxpr(two_equations(), []))


def assert_names_equation_1(error, primitive, out_type):
    message = str(error.value)
    assert "equation 1" in message
    # The printed equation itself, as the printer writes it: `d:f32[3] = mul c a`.
    assert re.search(rf"`\w+:{re.escape(out_type)} = {primitive} \w+ \w+`", message), message


def test_check_jaxpr_rejects_a_wrongly_declared_output():
    with pytest.raises(JaxprTypeError) as error:
        check_jaxpr(two_equations(second_out=Var(f32(4))))
    assert_names_equation_1(error, "mul", "f32[4]")
    assert "declared f32[4]" in str(error.value) and "gives f32[3]" in str(error.value)


def test_check_jaxpr_rejects_use_before_define():
    never_defined = Var(f32(3))
    with pytest.raises(JaxprTypeError) as error:
        check_jaxpr(two_equations(second_ins=[never_defined, never_defined]))
    assert_names_equation_1(error, "mul", "f32[3]")
    assert "used before it is defined" in str(error.value)


def test_check_jaxpr_rejects_a_wrong_operand_shape():
    a, b, c, d, wide = Var(f32(3)), Var(f32(3)), Var(f32(3)), Var(f32(3)), Var(f32(4))
    jaxpr = Jaxpr([], [a, b, wide], [d], [
        Eqn(P.add_p, [a, b], [c], {}),
        Eqn(P.mul_p, [c, wide], [d], {}),
    ])
    with pytest.raises(JaxprTypeError) as error:
        check_jaxpr(jaxpr)
    assert_names_equation_1(error, "mul", "f32[3]")
    assert "f32[3], f32[4]" in str(error.value)  # the shape rule's own message, with the operands


def test_check_jaxpr_rejects_a_closed_jaxpr_with_missing_consts():
    w, x, y = Var(f32(3)), Var(f32(3)), Var(f32(3))
    jaxpr = Jaxpr([w], [x], [y], [Eqn(P.add_p, [w, x], [y], {})])
    with pytest.raises(JaxprTypeError, match="0 consts for 1 constvars"):
        check_jaxpr(ClosedJaxpr(jaxpr, []))
