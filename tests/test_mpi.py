"""Multi-process runs on MPI: jobs of 2 and 4 processes launched with mpirun in subprocesses.

The launcher and mpi4py come from the `mpi` extra (mpi4py and the MPICH wheel); without them
these tests skip with the reason. Every launch runs under a timeout that kills the whole job, so
a hang fails the test in bounded time instead of stalling the suite.
"""

import functools
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "mpi_programs"
LAUNCH_TIMEOUT_S = 120


def _find_mpiexec():
    """The launcher installed beside this Python (the MPICH wheel's), else the one on PATH."""
    for name in ("mpiexec", "mpirun"):
        beside = pathlib.Path(sysconfig.get_path("scripts")) / name
        if beside.exists():
            return str(beside)
    return shutil.which("mpiexec") or shutil.which("mpirun")


MPIEXEC = _find_mpiexec()
needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
    reason='needs mpi4py and an MPI launcher (mpiexec): pip install "jaxlite[mpi]"',
)


@functools.cache
def _launcher_flags():
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True, timeout=30)
    # Open MPI refuses more processes than cores unless told; MPICH allows it.
    return ["--oversubscribe"] if "Open MPI" in version.stdout + version.stderr else []


def mpirun(n, program, *args, timeout=LAUNCH_TIMEOUT_S, env=None):
    """Run `python program args` as an n-process MPI job; returns (returncode, stdout, stderr).

    Each process has one CPU device unless `env` (added to the environment) says otherwise.
    On timeout the launcher's whole process group is killed and the test fails."""
    pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    inherited = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env = inherited | {"PYTHONPATH": pythonpath, "JAXLITE_NUM_CPU_DEVICES": "1"} | (env or {})
    cmd = [MPIEXEC, *_launcher_flags(), "-n", str(n), sys.executable, str(program), *map(str, args)]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish within {timeout} s\nstdout:\n{out}\nstderr:\n{err}")
    return proc.returncode, out, err


def run_ok(n, program, *args, env=None):
    rc, out, err = mpirun(n, program, *args, env=env)
    assert rc == 0, f"mpirun -n {n} {program.name} exited {rc}\nstdout:\n{out}\nstderr:\n{err}"
    return out


def _load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_program(name):
    return _load_module(f"mpi_program_{name}", PROGRAMS / f"{name}.py")


@needs_mpi
@pytest.mark.parametrize("nprocs", [2, 4])
def test_process_group_collectives_match_numpy(nprocs, tmp_path):
    run_ok(nprocs, PROGRAMS / "collectives.py", tmp_path)
    prog = _load_program("collectives")
    results = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(nprocs)]
    reducers = {"sum": np.add, "max": np.maximum, "min": np.minimum}
    for rank, res in enumerate(results):
        assert int(res["rank"]) == rank and int(res["size"]) == nprocs
        for dtype in prog.DTYPES:
            inputs = np.stack([prog.rank_input(r, dtype, (3, 4)) for r in range(nprocs)])
            for op, ufunc in reducers.items():
                got = res[f"allreduce_{op}_{dtype}"]
                assert got.dtype == np.dtype(dtype) and got.shape == (3, 4), (op, dtype)
                want = ufunc.reduce(inputs, axis=0).astype(dtype)
                np.testing.assert_allclose(
                    got, want, rtol=2e-3 if dtype == "float16" else 1e-6, err_msg=f"{op} {dtype}"
                )
            scalars = np.stack([prog.rank_input(r, dtype, ()) for r in range(nprocs)])
            scalar_sum = res[f"allreduce_scalar_{dtype}"]
            assert scalar_sum.shape == ()
            np.testing.assert_allclose(scalar_sum, np.add.reduce(scalars).astype(dtype), rtol=2e-3)
            np.testing.assert_array_equal(res[f"allgather_{dtype}"], inputs)
            blocks = np.stack([prog.rank_input(r, dtype, (nprocs, 2, 3)) for r in range(nprocs)])
            np.testing.assert_array_equal(res[f"alltoall_{dtype}"], blocks[:, rank])
            for name, perm in prog.perms(nprocs).items():
                sources = [s for s, d in perm if d == rank]
                want = inputs[sources[0]] if sources else np.zeros_like(inputs[0])
                np.testing.assert_array_equal(res[f"sendrecv_{name}_{dtype}"], want, err_msg=f"{name} {dtype}")
        assert res["allgather_empty"].shape == (nprocs, 0, 3)


@needs_mpi
@pytest.mark.parametrize("waiting_in", ["group", "pmap"])
def test_a_rank_that_raises_ends_the_job_with_an_error(waiting_in):
    # Rank 1 raises while the others wait in a collective that can never complete; without the
    # abort hook they would wait forever and the timeout below would fail the test.
    rc, out, err = mpirun(3, PROGRAMS / "failing_rank.py", waiting_in, timeout=60)
    assert rc != 0
    assert "ValueError: rank 1 fails on purpose" in err
    assert "aborting the MPI job" in err
    assert "unreachable" not in out


@needs_mpi
def test_a_rank_that_exits_early_ends_the_job_with_an_error():
    # sys.exit skips the excepthook; rank 1 then waits for its peers in the exit barrier, which
    # they never reach (they wait in an allreduce), and aborts the job after the exit timeout.
    env = {"JAXLITE_MPI_EXIT_TIMEOUT": "2"}
    rc, out, err = mpirun(3, PROGRAMS / "failing_rank.py", "exit", timeout=60, env=env)
    assert rc != 0
    assert "rank 1 waited 2 s to shut down but other ranks did not arrive" in err
    assert "unreachable" not in out


def _run_python(code):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_initialize_without_mpi4py_names_the_install_command():
    proc = _run_python(
        "import sys; sys.modules['mpi4py'] = None\n"
        "import jaxlite.distributed as d\n"
        "try:\n    d.initialize()\n"
        "except ImportError as e:\n    print('ERROR', e)\n"
        "print('initialized', d.is_initialized())\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert 'pip install "jaxlite[mpi]"' in proc.stdout and "mpi4py" in proc.stdout
    assert "initialized False" in proc.stdout


@needs_mpi
def test_an_mpi_launch_without_mpi4py_fails_on_every_rank_with_the_install_command():
    rc, out, err = mpirun(2, PROGRAMS / "without_mpi4py.py", timeout=60)
    assert rc != 0
    assert err.count('install it with pip install "jaxlite[mpi]"') == 2, err
    assert "unreachable" not in out


@needs_mpi
def test_initialize_checks_its_arguments_and_runs_once():
    # A plain `python` process is a one-process MPI job (MPI's singleton start).
    proc = _run_python(
        "import numpy as np, jaxlite.distributed as d\n"
        "for kw in ({'num_processes': 3}, {'process_id': 2}, {'local_device_ids': [0, 0]}, {'coordinator_address': 5}):\n"
        "    try:\n        d.initialize(**kw)\n"
        "    except (ValueError, TypeError) as e:\n        print(type(e).__name__, e)\n"
        "assert not d.is_initialized()\n"
        "d.initialize(coordinator_address='localhost:1234', num_processes=1, process_id=0, local_device_ids=[0])\n"
        "g = d.process_group()\n"
        "print('group', g, g.local_device_ids, d.process_index(), d.process_count())\n"
        "print('allreduce', g.allreduce(np.arange(3.0), 'max').tolist())\n"
        "try:\n    d.initialize()\n"
        "except RuntimeError as e:\n    print('twice:', e)\n"
        "d.shutdown(); print('after shutdown', d.is_initialized(), d.process_count())\n"
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ValueError jaxlite.distributed.initialize: num_processes=3 but the MPI job has 1 processes" in out
    assert "ValueError jaxlite.distributed.initialize: process_id=2 but this process is MPI rank 0 of 1" in out
    assert "ValueError jaxlite.distributed.initialize: local_device_ids must be distinct" in out
    assert "TypeError jaxlite.distributed.initialize: coordinator_address must be" in out
    assert "group ProcessGroup(rank=0, size=1, backend=MPI) (0,) 0 1" in out
    assert "allreduce [0.0, 1.0, 2.0]" in out
    assert "twice: jaxlite.distributed.initialize should only be called once." in out
    assert "after shutdown False 1" in out


@needs_mpi
@pytest.mark.parametrize("nprocs, nlocal", [(2, 1), (4, 1), (2, 2)])
def test_pmap_collectives_and_data_parallel_training_across_processes(nprocs, nlocal, tmp_path):
    import jaxlite
    import jaxlite.numpy as jnp

    run_ok(nprocs, PROGRAMS / "pmap_training.py", tmp_path, env={"JAXLITE_NUM_CPU_DEVICES": str(nlocal)})
    prog = _load_program("pmap_training")
    ndevices = nprocs * nlocal
    shards = np.stack([prog.device_input(d) for d in range(ndevices)])
    blocks = np.stack([prog.device_blocks(d, ndevices) for d in range(ndevices)])
    # The single-process reference: full-batch gradient descent on the global batch.
    params = prog.init_params()
    inputs, targets = prog.global_batch()
    ref_losses = []
    for _ in range(prog.STEPS):
        value, grads = jaxlite.value_and_grad(prog.loss)(params, inputs, targets, jnp)
        params = [(w - prog.LEARNING_RATE * np.asarray(gw), b - prog.LEARNING_RATE * np.asarray(gb))
                  for (w, b), (gw, gb) in zip(params, grads)]  # fmt: skip
        ref_losses.append(float(value))
    for rank in range(nprocs):
        res = dict(np.load(tmp_path / f"rank{rank}.npz"))
        for i in range(nlocal):
            d = rank * nlocal + i  # the global device id
            np.testing.assert_allclose(res["psum"][i], shards.sum(0), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(res["pmean"][i], shards.mean(0), rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(res["pmax"][i], shards.max(0))
            np.testing.assert_array_equal(res["all_gather"][i], shards)
            np.testing.assert_array_equal(res["ppermute"][i], shards[(d - 1) % ndevices])
            assert int(res["axis_index"][i]) == d
            np.testing.assert_array_equal(res["all_to_all"][i], blocks[:, d])
            np.testing.assert_allclose(res["psum_scatter"][i], blocks[:, d].sum(0), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(res["losses"][:, i], ref_losses, rtol=1e-5)
            for k, (w, b) in enumerate(params):
                np.testing.assert_allclose(res[f"w{k}"][i], w, rtol=1e-4, atol=1e-5)
                np.testing.assert_allclose(res[f"b{k}"][i], b, rtol=1e-4, atol=1e-5)


@needs_mpi
def test_pmap_mlp_example_under_mpirun_matches_single_device_training():
    pytest.importorskip("sklearn")  # the example trains on scikit-learn's bundled digits
    steps = 6
    rc, out, err = mpirun(2, ROOT / "examples" / "pmap_mlp.py", "--devices", "1", "--steps", steps)
    assert rc == 0, f"stdout:\n{out}\nstderr:\n{err}"
    assert "(2 devices in 2 process(es)" in out, out
    printed = {int(step): float(value) for step, value in re.findall(r"^step\s+(\d+)\s+loss (\S+)$", out, re.M)}
    assert sorted(printed) == list(range(steps)), out
    example = _load_module("pmap_mlp_example", ROOT / "examples" / "pmap_mlp.py")
    reference = example.train_single_device(steps=steps)
    assert reference[-1] < reference[0]  # it learns
    np.testing.assert_allclose([printed[i] for i in range(steps)], reference, rtol=2e-5, atol=2e-6)
