"""Free text that stays honest: what a person typed displays as what it says.

`text_problems` is asked by every service that stores free text (names, summaries, reasons,
notes), so pages, API and CLI refuse alike. It refuses:

- characters that change the direction of text: the embeddings, overrides and isolates
  U+202A to U+202E and U+2066 to U+2069, and the direction marks U+200E, U+200F and U+061C
  (they can make "gpj.exe" show as "exe.jpg");
- zero-width characters (U+200B, U+2060, U+FEFF, and U+200C / U+200D outside the places a
  script or an emoji needs them, below) and every other invisible format character (Unicode
  category Cf, e.g. the soft hyphen U+00AD, the tag characters U+E0000 to U+E007F);
- control characters (C0 U+0000 to U+001F, DEL U+007F and C1 U+0080 to U+009F), except tab,
  line feed and carriage return in a multi-line field (a text area); the line and paragraph
  separators U+2028 and U+2029 anywhere; and lone surrogates (broken characters);
- text longer than the field's limit, counted in characters, saying both numbers.

Letters of every script are accepted, right-to-left ones included (Hebrew, Arabic): the text
direction comes from the letters themselves, so no invisible control is needed. So are accents
and emoji. The zero-width joiner U+200D is accepted inside an emoji sequence (between two
emoji, as in a family or a profession emoji) and after a virama (Indic scripts); the zero-width
non-joiner U+200C after a virama and between two Arabic-script letters (Persian writes it inside
words); the tag characters only in a subdivision flag (U+1F3F4, tags, U+E007F). These follow
the contexts IDNA allows them in (RFC 5892, appendix A.1 and A.2) and Unicode's emoji sequences
(UTS #51).
"""

import re
import unicodedata

from turnpoint.errors import Problem

DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
ZWNJ, ZWJ = "\u200c", "\u200d"
MULTILINE_ALLOWED = frozenset("\t\n\r")
SEPARATORS = frozenset("\u2028\u2029")

# A subdivision flag: black flag, then tag letters or digits, then cancel tag (UTS #51).
_TAG_FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]+\U000e007f")
_ARABIC_SCRIPT = (
    (0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
)  # fmt: skip


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _is_arabic_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM" and any(
        lo <= ord(ch) <= hi for lo, hi in _ARABIC_SCRIPT
    )


def _is_emoji(ch: str) -> bool:
    # Pictographs are symbols (So); a variation selector or skin tone may end the one before.
    return unicodedata.category(ch) == "So" or "\ufe0e" <= ch <= "\ufe0f" or (
        "\U0001f3fb" <= ch <= "\U0001f3ff"
    )  # fmt: skip


def _after_virama(before: str) -> bool:
    return bool(before) and unicodedata.combining(before) == 9


def _joiner_in_place(text: str, i: int) -> bool:
    """Is the joiner at `i` one a script or an emoji needs (module docstring)?"""
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if _after_virama(before):
        return True
    if text[i] == ZWJ:
        return bool(before and after) and _is_emoji(before) and _is_emoji(after)
    return bool(before and after) and _is_arabic_letter(before) and _is_arabic_letter(after)


def _flag_tags(text: str) -> set[int]:
    """Positions of tag characters that belong to a well-formed subdivision flag."""
    return {i for m in _TAG_FLAG.finditer(text) for i in range(m.start() + 1, m.end())}


def _what(ch: str, *, multiline: bool) -> tuple[str, str] | None:
    """Why `ch` is refused and what to do, in words, or None when it is fine."""
    remove = "remove it"
    if ch in MULTILINE_ALLOWED:
        if multiline:
            return None
        if ch == "\t":
            return "contains a tab", "use a space instead"
        return "contains a line break", "keep it on one line"
    if ch in DIRECTION_CONTROLS:
        return (
            f"contains an invisible character that changes the direction of text ({_code(ch)})",
            remove,
        )
    if ch in DIRECTION_MARKS:
        return f"contains an invisible direction mark ({_code(ch)})", remove
    if ch in ZERO_WIDTH:
        return f"contains an invisible zero-width character ({_code(ch)})", remove
    if ch in SEPARATORS:
        advice = "use an ordinary line break" if multiline else "keep it on one line"
        return f"contains a line or paragraph separator ({_code(ch)})", advice
    category = unicodedata.category(ch)
    if category == "Cc":
        return f"contains a control character ({_code(ch)})", remove
    if category == "Cf":
        return f"contains an invisible formatting character ({_code(ch)})", remove
    if category == "Cs":
        return f"contains a broken character ({_code(ch)})", remove
    return None


def text_problems(field: str, value, *, max_length: int, multiline: bool = False) -> list[Problem]:
    """Every problem with one piece of free text, as `Problem`s for `field` (module docstring).

    A character problem names the character and where it is ("... (U+202E) at character 7 —
    remove it"); each kind is reported once. `value` None or empty finds nothing: whether the
    text is required is the service's own rule."""
    if value is None:
        return []
    text = str(value)
    problems: list[Problem] = []
    seen: set[str] = set()
    tags = _flag_tags(text) if any(ord(c) >= 0xE0000 for c in text) else set()
    for i, ch in enumerate(text):
        if (ch.isprintable() and ch not in SEPARATORS) or (ch in MULTILINE_ALLOWED and multiline):
            continue  # the common case, fast: isprintable is False for every kind refused
        if (ch in (ZWJ, ZWNJ) and _joiner_in_place(text, i)) or i in tags:
            continue
        found = _what(ch, multiline=multiline)
        if found is None or found[0] in seen:
            continue
        what, advice = found
        seen.add(what)
        problems.append(Problem(field, f"{what} at character {i + 1} — {advice}"))
    length = len(text.strip())
    if length > max_length:
        problems.append(
            Problem(field, f"must be {max_length:,} characters or fewer; this is {length:,}")
        )
    return problems


def texts_problems(values: dict, limits: dict[str, int], *, multiline=()) -> list[Problem]:
    """`text_problems` for each field of `limits` present in `values`; `multiline` names the
    fields that are text areas."""
    problems: list[Problem] = []
    for field, limit in limits.items():
        if field in values:
            problems += text_problems(
                field, values[field], max_length=limit, multiline=field in multiline
            )
    return problems
