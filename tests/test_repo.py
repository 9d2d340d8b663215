"""Repository rules: the import direction, file sizes, the README's commands, the demo."""

import ast
import pathlib
import re
import runpy

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAX_LINES = 750  # DESIGN.md: files small enough to read in one sitting


def test_source_files_stay_readable():
    too_long = []
    for path in list((ROOT / "compiler").rglob("*.py")) + list((ROOT / "jaxlite").rglob("*.py")):
        n = len(path.read_text().splitlines())
        if n > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not too_long, f"split these files (cap {MAX_LINES} lines): {too_long}"


def test_compiler_never_imports_jaxlite():
    offenders = []
    for path in (ROOT / "compiler").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n == "jaxlite" or n.startswith("jaxlite.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(python -m pip install .*)$", readme, flags=re.M)
    assert len(commands) == 2, commands
    test_command = [c for c in commands if "pytest" in c]
    assert len(test_command) == 1
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command[0] in ci


def test_demo_trains_the_digits_mlp():
    module = runpy.run_path(str(ROOT / "examples" / "train_mlp.py"))
    accuracy = module["main"](steps=60)
    assert accuracy > 0.8
