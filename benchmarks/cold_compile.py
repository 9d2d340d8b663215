"""Cold compile time of workloads 4 and 5 (jit issue workload 6) in this process.

Run in a fresh process with an empty cache directory, e.g.
  rm -rf /tmp/c && JAXLITE_CACHE_DIR=/tmp/c python -m benchmarks.cold_compile
Prints, per workload named on the command line (default: both), the first call minus the
median steady call (ms), after a tiny jit has paid LLVM's one-time start-up, and the compile
counters of compiler.runtime.STATS.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from .jit_models import _block_jaxlite, _compile_time, make_fns, make_problem


def main():
    import jaxlite
    from compiler import runtime

    params, xs, ys = make_problem()
    fns = make_fns(jaxlite)
    jaxlite.jit(lambda v: v - 1.0)(np.zeros(3, np.float32))  # one-time LLVM start-up
    out = {}
    for key in sys.argv[1:] or ("train_step", "per_example"):
        first, steady = _compile_time(fns[key], (params, xs, ys), _block_jaxlite)
        out[key] = round((first - steady) * 1e3, 1)
    out["stats"] = {k: v for k, v in runtime.STATS.items() if "compile" in k or "parallel" in k}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
