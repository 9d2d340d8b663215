"""The pytree node registry: key-path entries, node handlers, registration, and the built-in
container types (tuple, list, dict, None, namedtuple, OrderedDict, defaultdict).

Split from tree_util.py, which walks trees using these handlers and re-exports the public names.
"""

import collections
import dataclasses
import itertools

_NoneType = type(None)
_NONE_NODE = (_NoneType, None, ())  # None is a container with no children.


# --- Key path entries ---

class _KeyEntry:
    """Base of the key-path entries: one immutable, hashable field each."""
    __slots__ = ()

    def __init__(self, value):
        object.__setattr__(self, self.__match_args__[0], value)

    def _value(self):
        return getattr(self, self.__match_args__[0])

    def __eq__(self, other):
        return type(other) is type(self) and other._value() == self._value()

    def __hash__(self):
        return hash((type(self).__name__, self._value()))

    def __repr__(self):
        return f"{type(self).__name__}({self.__match_args__[0]}={self._value()!r})"

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        return type(self), (self._value(),)

    def __str__(self):
        return self._fmt.format(self._value())


class SequenceKey(_KeyEntry):
    """Index into a tuple/list node; prints as ``[0]``."""
    __slots__ = __match_args__ = ("idx",)
    _fmt = "[{!r}]"


class DictKey(_KeyEntry):
    """Key of a mapping node; prints as ``['a']``."""
    __slots__ = __match_args__ = ("key",)
    _fmt = "[{!r}]"


class GetAttrKey(_KeyEntry):
    """Attribute of a namedtuple/dataclass node; prints as ``.name``."""
    __slots__ = __match_args__ = ("name",)
    _fmt = ".{}"


class FlattenedIndexKey(_KeyEntry):
    """Child position in a custom node registered without keys."""
    __slots__ = __match_args__ = ("key",)
    _fmt = "[<flat index {}>]"


def keystr(keys, *, simple=False, separator=""):
    """Render a key path: ``(DictKey('params'), SequenceKey(0))`` gives
    ``['params'][0]``, or ``params/0`` with ``simple=True, separator='/'``."""
    if simple:
        return separator.join(str(k._value()) if isinstance(k, _KeyEntry)
                              else str(k) for k in keys)
    return separator.join(map(str, keys))


# --- Registry ---

class _Handler:
    """How to take apart and rebuild one node type: ``flatten(x) ->
    (children, aux)``, ``unflatten(aux, children) -> x`` and ``keyed(x) ->
    ([(key, child), ...], aux)``, the last used only for key paths."""
    __slots__ = ("flatten", "unflatten", "keyed")

    def __init__(self, flatten, unflatten, keyed):
        self.flatten, self.unflatten, self.keyed = flatten, unflatten, keyed


_registry = {}


def _keyed_by(flatten, make_keys):
    """Build a keyed flattener from a plain one and ``make_keys(x, aux)``."""
    def keyed(x):
        children, aux = flatten(x)
        return list(zip(make_keys(x, aux), children)), aux
    return keyed


def _flat_index_keys(x, aux):
    return map(FlattenedIndexKey, itertools.count())


def _add(nodetype, handler):
    if nodetype in _registry:
        raise ValueError(
            f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _registry[nodetype] = handler


def register_pytree_node(nodetype, flatten_func, unflatten_func,
                         flatten_with_keys_func=None):
    """Make ``nodetype`` a pytree node: ``flatten_func(x) -> (children,
    aux_data)`` with hashable aux_data, ``unflatten_func(aux_data, children)
    -> x``.  Key paths use FlattenedIndexKey unless flatten_with_keys_func
    (returning ``([(key, child), ...], aux_data)``) is given."""
    keyed = flatten_with_keys_func or _keyed_by(flatten_func, _flat_index_keys)
    _add(nodetype, _Handler(flatten_func, unflatten_func, keyed))


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func,
                              flatten_func=None):
    """Like register_pytree_node, the flattener giving ``(key, child)``
    pairs."""
    if flatten_func is None:
        def flatten_func(x):
            pairs, aux = flatten_with_keys(x)
            return [c for _, c in pairs], aux
    _add(nodetype, _Handler(flatten_func, unflatten_func, flatten_with_keys))


def register_pytree_node_class(cls):
    """Class decorator: the method ``tree_flatten(self)`` and the classmethod
    ``tree_unflatten(aux, children)`` define the node."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_dataclass(nodetype, data_fields=None, meta_fields=None,
                       drop_fields=()):
    """Register a class whose ``data_fields`` are children and whose
    ``meta_fields`` are static aux data; unflattening calls
    ``nodetype(**fields)``.  For a dataclass both lists may be omitted:
    fields with ``metadata={'static': True}`` are then meta fields.  Returns
    ``nodetype``, so it also works as a decorator."""
    if data_fields is None or meta_fields is None:
        if (data_fields is None) != (meta_fields is None):
            raise TypeError("register_dataclass: give both data_fields and "
                            "meta_fields, or neither.")
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError("register_dataclass: data_fields and meta_fields "
                            f"are required for non-dataclass {nodetype}.")
        fields = [f for f in dataclasses.fields(nodetype)
                  if f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static")]
        meta_fields = [f.name for f in fields if f.metadata.get("static")]
    # Copy to tuples: the closures must not see later mutation by the caller.
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
    if set(data_fields) & set(meta_fields):
        raise ValueError("data_fields and meta_fields must not overlap.")
    if dataclasses.is_dataclass(nodetype):
        # The constructor is called on unflatten, so it needs every init field.
        init = {f.name for f in dataclasses.fields(nodetype) if f.init}
        if init - set(drop_fields) != set(data_fields) | set(meta_fields):
            raise ValueError(
                "data_fields and meta_fields must include all dataclass fields"
                f" with init=True and only them: {sorted(init)}.")

    def flatten(x):
        return ([getattr(x, n) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, data):
        return nodetype(**dict(zip(meta_fields, meta)),
                        **dict(zip(data_fields, data)))

    keyed = _keyed_by(flatten, lambda x, aux: map(GetAttrKey, data_fields))
    _add(nodetype, _Handler(flatten, unflatten, keyed))
    return nodetype


def _sorted_keys(d):
    # Sorting makes dicts built in different orders flatten alike (as in
    # JAX); keys that cannot be compared are an error, not a silent order.
    try:
        return tuple(sorted(d))
    except TypeError as e:
        raise ValueError("Comparator raised exception while sorting pytree "
                         f"dictionary keys: {e}") from None


def _dict_flatten(x):
    keys = _sorted_keys(x)
    return [x[k] for k in keys], keys


def _odict_flatten(x):
    keys = tuple(x)  # OrderedDict keeps insertion order, as in JAX.
    return [x[k] for k in keys], keys


def _ddict_flatten(x):
    children, keys = _dict_flatten(x)
    return children, (x.default_factory, keys)


def _seq_keys(x, aux):
    return map(SequenceKey, range(len(x)))


def _same(x):
    return x, None


_registry.update({
    tuple: _Handler(_same, lambda a, c: tuple(c), _keyed_by(_same, _seq_keys)),
    list: _Handler(_same, lambda a, c: list(c), _keyed_by(_same, _seq_keys)),
    dict: _Handler(_dict_flatten, lambda a, c: dict(zip(a, c)),
                   _keyed_by(_dict_flatten, lambda x, a: map(DictKey, a))),
    _NoneType: _Handler(lambda x: ((), None), lambda a, c: None,
                        lambda x: ([], None)),
    collections.OrderedDict: _Handler(
        _odict_flatten, lambda a, c: collections.OrderedDict(zip(a, c)),
        _keyed_by(_odict_flatten, lambda x, a: map(DictKey, a))),
    collections.defaultdict: _Handler(
        _ddict_flatten, lambda a, c: collections.defaultdict(a[0], zip(a[1], c)),
        _keyed_by(_ddict_flatten, lambda x, a: map(DictKey, a[1]))),
})

# Namedtuples are recognised structurally (a tuple subclass with _fields)
# rather than registered per class, so they need no registration and an
# explicit registration of a namedtuple class still wins.  Unflattening
# needs the class, so _build special-cases this handler.
_NAMEDTUPLE = _Handler(
    _same, None,
    _keyed_by(_same, lambda x, a: map(GetAttrKey, type(x)._fields)))


def _handler_for(t):
    h = _registry.get(t)
    if h is None and issubclass(t, tuple) and hasattr(t, "_fields"):
        return _NAMEDTUPLE
    return h
