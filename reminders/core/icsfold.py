"""Escaping and folding of TEXT content lines, with the parts that repeat done once.

icalendar is the authority: ``vText`` escapes, and its folding rule (``_foldline``, reached
through ``Contentline.to_ical``) is what :func:`fold` does.  Two things make the feed's build
fast without changing a byte:

* :func:`fold_by_octets` applies icalendar's rule by slices of the UTF-8 octets instead of its
  loop over the characters.  At import it folds sample lines that take every branch of the rule
  both ways and is used only if they agree (else icalendar's own folding is);
  tests/test_ics_pieces.py compares the two on random lines.
* :class:`Folder` writes a line whose value is ``head + middle + tail``, where ``head`` and
  ``tail`` repeat (an observance's description, its facts) and only ``middle`` changes (the
  year and the ordinal): head and tail are escaped and folded once.

Why that is exact: folding is greedy from the start of a line, so the fold of ``a + b`` is the
complete physical lines of ``fold(a)`` followed by ``fold(last + b)``, ``last`` being the last,
partial, physical line of ``fold(a)``; and ``fold(last + b)`` depends on ``last`` only through
its length in octets, whether it holds more than one character and whether it ends in ``\\``
or ``^`` (:func:`stand_in`).  Escaping works a character at a time except for ``\\N`` and
CR LF, so parts that do not end in a backslash or a CR escape one by one as the whole does
(:func:`safe_cut`).  tests/test_ics_pieces.py checks the whole feed against a plain icalendar
build, on random calendars.
"""

from __future__ import annotations

import re

from icalendar import vText
from icalendar.parser import Contentline

_ESCAPED = re.compile(r"[\\;,\r\n]")
FOLD = "\r\n "  # icalendar's fold: CRLF and one space


def icalendar_fold(line: str) -> str:
    """icalendar's folding of one content line (``Contentline.to_ical``), as text."""
    folded: bytes = Contentline(line).to_ical()  # type: ignore[no-untyped-call]
    return folded.decode()


def fold_by_octets(line: str) -> str:
    """icalendar's folding rule (``_foldline``) worked by slices of the UTF-8 octets.

    icalendar walks the line a character at a time and breaks before the character that would
    make a physical line 75 octets or more (so a line holds at most 74, the continuation's
    leading space not counted, and never half a character), and carries a ``\\`` or ``^``
    that would end a line over to the next (its issue 1501).  Here each break is found from the
    octet 74 places on, stepped back to the start of its character: the same lines, without a
    loop over the characters (about 20 times faster on a long description)."""
    data = line.encode()
    size = len(data)
    if size < 75:
        return line
    out = []
    start = 0
    while size - start > 74:
        cut = start + 74
        while data[cut] & 0xC0 == 0x80:  # a continuation octet: the character does not fit
            cut -= 1
        if data[cut - 1] in b"\\^":  # one octet, so the line holds another character too
            cut -= 1
        out.append(data[start:cut])
        start = cut
    out.append(data[start:])
    return b"\r\n ".join(out).decode()


# Lines that take every branch of icalendar's rule: short, long, multi-octet characters across
# a break, a backslash or caret where a line would end.  If an icalendar release folds any of
# them otherwise, its own folding is used (slower, never different from it).
_SAMPLES = (
    "SUMMARY:short",
    "DESCRIPTION:" + "a" * 61 + "\\;" + "b" * 200,
    "DESCRIPTION:" + "a" * 61 + "^" + "b" * 80,
    "X:" + "Xocalı soyqırımı; یادگاری دن " * 9,
    "X:" + "\U0001d11e" * 40 + "x\\" * 30,
    "X:" + "x" * 71 + "é" * 3 + "\\" * 80,
)
fold = (
    fold_by_octets
    if all(fold_by_octets(line) == icalendar_fold(line) for line in _SAMPLES)
    else icalendar_fold
)


def escape(text: str) -> str:
    """RFC 5545 TEXT escaping, by icalendar's ``vText``; text with none of the characters it
    escapes (backslash, semicolon, comma, CR, LF) is the same escaped."""
    if not _ESCAPED.search(text):
        return text
    escaped: bytes = vText(text).to_ical()
    return escaped.decode()


def stand_in(last: str) -> str:
    """A text that icalendar folds on from as it does from ``last``.

    icalendar's fold (``_foldline``) decides each break from the octets on the current physical
    line, whether it holds more than one character and whether its last character is ``\\``
    or ``^`` (which it carries to the next line): the stand-in keeps those three, in ASCII, and
    it is the same for every ``last`` that folds on alike (so it can key a cache)."""
    if len(last) == 1:
        return last
    end = last[-1] if last[-1] in "\\^" else "x"
    return "x" * (len(last.encode()) - 1) + end


def resume(last: str, rest: str) -> str:
    """``fold(last + text)`` from ``rest = fold(stand_in(last) + text)[len(stand_in) - 1:]``."""
    if rest.startswith(FOLD):  # the last character was carried to the next line
        return last[:-1] + rest
    return last + rest[1:]


def safe_cut(text: str) -> bool:
    """Whether escaping may stop after ``text`` and go on with what follows it: icalendar's
    escaping reads two characters together only in ``\\N`` and CR LF."""
    return not text or text[-1] not in "\\\r"


# A part's escaping and folding is a function of the part (and of the property's name, or of
# what the line holds before it, see stand_in): kept for every Folder, so that every build, and
# every organisation of a deployment, folds the shared calendars' texts once; up to this many.
PARTS_KEPT = 20_000
_heads: dict[tuple[str, str], tuple[str, str]] = {}
_tails: dict[tuple[str, str], str] = {}


class Folder:
    """Text content lines, with the escaping and folding of repeated parts kept (each
    observance's text, in every build)."""

    def __init__(self) -> None:
        for kept in (_heads, _tails):
            if len(kept) > PARTS_KEPT:
                kept.clear()
        self._heads = _heads
        self._tails = _tails

    def line(self, name: str, head: str, middle: str = "", tail: str = "") -> str:
        """The folded line ``name:value`` of the TEXT value ``head + middle + tail``.

        ``head`` and ``tail`` repeat (their escaping and folding are kept), ``middle`` does not.
        Where a part ends in a backslash or a carriage return, it is escaped with the next."""
        if not safe_cut(head):
            head, middle = "", head + middle
        if not safe_cut(middle) and tail:
            middle, tail = middle + tail, ""
        key = (name, head)
        kept = self._heads.get(key)
        if kept is None:
            lines = fold(f"{name}:{escape(head)}").split(FOLD)
            done = "".join(line + FOLD for line in lines[:-1])
            kept = self._heads[key] = (done, lines[-1])
        done, last = kept
        if middle:
            lines = self._after(last, escape(middle)).split(FOLD)
            done += "".join(line + FOLD for line in lines[:-1])
            last = lines[-1]
        if not tail:
            return done + last
        after = stand_in(last)
        key2 = (after, tail)
        rest = self._tails.get(key2)
        if rest is None:
            rest = self._tails[key2] = fold(after + escape(tail))[len(after) - 1 :]
        return done + resume(last, rest)

    @staticmethod
    def _after(last: str, text: str) -> str:
        """``fold(last + text)``, where ``last`` is a physical line that icalendar made."""
        after = stand_in(last)
        return resume(last, fold(after + text)[len(after) - 1 :])
