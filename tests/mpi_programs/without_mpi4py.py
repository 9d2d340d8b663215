"""Run under mpirun: an MPI launch on a machine without mpi4py (hidden here) must fail clearly."""

import sys

sys.modules["mpi4py"] = None  # what `import mpi4py` meets when it is not installed

import jaxlite as jax  # noqa: E402

jax.distributed.initialize()
print("unreachable: initialize succeeded without mpi4py")
