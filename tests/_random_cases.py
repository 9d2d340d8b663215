"""The table of jaxlite.random cases compared with JAX: (expression, exact).

Each expression is evaluated with `R` bound to the random module, `jnp` to its numpy, `k` to
`R.PRNGKey(seed)` and `dt` to the float dtype of the run. `exact` is True for cases that must
match JAX bit for bit in float32 and float64, "x32" for cases that must match bit for bit in
float32 only (their float64 runs are compared to 1e-12), and False for cases still compared to a
few ulp (see docs/status.md). tests/_gen_random_fixtures.py writes JAX's values.
"""

SEEDS = (0, 42, 2**31 - 3)

CASES = [
    ("R.split(k)", True),
    ("R.split(k, 3)", True),
    ("R.split(k, (2, 3))", True),
    ("R.fold_in(k, 7)", True),
    ("R.fold_in(k, 2**31 + 5)", True),
    ("R.fold_in(R.split(k)[1], 123456)", True),
    ("R.bits(k, (5,), jnp.uint32)", True),
    ("R.bits(k, (7,), jnp.uint8)", True),
    ("R.bits(k, (3, 2), jnp.uint16)", True),
    ("R.bits(k)", True),
    ("R.uniform(k, (4, 3), dt)", True),
    ("R.uniform(k, (), dt)", True),
    ("R.uniform(k, (5,), dt, -2.0, 3.5)", True),
    ("R.uniform(k, (2, 3), dt, jnp.array([0.0, 1.0, 2.0], dt), 10.0)", True),
    ("R.bernoulli(k, 0.3, (10,))", True),
    ("R.bernoulli(k, jnp.array([0.1, 0.5, 0.9], dt))", True),
    ("R.randint(k, (10,), 0, 10)", True),
    ("R.randint(k, (4, 2), -100, 37)", True),
    ("R.randint(k, (6,), 0, 256, jnp.uint8)", True),
    ("R.randint(k, (6,), -5, 5, jnp.int16)", True),
    ("R.randint(k, (3,), jnp.array([0, 10, 20]), jnp.array([5, 100, 21]))", True),
    ("R.permutation(k, 10)", True),
    ("R.permutation(k, jnp.arange(12).reshape(4, 3), axis=1)", True),
    ("R.permutation(k, jnp.arange(12).reshape(3, 4), axis=1, independent=True)", True),
    ("R.choice(k, 10, (4,))", True),
    ("R.choice(k, jnp.arange(20) * 2, (5,), replace=False)", True),
    ("R.choice(k, 5, (6,), p=jnp.array([0.1, 0.2, 0.3, 0.2, 0.2], dt))", True),
    ("R.choice(k, 5, (3,), replace=False, p=jnp.array([0.1, 0.2, 0.3, 0.2, 0.2], dt))", True),
    ("R.categorical(k, jnp.array([[0.1, 2.0, -1.0, 0.5], [1.0, 1.0, 1.0, 1.0]], dt))", True),
    ("R.categorical(k, jnp.array([0.1, 2.0, -1.0, 0.5], dt), shape=(3, 5))", True),
    ("R.categorical(k, jnp.array([[0.1, 2.0], [-1.0, 0.5], [0.0, 0.3]], dt), axis=0)", True),
    ("R.categorical(k, jnp.array([0.1, 2.0, -1.0, 0.5, 0.2], dt), shape=(3,), replace=False)",
     True),
    ("R.poisson(k, 3.0, (10,))", True),
    ("R.poisson(k, jnp.array([0.5, 2.0, 5.0, 9.0]), (4,))", True),
    ("R.normal(k, (16,), dt)", True),
    ("R.normal(k, (512,), dt)", True),
    ("R.exponential(k, (512,), dt)", True),
    ("R.gumbel(k, (256,), dt)", True),
    ("R.gamma(k, jnp.array([1.0, 1.5, 4.0, 30.0, 200.0], dt), dtype=dt)", True),
    ("R.truncated_normal(k, -1.5, 2.0, (6,), dt)", True),
    ("R.exponential(k, (16,), dt)", True),
    ("R.laplace(k, (16,), dt)", True),
    ("R.logistic(k, (16,), dt)", True),
    ("R.gumbel(k, (16,), dt)", True),
    ("R.gumbel(k, (8,), dt, mode='high')", True),
    ("R.multivariate_normal(k, jnp.array([1.0, -1.0], dt), "
     "jnp.array([[2.0, 0.5], [0.5, 1.0]], dt), (3,), dt)", True),
    ("R.gamma(k, jnp.array([0.5, 1.0, 2.5, 7.0], dt), dtype=dt)", True),
    ("R.gamma(k, 3.0, (5,), dt)", True),
    ("R.loggamma(k, jnp.array([0.5, 3.0], dt), dtype=dt)", True),
    ("R.beta(k, 2.0, 3.0, (5,), dt)", True),
    ("R.dirichlet(k, jnp.array([1.0, 2.0, 0.5], dt), (2,), dt)", True),
    ("R.dirichlet(k, jnp.array([0.3, 4.0], dt), (4,), dt)", True),
    ("R.dirichlet(k, jnp.array([0.5, 1.0, 2.0, 3.0, 1.5], dt), (2, 3), dt)", True),
    ("R.dirichlet(k, jnp.arange(1, 18, dtype=dt) * 0.5, (3,), dt)", True),
    ("R.gamma(k, jnp.arange(40, dtype=dt) * 0.09 + 0.3, dtype=dt)", True),
    ("R.dirichlet(k, jnp.arange(40, dtype=dt) * 0.09 + 0.3, (3,), dt)", True),
]

# JAX's original (non-partitionable) counter layout: the cases whose bits depend on it
ORIGINAL_LAYOUT_CASES = [
    "R.split(k, 3)",
    "R.split(k, (2, 3))",
    "R.fold_in(k, 7)",
    "R.bits(k, (5,), jnp.uint32)",
    "R.bits(k, (7,), jnp.uint8)",
    "R.bits(k, (3, 2), jnp.uint16)",
    "R.uniform(k, (3, 3), dt)",
    "R.randint(k, (7,), -100, 37)",
    "R.permutation(k, 10)",
]
