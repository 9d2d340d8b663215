"""jaxlite: composable function transformations (grad, jit, vmap, pmap) for NumPy programs.

`import jaxlite as jax` runs programs written for JAX's documented surface.
"""

import warnings as _warnings

# NumPy reports floating-point events (log(0), 0/0) as RuntimeWarnings from the frame that called
# the ufunc; JAX reports none. Silence them for our own modules only, never for the user's code.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(compiler|jaxlite)(\.|$)")

from .config import config, disable_jit, enable_x64  # noqa: E402,F401
from . import tree_util  # noqa: E402,F401
from .array import Array, device_get, device_put  # noqa: E402,F401
from .core import (  # noqa: E402,F401
    ConcretizationTypeError, TracerArrayConversionError, TracerBoolConversionError,
    TracerIntegerConversionError, UnexpectedTracerError,
)
from .partial_eval import ShapeDtypeStruct, eval_shape, make_jaxpr  # noqa: E402,F401
from . import lax  # noqa: E402,F401
from . import numpy  # noqa: E402,F401
from . import nn, scipy  # noqa: E402,F401 - jax.nn / jax.scipy without a separate import
from . import errors  # noqa: E402,F401
from .ad_api import (  # noqa: E402,F401
    grad, hessian, jacfwd, jacobian, jacrev, jvp, linearize, value_and_grad, vjp,
)
from .custom_derivatives import custom_jvp, custom_vjp  # noqa: E402,F401
from .checkpoint import checkpoint, checkpoint_policies, remat  # noqa: E402,F401
from .batching import vmap  # noqa: E402,F401
from .jit import jit  # noqa: E402,F401
from . import distributed  # noqa: E402,F401
from .device_list import (  # noqa: E402,F401
    device_count, devices, local_device_count, local_devices, process_count, process_index,
)
from .pmap import device_put_replicated, device_put_sharded, pmap  # noqa: E402,F401
from . import test_util  # noqa: E402,F401
from . import random  # noqa: E402,F401 - also registers the threefry2x32 rules
from . import flatten_util  # noqa: E402,F401
from . import debug  # noqa: E402,F401
from .callbacks import pure_callback  # noqa: E402,F401
from .nan_checks import debug_infs, debug_nans  # noqa: E402,F401
from . import dlpack  # noqa: E402,F401
from . import sharding  # noqa: E402,F401
from . import dtypes  # noqa: E402,F401
from .numpy import float0  # noqa: E402,F401
from .api_extras import (  # noqa: E402,F401
    block_until_ready, copy_to_host_async, default_backend, linear_transpose, named_call,
    named_scope, print_environment_info, process_indices, typeof,
)

__version__ = "0.1.0"
