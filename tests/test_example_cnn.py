"""examples/cnn_digits.py runs end to end (few steps) and learns (in the style of test_examples.py)."""

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "cnn_digits.py"


def test_cnn_digits_learns(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location("example_cnn_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accuracy = module.main(steps=150, progress=False)
    assert "final test accuracy" in capsys.readouterr().out
    assert accuracy > 0.8  # the full 600 steps reach ~0.97
