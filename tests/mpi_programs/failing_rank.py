"""Run under mpirun: rank 1 fails while the other ranks wait in a collective.

    mpirun -n N python failing_rank.py group|pmap|exit

`group`: rank 1 raises, the others wait in ProcessGroup.allreduce; `pmap`: rank 1 raises, the
others wait in a psum inside pmap (on a device thread); `exit`: rank 1 calls sys.exit(3), which
skips the excepthook. The job must end with an error (the abort paths installed by
`initialize`), not hang.
"""

import sys

import numpy as np

import jaxlite as jax
from jaxlite import lax

jax.distributed.initialize()
group = jax.distributed.process_group()
if group.rank == 1:
    if sys.argv[1] == "exit":
        sys.exit(3)
    raise ValueError("rank 1 fails on purpose")
if sys.argv[1] in ("group", "exit"):
    group.allreduce(np.ones(4, np.float32), "sum")
else:
    jax.pmap(lambda v: lax.psum(v, "i"), axis_name="i")(np.ones((1, 4), np.float32))
print("unreachable: the collective completed without rank 1")
