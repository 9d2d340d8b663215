"""Run the ```python blocks of a Markdown page, in order, in one namespace, and collect what each
prints. The docs build shows that output under the block; the tests run every page with it.

Markers (HTML comments, invisible in the rendered page):
- `<!-- docs: skip REASON -->` on the line before a fence: that block is shown but not run.
  Use sparingly, with a reason (a block that needs hardware or a network, say).
- `<!-- docs: requires jaxlite.NAME -->` anywhere in a page: the page's blocks run only when
  `jaxlite` has that attribute (a feature being built elsewhere); otherwise they are all skipped,
  with that reason.

Each page runs in a fresh process (`python docs/hooks/codeblocks.py PAGE.md`, printing JSON), so
a page that changes a config flag cannot leak into another page or into the test process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```python\s*$")
_SKIP = re.compile(r"^<!--\s*docs:\s*skip\s+(?P<reason>.+?)\s*-->\s*$")
_REQUIRES = re.compile(r"<!--\s*docs:\s*requires\s+jaxlite\.(?P<name>[\w.]+)\s*-->")


@dataclasses.dataclass
class Block:
    index: int  # position among the page's python blocks
    start: int  # 0-based line of the opening fence
    end: int  # 0-based line of the closing fence
    code: str
    skip_reason: str | None


def find_blocks(markdown: str) -> list[Block]:
    """The top-level ```python fences of a page (indented fences are not code to run)."""
    lines = markdown.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        if _FENCE.match(lines[i]):
            j = i + 1
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            if j == len(lines):
                raise ValueError(f"unclosed ```python fence at line {i + 1}")
            skip = _SKIP.match(lines[i - 1]) if i else None
            code = "\n".join(lines[i + 1 : j]) + "\n"
            blocks.append(Block(len(blocks), i, j, code, skip and skip["reason"]))
            i = j
        i += 1
    return blocks


def page_skip_reason(markdown: str) -> str | None:
    """Why a whole page's blocks are not run in this checkout, or None."""
    match = _REQUIRES.search(markdown)
    if match is None:
        return None
    import jaxlite

    obj = jaxlite
    for part in match["name"].split("."):
        if not hasattr(obj, part):
            return f"jaxlite.{match['name']} is not available in this build"
        obj = getattr(obj, part)
    return None


class BlockError(Exception):
    pass


def run_markdown(markdown: str, filename: str) -> list[str | None]:
    """Execute the page's blocks in order; the printed output of each (None when skipped)."""
    blocks = find_blocks(markdown)
    page_reason = page_skip_reason(markdown) if blocks else None
    namespace: dict = {"__name__": "__docs__"}
    outputs = []
    for block in blocks:
        if page_reason or block.skip_reason:
            outputs.append(None)
            continue
        # Pad with blank lines so tracebacks point at the line in the Markdown file.
        code = compile("\n" * (block.start + 1) + block.code, filename, "exec")
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                exec(code, namespace)
        except Exception as e:
            raise BlockError(
                f"{filename}: python block {block.index + 1} (line {block.start + 1}) raised "
                f"{type(e).__name__}:\n{traceback.format_exc()}"
            ) from e
        outputs.append(buffer.getvalue())
    return outputs


def run_page_in_subprocess(path: pathlib.Path, timeout: float = 600) -> list[str | None]:
    """run_markdown in a fresh interpreter; raises BlockError with the block's traceback."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.run(
        [sys.executable, str(pathlib.Path(__file__).resolve()), str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise BlockError(proc.stderr.strip() or f"{path}: exit status {proc.returncode}")
    return json.loads(proc.stdout)


def with_outputs(markdown: str, outputs: list[str | None], skip_note: str | None) -> str:
    """The page with each block's printed output shown under it, as a text block."""
    lines = markdown.split("\n")
    for block, output in reversed(list(zip(find_blocks(markdown), outputs))):
        if output:
            lines[block.end + 1 : block.end + 1] = ["", "```text", *output.rstrip("\n").split("\n"), "```"]
    text = "\n".join(lines)
    if skip_note:
        text = _REQUIRES.sub(f'!!! note "Not executed in this build"\n    {skip_note}.\n', text, count=1)
    return text


def main(argv: list[str]) -> int:
    path = pathlib.Path(argv[1])
    real_stdout = sys.stdout
    try:
        outputs = run_markdown(path.read_text(), str(path))
    except BlockError as e:
        print(e, file=sys.stderr)
        return 1
    real_stdout.write(json.dumps(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
