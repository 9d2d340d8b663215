"""The CPU back end: kernels.Program -> one LLVM module (llvmlite IRBuilder) -> native code."""
