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

from collections import _tuplegetter  # type: ignore[attr-defined]
from sys import intern
from types import FunctionType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NOT_COPIED = frozenset(
    {"__annotations__", "__module__", "__qualname__", "__dict__", "__weakref__"}
)

# ``__new__`` of a record of 1 to 13 fields, written out so that the byte code comes from the
# module's .pyc: ``collections.namedtuple`` compiles one with ``eval`` per class, two thirds of
# the cost of making a class, and ``reminders upcoming`` makes 25 of them at its start
# (bench/RESULTS.md, section 20). A class takes the one of its size with its own field names
# (``CodeType.replace``), which is what the compiled lambda of namedtuple would be.
_tuple_new = t = tuple.__new__  # ``t``: the name the code below calls (short, for the lines)
_NEW: tuple[Any, ...] = (
    None,
    lambda c, a: t(c, (a,)),
    lambda c, a, b: t(c, (a, b)),
    lambda c, a, b, d: t(c, (a, b, d)),
    lambda c, a, b, d, e: t(c, (a, b, d, e)),
    lambda c, a, b, d, e, f: t(c, (a, b, d, e, f)),
    lambda c, a, b, d, e, f, g: t(c, (a, b, d, e, f, g)),
    lambda c, a, b, d, e, f, g, h: t(c, (a, b, d, e, f, g, h)),
    lambda c, a, b, d, e, f, g, h, i: t(c, (a, b, d, e, f, g, h, i)),
    lambda c, a, b, d, e, f, g, h, i, j: t(c, (a, b, d, e, f, g, h, i, j)),
    lambda c, a, b, d, e, f, g, h, i, j, k: t(c, (a, b, d, e, f, g, h, i, j, k)),
    lambda c, a, b, d, e, f, g, h, i, j, k, m: t(c, (a, b, d, e, f, g, h, i, j, k, m)),
    lambda c, a, b, d, e, f, g, h, i, j, k, m, n: t(c, (a, b, d, e, f, g, h, i, j, k, m, n)),
    lambda c, a, b, d, e, f, g, h, i, j, k, m, n, p: t(c, (a, b, d, e, f, g, h, i, j, k, m, n, p)),
)  # fmt: skip


def _make_new(name: str, fields: tuple[str, ...], defaults: tuple[Any, ...] | None) -> Any:
    count = len(fields)
    if count < len(_NEW):
        code = _NEW[count].__code__.replace(co_varnames=("_cls", *fields))
    else:  # more fields than written out: compiled, as namedtuple does
        args = ", ".join(fields)
        code = eval(f"lambda _cls, {args}: t(_cls, ({args}))").__code__
    code = code.replace(co_name="__new__", co_qualname=f"{name}.__new__")
    new = FunctionType(code, {"t": _tuple_new, "__builtins__": {}}, "__new__", defaults)
    new.__doc__ = f"Create new instance of {name}({', '.join(fields)})"
    return new


# The methods every record shares (collections.namedtuple makes them per class, as closures over
# the class's own values; these read them from the class).


@classmethod  # type: ignore[misc]
def _make(cls: Any, iterable: Any) -> Any:
    """Make a new record from a sequence or iterable."""
    result = _tuple_new(cls, iterable)
    if len(result) != len(cls._fields):
        raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
    return result


def _replace(self: Any, /, **kwds: Any) -> Any:
    """Return a new record replacing specified fields with new values."""
    result = self._make(map(kwds.pop, self._fields, self))
    if kwds:
        raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
    return result


def __repr__(self: Any) -> str:
    """Return a nicely formatted representation string."""
    inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
    return f"{self.__class__.__name__}({inner})"


def _asdict(self: Any) -> dict[str, Any]:
    """Return a new dict which maps field names to their values."""
    return dict(zip(self._fields, self, strict=True))


def __getnewargs__(self: Any) -> tuple[Any, ...]:
    """Return self as a plain tuple.  Used by copy and pickle."""
    return tuple(self)


class _RecordMeta(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        if namespace.get("_root", False):
            return super().__new__(mcls, name, bases, namespace)
        annotations = namespace.get("__annotations__", {})
        fields = tuple(map(intern, annotations))
        defaults = []
        for field in fields:
            if field in namespace:
                defaults.append(namespace[field])
            elif defaults:
                raise TypeError(f"{name}: field {field!r} without a default follows one with one")
        given = tuple(defaults) or None
        defaulted = fields[len(fields) - len(defaults) :]
        body: dict[str, Any] = {
            "__doc__": f"{name}({', '.join(fields)})",
            "__slots__": (),
            "_fields": fields,
            "_field_defaults": dict(zip(defaulted, defaults, strict=True)),
            "__new__": _make_new(name, fields, given),
            "_make": _make,
            "_replace": _replace,
            "__repr__": __repr__,
            "_asdict": _asdict,
            "__getnewargs__": __getnewargs__,
            "__match_args__": fields,
        }
        for index, field in enumerate(fields):
            body[field] = _tuplegetter(index, intern(f"Alias for field number {index}"))
        for key, value in namespace.items():
            if key not in fields and key not in _NOT_COPIED:
                body[key] = value
        body["__module__"] = namespace.get("__module__")
        body["__qualname__"] = namespace.get("__qualname__", name)
        record = type(name, (tuple,), body)
        record.__annotations__ = dict(annotations)
        return record


class NamedTuple(metaclass=_RecordMeta):
    """Subclass it as you would ``typing.NamedTuple``."""

    _root = True
