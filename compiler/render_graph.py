"""Draw a fused Program (compiler/passes/kernels.py) as a data-flow graph, in SVG or PNG.

People ask "why did this not fuse?" by looking, so the picture shows what `report()` lists:
one box per step (a loop kernel is a cluster listing the operations fused into it; a BLAS gemm
call and an interpreter callback are marked in their own colours), one node per buffer (input,
output, temporary or alias, with its dtype and shape), and an arrow for each read and write.

Why networkx + matplotlib and not graphviz: graphviz needs the `dot` binary, a system package a
fresh machine lacks; networkx and matplotlib are pip-installable (matplotlib writes SVG and PNG
itself). networkx holds the graph (`program_graph` returns it, for users' own tooling) and gives
the topological order; the layered layout below is short enough to write here: a node's row is
its longest path from an input, and each row is ordered by the mean position of its
predecessors (the barycentre heuristic), which keeps most arrows short and uncrossed.

SVG element ids name what they draw, so tools (and tests) can find them: `kernel-<name>` (the
cluster box), `kernel-<name>-ops` (its op list), `gemm-<step>`, `callback-<step>`, `buffer-b<id>`.
"""

from __future__ import annotations

import io

import numpy as np

from . import dtypes
from .passes.control_steps import CONTROL_STEPS, CopyStep
from .passes.kernels import GemmStep, InterpretStep, KernelStep

FONT = 7.0  # points; the drawing's unit is the point, so sizes below are in points too
CHAR_W = 0.66 * FONT  # monospace advance
LINE_H = 1.35 * FONT
PAD = 5.0
ROW_GAP = 26.0
COL_GAP = 14.0
OPS_PER_LINE = 4

STYLE = {  # kind -> (face, edge)
    "input": ("#d8f0d2", "#3b7d2c"),
    "output": ("#d6e4f5", "#2a5d9f"),
    "temp": ("#f2f2f2", "#808080"),
    "alias": ("#ffffff", "#808080"),
    "slice": ("#ffffff", "#00796b"),  # one iteration's slice of a loop's stacked input or output
    "kernel": ("#fff4d6", "#b38600"),
    "op": ("#ffe8a3", "#b38600"),
    "gemm": ("#e8dcf5", "#6a3d9a"),
    "callback": ("#fbd5d5", "#c62828"),
    "control": ("#d9f2f2", "#00796b"),
}


def _require(module):
    try:
        return __import__(module)
    except ImportError as e:
        raise ImportError(
            f"rendering a compiled program needs {module} (pip install matplotlib networkx, "
            "or the `viz` extra of jaxlite)"
        ) from e


def _shape(buf):
    return f"{dtypes.short_name(buf.dtype)}[{','.join(map(str, buf.shape))}]"


def _op_lines(prims):
    """The fused ops in program order, a run of one op shown once with its count."""
    runs = []
    for p in prims:
        if runs and runs[-1][0] == p:
            runs[-1][1] += 1
        else:
            runs.append([p, 1])
    chips = [p if n == 1 else f"{p} x{n}" for p, n in runs] or ["(copy/fill)"]
    return [chips[i : i + OPS_PER_LINE] for i in range(0, len(chips), OPS_PER_LINE)]


def program_graph(program):
    """The program as a networkx DiGraph: nodes ("buf", id) and ("step", index) with a `kind`
    ('input' | 'output' | 'temp' | 'alias' | 'kernel' | 'gemm' | 'callback'), a `title`, text
    `lines` and, for kernels, `ops`; edges buffer -> step (read), step -> buffer (write) and
    base -> alias."""
    nx = _require("networkx")
    g = nx.DiGraph()
    for b in program.buffers.values():
        where = {"input": f"input {b.index}", "output": f"output {b.index}", "temp": "temp"}.get(b.kind, b.kind)
        if b.kind == "alias":
            where = f"alias of b{b.base}"
        g.add_node(("buf", b.id), kind=b.kind, title=f"b{b.id} {_shape(b)}", lines=[where], gid=f"buffer-b{b.id}")
    for i, s in enumerate(program.steps):
        node = ("step", i)
        if isinstance(s, KernelStep):
            k = s.kernel
            g.add_node(
                node,
                kind="kernel",
                title=f"kernel {k.name} over [{','.join(map(str, k.domain))}]",
                ops=list(k.prims),
                lines=[],
                gid=f"kernel-{k.name}",
            )
        elif isinstance(s, GemmStep):
            letter = "s" if s.dtype == dtypes.float32 else "d"
            ta, tb = ("^T" if s.trans_a else ""), ("^T" if s.trans_b else "")
            g.add_node(
                node,
                kind="gemm",
                title=f"GEMM {letter}gemm b{s.c} = b{s.a}{ta} @ b{s.b}{tb}",
                lines=[f"batch={s.batch} m={s.m} n={s.n} k={s.k}"],
                gid=f"gemm-{i}",
            )
        elif isinstance(s, InterpretStep):
            reason = s.reason if len(s.reason) <= 48 else s.reason[:45] + "..."
            g.add_node(
                node,
                kind="callback",
                title=f"CALLBACK {s.eqn.prim.name} (NumPy interpreter)",
                lines=[reason],
                gid=f"callback-{i}",
            )
        elif isinstance(s, CONTROL_STEPS + (CopyStep,)):
            # A native loop or branch is one box: its nested steps are listed, not drawn.
            inner = []
            s.render(inner)
            g.add_node(node, kind="control", title=inner[0].rstrip(":"), lines=inner[1:8], gid=f"control-{i}")
        elif hasattr(s, "report_line"):  # a library call or native sort (lapack_steps, sort_step)
            g.add_node(node, kind="gemm", title=s.report_line(i).split(": ", 1)[1], lines=[], gid=f"call-{i}")
        else:
            raise TypeError(f"program_graph: unknown step type {type(s).__name__} at step {i}")
        written = set(s.buffers_written())
        for b in s.buffers_read():
            if b not in written:  # an in-place update (scatter, a loop's state) is drawn as a write
                g.add_edge(("buf", b), node, role="read")
        for b in s.buffers_written():
            g.add_edge(node, ("buf", b), role="write")
    for b in program.buffers.values():
        if b.kind == "alias":
            g.add_edge(("buf", b.base), ("buf", b.id), role="alias")
    return g


def _size(data):
    """Width and height of a node's box, in points."""
    text = [data["title"], *data["lines"]]
    width = max(len(t) for t in text) * CHAR_W + 2 * PAD
    height = len(text) * LINE_H + 2 * PAD
    if data["kind"] == "kernel":
        lines = _op_lines(data["ops"])
        chips = max(sum((len(c) + 2) * CHAR_W + 4 for c in line) for line in lines)
        width = max(width, chips + 3 * PAD)
        height += len(lines) * (LINE_H + 2) + PAD
    return width, height


def layout(g):
    """Positions {node: (x_center, y_top)} in points, y growing downwards, and box sizes."""
    nx = _require("networkx")
    rank = {}
    for node in nx.topological_sort(g):
        rank[node] = max((rank[p] + 1 for p in g.predecessors(node)), default=0)
    rows = {}
    for node in sorted(g.nodes, key=lambda n: (n[0] != "buf", n[1])):
        rows.setdefault(rank[node], []).append(node)
    sizes = {n: _size(g.nodes[n]) for n in g.nodes}
    pos = {}
    y = 0.0
    for r in sorted(rows):
        row = rows[r]
        if r > 0:  # barycentre: order by where the predecessors sit
            row.sort(key=lambda n: np.mean([pos[p][0] for p in g.predecessors(n)] or [0.0]))
        total = sum(sizes[n][0] for n in row) + COL_GAP * (len(row) - 1)
        x = -total / 2
        for n in row:
            pos[n] = (x + sizes[n][0] / 2, y)
            x += sizes[n][0] + COL_GAP
        y += max(sizes[n][1] for n in row) + ROW_GAP
    return pos, sizes


def _figure(program, title):
    _require("matplotlib")
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    g = program_graph(program)
    pos, sizes = layout(g)
    xs = [pos[n][0] + s * sizes[n][0] / 2 for n in g.nodes for s in (-1, 1)]
    ys = [pos[n][1] + sizes[n][1] for n in g.nodes]
    left, right = min(xs) - 10, max(xs) + 10
    head = 2.5 * LINE_H
    top, bottom = -head, max(ys) + 10
    fig = Figure(figsize=((right - left) / 72, (bottom - top) / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)  # y grows downwards, as in the layout
    ax.set_axis_off()
    text_kw = {"fontsize": FONT, "family": "monospace", "va": "top", "zorder": 3}
    ax.text(left + 6, top + 4, title, fontweight="bold", gid="program-summary", **text_kw)

    def box(x0, y0, w, h, kind, gid, **kw):
        face, edge = STYLE[kind]
        ax.add_patch(
            FancyBboxPatch(
                (x0, y0), w, h, boxstyle="round,pad=0,rounding_size=3", fc=face, ec=edge, gid=gid, zorder=2, **kw
            )
        )

    for n, data in g.nodes(data=True):
        (cx, y0), (w, h) = pos[n], sizes[n]
        x0, kind = cx - w / 2, data["kind"]
        style = {"ls": "--"} if kind == "alias" else {}
        box(x0, y0, w, h, kind, data["gid"], lw=1.6 if kind in ("gemm", "callback") else 1.0, **style)
        weight = "normal" if n[0] == "buf" else "bold"
        ax.text(x0 + PAD, y0 + PAD, data["title"], fontweight=weight, gid=data["gid"] + "-title", **text_kw)
        if data["lines"]:
            ax.text(x0 + PAD, y0 + PAD + LINE_H, "\n".join(data["lines"]), gid=data["gid"] + "-info", **text_kw)
        if kind == "kernel":  # one chip per fused op, inside the cluster box
            yy = y0 + PAD + LINE_H + 2
            for i, chips in enumerate(_op_lines(data["ops"])):
                xx = x0 + 2 * PAD
                for j, chip in enumerate(chips):
                    cw = len(chip) * CHAR_W + 4
                    box(xx, yy, cw, LINE_H, "op", f"{data['gid']}-op{i * OPS_PER_LINE + j}", lw=0.6)
                    ax.text(xx + 2, yy + 1.5, chip, **text_kw)
                    xx += cw + 2 * CHAR_W
                yy += LINE_H + 2
            # the op names again as one text element, for search in the SVG
            ax.text(x0, y0, " ".join(data["ops"]) or "(copy/fill)", alpha=0.0, gid=data["gid"] + "-ops", **text_kw)
    for a, b, role in g.edges(data="role"):
        (ax_, ay), (bx, by) = pos[a], pos[b]
        start, end = (ax_, ay + sizes[a][1]), (bx, by)
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=7,
                lw=0.7,
                color="#2a5d9f" if role == "write" else "#555555",
                ls="--" if role == "alias" else "-",
                shrinkA=0,
                shrinkB=0,
                connectionstyle="arc3,rad=0.0" if abs(ax_ - bx) < 1 else "arc3,rad=0.08",
                zorder=1,  # under the boxes: a long edge passes behind the nodes it skips
            )
        )
    return fig


def _summary(program):
    return (
        f"{program.count('kernel')} kernel(s), {program.count('gemm')} gemm call(s), "
        f"{program.count('interpret')} interpreter callback(s); temporaries {program.arena_bytes} bytes"
    )


def program_svg(program, title=None) -> str:
    """The picture as SVG text (text kept as text, so it can be searched)."""
    matplotlib = _require("matplotlib")
    fig = _figure(program, title or _summary(program))
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "jaxlite"}):
        fig.savefig(out, format="svg")
    return out.getvalue()


def render_program(program, path, title=None, dpi=110):
    """Write the picture to `path`; the format follows the extension (.svg or .png)."""
    path = str(path)
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if ext not in ("svg", "png"):
        raise ValueError(f"render: path {path!r} must end in .svg or .png (the format follows the extension)")
    if ext == "svg":
        with open(path, "w", encoding="utf-8") as f:
            f.write(program_svg(program, title))
        return path
    fig = _figure(program, title or _summary(program))
    fig.savefig(path, format="png", dpi=dpi)
    return path


__all__ = ["layout", "program_graph", "program_svg", "render_program"]
