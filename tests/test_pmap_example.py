"""examples/pmap_mlp.py: data-parallel training reaches the single-device losses on 1, 2 and 4
devices (the same global batches; pmean of per-shard gradients is the global gradient)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from _pmap_util import cpu_devices

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import pmap_mlp  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def four_devices():
    with cpu_devices(4):
        yield


def test_losses_match_single_device_training_on_1_2_4_devices():
    steps = 6
    reference = pmap_mlp.train_single_device(steps=steps)
    assert reference[-1] < reference[0]  # it learns
    for n in (1, 2, 4):
        losses = pmap_mlp.train(n, steps=steps)
        np.testing.assert_allclose(losses, reference, rtol=2e-5, err_msg=f"{n} devices")


def test_mpi_launch_detection(monkeypatch):
    for var in pmap_mlp.MPI_SIZE_VARS:
        monkeypatch.delenv(var, raising=False)
    assert not pmap_mlp.launched_under_mpi()
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    assert pmap_mlp.launched_under_mpi()
