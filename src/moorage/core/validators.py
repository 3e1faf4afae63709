"""What text Moorage stores: no NUL, no control characters, no lone surrogates, no bidi overrides.

NUL breaks PostgreSQL, a lone surrogate cannot be encoded as UTF-8, control characters corrupt
e-mails, PDFs and CSV exports, and right-to-left overrides make a name read differently on an
invoice than it was typed. Forms and imports refuse them with a message naming the character.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

BIDI_OVERRIDES = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored as it is, or None."""
    allowed = {"\n", "\r", "\t"} if multiline else {"\t"}
    for ch in value:
        code = ord(ch)
        if ch == "\x00":
            return "contains a NUL character"
        if 0xD800 <= code <= 0xDFFF:
            return "contains an invalid character (a lone surrogate)"
        if (code < 0x20 or 0x7F <= code < 0xA0) and ch not in allowed:
            return f"contains a control character (U+{code:04X})"
        if ch in BIDI_OVERRIDES:
            return f"contains a text-direction override (U+{code:04X})"
    return None


@deconstructible
class PlainTextValidator:
    """A form or model field validator built on text_problem."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and (problem := text_problem(value, multiline=self.multiline)):
            raise ValidationError(f"The text {problem}.", code="invalid_text")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


single_line = PlainTextValidator()
multi_line = PlainTextValidator(multiline=True)
