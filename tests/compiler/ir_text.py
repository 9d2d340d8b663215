"""Reading LLVM IR text in tests."""

import re


def function_attributes(ir_text, name):
    """The attribute words of function `name` in LLVM IR text (inline and attribute groups)."""
    m = re.search(rf"^define [^\n]*@\"?{re.escape(name)}\"?\(.*$", ir_text, re.M)
    assert m, f"no function {name} in the IR"
    tail = m.group(0).split(")")[-1]
    words = tail.split()
    for group in re.findall(r"#(\d+)", tail):
        g = re.search(rf"^attributes #{group} = {{(.*)}}", ir_text, re.M)
        words += g.group(1).split() if g else []
    return words


def entry_names(ir_text):
    """The compiled programs' entry points defined in the text (not their _direct wrappers)."""
    return re.findall(r"^define [^\n]*@(jaxlite_[0-9a-f]+)\(", ir_text, re.M)
