"""Tests for jaxlite.tree_util (no JAX needed; one optional test compares
with jax.tree_util when it is installed)."""

import collections
import dataclasses
import functools
import os
import pickle
import sys
import timeit
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

try:
    from jaxlite import tree_util as tu
except ImportError:  # run from elsewhere: jaxlite is a namespace package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from jaxlite import tree_util as tu

from jaxlite.tree_util import DictKey, FlattenedIndexKey, GetAttrKey, Partial, SequenceKey


class Point(NamedTuple):
    x: object
    y: object


Pair = collections.namedtuple("Pair", ["first", "second"])


class Box:
    """Registered with register_pytree_node; ``name`` is static aux data."""

    def __init__(self, value, name):
        self.value, self.name = value, name

    def __eq__(self, other):
        return (type(other) is Box and other.value == self.value
                and other.name == self.name)


tu.register_pytree_node(Box, lambda b: ((b.value,), b.name),
                        lambda name, children: Box(children[0], name))


@tu.register_pytree_node_class
class Vec:
    def __init__(self, a, b, meta="m"):
        self.a, self.b, self.meta = a, b, meta

    def tree_flatten(self):
        return (self.a, self.b), self.meta

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, meta=aux)

    def __eq__(self, other):
        return type(other) is Vec and (self.a, self.b, self.meta) == (
            other.a, other.b, other.meta)


class Keyed:
    def __init__(self, w, b):
        self.w, self.b = w, b


tu.register_pytree_with_keys(
    Keyed,
    lambda k: (((GetAttrKey("w"), k.w), (GetAttrKey("b"), k.b)), None),
    lambda aux, children: Keyed(*children))


@tu.register_dataclass
@dataclasses.dataclass
class Layer:
    weight: object
    bias: object
    act: str = dataclasses.field(default="relu", metadata=dict(static=True))


class Opaque:
    """Unregistered: must be a leaf."""


def add(a, b, c=0):
    return a + b + c


# --- flatten / unflatten ---------------------------------------------------

TREES = [
    1, None, (), [], {}, (1,), [1, 2], (1, [2, (3, None)], {"b": 4, "a": 5}),
    {"z": [1, {"q": 2}], "a": None}, Point(1, (2, 3)), Pair([1], {"k": 2}),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(list, {"b": 1, "a": [2, 3]}),
    Box((1, 2), "n"), Vec(1, [2, 3]), Layer(1.0, 2.0, "tanh"),
    Partial(add, 1, c=2), [Opaque(), Opaque()],
]


@pytest.mark.parametrize("tree", TREES)
def test_round_trip(tree):
    leaves, treedef = tu.tree_flatten(tree)
    rebuilt = tu.tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(tree)
    assert tu.tree_structure(rebuilt) == treedef
    assert tu.tree_leaves(rebuilt) == leaves
    assert treedef.num_leaves == len(leaves)
    assert tu.tree_leaves(treedef.unflatten(iter(leaves))) == leaves  # any iterable


def test_leaf_order_and_dict_sorting():
    tree = (1, {"b": 2, "a": [3, None]}, Point(4, 5),
            collections.OrderedDict([("z", 6), ("y", 7)]),
            collections.defaultdict(list, {"q": 8}))
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == [1, 3, 2, 4, 5, 6, 7, 8]
    assert treedef.num_leaves == 8 and treedef.num_nodes == 15
    # dicts come back with sorted keys, OrderedDicts in insertion order
    out = tu.tree_unflatten(*reversed(tu.tree_flatten({"b": 1, "a": 2})))
    assert list(out) == ["a", "b"]
    od = tu.tree_map(lambda x: x, collections.OrderedDict([("b", 1), ("a", 2)]))
    assert list(od) == ["b", "a"] and type(od) is collections.OrderedDict


def test_defaultdict_keeps_factory():
    dd = collections.defaultdict(int, {"b": 1, "a": 2})
    out = tu.tree_map(lambda x: x * 10, dd)
    assert type(out) is collections.defaultdict and out.default_factory is int
    assert dict(out) == {"a": 20, "b": 10}
    other = collections.defaultdict(list, {"b": 1, "a": 2})
    assert tu.tree_structure(dd) != tu.tree_structure(other)


def test_repr_matches_jax_format():
    tree = (1, {"b": 2, "a": [3, None]}, Point(4, 5),
            collections.OrderedDict([("z", 6), ("y", 7)]),
            collections.defaultdict(list, {"q": 8}))
    assert repr(tu.tree_structure(tree)) == (
        "PyTreeDef((*, {'a': [*, None], 'b': *}, CustomNode(namedtuple[Point],"
        " [*, *]), CustomNode(OrderedDict[('z', 'y')], [*, *]), CustomNode("
        "defaultdict[(<class 'list'>, ('q',))], [*])))")
    assert str(tu.tree_structure((1, {"a": 2}))) == "PyTreeDef((*, {'a': *}))"
    assert repr(tu.tree_structure((1,))) == "PyTreeDef((*,))"
    assert repr(tu.tree_structure(None)) == "PyTreeDef(None)"
    assert repr(tu.tree_structure(7)) == "PyTreeDef(*)"
    assert repr(tu.tree_structure(Vec(1, 2))) == "PyTreeDef(CustomNode(Vec[m], [*, *]))"
    assert repr(tu.tree_structure(Layer(1, 2))) == (
        "PyTreeDef(CustomNode(Layer[('relu',)], [*, *]))")


def test_structure_equality_and_hash():
    s = tu.tree_structure
    assert s({"a": 1, "b": (2, 3)}) == s({"b": ("x", "y"), "a": 0})
    assert hash(s({"a": 1})) == hash(s({"a": 2}))
    assert s((1, 2)) != s([1, 2])
    assert s({"a": 1}) != s({"b": 1})
    assert s({"a": 1}) != s({"a": (1,)})
    assert s([1, None]) != s([1, 2])
    assert s(Point(1, 2)) != s((1, 2)) and s(Point(1, 2)) != s(Pair(1, 2))
    assert s(Box(1, "a")) != s(Box(1, "b"))
    od = collections.OrderedDict
    assert s(od([("a", 1), ("b", 2)])) != s(od([("b", 1), ("a", 2)]))
    assert s(od(a=1)) != s({"a": 1})
    assert len({s((1, 2)), s((3, 4)), s([1, 2])}) == 2
    assert s(1) != "not a treedef"


def test_treedef_methods():
    td = tu.tree_structure([1, (2, 3), None])
    assert [repr(c) for c in td.children()] == [
        "PyTreeDef(*)", "PyTreeDef((*, *))", "PyTreeDef(None)"]
    assert tu.treedef_children(td) == td.children()
    assert tu.tree_structure(1).children() == []
    assert td.unflatten([4, 5, 6]) == [4, (5, 6), None]
    tup = tu.treedef_tuple([tu.tree_structure(1), tu.tree_structure((1, 2))])
    assert tup == tu.tree_structure((0, (0, 0))) and tup.num_leaves == 3
    assert tu.treedef_is_leaf(tu.tree_structure(1))
    assert tu.treedef_is_leaf(tu.tree_structure(None))  # one node, as in JAX
    assert not tu.treedef_is_leaf(tu.tree_structure((1,)))
    assert tu.tree_structure(((1, 2), 3)).num_nodes == 5
    assert td.flatten_up_to([[1], ((2,), 3), None]) == [[1], (2,), 3]


def test_unflatten_wrong_count():
    td = tu.tree_structure((1, 2))
    with pytest.raises(ValueError, match="expected 2, got 3"):
        td.unflatten([1, 2, 3])
    with pytest.raises(ValueError, match="expected 2, got 1"):
        tu.tree_unflatten(td, [1])


def test_treedef_is_picklable():
    td = tu.tree_structure({"a": [1, Point(2, None)]})
    assert pickle.loads(pickle.dumps(td)) == td


# --- None handling ---------------------------------------------------------

def test_none_is_empty_subtree():
    assert tu.tree_leaves([1, None, (None, 2)]) == [1, 2]
    assert tu.tree_leaves(None) == []
    assert tu.tree_structure(None).num_leaves == 0
    assert tu.tree_map(lambda x: x + 1, (None, 1)) == (None, 2)
    assert tu.tree_map(lambda x: 1 / 0, None) is None


def test_is_leaf():
    assert tu.tree_leaves([1, None], is_leaf=lambda x: x is None) == [1, None]
    leaves, td = tu.tree_flatten([(1, 2), [3]], is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3] and repr(td) == "PyTreeDef([*, [*]])"
    assert tu.tree_leaves((1, 2), is_leaf=lambda x: True) == [(1, 2)]
    assert tu.tree_map(len, {"a": [1, 2], "b": (3,)},
                       is_leaf=lambda x: isinstance(x, (list, tuple))) == {"a": 2, "b": 1}


def test_unregistered_and_subclasses_are_leaves():
    class T(tuple):
        pass

    class D(dict):
        pass

    o = Opaque()
    assert tu.tree_leaves([o]) == [o]
    assert tu.tree_leaves(T((1, 2))) == [T((1, 2))]
    assert tu.tree_leaves(D(a=1)) == [D(a=1)]


def test_dict_with_unsortable_keys():
    with pytest.raises(ValueError, match="sorting pytree dictionary keys"):
        tu.tree_flatten({1: 2, "a": 3})


# --- namedtuple ------------------------------------------------------------

def test_namedtuple():
    p = Point(1, Pair(2, 3))
    leaves, td = tu.tree_flatten(p)
    assert leaves == [1, 2, 3]
    out = tu.tree_map(lambda v: v * 2, p)
    assert out == Point(2, Pair(4, 6)) and type(out) is Point and type(out.y) is Pair
    paths = [tu.keystr(path) for path, _ in tu.tree_flatten_with_path(p)[0]]
    assert paths == [".x", ".y.first", ".y.second"]


# --- custom registration ---------------------------------------------------

def test_register_pytree_node():
    b = Box([1, 2], "n")
    assert tu.tree_leaves(b) == [1, 2]
    assert tu.tree_map(lambda v: -v, b) == Box([-1, -2], "n")
    paths = tu.tree_leaves_with_path(b)
    assert paths == [((FlattenedIndexKey(0), SequenceKey(0)), 1),
                     ((FlattenedIndexKey(0), SequenceKey(1)), 2)]


def test_register_pytree_node_class():
    v = Vec(1, (2, 3), meta="q")
    leaves, td = tu.tree_flatten(v)
    assert leaves == [1, 2, 3]
    assert td.unflatten([4, 5, 6]) == Vec(4, (5, 6), meta="q")


def test_register_with_keys_and_dataclass():
    k = tu.tree_map(lambda v: v + 1, Keyed(1, 2))
    assert (k.w, k.b) == (2, 3)
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Keyed(1, 2))] == [".w", ".b"]
    layer = Layer([1.0], 2.0, "gelu")
    assert tu.tree_leaves(layer) == [1.0, 2.0]
    out = tu.tree_map(lambda v: v, layer)
    assert out == layer and out.act == "gelu"
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(layer)] == [
        ".weight[0]", ".bias"]
    assert tu.tree_structure(Layer(1, 2, "a")) != tu.tree_structure(Layer(1, 2, "b"))


def test_register_dataclass_field_checks():
    @dataclasses.dataclass
    class DC:
        a: int
        b: int

    with pytest.raises(ValueError):
        tu.register_dataclass(DC, data_fields=["a"], meta_fields=[])
    with pytest.raises(TypeError):
        tu.register_dataclass(DC, data_fields=["a"])
    tu.register_dataclass(DC, data_fields=["a"], meta_fields=["b"])
    assert tu.tree_leaves(DC(1, 2)) == [1]


def test_duplicate_registration_rejected():
    with pytest.raises(ValueError, match="Duplicate"):
        tu.register_pytree_node(Box, lambda b: ((), None), lambda a, c: None)
    with pytest.raises(ValueError, match="Duplicate"):
        tu.register_pytree_node(tuple, lambda b: ((), None), lambda a, c: None)


# --- tree_map and friends --------------------------------------------------

def test_tree_map_several_trees():
    out = tu.tree_map(lambda a, b, c: a + b + c, (1, {"k": 2}), (10, {"k": 20}),
                      (100, {"k": 200}))
    assert out == (111, {"k": 222})
    # Later trees may extend the first one at its leaves.
    assert tu.tree_map(lambda a, b: (a, b), (1, 2), ([1], {"x": 2})) == (
        (1, [1]), (2, {"x": 2}))
    # None in the first tree must meet None; a leaf may meet None.
    assert tu.tree_map(lambda a, b: (a, b), (None, 1), (None, 2)) == (None, (1, 2))
    assert tu.tree_map(lambda a, b: b, (1, 2), (None, 3)) == (None, 3)


@pytest.mark.parametrize("first, other, kind, path", [
    ((1, 2), [1, 2], "different types", "(root)"),
    ((1, 2), (1, 2, 3), "different lengths of tuple", "(root)"),
    ({"a": 1}, {"b": 1}, "different pytree metadata", "(root)"),
    ((None, 1), (3, 2), "different types", "[0]"),
    ([1, {"k": [1, 2]}], [1, {"k": [1]}], "different lengths of list", "[1]['k']"),
    ((1,), Point(1, 2), "different types", "(root)"),
    (Box(1, "a"), Box(1, "b"), "different pytree metadata", "(root)"),
])
def test_tree_map_mismatch_error(first, other, kind, path):
    with pytest.raises(ValueError) as info:
        tu.tree_map(lambda *a: a, first, other)
    msg = str(info.value)
    assert kind in msg and f"key path\n    {path}\n" in msg
    # both structures are named
    assert repr(tu.tree_structure(first)) in msg
    assert repr(tu.tree_structure(other)) in msg


def test_tree_map_mismatch_names_which_tree():
    with pytest.raises(ValueError, match="tree #3"):
        tu.tree_map(lambda *a: a, (1, 2), (1, 2), [3, 4])


def test_flatten_up_to_error():
    with pytest.raises(ValueError, match=r"\['a'\]"):
        tu.tree_structure({"a": (1, 2)}).flatten_up_to({"a": [1, 2]})


def test_tree_map_with_path():
    out = tu.tree_map_with_path(lambda p, x: tu.keystr(p), [1, {"k": 2}])
    assert out == ["[0]", {"k": "[1]['k']"}]
    out = tu.tree_map_with_path(lambda p, x, y: (len(p), x + y), (1, [2]), (10, [20]))
    assert out == ((1, 11), [(2, 22)])


def test_tree_reduce_all_and_all_leaves():
    assert tu.tree_reduce(lambda a, b: a + b, [1, (2, 3)]) == 6
    assert tu.tree_reduce(lambda a, b: a + b, [1, 2, 3], 10) == 16
    with pytest.raises(TypeError):
        tu.tree_reduce(lambda a, b: a + b, [])
    assert tu.tree_all([1, True, None]) and tu.tree_all([]) and not tu.tree_all([0])
    assert tu.all_leaves([1, 2]) and not tu.all_leaves([1, [2]])
    assert not tu.all_leaves([1, None])
    assert tu.all_leaves([1, None], is_leaf=lambda x: x is None)


def test_tree_transpose():
    s = tu.tree_structure
    assert tu.tree_transpose(s([0, 0]), s((0, 0, 0)), [(1, 2, 3), (4, 5, 6)]) == (
        [1, 4], [2, 5], [3, 6])
    assert tu.tree_transpose(s([0, 0]), None, [(1, 2, 3), (4, 5, 6)]) == (
        [1, 4], [2, 5], [3, 6])
    out = tu.tree_transpose(s({"a": 0, "b": 0}), s([0, (0, 0)]),
                            {"a": [1, (2, 3)], "b": [4, (5, 6)]})
    assert out == [{"a": 1, "b": 4}, ({"a": 2, "b": 5}, {"a": 3, "b": 6})]
    with pytest.raises(TypeError, match="Mismatch"):
        tu.tree_transpose(s([0, 0]), s((0, 0)), [(1, 2, 3), (4, 5, 6)])


# --- key paths -------------------------------------------------------------

def test_key_classes():
    assert str(SequenceKey(0)) == "[0]" and repr(SequenceKey(0)) == "SequenceKey(idx=0)"
    assert str(DictKey("a")) == "['a']" and repr(DictKey("a")) == "DictKey(key='a')"
    assert str(GetAttrKey("w")) == ".w" and repr(GetAttrKey("w")) == "GetAttrKey(name='w')"
    assert str(FlattenedIndexKey(2)) == "[<flat index 2>]"
    assert SequenceKey(1) == SequenceKey(1) and SequenceKey(1) != FlattenedIndexKey(1)
    assert len({DictKey("a"), DictKey("a"), DictKey("b")}) == 2
    assert SequenceKey(3).idx == 3 and DictKey("k").key == "k" and GetAttrKey("n").name == "n"
    with pytest.raises(AttributeError):
        SequenceKey(0).idx = 1
    assert pickle.loads(pickle.dumps(DictKey("a"))) == DictKey("a")
    match DictKey("x"):
        case DictKey(key=k):
            assert k == "x"


def test_keystr():
    path = (DictKey("params"), SequenceKey(0))
    assert tu.keystr(path) == "['params'][0]"
    assert tu.keystr(path, simple=True, separator="/") == "params/0"
    assert tu.keystr((FlattenedIndexKey(0), GetAttrKey("x")), simple=True,
                     separator=".") == "0.x"
    assert tu.keystr(()) == ""


def test_flatten_with_path():
    tree = {"params": [1, (2, {"w": 3})], "none": None, "step": Point(4, 5)}
    pairs, td = tu.tree_flatten_with_path(tree)
    assert td == tu.tree_structure(tree)
    assert [x for _, x in pairs] == tu.tree_leaves(tree)
    assert [tu.keystr(p) for p, _ in pairs] == [
        "['params'][0]", "['params'][1][0]", "['params'][1][1]['w']",
        "['step'].x", "['step'].y"]
    partial_paths = [p for p, _ in tu.tree_leaves_with_path(Partial(add, 1, c=2))]
    assert partial_paths == [(FlattenedIndexKey(0), SequenceKey(0)),
                             (FlattenedIndexKey(1), DictKey("c"))]


def test_flatten_with_path_is_leaf():
    tree = {"a": [1, 2], "b": [3]}
    pairs = tu.tree_leaves_with_path(tree, is_leaf=lambda x: x == [3])
    assert pairs[-1] == ((DictKey("b"),), [3])
    pairs = tu.tree_leaves_with_path(
        tree, is_leaf=lambda p, x: p == (DictKey("a"),), is_leaf_takes_path=True)
    assert pairs == [((DictKey("a"),), [1, 2]), ((DictKey("b"), SequenceKey(0)), 3)]


# --- broadcast_prefix ------------------------------------------------------

def test_broadcast_prefix():
    args = ((1, 2), {"a": 3, "b": [4, 5]}, 6)
    assert tu.broadcast_prefix(0, args) == [0] * 6
    assert tu.broadcast_prefix((0, None, 1), args) == [0, 0, None, None, None, 1]
    assert tu.broadcast_prefix((None, {"a": 0, "b": 1}, 0), args) == [
        None, None, 0, 1, 1, 0]
    assert tu.broadcast_prefix((0, (None, 1)), (1, (2, (3, 4)))) == [0, None, 1, 1]
    # None in the full tree has no leaves, so it consumes no prefix leaves
    assert tu.broadcast_prefix((0, 1), (None, 2)) == [1]
    assert tu.flatten_prefix is tu.broadcast_prefix


def test_broadcast_prefix_is_leaf():
    spec = {"a": (0, 1)}
    assert tu.broadcast_prefix(spec, {"a": [1, 2, 3]},
                               is_leaf=lambda x: isinstance(x, tuple)) == [(0, 1)] * 3


def test_broadcast_prefix_mismatch():
    with pytest.raises(ValueError) as info:
        tu.broadcast_prefix((0, [0, 1]), (1, [2, 3, 4]))
    msg = str(info.value)
    assert "key path\n    [1]\n" in msg and "different lengths of list" in msg
    with pytest.raises(ValueError, match=r"key path\n    \['b'\]\n"):
        tu.broadcast_prefix({"a": 0, "b": (0, 1)}, {"a": 1, "b": [2, 3]})
    with pytest.raises(ValueError, match="different pytree metadata"):
        tu.broadcast_prefix({"a": 0}, {"b": 1})
    with pytest.raises(ValueError, match="different types"):
        tu.broadcast_prefix((0, 1), 5)


# --- Partial ---------------------------------------------------------------

def test_partial():
    p = Partial(add, 1, c=2)
    assert p(10) == 13 and isinstance(p, functools.partial)
    leaves, td = tu.tree_flatten(p)
    assert leaves == [1, 2]
    q = tu.tree_map(lambda v: v * 10, p)
    assert type(q) is Partial and q.func is add and q(0) == 30
    assert td == tu.tree_structure(Partial(add, 5, c=6))
    assert td != tu.tree_structure(Partial(lambda a, b, c: 0, 5, c=6))
    assert td != tu.tree_structure(Partial(add, 5))


def test_partial_of_partial_keeps_inner_args_static():
    inner = Partial(add, 1)
    p = Partial(inner, 2)
    assert tu.tree_leaves(p) == [2] and p(5) == 8
    q = Partial(functools.partial(add, 1), 2)
    assert tu.tree_leaves(q) == [2] and q(3) == 6
    assert tu.tree_map(lambda v: v + 1, q)(3) == 7
    assert tu.tree_structure(Partial(inner, 2)) == tu.tree_structure(Partial(inner, 3))


# --- performance sanity ----------------------------------------------------

def test_flatten_is_fast():
    tree = (object(), object(), object())
    n = 2000
    per_call = timeit.timeit(lambda: tu.tree_flatten(tree), number=n) / n
    assert per_call < 50e-6  # a few microseconds normally; loose for CI noise


# --- hypothesis round trips ------------------------------------------------

_leaf = st.integers() | st.text(max_size=3) | st.booleans()
_trees = st.recursive(
    _leaf | st.none(),
    lambda kids: (st.lists(kids, max_size=4)
                  | st.lists(kids, max_size=4).map(tuple)
                  | st.dictionaries(st.text(max_size=3), kids, max_size=4)),
    max_leaves=25)


def _get(tree, path):
    for k in path:
        tree = tree[k.idx] if isinstance(k, SequenceKey) else tree[k.key]
    return tree


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_hypothesis_round_trip(tree):
    leaves, td = tu.tree_flatten(tree)
    assert td.unflatten(leaves) == tree
    assert tu.tree_map(lambda x: x, tree) == tree
    assert tu.tree_structure(td.unflatten(leaves)) == td
    assert hash(tu.tree_structure(tree)) == hash(td)
    assert td.num_leaves == len(leaves)
    # Rebuilding from the children's treedefs gives back the same structure.
    if type(tree) is tuple:
        assert tu.treedef_tuple(td.children()) == td


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_hypothesis_paths_and_prefix(tree):
    pairs, td = tu.tree_flatten_with_path(tree)
    assert td == tu.tree_structure(tree)
    assert [x for _, x in pairs] == tu.tree_leaves(tree)
    for path, leaf in pairs:
        assert _get(tree, path) == leaf
    # A tree is a prefix of itself: broadcasting its own leaves is identity
    # (with no None inside; None in a prefix is a leaf for broadcast_prefix).
    if None not in tu.tree_leaves(tree, is_leaf=lambda x: x is None):
        assert tu.broadcast_prefix(tree, tree) == tu.tree_leaves(tree)
    assert tu.broadcast_prefix(0, tree) == [0] * td.num_leaves
    # Structure of a map over two copies is unchanged.
    assert tu.tree_structure(tu.tree_map(lambda a, b: 0, tree, tree)) == td


# --- optional comparison with real JAX -------------------------------------

def test_matches_jax():
    pytest.importorskip("jax")
    import jax.tree_util as jtu
    trees = [t for t in TREES if not isinstance(t, (Box, Vec, Layer, Partial))]
    trees += [(1, {"b": [2, None], "a": (3,)}, [None, 4]), {"k": {"j": ()}}]
    for tree in trees:
        leaves, td = tu.tree_flatten(tree)
        jleaves, jtd = jtu.tree_flatten(tree)
        assert len(leaves) == len(jleaves)
        assert all(a is b for a, b in zip(leaves, jleaves))
        assert repr(td) == repr(jtd)
        assert td.num_nodes == jtd.num_nodes and td.num_leaves == jtd.num_leaves
        assert tu.treedef_is_leaf(td) == jtu.treedef_is_leaf(jtd)
        ours = [tu.keystr(p) for p, _ in tu.tree_flatten_with_path(tree)[0]]
        theirs = [jtu.keystr(p) for p, _ in jtu.tree_flatten_with_path(tree)[0]]
        assert ours == theirs
        assert tu.tree_unflatten(td, leaves) == jtu.tree_unflatten(jtd, jleaves)
    # broadcast_prefix is private in JAX; compare only where it exists.
    from jax._src import tree_util as jax_internal
    if hasattr(jax_internal, "broadcast_prefix"):
        prefix, full = (0, None, {"a": 1}), ((1, 2), {"x": 3}, {"a": [4, 5]})
        assert tu.broadcast_prefix(prefix, full) == jax_internal.broadcast_prefix(
            prefix, full, is_leaf=lambda x: x is None)
