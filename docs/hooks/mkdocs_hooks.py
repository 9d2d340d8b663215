"""mkdocs hooks (see mkdocs.yml): run each page's code blocks and show their output, generate the
API reference pages from the modules' public names, regenerate the primitive table, and add the
benchmark plot. Set JAXLITE_DOCS_EXECUTE=0 to build without running the code blocks."""

from __future__ import annotations

import concurrent.futures
import importlib
import importlib.util
import inspect
import os
import pathlib
import sys

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

_HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parents[1]), str(_HERE.parent), str(_HERE)]  # repo root, docs/, hooks/

import api_surface  # noqa: E402
import codeblocks  # noqa: E402
import make_primitive_table  # noqa: E402

ROOT = codeblocks.ROOT
PLOT = ROOT / "benchmarks" / "results" / "jit_ratios.png"
_runs: dict[str, concurrent.futures.Future] = {}
_pool = None


def _execute() -> bool:
    return os.environ.get("JAXLITE_DOCS_EXECUTE", "1") != "0"


def api_page_path(module: str) -> str:
    return f"api/{module}.md"


def on_config(config):
    # The API reference: one page per public module, found by walking the package.
    pages = [{m: api_page_path(m)} for m in api_surface.public_modules()]
    nav = [item for item in config["nav"] if not (isinstance(item, dict) and "API reference" in item)]
    nav.append({"API reference": pages})
    config["nav"] = nav
    return config


def on_files(files, config):
    global _pool
    for module in api_surface.public_modules():
        files.append(File.generated(config, api_page_path(module), content=render_api_page(module)))
    if PLOT.exists():
        files.append(File.generated(config, "jit_ratios.png", abs_src_path=str(PLOT)))
    if _execute():
        # Start every page's code in its own process now; on_page_markdown waits for its page.
        _pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
        for f in files.documentation_pages():
            if f.abs_src_path and codeblocks.find_blocks(pathlib.Path(f.abs_src_path).read_text()):
                _runs[f.src_uri] = _pool.submit(codeblocks.run_page_in_subprocess, pathlib.Path(f.abs_src_path))
    return files


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    if uri == "primitives.md":
        return make_primitive_table.render()
    if uri == "jit_benchmarks.md" and PLOT.exists():
        markdown += "\n\n## Plot\n\n![jaxlite / JAX time per workload](jit_ratios.png)\n"
    if uri in _runs:
        skip = codeblocks.page_skip_reason(markdown)
        try:
            outputs = _runs.pop(uri).result()
        except codeblocks.BlockError as e:
            raise PluginError(f"a code block in docs/{uri} failed:\n{e}") from None
        return codeblocks.with_outputs(markdown, outputs, skip)
    return markdown


def on_post_build(config):
    if _pool is not None:
        _pool.shutdown()


def _describe(module_name: str, obj: object) -> str:
    if isinstance(obj, tuple) and module_name.endswith("stax"):
        return "a stax layer: the pair `(init_fun, apply_fun)`"
    if isinstance(obj, type) or callable(obj):
        owner = getattr(obj, "__module__", "") or ""
        return f"`{owner}.{getattr(obj, '__qualname__', type(obj).__name__)}`, re-exported unchanged"
    return f"the constant `{obj!r}`"


def _griffe_finds(module_name: str, name: str, obj: object) -> bool:
    """Whether mkdocstrings can find `obj` by its import path: not for functions made by a factory
    (`binary.<locals>.op`), nor for names that a submodule of the same name hides (jaxlite.jit)."""
    qualname = getattr(obj, "__qualname__", "")
    if "<locals>" in qualname or not qualname:
        return False
    if importlib.util.find_spec(f"{module_name}.{name}") if hasattr(sys.modules[module_name], "__path__") else None:
        return False
    return (getattr(obj, "__module__", "") or "").startswith("jaxlite")


def _render_by_hand(module_name: str, name: str, obj: object) -> list[str]:
    try:
        signature = f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        signature = name
    doc = inspect.getdoc(obj) or ""
    return [
        f"## `{name}` {{ #{module_name}.{name} }}",
        "",
        "```python",
        signature,
        "```",
        "",
        doc,
        "",
    ]


def render_api_page(module_name: str) -> str:
    """Markdown for one module: mkdocstrings renders what is written here; constants and objects
    taken from NumPy are listed with what they are. Every public name gets an anchor
    `id="module.name"`, which the tests look for."""
    module = importlib.import_module(module_name)
    names = api_surface.public_names(module)
    here = [n for n in names if api_surface.is_documented_here(module_name, getattr(module, n))]
    by_griffe = [n for n in here if _griffe_finds(module_name, n, getattr(module, n))]
    by_hand = [n for n in here if n not in by_griffe]
    other = [n for n in names if n not in here]
    lines = [f"# `{module_name}`", ""]
    doc = (module.__doc__ or "").strip()
    if doc:
        lines += [doc, ""]
    if here:
        lines += [
            f"::: {module_name}",
            "    options:",
            "      show_root_heading: false",
            "      show_root_toc_entry: false",
            "      show_submodules: false",
            "      members:",
            *[f"        - {n}" for n in by_griffe],
            "",
        ]
    for n in by_hand:
        lines += _render_by_hand(module_name, n, getattr(module, n))
    if other:
        lines += ["## Constants and re-exported objects", "", "| name | what it is |", "| --- | --- |"]
        for n in other:
            anchor = f'<a id="{module_name}.{n}"></a>'
            lines.append(f"| {anchor}`{n}` | {_describe(module_name, getattr(module, n))} |")
        lines.append("")
    if not names:
        lines += ["This module holds namespaces only; see its submodules in the navigation.", ""]
    return "\n".join(lines)
