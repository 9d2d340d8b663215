"""The documentation: every ```python block in docs/*.md runs, the site builds with warnings as
errors, and the API reference has an entry for every public name of every public module."""

import importlib
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "hooks"))

import api_surface  # noqa: E402
import codeblocks  # noqa: E402

PAGES = sorted(p for p in DOCS.glob("*.md") if codeblocks.find_blocks(p.read_text()))


def test_the_tutorials_have_code_to_run():
    names = {p.stem for p in PAGES}
    for page in ["quickstart", "grad", "vmap", "jit", "pmap", "control_flow", "random", "how_it_works"]:
        assert page in names, f"docs/{page}.md has no ```python block"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_code_blocks_run(page):
    markdown = page.read_text()
    blocks = codeblocks.find_blocks(markdown)
    for block in blocks:
        assert block.skip_reason is None or len(block.skip_reason) > 10, f"{page.name}: skip without a reason"
    assert sum(b.skip_reason is not None for b in blocks) <= 1, f"{page.name}: skip markers are for rare cases"
    outputs = codeblocks.run_page_in_subprocess(page)  # raises BlockError naming the block and line
    assert len(outputs) == len(blocks)
    if codeblocks.page_skip_reason(markdown) is None:
        assert any(outputs), f"{page.name}: no block prints anything, so the page shows no results"


def test_outputs_are_shown_under_their_blocks():
    markdown = "# t\n\n```python\nx = 2\nprint(x * 21)\n```\n\ntext\n\n```python\ny = x\n```\n"
    outputs = codeblocks.run_markdown(markdown, "t.md")
    assert outputs == ["42\n", ""]
    shown = codeblocks.with_outputs(markdown, outputs, None)
    assert shown == "# t\n\n```python\nx = 2\nprint(x * 21)\n```\n\n```text\n42\n```\n\ntext\n\n```python\ny = x\n```\n"


def test_a_failing_block_names_its_page_and_line():
    markdown = "# t\n\n```python\nx = 1\n```\n\n```python\n\n1 / 0\n```\n"
    with pytest.raises(codeblocks.BlockError, match=r"t.md: python block 2 \(line 7\)") as info:
        codeblocks.run_markdown(markdown, "t.md")
    assert 't.md", line 9' in str(info.value)


def test_skip_markers():
    markdown = "<!-- docs: skip needs a GPU to run -->\n```python\n1 / 0\n```\n"
    assert codeblocks.run_markdown(markdown, "t.md") == [None]
    page = "<!-- docs: requires jaxlite.no_such_feature -->\n\n```python\n1 / 0\n```\n"
    assert codeblocks.run_markdown(page, "t.md") == [None]
    assert "no_such_feature is not available" in codeblocks.with_outputs(
        page, [None], codeblocks.page_skip_reason(page)
    )


def test_public_modules_are_found():
    modules = api_surface.public_modules()
    for name in ["jaxlite", "jaxlite.numpy", "jaxlite.lax", "jaxlite.random", "jaxlite.tree_util", "jaxlite.nn"]:
        assert name in modules
    assert "jaxlite.core" not in modules and "jaxlite.numpy.ufuncs" not in modules
    assert "grad" in api_surface.public_names(importlib.import_module("jaxlite"))
    assert "sin" in api_surface.public_names(importlib.import_module("jaxlite.numpy"))


def test_public_functions_and_classes_have_docstrings():
    import inspect

    missing = []
    for module_name, names in api_surface.surface().items():
        module = importlib.import_module(module_name)
        for n in names:
            obj = getattr(module, n)
            if api_surface.is_documented_here(module_name, obj) and not inspect.getdoc(obj):
                missing.append(f"{module_name}.{n}")
    missing = sorted(set(missing))
    assert not missing, f"public names without a docstring (the API reference shows it; add one line): {missing}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for package in ("mkdocs", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(package.split(".")[0]) is None:
            pytest.skip(f"{package.split('.')[0]} is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAXLITE_DOCS_EXECUTE="0")  # test_code_blocks_run runs them
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def test_docs_build_strict(site):
    assert (site / "index.html").exists()
    for page in ["quickstart", "grad", "vmap", "jit", "pmap", "control_flow", "random", "how_it_works", "differences"]:
        assert (site / page / "index.html").exists(), f"{page}.md was not built"
    if (ROOT / "benchmarks" / "results" / "jit_ratios.png").exists():
        assert (site / "jit_ratios.png").exists()
        assert 'src="../jit_ratios.png"' in (site / "jit_benchmarks" / "index.html").read_text()


def test_api_reference_covers_every_public_name(site):
    missing = []
    for module, names in api_surface.surface().items():
        page = site / "api" / module / "index.html"
        assert page.exists(), f"no API page for {module}"
        ids = set(re.findall(r'id="([^"]+)"', page.read_text()))
        missing += [f"{module}.{n}" for n in names if f"{module}.{n}" not in ids]
    assert not missing, f"{len(missing)} public names have no entry in the API reference: {missing[:20]}"


def test_primitive_table_is_generated(site):
    from compiler import primitives as P

    html = (site / "primitives" / "index.html").read_text()
    for prim in P.ALL_PRIMITIVES:
        assert f"<td>{prim.name}</td>" in html
