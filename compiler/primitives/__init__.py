"""THE closed set of primitives, as plain data, each with its shape/dtype rule beside it.

A primitive has a name, a group and whether it returns several results; nothing else. Every
interpretation (NumPy, jvp, transpose, batching, LLVM, CUDA) is a dict keyed by primitive in the
module of that interpretation. `shape_rules[p](*avals, **params)` gives the output aval (or list
of avals when `p.multiple_results`) and raises TypeError naming the primitive on bad input.
The declarations are split by family into the submodules; this package is the one place to
import them from (`from compiler import primitives as P; P.add_p`).
"""

from ._base import *  # noqa: F401,F403
from ._base import ALL_PRIMITIVES, Primitive, by_name, declare, shape_rules  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .elementwise import broadcast_shapes_scalar  # noqa: F401
from .higher_order import *  # noqa: F401,F403
from .structural import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .control import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .callbacks import *  # noqa: F401,F403
from .xla_math import *  # noqa: F401,F403
