"""jaxlite.errors: the exception classes, under JAX's names."""

from .core import (  # noqa: F401
    ConcretizationTypeError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    UnexpectedTracerError,
)
