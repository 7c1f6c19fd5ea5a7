"""Pickling frozen dataclasses by their fields, the same in both builds.

A sharded run (``-j 2``) hands claims, facts and decisions to a process pool
and Spark ships them to its workers (cloudpickle), so these objects must
pickle. A frozen dataclass does in pure Python, but not once mypyc compiles
it (``SCRUBBER_MYPYC=1``): the compiled class's ``__setstate__`` sets each
attribute through the frozen ``__setattr__``, which raises
``FrozenInstanceError``. :func:`by_fields` registers, through
:mod:`copyreg` (which pickle and cloudpickle both consult before a class's
own ``__reduce_ex__``), a reducer that saves the class and its field values
(``init=False`` fields too) and rebuilds the object without ``__init__``,
setting each field with ``object.__setattr__``, as ``dataclasses`` itself
does. Each module that defines frozen dataclasses registers them as it is
imported, in both builds, so that both pickle the same way.

A compiled class whose ``__init__`` takes arguments cannot be unpickled by
default either (its ``__new__`` calls ``__init__``, with none):
:func:`by_attributes` pickles such a class's objects as the arguments to
make an empty one and the attributes to set on it.
"""

from __future__ import annotations

import copyreg
from dataclasses import fields
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type, tuple[str, ...]] = {}


def by_fields(*classes: type) -> None:
    """Pickle each of ``classes`` (frozen dataclasses) by its field values."""
    for cls in classes:
        _FIELDS[cls] = tuple(f.name for f in fields(cls))
        copyreg.pickle(cls, _reduce)


def by_attributes(cls: type, *init_args: object) -> None:
    """Pickle each ``cls`` object as ``cls(*init_args)`` with its attributes
    (``__getstate__``) set on it again."""
    copyreg.pickle(cls, partial(_reduce_attributes, init_args))


def registered(cls: type) -> bool:
    """Whether :func:`by_fields` registered ``cls``."""
    return cls in _FIELDS


def _reduce(obj: Any) -> tuple[Any, ...]:
    cls = type(obj)
    return _restore, (cls, tuple([getattr(obj, name) for name in _FIELDS[cls]]))


def _restore(cls: type[T], values: tuple[object, ...]) -> T:
    """Rebuild a ``cls`` from its field values, without calling ``__init__``."""
    names = _FIELDS.get(cls)
    if names is None:  # unpickled where the class's module did not register it
        names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    obj = cls.__new__(cls)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(obj, name, value)
    return obj


def _reduce_attributes(init_args: tuple[object, ...], obj: Any) -> tuple[Any, ...]:
    return _restore_attributes, (type(obj), init_args, obj.__getstate__())


def _restore_attributes(
    cls: type[T], init_args: tuple[object, ...], state: dict[str, Any] | None
) -> T:
    """Make a ``cls`` from ``init_args``, then set the attributes of ``state``."""
    obj = cls(*init_args)
    for name, value in (state or {}).items():
        setattr(obj, name, value)
    return obj
