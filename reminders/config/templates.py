"""The one sandboxed Jinja2 environment over a templates folder: notices, the page and the plan
render through it (it lives here, below the three, so that none of them imports another)."""

from __future__ import annotations

import functools
import os
import re
import string
import textwrap
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..core import i18n, words


def wrap(value: str, width: int = 76, first: str = "", rest: str = "") -> str:
    """Plain text wrapped at ``width``; ``first``/``rest`` start the first and later lines.

    The same texts are wrapped again and again (an observance's description in every notice
    of every organisation, and in the check of each), so the last ones are kept."""
    text = " ".join(str(value).split())
    try:
        return _wrapped(text, width, first, rest)
    except TypeError:  # an unhashable argument: wrapped as it is (textwrap says what is wrong)
        return _wrapped.__wrapped__(text, width, first, rest)


@functools.lru_cache(maxsize=1024)
def _wrapped(text: str, width: int, first: str, rest: str) -> str:
    return textwrap.fill(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,  # "44-day war" stays on one line
    )


# --- Bounds on what a template can make ----------------------------------------------------
#
# The sandbox keeps a template away from Python's internals but not from the CPU and memory:
# ``{{ 10**10**10 }}`` computes a number of ten billion digits and ``{{ 'x' * 10**9 }}`` a string
# of a gigabyte, and either hangs ``check``.  The operators and formats that make a value much
# larger than their operands are bounded here; a notice, the page and a plan stay far below.
# (Intercepted operators are also never folded into constants while a template is compiled.)

MAX_INT_BITS = 16_384  # about 4,900 digits: past what Python turns into text (4,300 by default)
MAX_LENGTH = 1_000_000  # characters of a string, items of a list made by ``*``
MAX_WIDTH = 10_000  # a width or precision in a format (``%5d``, ``{:>5}``), a filter's width


class TemplateLimit(SecurityError):
    """A template asked for a value past the bounds above (templates.py): refused, not computed."""


def bounded_power(left: Any, right: Any) -> Any:
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
        raise TemplateLimit(f"{left} ** {right} makes a number of more than {MAX_INT_BITS} bits")
    return left**right


def bounded_times(left: Any, right: Any) -> Any:
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise TemplateLimit(f"a product of more than {MAX_INT_BITS} bits")
    for seq, count in ((left, right), (right, left)):
        sequence = isinstance(seq, str | list | tuple) and isinstance(count, int)
        if sequence and len(seq) * count > MAX_LENGTH:
            raise TemplateLimit(
                f"repeating {type(seq).__name__} of length {len(seq)} {count} times makes "
                f"more than {MAX_LENGTH} items"
            )
    return left * right


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_printf(template: str) -> None:
    """Refuse a ``%`` format whose width or precision is past MAX_WIDTH, or taken from the
    values (``*``)."""
    for width, precision in _PRINTF.findall(template):
        for part in (width, precision):
            if part == "*" or (part and int(part) > MAX_WIDTH):
                raise TemplateLimit(
                    f"a width or precision of {part!r} in a format; expected a number up to "
                    f"{MAX_WIDTH}"
                )


def check_width(width: Any, what: str) -> None:
    if isinstance(width, int) and width > MAX_WIDTH:
        raise TemplateLimit(f"{what} of {width}; expected up to {MAX_WIDTH}")


def bounded_modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_printf(left)
    return left % right


_BINOPS = {"**": bounded_power, "*": bounded_times, "%": bounded_modulo}


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with the operators and formats that can explode bounded."""

    intercepted_binops = frozenset(_BINOPS)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        bounded = _BINOPS.get(operator)
        if bounded is None:
            return super().call_binop(context, operator, left, right)
        return bounded(left, right)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            for _, _, spec, _ in string.Formatter().parse(text):
                if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in _DIGITS.findall(spec))):
                    raise TemplateLimit(
                        f"the format {spec!r}; expected a width and precision up to {MAX_WIDTH}, "
                        "written in the template"
                    )
            return str(wrapped(*args, **kwargs))

        return bounded


_DIGITS = re.compile(r"\d+")


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    check_printf(str(value))
    return str(jinja_filters.do_format(value, *args, **kwargs))


def _center_filter(value: Any, width: int = 80) -> str:
    check_width(width, "a center width")
    return str(jinja_filters.do_center(value, width))


def _indent_filter(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
    check_width(width, "an indent width")
    return jinja_filters.do_indent(value, width, *args, **kwargs)


SANDBOXED_BYTECODE = "__jinja2_sandboxed_%s.cache"  # not Jinja2's default "__jinja2_%s.cache"


class SnapshotLoader(jinja2.BaseLoader):
    """The files of a templates folder as they were when the loader was made.

    The daemon renders from such a snapshot, taken when its configuration was loaded and checked:
    a template edited afterwards is used only once a reload has checked it with everything else,
    never half-way (a FileSystemLoader would read the edited file at the next send).  Each
    template keeps its file's path, so that errors and tracebacks name the file and line.
    """

    def __init__(self, folder: str) -> None:
        self.folder = os.path.abspath(folder)
        self.files: dict[str, tuple[bytes, str]] = {}  # name -> (raw bytes, path)
        for top, subfolders, names in os.walk(self.folder):
            subfolders.sort()
            for name in sorted(names):
                path = os.path.join(top, name)
                relative = os.path.relpath(path, self.folder).replace(os.sep, "/")
                try:
                    with open(path, "rb") as handle:
                        self.files[relative] = (handle.read(), path)
                except OSError:
                    continue  # as if it were absent: rendering names the missing template

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        found = self.files.get(template)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        raw, path = found
        return raw.decode("utf-8"), path, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.files)


def environment(
    templates_dir: str, bytecode_dir: str | None = None, *, snapshot: bool = False
) -> jinja2.Environment:
    """The Jinja2 environment for one templates folder (hold one per folder and reuse it).

    ``bytecode_dir`` keeps compiled templates between processes (compiling is most of the time
    ``reminders check`` spends on templates); an entry is used only while its source is unchanged.
    Its files have a name of their own: Jinja2 keys them by template and source only, and code
    compiled outside the sandbox calls functions without the sandbox's checks.

    The immutable sandbox: a template that could append to a list or update a dict it was given
    could change what the next render (the page, a plan kept per build) shows; templates only
    loop and test.

    ``snapshot``: the templates as they are now, never read again (:class:`SnapshotLoader`).
    """
    loader: jinja2.BaseLoader = (
        SnapshotLoader(templates_dir) if snapshot else jinja2.FileSystemLoader(templates_dir)
    )
    cache = (
        jinja2.FileSystemBytecodeCache(bytecode_dir, SANDBOXED_BYTECODE) if bytecode_dir else None
    )
    env = BoundedSandbox(
        loader=loader,
        bytecode_cache=cache,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # The program text of the templates ({% trans %}, _()) from the gettext catalogs, in the
    # language the template writes in (newstyle: a translation's placeholders are named).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    env.filters["longdate"] = _longdate_filter
    env.filters["clock"] = _clock_filter
    env.filters["ordinal"] = _ordinal_filter
    env.filters["plural"] = _plural_filter
    env.filters["wrap"] = wrap
    env.filters["format"] = _format_filter
    env.filters["center"] = _center_filter
    env.filters["indent"] = _indent_filter
    return env


def template_language(context: jinja2.runtime.Context) -> str:
    """The language a template writes in: its ``organisation.language`` (a notice, the page and
    the plan all have one), for the filters that write words (core/words.py)."""
    organisation = context.get("organisation")
    language = (
        organisation.get("language")
        if isinstance(organisation, dict)
        else getattr(organisation, "language", None)
    )
    return words.output_language(language or "")


# --- Program text: the gettext catalogs -------------------------------------------------------
#
# reminders/locale/reminders.pot holds every sentence the templates mark; each language has
# reminders/locale/<lang>/LC_MESSAGES/reminders.po, edited by translators, and its compiled .mo
# beside it (shipped in the package; docs/design-notes.md, "Program text in catalogs").  English
# is the text in the templates itself: it never reads a catalog (nor imports gettext).

# The catalogs themselves are read by core/i18n.py, for the templates and for Python's text alike.
translations = i18n.translations


def _bounded_message(text: str) -> str:
    """A message as Jinja2's gettext is about to fill it (``text % variables``, outside the
    sandbox's operators): its formats bounded like any other (``%%`` is a literal %)."""
    check_printf(text.replace("%%", ""))
    return text


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    catalog = translations(template_language(context))
    return _bounded_message(message if catalog is None else str(catalog.gettext(message)))


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, count: int) -> str:
    catalog = translations(template_language(context))
    if catalog is None:
        return _bounded_message(singular if count == 1 else plural)
    return _bounded_message(str(catalog.ngettext(singular, plural, count)))


@jinja2.pass_context
def _longdate_filter(context: jinja2.runtime.Context, value: Any) -> str:
    return words.long_date(value, template_language(context))


@jinja2.pass_context
def _clock_filter(context: jinja2.runtime.Context, value: Any) -> str:
    return words.clock(value, template_language(context))


@jinja2.pass_context
def _ordinal_filter(context: jinja2.runtime.Context, value: int) -> str:
    return words.ordinal(value, template_language(context))


@jinja2.pass_context
def _plural_filter(context: jinja2.runtime.Context, count: int, word: str, many: str = "") -> str:
    return words.plural(count, word, template_language(context), many)


def sandbox_refusal(exc: SecurityError) -> str:
    """The problem ``reminders check`` reports for a template the sandbox stopped."""
    why = (exc.message or "an unsafe operation").rstrip(".")
    if isinstance(exc, TemplateLimit):
        return (
            f"refused by the template sandbox ({why}): a template may not compute values that "
            "large; expected numbers, text and widths of the size a notice or a page shows"
        )
    return (
        f"refused by the template sandbox ({why}); templates see only the variables listed in "
        "templates/README.md, not Python's internals"
    )


_layered: dict[str, jinja2.Environment] = {}


def layered_environment(templates_dir: str) -> jinja2.Environment:
    """The environment of a templates folder with the bundled templates behind it, made once per
    folder (Jinja2 then reloads edited files).

    A folder copied before the web page or the plan existed has no ``web/`` or ``plan/``: the
    bundled files stand in for those it lacks, and files present in the folder always win.
    """
    from .resources import bundled

    key = os.path.abspath(templates_dir)
    env = _layered.get(key)
    if env is None:
        env = environment(templates_dir)
        fallback = bundled("templates")
        if os.path.abspath(fallback) != key:
            assert env.loader is not None
            env.loader = jinja2.ChoiceLoader([env.loader, jinja2.FileSystemLoader(fallback)])
        _layered[key] = env
    return env


def template_file(templates_dir: str, name: str) -> str:
    """The path of a template as messages show it."""
    from .resources import shown_path

    return shown_path(os.path.join(templates_dir, *name.split("/")))
