"""``NamedTuple`` for run time, without importing ``typing``.

``typing`` costs about 2 ms to import and ``typing.NamedTuple`` turns every string annotation into a
``ForwardRef`` when a class is made; together that is a tenth of the start-up budget of
``reminders upcoming`` (see bench/RESULTS.md).  Modules that define records write::

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from typing import NamedTuple
    else:
        from .records import NamedTuple

so that mypy checks them as ``typing.NamedTuple`` classes, and at run time they are plain
``collections.namedtuple`` classes with the same fields, defaults, docstring, methods and
properties.  Unlike ``typing.NamedTuple``, this does not evaluate annotations at all (they are
strings under ``from __future__ import annotations``).
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NOT_COPIED = frozenset(
    {"__annotations__", "__module__", "__qualname__", "__dict__", "__weakref__"}
)


class _RecordMeta(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        if namespace.get("_root", False):
            return super().__new__(mcls, name, bases, namespace)
        fields = tuple(namespace.get("__annotations__", {}))
        defaults = []
        for field in fields:
            if field in namespace:
                defaults.append(namespace[field])
            elif defaults:
                raise TypeError(f"{name}: field {field!r} without a default follows one with one")
        module = namespace.get("__module__")
        record = namedtuple(name, fields, defaults=defaults or None, module=module)  # type: ignore[misc]
        for key, value in namespace.items():
            if key not in fields and key not in _NOT_COPIED:
                setattr(record, key, value)
        record.__qualname__ = namespace.get("__qualname__", name)
        record.__annotations__ = dict(namespace.get("__annotations__", {}))
        return record


class NamedTuple(metaclass=_RecordMeta):
    """Subclass it as you would ``typing.NamedTuple``."""

    _root = True
