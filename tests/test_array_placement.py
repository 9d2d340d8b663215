"""Array placement attributes (device, devices, sharding, shards) and AOT lowering with
ShapeDtypeStruct placeholders."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.sharding import PmapSharding, SingleDeviceSharding


def test_array_lives_on_the_first_device():
    x = jnp.arange(6.0).reshape(2, 3)
    dev = jaxlite.local_devices()[0]
    assert x.device == dev and x.devices() == {dev}
    assert isinstance(x.sharding, SingleDeviceSharding) and x.sharding.device_set == {dev}
    assert "SingleDeviceSharding" in repr(x.sharding)
    assert x.is_fully_replicated and x.is_fully_addressable
    (shard,) = x.addressable_shards
    assert shard.device == dev
    np.testing.assert_array_equal(shard.data, x)
    np.testing.assert_array_equal(x.addressable_data(0), x)
    assert x.copy_to_host_async() is None and x.block_until_ready() is x


def test_pmap_output_is_spread_over_devices():
    n = jaxlite.local_device_count()
    y = jaxlite.pmap(lambda a: a * 2)(jnp.ones((n, 3)))
    devs = jaxlite.local_devices()
    assert isinstance(y.sharding, PmapSharding)
    assert y.devices() == set(devs) == y.sharding.device_set
    assert not y.is_fully_replicated
    assert [s.device for s in y.addressable_shards] == devs
    if n > 1:
        with pytest.raises(ValueError, match="devices"):
            y.device


def test_lower_with_shape_dtype_structs():
    f = jaxlite.jit(lambda x, y: jnp.sin(x) @ y)
    compiled = f.lower(jaxlite.ShapeDtypeStruct((3, 4), jnp.float32),
                       jaxlite.ShapeDtypeStruct((4,), jnp.float32)).compile()
    x = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    y = np.arange(4.0, dtype=np.float32)
    np.testing.assert_allclose(compiled(x, y), np.sin(x) @ y, rtol=1e-5)
    with pytest.raises(TypeError, match="lowered for"):
        compiled(np.ones((2, 4), np.float32), y)


def test_lower_with_float64_placeholder_follows_x64():
    f = jaxlite.jit(lambda x: x * 2)
    lowered = f.lower(jaxlite.ShapeDtypeStruct((2,), np.float64))
    assert lowered.jaxpr.in_avals[0].dtype == np.float32  # x64 off: float64 requests are float32
    np.testing.assert_array_equal(lowered.compile()(np.ones(2, np.float32)), [2.0, 2.0])
