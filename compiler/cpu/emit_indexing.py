"""Code generation for computed addresses (passes/kernel_indexing.py, kernel_standalone.py).

`load_at` Lets and `StoreAt` statements address a buffer by an int64 SSA value instead of an
Affine expression of the loop variables. The passes clamp every such offset into the buffer
before it gets here, so these are plain in-bounds GEPs.
"""

from __future__ import annotations

from llvmlite import ir

from .. import dtypes
from . import emit_complex
from .types import i8, mem_type


class ComputedAddresses:
    """Mixed into codegen's kernel emitter (which provides b, param, program, values)."""

    def computed_address(self, buf, offset):
        storage = self.param[self.program.storage(buf)]
        dtype = self.program.buffers[buf].dtype
        return self.b.gep(storage, [offset], inbounds=True, source_etype=mem_type(dtype))

    def load_at(self, buf, offset):
        dtype = self.program.buffers[buf].dtype
        if dtype.kind == "c":
            return emit_complex.load(self.b, self.computed_address(buf, offset), dtype)
        v = self.b.load(self.computed_address(buf, offset), typ=mem_type(dtype), align=dtype.itemsize)
        return self.b.icmp_unsigned("!=", v, ir.Constant(i8, 0)) if dtype == dtypes.bool_ else v

    def _StoreAt(self, s):
        dtype = self.program.buffers[s.buf].dtype
        value = self.values[s.src]
        if dtype.kind == "c":
            return emit_complex.store(self.b, value, self.computed_address(s.buf, self.values[s.offset]), dtype)
        if dtype == dtypes.bool_:
            value = self.b.zext(value, i8)
        self.b.store(value, self.computed_address(s.buf, self.values[s.offset]), align=dtype.itemsize)
