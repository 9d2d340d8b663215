"""jaxlite.example_libraries: the small reference libraries JAX ships (optimizers, stax)."""
