"""The picture of a compiled program: one cluster per kernel listing its fused ops, gemm calls and
interpreter callbacks marked, buffers as nodes, arrows for every read and write."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("networkx", reason="the program graph is built with networkx")
pytest.importorskip("matplotlib", reason="the program graph is drawn with matplotlib")

import jaxlite as jax
import jaxlite.numpy as jnp
from compiler.passes.kernels import GemmStep, InterpretStep, KernelStep
from compiler.render_graph import program_graph


def _loss(w, x):
    h = jnp.tanh(x @ w + 1.0)
    jax.debug.callback(lambda v: None, h)  # host callbacks run as interpreter steps
    flat = jnp.reshape(h, (-1,))  # read by a gemm as it is stored: an alias
    return jnp.dot(flat, flat)


@pytest.fixture(scope="module")
def compiled():
    w = np.ones((4, 3), np.float32)
    x = np.ones((5, 4), np.float32)
    return jax.jit(jax.value_and_grad(_loss)).lower(w, x).compile()


def _by_id(svg):
    root = ET.fromstring(svg)
    return {el.get("id"): el for el in root.iter() if el.get("id")}


def _text(el):
    return " ".join(t.strip() for t in el.itertext() if t.strip())


def test_svg_has_one_cluster_per_kernel_with_its_ops(compiled):
    program = compiled.program
    kernels = [s.kernel for s in program.steps if isinstance(s, KernelStep)]
    assert len(kernels) >= 2
    ids = _by_id(compiled.as_svg())
    clusters = {i for i in ids if i.startswith("kernel-") and i.count("-") == 1}
    assert clusters == {f"kernel-{k.name}" for k in kernels}
    for k in kernels:
        assert f"kernel {k.name}" in _text(ids[f"kernel-{k.name}-title"])
        listed = _text(ids[f"kernel-{k.name}-ops"]).split()
        assert listed == (list(k.prims) or ["(copy/fill)"])
        chips = [i for i in ids if i.startswith(f"kernel-{k.name}-op") and i[len(f"kernel-{k.name}-op") :].isdigit()]
        assert chips  # every kernel draws at least one chip, "(copy/fill)" when it fuses nothing


def test_svg_marks_gemm_and_callback_steps(compiled):
    program = compiled.program
    ids = _by_id(compiled.as_svg())
    gemms = [i for i, s in enumerate(program.steps) if isinstance(s, GemmStep)]
    callbacks = [i for i, s in enumerate(program.steps) if isinstance(s, InterpretStep)]
    assert gemms and callbacks
    for i in gemms:
        assert "GEMM" in _text(ids[f"gemm-{i}-title"])
    for i in callbacks:
        title = _text(ids[f"callback-{i}-title"])
        assert "CALLBACK" in title and program.steps[i].eqn.prim.name in title
    assert {i for i in ids if i.startswith(("gemm-", "callback-")) and i.count("-") == 1} == {
        *(f"gemm-{i}" for i in gemms),
        *(f"callback-{i}" for i in callbacks),
    }


def test_svg_shows_every_buffer_with_shape_and_kind(compiled):
    ids = _by_id(compiled.as_svg())
    for b in compiled.program.buffers.values():
        title = _text(ids[f"buffer-b{b.id}-title"])
        assert title.startswith(f"b{b.id} ") and f"[{','.join(map(str, b.shape))}]" in title
        info = _text(ids[f"buffer-b{b.id}-info"])
        assert (f"alias of b{b.base}" if b.kind == "alias" else b.kind) in info


def test_graph_edges_follow_data_flow(compiled):
    program = compiled.program
    g = program_graph(program)
    for i, s in enumerate(program.steps):
        in_place = set(s.buffers_read()) & set(s.buffers_written())  # drawn as writes only
        assert {b for (_, b) in g.predecessors(("step", i))} == set(s.buffers_read()) - in_place
        assert {b for (_, b) in g.successors(("step", i))} == set(s.buffers_written())
    aliases = [b for b in program.buffers.values() if b.kind == "alias"]
    assert aliases
    for b in aliases:
        assert g.edges[("buf", b.base), ("buf", b.id)]["role"] == "alias"


def test_render_png_and_svg_files(compiled, tmp_path):
    png = compiled.render(tmp_path / "program.png")
    data = open(png, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    svg = compiled.render(tmp_path / "program.svg")
    ET.parse(svg)


def test_render_rejects_unknown_extension(compiled, tmp_path):
    with pytest.raises(ValueError, match=r"render: .*\.svg or \.png"):
        compiled.render(tmp_path / "program.pdf")
