"""Pytree utilities: a stdlib-only version of the commonly used parts of
``jax.tree_util``, with JAX's behaviour.

A pytree is a nest of container nodes (tuple, list, dict, None, namedtuple,
OrderedDict, defaultdict and registered custom types); everything else is a
leaf.  ``PyTreeDef`` records the container skeleton so that leaves can be
taken out and put back.

Internally a treedef is a nested tuple: ``None`` marks a leaf and
``(node_type, aux_data, children)`` a container.  Plain tuples make ``==`` and
``hash`` run in C, so treedefs are cheap cache keys.
"""

import functools

__all__ = [
    "PyTreeDef", "tree_flatten", "tree_unflatten", "tree_leaves",
    "tree_structure", "tree_map", "tree_transpose", "tree_reduce", "tree_all",
    "treedef_is_leaf", "treedef_children", "treedef_tuple", "all_leaves",
    "register_pytree_node", "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_dataclass", "Partial",
    "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path",
    "keystr", "SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey",
    "broadcast_prefix", "flatten_prefix",
]

from ._pytree_nodes import (  # noqa: F401 - the registration API is public here
    _NAMEDTUPLE,
    _NONE_NODE,
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    SequenceKey,
    _handler_for,
    _NoneType,
    _registry,
    _sorted_keys,
    keystr,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
)

# --- Core walks ---

def _walk(x, is_leaf, leaves):
    """Append the leaves of ``x`` to ``leaves`` and return its node."""
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return None
    t = type(x)
    # Builtin containers first: they cannot be re-registered.
    if t is tuple or t is list:
        src, aux = x, None
    elif t is dict:
        aux = _sorted_keys(x)
        src = [x[k] for k in aux]
    elif x is None:
        return _NONE_NODE
    else:
        h = _handler_for(t)
        if h is None:
            leaves.append(x)
            return None
        src, aux = h.flatten(x)
    kids = []
    for c in src:
        ct = type(c)
        # Without is_leaf, an unregistered non-tuple type is surely a leaf:
        # handling it here saves a call per leaf, the bulk of the cost.
        if is_leaf is None and ct not in _registry and not issubclass(ct, tuple):
            leaves.append(c)
            kids.append(None)
        else:
            kids.append(_walk(c, is_leaf, leaves))
    return (t, aux, tuple(kids))


def _walk_keyed(x, path, is_leaf, takes_path, out):
    """Like ``_walk`` but appends ``(key_path, leaf)`` pairs."""
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        out.append((path, x))
        return None
    t = type(x)
    h = _handler_for(t)
    if h is None:
        out.append((path, x))
        return None
    pairs, aux = h.keyed(x)
    return (t, aux, tuple([_walk_keyed(c, path + (k,), is_leaf, takes_path,
                                       out) for k, c in pairs]))


def _build(node, it):
    """Rebuild a tree from ``node``, drawing leaves from iterator ``it``."""
    t, aux, kids = node
    children = [next(it) if k is None else _build(k, it) for k in kids]
    if t is tuple:
        return tuple(children)
    if t is list:
        return children
    if t is dict:
        return dict(zip(aux, children))
    h = _handler_for(t)
    if h is _NAMEDTUPLE:
        return t(*children)
    return h.unflatten(aux, tuple(children))


def _count(node):
    """(number of leaves, number of nodes) below ``node``."""
    if node is None:
        return 1, 1
    leaves, nodes = 0, 1
    for k in node[2]:
        a, b = _count(k)
        leaves, nodes = leaves + a, nodes + b
    return leaves, nodes


def _aux_equal(a, b):
    # Aux data may hold objects whose == is not a plain bool (arrays).
    try:
        return bool(a == b)
    except Exception:
        return a is b


class _Mismatch(Exception):
    """Internal: a structural difference found by ``_up_to``.  ``frames``
    collects (node_type, subtree, child_index) while unwinding, so that key
    paths are computed only when there is an error to report."""

    def __init__(self, kind, t, x, expected=None, got=None):
        super().__init__(kind)
        self.kind, self.t, self.x = kind, t, x
        self.expected, self.got = expected, got
        self.frames = []

    def explain(self, prefix_name, full_name):
        path = tuple(_handler_for(t).keyed(x)[0][i][0]
                     for t, x, i in reversed(self.frames))
        msg = (f"pytree structure error: {self.kind} at key path\n"
               f"    {keystr(path) or '(root)'}\nAt that key path, "
               f"{prefix_name} has a subtree of type")
        if self.kind == "different types":
            return (f"{msg}\n    {self.t}\nbut {full_name} has a subtree of "
                    f"different type\n    {type(self.x)}.")
        if self.kind.startswith("different lengths"):
            return (f"{msg} {self.t.__name__} with {self.expected} children, "
                    f"but {full_name} has one with {self.got}.")
        return (f"{msg}\n    {self.t}\nwith metadata\n    {self.expected!r}\n"
                f"but {full_name} has a subtree of the same type with "
                f"metadata\n    {self.got!r}.")


def _up_to(node, x, out):
    """Append to ``out`` the subtrees of ``x`` at the leaf positions of
    ``node``; raise ``_Mismatch`` if ``node`` is not a prefix of ``x``."""
    t, aux, kids = node
    if type(x) is not t:
        raise _Mismatch("different types", t, x)
    if t is tuple or t is list:
        children, xaux = x, None
    else:
        children, xaux = _handler_for(t).flatten(x)
        children = list(children)
    if not _aux_equal(aux, xaux):
        raise _Mismatch("different pytree metadata", t, x, aux, xaux)
    if len(children) != len(kids):
        raise _Mismatch(f"different lengths of {t.__name__}", t, x,
                        len(kids), len(children))
    for i, k in enumerate(kids):
        if k is None:
            out.append(children[i])
            continue
        try:
            _up_to(k, children[i], out)
        except _Mismatch as m:
            m.frames.append((t, x, i))
            raise


def _flatten_up_to(node, x):
    out = []
    if node is None:
        out.append(x)
    else:
        _up_to(node, x, out)
    return out


def _structure_str(tree):
    try:
        return repr(tree_structure(tree))
    except Exception as e:  # e.g. unsortable dict keys
        return f"<unavailable: {e}>"


# --- PyTreeDef ---

def _node_str(node):
    if node is None:
        return "*"
    t, aux, kids = node
    parts = [_node_str(k) for k in kids]
    if t is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if t is list:
        return "[" + ", ".join(parts) + "]"
    if t is dict:
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(aux, parts)) + "}"
    if t is _NoneType:
        return "None"
    if _handler_for(t) is _NAMEDTUPLE:
        return f"CustomNode(namedtuple[{t.__name__}], [{', '.join(parts)}])"
    return f"CustomNode({t.__name__}[{aux}], [{', '.join(parts)}])"


class PyTreeDef:
    """The container structure of a pytree with the leaves taken out.
    Hashable and comparable, so it can serve as a cache key."""
    __slots__ = ("_node", "_num_leaves")

    def __init__(self, node, num_leaves=None):
        self._node = node
        self._num_leaves = num_leaves

    @property
    def num_leaves(self):
        if self._num_leaves is None:
            self._num_leaves = _count(self._node)[0]
        return self._num_leaves

    @property
    def num_nodes(self):
        return _count(self._node)[1]

    def children(self):
        """Treedefs of the immediate children (none for a leaf)."""
        return [] if self._node is None else [PyTreeDef(k) for k in self._node[2]]

    def unflatten(self, leaves):
        """Build a tree of this structure from an iterable of leaves."""
        leaves = list(leaves)
        n = self.num_leaves
        if len(leaves) != n:
            which = "few" if len(leaves) < n else "many"
            raise ValueError(f"Too {which} leaves for PyTreeDef; expected {n},"
                             f" got {len(leaves)}.")
        if self._node is None:
            return leaves[0]
        return _build(self._node, iter(leaves))

    def flatten_up_to(self, tree):
        """The subtrees of ``tree`` at this treedef's leaf positions; a
        ValueError if this treedef is not a prefix of ``tree``'s structure."""
        try:
            return _flatten_up_to(self._node, tree)
        except _Mismatch as m:
            raise ValueError(f"{m.explain('the treedef', 'the tree')}\n"
                             f"Treedef: {self!r}\nTree structure: "
                             f"{_structure_str(tree)}") from None

    def compose(self, inner):
        """The treedef with ``inner`` substituted at every leaf of self."""
        def sub(node):
            if node is None:
                return inner._node
            return node[:2] + (tuple(map(sub, node[2])),)
        return PyTreeDef(sub(self._node), self.num_leaves * inner.num_leaves)

    def __eq__(self, other):
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return self._node == other._node

    def __hash__(self):
        return hash(self._node)

    def __repr__(self):
        return f"PyTreeDef({_node_str(self._node)})"


# --- Public functions ---

def tree_flatten(tree, is_leaf=None):
    """Return ``(leaves, treedef)``.  ``is_leaf(x)`` returning True stops the
    descent at ``x``; it is asked about every subtree, the root included."""
    leaves = []
    node = _walk(tree, is_leaf, leaves)
    return leaves, PyTreeDef(node, len(leaves))


def tree_unflatten(treedef, leaves):
    """Rebuild the pytree of structure `treedef` from `leaves`."""
    return treedef.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
    """The leaves of `tree`, in flattening order."""
    leaves = []
    _walk(tree, is_leaf, leaves)
    return leaves


def tree_structure(tree, is_leaf=None):
    """The treedef (structure without leaves) of `tree`."""
    return tree_flatten(tree, is_leaf)[1]


def treedef_children(treedef):
    """The treedefs of the children of `treedef`'s root node."""
    return treedef.children()


def treedef_tuple(treedefs):
    """Treedef of a tuple whose children have the given treedefs."""
    treedefs = list(treedefs)
    return PyTreeDef((tuple, None, tuple(td._node for td in treedefs)),
                     sum(td.num_leaves for td in treedefs))


def treedef_is_leaf(treedef):
    # As in JAX: any one-node treedef counts, so those of None and () do too.
    """Whether `treedef` is a single leaf."""
    return treedef.num_nodes == 1


def all_leaves(iterable, is_leaf=None):
    """True if every item of ``iterable`` is a leaf on its own."""
    return all((is_leaf is not None and is_leaf(x))
               or _handler_for(type(x)) is None for x in iterable)


def _columns(leaves, treedef, rest):
    """``[leaves, *(flatten_up_to(r) for r in rest)]``, with a ValueError
    naming both structures when one of ``rest`` does not fit."""
    columns = [leaves]
    for j, other in enumerate(rest, start=2):
        try:
            columns.append(_flatten_up_to(treedef._node, other))
        except _Mismatch as m:
            raise ValueError(
                f"{m.explain('the first tree', f'tree #{j}')}\n"
                f"Structure of the first tree: {treedef!r}\n"
                f"Structure of tree #{j}: {_structure_str(other)}\n"
                "(every tree must have the first tree's structure, or extend "
                "it at its leaves)") from None
    return columns


def tree_map(f, tree, *rest, is_leaf=None):
    """Apply ``f`` leafwise.  Each tree in ``rest`` must have ``tree``'s
    structure, or extend it: its subtrees at ``tree``'s leaves are passed
    to ``f`` whole."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten(map(f, leaves))
    return treedef.unflatten(map(f, *_columns(leaves, treedef, rest)))


def tree_flatten_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
    """Return ``([(key_path, leaf), ...], treedef)``."""
    out = []
    node = _walk_keyed(tree, (), is_leaf, is_leaf_takes_path, out)
    return out, PyTreeDef(node, len(out))


def tree_leaves_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
    """The leaves of `tree` with their key paths, as (path, leaf) pairs."""
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f, tree, *rest, is_leaf=None, is_leaf_takes_path=False):
    """Like ``tree_map`` but calls ``f(key_path, leaf, *other_leaves)``."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    columns = _columns([x for _, x in pairs], treedef, rest)
    return treedef.unflatten(map(f, [p for p, _ in pairs], *columns))


_MISSING = object()


def tree_reduce(function, tree, initializer=_MISSING, is_leaf=None):
    """``functools.reduce`` over the leaves."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _MISSING:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree, *, is_leaf=None):
    """Whether every leaf of `tree` is truthy."""
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    """Turn a tree of structure outer-of-inner into one of inner-of-outer.
    ``inner_treedef=None`` takes the structure of the first inner subtree."""
    if inner_treedef is None:
        first = outer_treedef.flatten_up_to(pytree_to_transpose)[0]
        inner_treedef = tree_structure(first)
    expected = outer_treedef.compose(inner_treedef)
    try:
        flat = _flatten_up_to(expected._node, pytree_to_transpose)
    except _Mismatch:
        raise TypeError(f"Mismatch\n{_structure_str(pytree_to_transpose)}\n"
                        f" != \n{expected!r}") from None
    n = inner_treedef.num_leaves
    groups = [flat[i * n:(i + 1) * n] for i in range(outer_treedef.num_leaves)]
    # zip(*groups) gives one column per inner leaf, but nothing at all when
    # there are no outer leaves, so build the empty columns in that case.
    columns = zip(*groups) if groups else [()] * n
    return inner_treedef.unflatten(map(outer_treedef.unflatten, columns))


def _is_none(x):
    return x is None


def broadcast_prefix(prefix_tree, full_tree, is_leaf=None):
    """One prefix leaf per leaf of ``full_tree``: every leaf of
    ``prefix_tree`` is repeated once per leaf of the subtree of ``full_tree``
    it covers.

    None in ``prefix_tree`` is always a leaf (as in vmap's ``in_axes``, where
    it means "not mapped"), so this is JAX's ``broadcast_prefix(prefix, full,
    is_leaf=lambda x: x is None)``; ``is_leaf`` may name further prefix leaves.
    ``full_tree`` is flattened as usual (None there has no leaves).  Raises
    ValueError naming the key path where the structures differ.
    """
    leaf_pred = _is_none if is_leaf is None else (
        lambda x: x is None or is_leaf(x))
    prefix_leaves, prefix_def = tree_flatten(prefix_tree, leaf_pred)
    try:
        subtrees = _flatten_up_to(prefix_def._node, full_tree)
    except _Mismatch as m:
        raise ValueError(
            f"{m.explain('the prefix tree', 'the full tree')}\n"
            f"Prefix tree structure (None as a leaf): {prefix_def!r}\n"
            f"Full tree structure: {_structure_str(full_tree)}") from None
    out = []
    for p, sub in zip(prefix_leaves, subtrees):
        out.extend([p] * len(tree_leaves(sub)))
    return out


# Alternative name used by parts of the library.
flatten_prefix = broadcast_prefix


# --- Partial ---

class _CallableShim:
    """Wraps a functools.partial given to ``Partial``: functools.partial
    would otherwise merge that partial's arguments into the new one, but only
    the outer Partial's own arguments should be pytree children."""
    __slots__ = ("_fn",)

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __eq__(self, other):
        return isinstance(other, _CallableShim) and self._fn == other._fn

    def __hash__(self):
        return hash(self._fn)

    def __repr__(self):
        return f"_CallableShim({self._fn!r})"


class Partial(functools.partial):
    """A ``functools.partial`` that is a pytree: the bound arguments are its
    children and the function is static aux data, so it can be passed
    through transformations like any other pytree."""

    def __new__(cls, func, *args, **kwargs):
        if isinstance(func, functools.partial):
            func = _CallableShim(func)
        return super().__new__(cls, func, *args, **kwargs)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]))
