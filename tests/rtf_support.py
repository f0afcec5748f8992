"""A small reader of RTF for the tests, written from the RTF 1.9.1 specification independently
of rtflite: it checks that a document is one balanced group starting with ``\\rtf1`` and returns
the text of each table cell and paragraph, decoding ``\\uN?`` escapes and the escaped
``\\`` ``{`` ``}``."""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"\\([a-z]+)(-?\d+)? ?|\\([\\{}*])|\\'([0-9a-f]{2})|([{}])|([^\\{}\r\n]+)|\r?\n"
)


IGNORED = {"fonttbl", "colortbl", "stylesheet", "info", "generator"}
"""Destination groups whose text is not document text."""


class RtfError(ValueError):
    """The text is not a well-formed RTF document."""


def parse_rtf(text: str) -> list[str]:
    """The texts of a document's cells and paragraphs, in order (empty ones dropped).

    Raises
    ------
    RtfError : not ASCII, not starting with ``{\\rtf1``, unbalanced braces, or text after the
        closing brace
    """
    if not text.isascii():
        raise RtfError("not 7-bit ASCII")
    if not text.startswith("{\\rtf1"):
        raise RtfError("does not start with {\\rtf1")
    stack: list[bool] = []  # per open group: is it a destination whose text is not shown
    parts: list[str] = []
    current: list[str] = []
    skip, fresh = 0, False
    position, closed = 0, False
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            raise RtfError(f"unreadable text at offset {position}")
        position = match.end()
        word, number, escaped, hexa, brace, plain = match.groups()
        if closed and (word or plain or brace):
            raise RtfError("text after the document's closing brace")
        hidden = bool(stack) and stack[-1]
        if brace == "{":
            stack.append(hidden)
            fresh = True
            continue
        if brace == "}":
            if not stack:
                raise RtfError("a closing brace without an opening one")
            stack.pop()
            parts.append("".join(current))
            current, closed = [], not stack
            continue
        if fresh and (word in IGNORED or escaped == "*"):
            stack[-1] = True
        fresh = False
        if hidden or (stack and stack[-1]):
            continue
        if word in ("cell", "par", "line", "row"):
            parts.append("".join(current))
            current = []
        elif word == "u":
            current.append(chr(int(number) % 65536))
            skip = 1
        elif escaped:
            current.append(escaped)
        elif hexa:
            current.append(bytes([int(hexa, 16)]).decode("cp1252"))
        elif plain:
            if skip:  # the '?' fallback after \uN
                plain, skip = plain[1:], 0
            current.append(plain)
    depth = len(stack)
    if depth != 0:
        raise RtfError("unbalanced braces")
    texts = ["".join(p).encode("utf-16", "surrogatepass").decode("utf-16") for p in parts]
    return [t.strip() for t in texts if t.strip()]
