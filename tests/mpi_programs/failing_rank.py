"""Run under mpirun: rank 1 raises while the other ranks wait in a collective.

    mpirun -n N python failing_rank.py group|pmap

`group`: the others wait in ProcessGroup.allreduce; `pmap`: they wait in a psum inside pmap
(on a device thread). The job must end with an error (the abort hook installed by
`initialize`), not hang.
"""

import sys

import numpy as np

import jaxlite as jax
from jaxlite import lax

jax.distributed.initialize()
group = jax.distributed.process_group()
if group.rank == 1:
    raise ValueError("rank 1 fails on purpose")
if sys.argv[1] == "group":
    group.allreduce(np.ones(4, np.float32), "sum")
else:
    jax.pmap(lambda v: lax.psum(v, "i"), axis_name="i")(np.ones((1, 4), np.float32))
print("unreachable: the collective completed without rank 1")
