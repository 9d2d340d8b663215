"""Run under mpirun: rank 1 raises while the other ranks wait in a collective.

The job must end with an error (the abort hook installed by `initialize`), not hang.
"""

import numpy as np

import jaxlite.distributed as distributed

distributed.initialize()
group = distributed.process_group()
if group.rank == 1:
    raise ValueError("rank 1 fails on purpose")
group.allreduce(np.ones(4, np.float32), "sum")
print("unreachable: the allreduce completed without rank 1")
