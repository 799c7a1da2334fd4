"""Instruments are data: the files in `instruments/` (and a deployment's own directories) say
what each instrument asks, how it is scored and under what licence it is shown; this module loads
them with every check, and scores an administration's answers against one (docs/assessments.md,
"Instruments").

Pure: no database, no request. The loader refuses a malformed file naming the file, the item or
scale and the reason; `score` refuses bad answers naming each item and the reason, and changes
nothing. `score_columns` scores many stored administrations at once by the same rules.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from turnpoint.sharing.categories import Category

from .domains import LifeDomain

DEFAULT_LANGUAGE = "en"

PROFILES = (
    "risk_need",
    "recovery_capital",
    "readiness",
    "needs",
    "substance_use",
    "mental_health",
    "wellbeing",
    "alcohol",
    "trauma",
    "monitoring",
)
VERDICTS = ("SHIP", "SHIP-WITH-ATTRIBUTION", "OWN-MEASURE", "DEPLOYMENT-LICENSED")
CAPITALS = ("personal", "social", "community")
METHODS = ("sum", "mean", "count")
MISSING_POLICIES = ("refuse", "prorate", "answered")
# "neither": a scale where neither end is the better one (SOCRATES Ambivalence).
HIGHER_IS = ("better", "worse", "neither")


class InstrumentFileError(ValueError):
    """A malformed instrument file; each problem names the file, the item or scale and why."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class AnswersRefused(ValueError):
    """Answers that cannot be scored; each problem names the item id and the reason."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class UnknownInstrument(KeyError):
    """No instrument with this id is available (unknown, or switched off by the deployment)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------
# The instrument, as loaded


@dataclass(frozen=True)
class Option:
    value: int | float
    # The label in the instrument's language; where the source gives none, the number itself
    # (and `labelled` is False): a label is never invented.
    label: str
    labelled: bool = True
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    loinc: str | None = None

    def label_in(self, language: str) -> str:
        """The label in `language`, else in the default language, else the number."""
        return self.labels.get(language, self.label)


@dataclass(frozen=True)
class Skip:
    """The item is not asked when `item`'s answer is `equals`; it then scores `score_as`."""

    item: str
    equals: int | float
    score_as: int | float | None
    text: str


@dataclass(frozen=True)
class Item:
    id: str
    number: str
    text: str
    options: tuple[Option, ...] = ()
    minimum: int | float | None = None
    maximum: int | float | None = None
    scored: bool = True
    reverse: bool = False
    domain: str | None = None
    capital: str | None = None
    texts: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    loinc: str | None = None
    skip: Skip | None = None
    integer: bool = True

    @property
    def kind(self) -> str:
        """ "choice" (options), "number" (a free number between minimum and maximum) or
        "display" (a stem that asks nothing)."""
        if self.options:
            return "choice"
        if self.minimum is not None:
            return "number"
        return "display"

    @property
    def answerable(self) -> bool:
        return self.kind != "display"

    @property
    def low(self) -> int | float:
        """The lowest answer (for reverse scoring and ranges)."""
        if self.options:
            return min(o.value for o in self.options)
        assert self.minimum is not None, "a display item has no answers"
        return self.minimum

    @property
    def high(self) -> int | float:
        if self.options:
            return max(o.value for o in self.options)
        assert self.maximum is not None, "a display item has no answers"
        return self.maximum

    def option(self, value: int | float) -> Option | None:
        for o in self.options:
            if o.value == value:
                return o
        return None

    def text_in(self, language: str) -> str:
        """The item's text in `language`, or in the instrument's default language."""
        return self.texts.get(language, self.text)


@dataclass(frozen=True)
class Licence:
    verdict: str
    status: str
    statement: str
    attribution: str
    # What is provisional: "licence" (a permission still to confirm) and/or "wording" (item
    # text still to check against the official form). Shown to users with `open_checks`.
    provisional_parts: tuple[str, ...] = ()
    open_checks: tuple[str, ...] = ()
    source_urls: tuple[str, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_parts)


@dataclass(frozen=True)
class Band:
    minimum: float
    maximum: float
    label: str


@dataclass(frozen=True)
class Cutoff:
    """A comparison of the scale's score (`at_least` or `at_most`), or one chosen by a context
    value (AUDIT-C's threshold by sex), or a rule over item answers (PCL-5's provisional PTSD)."""

    id: str
    label: str
    at_least: float | None = None
    at_most: float | None = None
    context_key: str | None = None
    cases: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    otherwise: tuple[float | None, float | None] | None = None
    otherwise_note: str = ""
    conditions: tuple[dict, ...] = ()
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class NormRow:
    value: int | float
    label: str | None
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Norm:
    id: str
    label: str
    note: str
    source: str
    rows: tuple[NormRow, ...]

    def lookup(self, score: float) -> NormRow | None:
        for row in self.rows:
            if row.minimum <= score <= row.maximum:
                return row
        return None


@dataclass(frozen=True)
class Scale:
    id: str
    name: str
    method: str
    items: tuple[str, ...]
    minimum: float
    maximum: float
    higher_is: str
    missing: str = "refuse"
    max_missing: int = 0
    multiply: float = 1
    count_at_least: float | None = None
    decimals: int = 0
    bands: tuple[Band, ...] = ()
    bands_source: str = ""
    cutoffs: tuple[Cutoff, ...] = ()
    norms: tuple[Norm, ...] = ()
    note: str = ""

    def band(self, score: float | None) -> str | None:
        if score is None or not self.bands:
            return None
        chosen = None
        for band in self.bands:
            if band.minimum <= score:
                chosen = band
        return chosen.label if chosen else None


@dataclass(frozen=True)
class Flag:
    item: str
    at_least: float
    message: str


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: str
    short_name: str
    citation: str
    licence: Licence
    validated: bool
    category: str
    profile: str
    domains: tuple[str, ...]
    languages: tuple[str, ...]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    test_vectors: tuple[dict, ...]
    source_path: str
    flags: tuple[Flag, ...] = ()
    about: str = ""
    instructions: str = ""
    # What the scores leave out, shown with them (SOCRATES 8D: Taking Steps is not scored).
    scoring_note: str = ""
    loinc: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    shipped: bool = True

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.short_name} has no item {item_id!r}")

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(f"{self.short_name} has no scale {scale_id!r}")

    @property
    def answerable_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.answerable)


# --------------------------------------------------------------------------------------------
# Scores


@dataclass
class ScaleScore:
    id: str
    name: str
    score: float | None
    minimum: float
    maximum: float
    higher_is: str
    band: str | None
    cutoffs: list[dict] = field(default_factory=list)
    prorated: bool = False
    note: str = ""
    norms: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "score": self.score,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "higher_is": self.higher_is,
            "band": self.band,
            "cutoffs": [dict(c) for c in self.cutoffs],
            "prorated": self.prorated,
            "note": self.note,
            "norms": [dict(n) for n in self.norms],
        }


@dataclass
class Scored:
    scales: list[ScaleScore]
    flags: list[str]
    answered: int
    missing: list[str]

    def scale(self, scale_id: str) -> ScaleScore:
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise KeyError(scale_id)

    def as_json(self) -> dict:
        """Exactly what `Administration.scores` stores."""
        return {
            "scales": [s.as_json() for s in self.scales],
            "flags": list(self.flags),
            "answered": self.answered,
            "missing": list(self.missing),
        }


def _number_out(value: float, decimals: int) -> int | float:
    if decimals == 0:
        rounded = round(value)
        if math.isclose(value, rounded, abs_tol=1e-9):
            return int(rounded)
    return round(value, decimals if decimals else 2)


def _compare(value: float, at_least: float | None, at_most: float | None) -> bool:
    if at_least is not None and value < at_least:
        return False
    return not (at_most is not None and value > at_most)


def _describe(at_least: float | None, at_most: float | None) -> str:
    parts = []
    if at_least is not None:
        parts.append(f"at least {_fmt(at_least)}")
    if at_most is not None:
        parts.append(f"at most {_fmt(at_most)}")
    return " and ".join(parts)


def _fmt(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _condition_met(condition: dict, values: dict[str, float | None]) -> bool:
    if "item" in condition:
        v = values.get(condition["item"])
        if v is None:
            return False
        return _compare(v, condition.get("at_least"), condition.get("at_most"))
    answer_at_least = condition["answer_at_least"]
    count = sum(
        1
        for i in condition["count_of"]
        if (values.get(i) is not None and values[i] >= answer_at_least)
    )
    return count >= condition["at_least"]


def _validate_answers(
    instrument: Instrument, answers: dict[str, Any]
) -> tuple[dict[str, float | None], list[str]]:
    problems: list[str] = []
    values: dict[str, float | None] = {}
    known = {i.id: i for i in instrument.items}
    if not isinstance(answers, dict):
        return {}, ["answers: must be a mapping of item id to a number"]
    for key in answers:
        if key not in known:
            problems.append(f"{key}: is not an item of {instrument.short_name}")
    for item in instrument.items:
        if item.id not in answers:
            continue
        raw = answers[item.id]
        if raw is None:
            values[item.id] = None
            continue
        if not item.answerable:
            problems.append(f"{item.id}: asks nothing (it introduces the items after it)")
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            problems.append(f"{item.id}: {raw!r} is not a number")
            continue
        if item.options:
            if item.option(raw) is None:
                allowed = ", ".join(_fmt(o.value) for o in item.options)
                problems.append(f"{item.id}: {_fmt(raw)} is not one of the answers ({allowed})")
                continue
        else:
            assert item.minimum is not None and item.maximum is not None, "a number item"
            if item.integer and not float(raw).is_integer():
                problems.append(f"{item.id}: {raw} is not a whole number")
                continue
            if not item.minimum <= raw <= item.maximum:
                problems.append(
                    f"{item.id}: {_fmt(raw)} is outside "
                    f"{_fmt(item.minimum)} to {_fmt(item.maximum)}"
                )
                continue
        values[item.id] = raw
    # Skip rules: an item that is not asked takes its stated score; an answer to it is refused.
    for item in instrument.items:
        if item.skip is None:
            continue
        gate = values.get(item.skip.item)
        if gate is not None and gate == item.skip.equals:
            given = values.get(item.id)
            if given is not None and given != item.skip.score_as:
                problems.append(
                    f"{item.id}: is not asked when {item.skip.text}; leave it unanswered"
                )
            values[item.id] = item.skip.score_as
    return values, problems


def _skipped(instrument: Instrument, values: dict[str, float | None]) -> set[str]:
    out = set()
    for item in instrument.items:
        if item.skip is not None:
            gate = values.get(item.skip.item)
            if gate is not None and gate == item.skip.equals:
                out.add(item.id)
    return out


def _item_score(item: Item, value: float) -> float:
    if item.reverse:
        return item.high + item.low - value
    return value


def score(
    instrument: Instrument,
    answers: dict[str, int | float | None],
    *,
    context: dict | None = None,
    partial: bool = False,
) -> Scored:
    """Score one administration's answers (item id -> value; None or absent: not answered).

    Refuses (AnswersRefused, naming each item) an unknown item, a value that is not a number, not
    one of the item's answers or outside its range, an answer to a skipped item, and — unless
    `partial` — a missing answer a scale cannot do without. With `partial=True` only what is
    given is checked and the scales that can already be computed are returned.
    """
    values, problems = _validate_answers(instrument, answers)
    if problems:
        raise AnswersRefused(problems)
    context = context or {}
    skipped = _skipped(instrument, values)
    scales: list[ScaleScore] = []
    for scale in instrument.scales:
        result = _score_scale(instrument, scale, values, context)
        if isinstance(result, list):
            if not partial:
                problems.extend(result)
            continue
        scales.append(result)
    if problems:
        raise AnswersRefused(problems)
    flags = [
        f.message
        for f in instrument.flags
        if values.get(f.item) is not None and values[f.item] >= f.at_least  # type: ignore[operator]
    ]
    answered = sum(
        1
        for i in instrument.answerable_items
        if values.get(i.id) is not None and i.id not in skipped
    )
    missing = [
        i.id
        for i in instrument.answerable_items
        if i.scored and i.id not in skipped and values.get(i.id) is None
    ]
    return Scored(scales=scales, flags=flags, answered=answered, missing=missing)


def _score_scale(
    instrument: Instrument, scale: Scale, values: dict[str, float | None], context: dict
) -> ScaleScore | list[str]:
    items = [instrument.item(i) for i in scale.items]
    answered = [(it, values[it.id]) for it in items if values.get(it.id) is not None]
    missing = [it.id for it in items if values.get(it.id) is None]
    allowed = 0 if scale.missing == "refuse" else scale.max_missing
    if len(missing) > allowed or not answered:
        if scale.missing == "refuse":
            why = f"{scale.name} needs every item"
        else:
            why = (
                f"{scale.name} allows at most {scale.max_missing} missing "
                f"item{'s' if scale.max_missing != 1 else ''}; {len(missing)} are missing"
            )
        return [f"{i}: not answered ({why})" for i in missing]
    prorated = False
    if scale.method == "count":
        assert scale.count_at_least is not None, "checked by the loader"
        raw = float(sum(1 for _, v in answered if v >= scale.count_at_least))  # type: ignore[operator]
    else:
        total = float(sum(_item_score(it, v) for it, v in answered))  # type: ignore[arg-type]
        if scale.method == "mean":
            raw = total / len(answered)
        elif scale.missing == "prorate" and missing:
            raw = total * len(items) / len(answered)
            prorated = True
        else:
            raw = total
    value = _number_out(raw * scale.multiply, scale.decimals)
    cutoffs = [_cutoff_result(c, value, values, context) for c in scale.cutoffs]
    norms = []
    for norm in scale.norms:
        row = norm.lookup(value)
        norms.append(
            {
                "id": norm.id,
                "label": norm.label,
                "value": row.value if row else None,
                "value_label": row.label if row else None,
                "note": norm.note,
            }
        )
    note = scale.note
    if prorated:
        note = (note + " " if note else "") + (
            f"Pro-rated from {len(answered)} of {len(items)} items "
            f"({', '.join(missing)} not answered)."
        )
    elif missing:
        note = (note + " " if note else "") + (
            f"Scored from {len(answered)} of {len(items)} items "
            f"({', '.join(missing)} not answered)."
        )
    return ScaleScore(
        id=scale.id,
        name=scale.name,
        score=value,
        minimum=scale.minimum,
        maximum=scale.maximum,
        higher_is=scale.higher_is,
        band=scale.band(value),
        cutoffs=cutoffs,
        prorated=prorated,
        note=note,
        norms=norms,
    )


def _cutoff_result(
    cutoff: Cutoff, value: float, values: dict[str, float | None], context: dict
) -> dict:
    out: dict[str, Any] = {"id": cutoff.id, "label": cutoff.label}
    if cutoff.conditions:
        out["met"] = all(_condition_met(c, values) for c in cutoff.conditions)
        if cutoff.note:
            out["note"] = cutoff.note
        return out
    at_least, at_most = cutoff.at_least, cutoff.at_most
    note = cutoff.note
    if cutoff.context_key is not None:
        given = context.get(cutoff.context_key)
        if given in cutoff.cases:
            at_least, at_most = cutoff.cases[given]
            note = f"Threshold for {cutoff.context_key} {given}: {_describe(at_least, at_most)}."
        else:
            assert cutoff.otherwise is not None, "checked by the loader"
            at_least, at_most = cutoff.otherwise
            note = cutoff.otherwise_note
    out["met"] = _compare(value, at_least, at_most)
    if note:
        out["note"] = note
    return out


def norm_lookup(instrument: Instrument, scale_id: str, raw: float) -> list[dict]:
    """The norm rows (e.g. SOCRATES deciles) a raw scale score falls in."""
    scale = instrument.scale(scale_id)
    out = []
    for norm in scale.norms:
        row = norm.lookup(raw)
        out.append(
            {
                "id": norm.id,
                "value": row.value if row else None,
                "value_label": row.label if row else None,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Loading and checking files

_TOP_KEYS = {
    "id", "version", "title", "short_name", "citation", "licence", "validated", "category",
    "profile", "domains", "languages", "about", "instructions", "scoring_note", "response_sets",
    "items", "scales", "flags", "test_vectors", "loinc",
}  # fmt: skip
_REQUIRED_TOP = {
    "id", "version", "title", "short_name", "citation", "licence", "validated", "category",
    "profile", "domains", "languages", "items", "scales", "test_vectors",
}  # fmt: skip
_LICENCE_KEYS = {
    "verdict",
    "status",
    "statement",
    "attribution",
    "provisional",
    "open_checks",
    "source_urls",
}
_OPTION_KEYS = {"value", "label", "loinc"}
_ITEM_KEYS = {
    "id", "number", "text", "response_set", "minimum", "maximum", "scored", "reverse", "domain",
    "capital", "loinc", "skip", "integer",
}  # fmt: skip
_SKIP_KEYS = {"when_item", "equals", "score_as", "text"}
_SCALE_KEYS = {
    "id", "name", "method", "items", "range", "higher_is", "missing", "max_missing", "multiply",
    "count_at_least", "decimals", "bands", "bands_source", "cutoffs", "norms", "note",
}  # fmt: skip
_BAND_KEYS = {"min", "max", "label"}
_CUTOFF_KEYS = {"id", "label", "at_least", "at_most", "by_context", "all_of", "source", "note"}
_CONTEXT_KEYS = {"key", "cases", "otherwise", "otherwise_note"}
_COMPARISON_KEYS = {"at_least", "at_most"}
_CONDITION_KEYS = {"item", "at_least", "at_most", "count_of", "answer_at_least"}
_NORM_KEYS = {"id", "label", "note", "source", "rows"}
_NORM_ROW_KEYS = {"value", "label", "min", "max"}
_FLAG_KEYS = {"item", "at_least", "message"}
_VECTOR_KEYS = {
    "id", "kind", "source", "note", "answers", "context", "partial", "expected", "also",
    "norm_input", "working", "quote",
}  # fmt: skip
_ALSO_KEYS = {"context", "expected"}


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class _Checker:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def add(self, where: str, reason: str) -> None:
        self.problems.append(f"{self.path.name}: {where}: {reason}")

    def keys(
        self, where: str, data: Any, allowed: set[str], required: set[str] = frozenset()
    ) -> bool:  # type: ignore[assignment]
        if not isinstance(data, dict):
            self.add(where, "must be a mapping")
            return False
        for key in data:
            if key not in allowed:
                self.add(where, f"unknown key {key!r}")
        for key in sorted(required):
            if key not in data:
                self.add(where, f"missing key {key!r}")
        return True

    def text(
        self, where: str, value: Any, languages: tuple[str, ...], *, required=True
    ) -> dict[str, str]:
        """Text per language: a mapping language -> text, with the default language."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.add(where, "must be text per language, e.g. {en: ...}")
            return {}
        out = {}
        for lang, text in value.items():
            if lang not in languages:
                self.add(where, f"language {lang!r} is not one of the file's languages")
            elif not isinstance(text, str) or not text.strip():
                self.add(where, f"text in {lang!r} must be non-empty text")
            else:
                out[lang] = text
        if languages and languages[0] not in out and not self.problems:
            self.add(where, f"has no text in {languages[0]!r}")
        return out


def load_file(path: Path | str, *, shipped: bool = False) -> Instrument:
    """Load and check one instrument file; InstrumentFileError lists every problem found."""
    path = Path(path)
    check = _Checker(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstrumentFileError([f"{path.name}: cannot be read ({exc.strerror})"]) from exc
    except yaml.YAMLError as exc:
        raise InstrumentFileError([f"{path.name}: is not valid YAML ({exc})"]) from exc
    if not check.keys("file", data, _TOP_KEYS, _REQUIRED_TOP):
        raise InstrumentFileError(check.problems)
    if check.problems:
        raise InstrumentFileError(check.problems)

    iid = data["id"]
    if not isinstance(iid, str) or not iid or not all(c.isalnum() or c in "-_" for c in iid):
        check.add("id", "must be letters, digits, '-' or '_'")
    if path.stem != iid:
        check.add("id", f"must match the file name ({path.stem!r})")
    for key in ("version", "title", "short_name", "citation"):
        if not isinstance(data[key], str) or not data[key].strip():
            check.add(key, "must be non-empty text")
    if not isinstance(data["validated"], bool):
        check.add("validated", "must be true or false")
    if data["category"] not in Category.values:
        check.add("category", f"{data['category']!r} is not a data category")
    if data["profile"] not in PROFILES:
        check.add("profile", f"{data['profile']!r} is not one of {', '.join(PROFILES)}")
    domains = data["domains"]
    if not isinstance(domains, list) or any(d not in LifeDomain.values for d in domains):
        check.add(
            "domains", "must be a list of life domains (" + ", ".join(LifeDomain.values) + ")"
        )
        domains = []
    languages = data["languages"]
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) for x in languages)
    ):
        check.add("languages", "must be a non-empty list of language codes, default first")
        languages = [DEFAULT_LANGUAGE]
    langs = tuple(languages)

    licence = _load_licence(check, data["licence"], data.get("validated"))
    about = check.text("about", data.get("about"), langs, required=False)
    instructions = check.text("instructions", data.get("instructions"), langs, required=False)
    scoring_note = check.text("scoring_note", data.get("scoring_note"), langs, required=False)
    response_sets = _load_response_sets(check, data.get("response_sets") or {}, langs)
    items = _load_items(check, data["items"], response_sets, langs)
    if check.problems:
        raise InstrumentFileError(check.problems)
    by_id = {i.id: i for i in items}
    scales = _load_scales(check, data["scales"], by_id)
    flags = _load_flags(check, data.get("flags") or [], by_id)
    loinc = data.get("loinc") or {}
    if not isinstance(loinc, dict) or not all(isinstance(v, str) for v in loinc.values()):
        check.add("loinc", "must map a name (panel, a scale id) to a LOINC code")
        loinc = {}
    vectors = data["test_vectors"]
    if not isinstance(vectors, list):
        check.add("test_vectors", "must be a list")
        vectors = []
    if check.problems:
        raise InstrumentFileError(check.problems)

    instrument = Instrument(
        id=iid,
        version=data["version"],
        title=data["title"],
        short_name=data["short_name"],
        citation=" ".join(data["citation"].split()),
        licence=licence,
        validated=data["validated"],
        category=data["category"],
        profile=data["profile"],
        domains=tuple(domains),
        languages=langs,
        items=items,
        scales=scales,
        test_vectors=tuple(vectors),
        source_path=str(path),
        flags=flags,
        about=about.get(langs[0], ""),
        instructions=instructions.get(langs[0], ""),
        scoring_note=" ".join(scoring_note.get(langs[0], "").split()),
        loinc=dict(loinc),
        shipped=shipped,
    )
    _check_vectors(check, instrument)
    if check.problems:
        raise InstrumentFileError(check.problems)
    return instrument


def _load_licence(check: _Checker, data: Any, validated: Any) -> Licence:
    if not check.keys(
        "licence", data, _LICENCE_KEYS, {"verdict", "status", "statement", "attribution"}
    ):
        return Licence("", "", "", "")
    for key in ("verdict", "status", "statement", "attribution"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            check.add(f"licence.{key}", "must be non-empty text")
    if data.get("verdict") not in VERDICTS:
        check.add("licence.verdict", f"{data.get('verdict')!r} is not one of {', '.join(VERDICTS)}")
    if data.get("verdict") == "OWN-MEASURE" and validated is not False:
        check.add("validated", "Turnpoint's own measures are not validated: set validated: false")
    parts = data.get("provisional") or []
    if not isinstance(parts, list) or any(p not in ("licence", "wording") for p in parts):
        check.add("licence.provisional", "must list what is provisional: licence and/or wording")
        parts = []
    checks = data.get("open_checks") or []
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        check.add("licence.open_checks", "must be a list of text")
        checks = []
    if parts and not checks:
        check.add(
            "licence.open_checks",
            "a provisional licence or wording must say what is still to check",
        )
    urls = data.get("source_urls") or []
    return Licence(
        verdict=data.get("verdict", ""),
        status=data.get("status", ""),
        statement=" ".join(str(data.get("statement", "")).split()),
        attribution=" ".join(str(data.get("attribution", "")).split()),
        provisional_parts=tuple(parts),
        open_checks=tuple(" ".join(c.split()) for c in checks),
        source_urls=tuple(urls),
    )


def _load_response_sets(
    check: _Checker, data: Any, langs: tuple[str, ...]
) -> dict[str, tuple[Option, ...]]:
    if not isinstance(data, dict):
        check.add("response_sets", "must map a name to a list of options")
        return {}
    out = {}
    for name, options in data.items():
        where = f"response set {name}"
        if not isinstance(options, list) or not options:
            check.add(where, "must be a non-empty list of options")
            continue
        seen: set[float] = set()
        parsed = []
        for n, opt in enumerate(options, start=1):
            w = f"{where}, option {n}"
            if not check.keys(w, opt, _OPTION_KEYS, {"value"}):
                continue
            value = opt.get("value")
            if not _is_number(value):
                check.add(w, f"value {value!r} is not a number")
                continue
            if value in seen:
                check.add(w, f"value {_fmt(value)} appears twice")
            seen.add(value)
            labels = check.text(f"{w} label", opt.get("label"), langs, required=False)
            label = labels.get(langs[0])
            parsed.append(
                Option(
                    value=value,
                    label=label if label is not None else _fmt(value),
                    labelled=label is not None,
                    labels=labels,
                    loinc=opt.get("loinc"),
                )
            )
        out[name] = tuple(parsed)
    return out


def _load_items(
    check: _Checker, data: Any, response_sets: dict[str, tuple[Option, ...]], langs: tuple[str, ...]
) -> tuple[Item, ...]:
    if not isinstance(data, list) or not data:
        check.add("items", "must be a non-empty list")
        return ()
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(data, start=1):
        where = f"item {raw.get('id', n) if isinstance(raw, dict) else n}"
        if not check.keys(where, raw, _ITEM_KEYS, {"id", "number", "text"}):
            continue
        iid = raw.get("id")
        if not isinstance(iid, str) or not iid:
            check.add(where, "id must be text")
            continue
        if iid in seen:
            check.add(where, "duplicate item id")
        seen.add(iid)
        texts = check.text(f"{where} text", raw.get("text"), langs)
        options: tuple[Option, ...] = ()
        minimum = raw.get("minimum")
        maximum = raw.get("maximum")
        if "response_set" in raw:
            if raw["response_set"] not in response_sets:
                check.add(where, f"response set {raw['response_set']!r} is not defined")
            else:
                options = response_sets[raw["response_set"]]
            if minimum is not None or maximum is not None:
                check.add(where, "has both a response set and a minimum/maximum")
        elif (minimum is not None or maximum is not None) and (
            not (_is_number(minimum) and _is_number(maximum)) or minimum >= maximum
        ):
            check.add(where, "minimum and maximum must be numbers, minimum below maximum")
            minimum = maximum = None
        for key in ("scored", "reverse", "integer"):
            if key in raw and not isinstance(raw[key], bool):
                check.add(where, f"{key} must be true or false")
        display = not options and minimum is None
        scored = raw.get("scored", not display)
        if display and (scored or raw.get("reverse")):
            check.add(
                where, "asks nothing (no response set, no minimum/maximum), so cannot be scored"
            )
        domain = raw.get("domain")
        if domain is not None and domain not in LifeDomain.values:
            check.add(where, f"domain {domain!r} is not a life domain")
        capital = raw.get("capital")
        if capital is not None and capital not in CAPITALS:
            check.add(where, f"capital {capital!r} is not one of {', '.join(CAPITALS)}")
        skip = None
        if "skip" in raw:
            s = raw["skip"]
            if check.keys(f"{where} skip", s, _SKIP_KEYS, {"when_item", "equals", "text"}):
                if s.get("when_item") not in seen or s.get("when_item") == iid:
                    check.add(f"{where} skip", f"names {s.get('when_item')!r}, not an earlier item")
                elif not _is_number(s.get("equals")):
                    check.add(f"{where} skip", "equals must be a number")
                elif s.get("score_as") is not None and not _is_number(s.get("score_as")):
                    check.add(f"{where} skip", "score_as must be a number")
                else:
                    skip = Skip(s["when_item"], s["equals"], s.get("score_as"), str(s["text"]))
        items.append(
            Item(
                id=iid,
                number=str(raw.get("number")),
                text=texts.get(langs[0], ""),
                options=options,
                minimum=minimum,
                maximum=maximum,
                scored=bool(scored),
                reverse=bool(raw.get("reverse", False)),
                domain=domain,
                capital=capital,
                texts=texts,
                loinc=raw.get("loinc"),
                skip=skip,
                integer=bool(raw.get("integer", True)),
            )
        )
    by_id = {i.id: i for i in items}
    for item in items:
        if (
            item.skip is not None
            and item.skip.score_as is not None
            and item.options
            and item.option(item.skip.score_as) is None
        ):
            check.add(f"item {item.id} skip", "score_as is not one of the item's answers")
        if item.skip is not None:
            gate = by_id[item.skip.item]
            if gate.options and gate.option(item.skip.equals) is None:
                check.add(
                    f"item {item.id} skip",
                    f"{_fmt(item.skip.equals)} is not an answer of {gate.id}",
                )
    return tuple(items)


def _comparison(check: _Checker, where: str, data: Any) -> tuple[float | None, float | None]:
    if not check.keys(where, data, _COMPARISON_KEYS):
        return (None, None)
    at_least, at_most = data.get("at_least"), data.get("at_most")
    if at_least is None and at_most is None:
        check.add(where, "needs at_least or at_most")
    for v in (at_least, at_most):
        if v is not None and not _is_number(v):
            check.add(where, f"{v!r} is not a number")
    return (at_least, at_most)


def _load_scales(check: _Checker, data: Any, items: dict[str, Item]) -> tuple[Scale, ...]:
    if not isinstance(data, list):
        check.add("scales", "must be a list (empty when nothing is scored)")
        return ()
    scales = []
    seen: set[str] = set()
    for n, raw in enumerate(data, start=1):
        where = f"scale {raw.get('id', n) if isinstance(raw, dict) else n}"
        if not check.keys(
            where, raw, _SCALE_KEYS, {"id", "name", "method", "items", "range", "higher_is"}
        ):
            continue
        sid = raw.get("id")
        if not isinstance(sid, str) or not sid or "." in sid:
            check.add(where, "id must be text without '.'")
            continue
        if sid in seen:
            check.add(where, "duplicate scale id")
        seen.add(sid)
        method = raw.get("method")
        if method not in METHODS:
            check.add(where, f"method {method!r} is not one of {', '.join(METHODS)}")
            continue
        names = raw.get("items")
        if not isinstance(names, list) or not names:
            check.add(where, "items must be a non-empty list")
            continue
        scale_items = []
        for name in names:
            if name not in items:
                check.add(where, f"names an unknown item {name!r}")
            elif not items[name].scored:
                check.add(where, f"names item {name!r}, which is not scored")
            else:
                scale_items.append(items[name])
        if len(set(names)) != len(names):
            check.add(where, "names an item twice")
        if len(scale_items) != len(names):
            continue
        missing = raw.get("missing", "refuse")
        max_missing = raw.get("max_missing", 0)
        if missing not in MISSING_POLICIES:
            check.add(where, f"missing {missing!r} is not one of {', '.join(MISSING_POLICIES)}")
            continue
        if missing == "refuse" and max_missing:
            check.add(where, "max_missing needs missing: prorate or answered")
        if missing != "refuse" and (
            not isinstance(max_missing, int) or not 1 <= max_missing < len(names)
        ):
            check.add(
                where,
                "max_missing must be stated: a whole number from 1 to one less than the items",
            )
            continue
        if missing == "prorate" and method != "sum":
            check.add(where, "only a sum is pro-rated")
        multiply = raw.get("multiply", 1)
        if not _is_number(multiply) or multiply <= 0:
            check.add(where, "multiply must be a positive number")
            continue
        decimals = raw.get("decimals", 0)
        if not isinstance(decimals, int) or not 0 <= decimals <= 4:
            check.add(where, "decimals must be a whole number from 0 to 4")
            continue
        count_at_least = raw.get("count_at_least")
        if (method == "count") != (count_at_least is not None):
            check.add(where, "count_at_least goes with method count, and only with it")
            continue
        if method == "count" and not _is_number(count_at_least):
            check.add(where, "count_at_least must be a number")
            continue
        if method == "count" and any(i.reverse for i in scale_items):
            check.add(where, "a count does not reverse items")
        # The range the items allow must be the range the file states.
        if method == "count":
            lo, hi = 0.0, float(len(scale_items))
        elif method == "mean":
            lo = min(float(i.low) for i in scale_items)
            hi = max(float(i.high) for i in scale_items)
        else:
            lo = float(sum(i.low for i in scale_items))
            hi = float(sum(i.high for i in scale_items))
        lo, hi = lo * multiply, hi * multiply
        rng = raw.get("range")
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng)):
            check.add(where, "range must be [lowest, highest]")
            continue
        if not (math.isclose(rng[0], lo) and math.isclose(rng[1], hi)):
            check.add(
                where, f"range {rng} does not match what its items allow [{_fmt(lo)}, {_fmt(hi)}]"
            )
            continue
        higher_is = raw.get("higher_is")
        if higher_is not in HIGHER_IS:
            check.add(where, "higher_is must be better, worse or neither")
        bands = _load_bands(check, where, raw.get("bands") or [], rng, decimals, method, missing)
        if bands and not raw.get("bands_source"):
            check.add(where, "bands need bands_source: where they come from")
        cutoffs = _load_cutoffs(check, where, raw.get("cutoffs") or [], items)
        norms = _load_norms(check, where, raw.get("norms") or [], rng)
        scales.append(
            Scale(
                id=sid,
                name=str(raw.get("name")),
                method=method,
                items=tuple(names),
                minimum=_number_out(rng[0], decimals),
                maximum=_number_out(rng[1], decimals),
                higher_is=str(higher_is),
                missing=missing,
                max_missing=max_missing if missing != "refuse" else 0,
                multiply=multiply,
                count_at_least=count_at_least,
                decimals=decimals,
                bands=bands,
                bands_source=" ".join(str(raw.get("bands_source", "")).split()),
                cutoffs=cutoffs,
                norms=norms,
                note=" ".join(str(raw.get("note", "")).split()),
            )
        )
    return tuple(scales)


def _load_bands(check, where, data, rng, decimals, method, missing) -> tuple[Band, ...]:
    if not isinstance(data, list):
        check.add(where, "bands must be a list")
        return ()
    bands = []
    for n, raw in enumerate(data, start=1):
        w = f"{where} band {n}"
        if not check.keys(w, raw, _BAND_KEYS, {"min", "max", "label"}):
            return ()
        if not (_is_number(raw["min"]) and _is_number(raw["max"])) or raw["min"] > raw["max"]:
            check.add(w, "min and max must be numbers, min not above max")
            return ()
        if not isinstance(raw["label"], str) or not raw["label"].strip():
            check.add(w, "label must be text")
            return ()
        bands.append(Band(raw["min"], raw["max"], raw["label"]))
    if not bands:
        return ()
    # Whole-number scores step by 1; a scale with decimals steps by its smallest unit.
    step = 10**-decimals
    if not math.isclose(bands[0].minimum, rng[0]):
        check.add(
            where,
            f"bands start at {_fmt(bands[0].minimum)}, not at the lowest score {_fmt(rng[0])}",
        )
    if not math.isclose(bands[-1].maximum, rng[1]):
        check.add(
            where,
            f"bands end at {_fmt(bands[-1].maximum)}, not at the highest score {_fmt(rng[1])}",
        )
    for a, b in itertools.pairwise(bands):
        if b.minimum <= a.maximum:
            check.add(where, f"bands {a.label!r} and {b.label!r} overlap")
        elif not math.isclose(b.minimum, a.maximum + step):
            check.add(where, f"bands {a.label!r} and {b.label!r} leave a gap")
    return tuple(bands)


def _load_cutoffs(check, where, data, items) -> tuple[Cutoff, ...]:
    if not isinstance(data, list):
        check.add(where, "cutoffs must be a list")
        return ()
    out = []
    seen = set()
    for n, raw in enumerate(data, start=1):
        w = f"{where} cutoff {raw.get('id', n) if isinstance(raw, dict) else n}"
        if not check.keys(w, raw, _CUTOFF_KEYS, {"id", "label"}):
            continue
        cid = raw["id"]
        if cid in seen:
            check.add(w, "duplicate cutoff id")
        seen.add(cid)
        kinds = [k for k in ("by_context", "all_of") if k in raw]
        if "at_least" in raw or "at_most" in raw:
            kinds.append("comparison")
        if len(kinds) != 1:
            check.add(w, "needs exactly one of at_least/at_most, by_context or all_of")
            continue
        if kinds == ["comparison"]:
            at_least, at_most = _comparison(
                check, w, {k: raw[k] for k in ("at_least", "at_most") if k in raw}
            )
            out.append(
                Cutoff(
                    cid,
                    raw["label"],
                    at_least,
                    at_most,
                    source=raw.get("source", ""),
                    note=raw.get("note", ""),
                )
            )
        elif kinds == ["by_context"]:
            ctx = raw["by_context"]
            if not check.keys(
                f"{w} by_context",
                ctx,
                _CONTEXT_KEYS,
                {"key", "cases", "otherwise", "otherwise_note"},
            ):
                continue
            cases = {}
            if not isinstance(ctx["cases"], dict) or not ctx["cases"]:
                check.add(f"{w} by_context", "cases must map a context value to a comparison")
                continue
            for value, comp in ctx["cases"].items():
                cases[str(value)] = _comparison(check, f"{w} case {value}", comp)
            otherwise = _comparison(check, f"{w} otherwise", ctx["otherwise"])
            out.append(
                Cutoff(
                    cid,
                    raw["label"],
                    context_key=str(ctx["key"]),
                    cases=cases,
                    otherwise=otherwise,
                    otherwise_note=" ".join(str(ctx["otherwise_note"]).split()),
                    source=raw.get("source", ""),
                    note=raw.get("note", ""),
                )
            )
        else:
            conditions = []
            for m, cond in enumerate(raw["all_of"] or [], start=1):
                cw = f"{w} condition {m}"
                if not check.keys(cw, cond, _CONDITION_KEYS):
                    continue
                names = [cond["item"]] if "item" in cond else list(cond.get("count_of") or [])
                if not names:
                    check.add(cw, "needs item or count_of")
                for name in names:
                    if name not in items:
                        check.add(cw, f"names an unknown item {name!r}")
                if "count_of" in cond and not (
                    _is_number(cond.get("answer_at_least")) and _is_number(cond.get("at_least"))
                ):
                    check.add(cw, "count_of needs answer_at_least and at_least numbers")
                if "item" in cond:
                    _comparison(
                        check, cw, {k: cond[k] for k in ("at_least", "at_most") if k in cond}
                    )
                conditions.append(dict(cond))
            if not conditions:
                check.add(w, "all_of must list conditions")
            out.append(
                Cutoff(
                    cid,
                    raw["label"],
                    conditions=tuple(conditions),
                    source=raw.get("source", ""),
                    note=" ".join(str(raw.get("note", "")).split()),
                )
            )
    return tuple(out)


def _load_norms(check, where, data, rng) -> tuple[Norm, ...]:
    if not isinstance(data, list):
        check.add(where, "norms must be a list")
        return ()
    out = []
    for raw in data:
        w = f"{where} norm {raw.get('id') if isinstance(raw, dict) else '?'}"
        if not check.keys(w, raw, _NORM_KEYS, {"id", "label", "note", "source", "rows"}):
            continue
        rows = []
        for r in raw["rows"] or []:
            if not check.keys(f"{w} row", r, _NORM_ROW_KEYS, {"value", "min", "max"}):
                continue
            if not (_is_number(r["min"]) and _is_number(r["max"])) or r["min"] > r["max"]:
                check.add(
                    f"{w} row {r.get('value')}", "min and max must be numbers, min not above max"
                )
                continue
            rows.append(NormRow(r["value"], r.get("label"), r["min"], r["max"]))
        ordered = sorted(rows, key=lambda r: r.minimum)
        for a, b in itertools.pairwise(ordered):
            if b.minimum <= a.maximum:
                check.add(w, f"rows {a.value} and {b.value} overlap")
        if ordered and (ordered[0].minimum > rng[0] or ordered[-1].maximum < rng[1]):
            check.add(w, "rows do not cover the scale's range")
        out.append(
            Norm(
                str(raw["id"]),
                str(raw["label"]),
                " ".join(str(raw["note"]).split()),
                str(raw["source"]),
                tuple(rows),
            )
        )
    return tuple(out)


def _load_flags(check, data, items) -> tuple[Flag, ...]:
    if not isinstance(data, list):
        check.add("flags", "must be a list")
        return ()
    out = []
    for n, raw in enumerate(data, start=1):
        w = f"flag {n}"
        if not check.keys(w, raw, _FLAG_KEYS, {"item", "at_least", "message"}):
            continue
        if raw["item"] not in items:
            check.add(w, f"names an unknown item {raw['item']!r}")
            continue
        if not _is_number(raw["at_least"]):
            check.add(w, "at_least must be a number")
            continue
        out.append(Flag(raw["item"], raw["at_least"], " ".join(str(raw["message"]).split())))
    return tuple(out)


def vector_outcome(
    instrument: Instrument, vector: dict, context: dict | None = None
) -> dict[str, Any]:
    """What the engine gives for a test vector, keyed as vectors' `expected` are: a scale's id
    for its score, `<scale>.band`, `<scale>.<cutoff id>`, `<scale>.<norm id>`,
    `<scale>.<norm id>.label`, `answered`, `flags` (how many)."""
    out: dict[str, Any] = {}
    if "norm_input" in vector:
        ni = vector["norm_input"]
        for row in norm_lookup(instrument, ni["scale"], ni["raw"]):
            out[f"{ni['scale']}.{row['id']}"] = row["value"]
            out[f"{ni['scale']}.{row['id']}.label"] = row["value_label"]
        return out
    scored = score(
        instrument, vector["answers"], context=context, partial=bool(vector.get("partial"))
    )
    out["answered"] = scored.answered
    out["flags"] = len(scored.flags)
    for s in scored.scales:
        out[s.id] = s.score
        out[f"{s.id}.band"] = s.band
        for c in s.cutoffs:
            out[f"{s.id}.{c['id']}"] = c["met"]
        for n in s.norms:
            out[f"{s.id}.{n['id']}"] = n["value"]
            out[f"{s.id}.{n['id']}.label"] = n["value_label"]
    return out


def vector_mismatches(instrument: Instrument, vector: dict) -> list[str]:
    """Where a test vector's expected values differ from what the engine gives."""
    runs = [(vector.get("context"), vector.get("expected") or {})]
    runs += [(a.get("context"), a.get("expected") or {}) for a in vector.get("also") or []]
    problems = []
    for context, expected in runs:
        try:
            got = vector_outcome(instrument, vector, context)
        except AnswersRefused as exc:
            return [f"answers refused: {'; '.join(exc.problems)}"]
        for key, want in expected.items():
            if key not in got:
                problems.append(f"expects {key!r}, which the engine does not give")
            elif (
                isinstance(want, float | int)
                and not isinstance(want, bool)
                and isinstance(got[key], float | int)
            ):
                if not math.isclose(got[key], want, abs_tol=0.005):
                    problems.append(
                        f"{key}: expected {want}, scored {got[key]}"
                        + (f" (context {context})" if context else "")
                    )
            elif got[key] != want:
                problems.append(
                    f"{key}: expected {want!r}, scored {got[key]!r}"
                    + (f" (context {context})" if context else "")
                )
    return problems


def _check_vectors(check: _Checker, instrument: Instrument) -> None:
    seen = set()
    for n, vector in enumerate(instrument.test_vectors, start=1):
        w = f"test vector {vector.get('id', n) if isinstance(vector, dict) else n}"
        if not check.keys(w, vector, _VECTOR_KEYS, {"id", "kind", "expected"}):
            continue
        if vector["id"] in seen:
            check.add(w, "duplicate test vector id")
        seen.add(vector["id"])
        if vector["kind"] not in ("published", "derived"):
            check.add(w, "kind must be published or derived")
        if vector["kind"] == "published" and not vector.get("source"):
            check.add(w, "a published vector needs its source")
        if ("answers" in vector) == ("norm_input" in vector):
            check.add(w, "needs answers or norm_input")
            continue
        for also in vector.get("also") or []:
            check.keys(f"{w} also", also, _ALSO_KEYS, {"context", "expected"})
        if not isinstance(vector["expected"], dict):
            check.add(w, "expected must be a mapping")
            continue
        for problem in vector_mismatches(instrument, vector):
            check.add(w, problem)


# --------------------------------------------------------------------------------------------
# The catalogue: shipped files, a deployment's own, minus those switched off


def shipped_dir() -> Path:
    from django.conf import settings

    return Path(settings.TURNPOINT_INSTRUMENTS_DIR)


def _settings() -> tuple[Path, tuple[Path, ...], tuple[str, ...]]:
    from django.conf import settings

    return (
        Path(settings.TURNPOINT_INSTRUMENTS_DIR),
        tuple(Path(d) for d in settings.TURNPOINT_INSTRUMENT_DIRS),
        tuple(settings.TURNPOINT_INSTRUMENTS_OFF),
    )


@lru_cache(maxsize=8)
def _load_all(shipped: Path, extra: tuple[Path, ...]) -> dict[str, Instrument]:
    problems: list[str] = []
    out: dict[str, Instrument] = {}
    for directory, is_shipped in [(shipped, True), *((d, False) for d in extra)]:
        if not directory.is_dir():
            problems.append(f"{directory}: is not a directory of instrument files")
            continue
        for path in sorted(directory.glob("*.yaml")):
            try:
                instrument = load_file(path, shipped=is_shipped)
            except InstrumentFileError as exc:
                problems.extend(exc.problems)
                continue
            if instrument.id in out:
                clash = "a shipped instrument" if out[instrument.id].shipped else "another file"
                problems.append(f"{path.name}: id {instrument.id!r} is already taken by {clash}")
                continue
            out[instrument.id] = instrument
    if problems:
        raise InstrumentFileError(problems)
    return out


def check_switches() -> None:
    """Refuse a deployment's settings that name an unknown instrument (run at start)."""
    shipped, extra, off = _settings()
    known = _load_all(shipped, extra)
    unknown = [i for i in off if i not in known]
    if unknown:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "TURNPOINT_INSTRUMENTS_OFF names "
            + ", ".join(repr(u) for u in unknown)
            + ", not an instrument; known instruments: "
            + ", ".join(sorted(known))
        )


def catalogue(*, include_off: bool = False) -> dict[str, Instrument]:
    """Every instrument available: shipped and the deployment's own, minus those switched off
    (unless `include_off`), by id."""
    shipped, extra, off = _settings()
    everything = _load_all(shipped, extra)
    check_switches()
    if include_off:
        return dict(everything)
    return {k: v for k, v in everything.items() if k not in off}


def is_off(instrument_id: str) -> bool:
    return instrument_id in _settings()[2]


def find(instrument_id: str, *, include_off: bool = False) -> Instrument | None:
    return catalogue(include_off=include_off).get(instrument_id)


def get(instrument_id: str, *, include_off: bool = False) -> Instrument:
    """The instrument with this id; UnknownInstrument (a KeyError) with a clear message when
    there is none or the deployment switched it off."""
    instrument = find(instrument_id, include_off=True)
    if instrument is None:
        known = ", ".join(sorted(catalogue()))
        raise UnknownInstrument(f"there is no instrument {instrument_id!r}; available: {known}")
    if not include_off and is_off(instrument_id):
        raise UnknownInstrument(f"instrument {instrument_id!r} is switched off in this deployment")
    return instrument


# --------------------------------------------------------------------------------------------
# Many administrations at once


def column_order(instrument: Instrument) -> list[str]:
    """The columns `score_columns` expects by default: the answerable items, in order."""
    return [i.id for i in instrument.answerable_items]


def score_columns(instrument: Instrument, matrix, *, columns: list[str] | None = None) -> dict:
    """Score many stored administrations at once by the same rules as `score` (answers
    checked, skip rules, reverse scoring, missing-item policies, pro-rating, transforms, bands
    and cutoffs without a context), as numpy arrays.

    `matrix` has one row per administration and one column per item of `columns` (default
    `column_order(instrument)`); NaN is "not answered". Returns arrays of one value per row:
    `refused` (True where `score` would refuse the row: a bad value, an answer to a skipped
    item, a missing answer a scale cannot do without); for each scale `<id>` (the score, NaN
    where refused), `<id>.band` (the index into `scale.bands`, -1 for none), `<id>.prorated`,
    and `<id>.<cutoff id>` for each cutoff (met; a context-dependent threshold takes its
    "otherwise" case, as `score` does without a context).
    """
    import numpy as np

    columns = list(columns or column_order(instrument))
    # Column-major: each item's answers lie together, so every operation below runs over
    # contiguous memory.
    data = np.asarray(matrix, dtype=np.float64, order="F")
    if data.ndim != 2 or data.shape[1] != len(columns):
        raise ValueError(f"matrix must have {len(columns)} columns ({', '.join(columns)})")
    unknown = [c for c in columns if c not in {i.id for i in instrument.answerable_items}]
    if unknown:
        raise ValueError(
            "not answerable items of " + instrument.short_name + ": " + ", ".join(unknown)
        )
    rows = data.shape[0]
    index = {c: n for n, c in enumerate(columns)}
    refused = np.zeros(rows, dtype=bool)
    values: dict[str, np.ndarray] = {}
    for item in instrument.answerable_items:
        if item.id not in index:
            values[item.id] = np.full(rows, np.nan)
            continue
        col = data[:, index[item.id]]
        if item.options:
            ok = np.zeros(rows, dtype=bool)
            for option in item.options:
                ok |= col == option.value
        else:
            ok = (col >= item.minimum) & (col <= item.maximum)
            if item.integer:
                ok &= np.floor(col) == col
        refused |= ~ok & ~np.isnan(col)
        values[item.id] = col
    for item in instrument.items:
        if item.skip is None:
            continue
        skipped = values[item.skip.item] == item.skip.equals
        col = values[item.id]
        fill = np.nan if item.skip.score_as is None else float(item.skip.score_as)
        refused |= skipped & ~np.isnan(col) & (col != fill)
        values[item.id] = np.where(skipped, fill, col)
    out: dict = {}
    for scale in instrument.scales:
        items = [instrument.item(i) for i in scale.items]
        answered = np.zeros(rows, dtype=np.int16)
        total = np.zeros(rows)
        for item in items:
            col = values[item.id]
            given = ~np.isnan(col)
            answered += given
            if scale.method == "count":
                assert scale.count_at_least is not None, "checked by the loader"
                total += given & (col >= scale.count_at_least)
            else:
                scored = (item.high + item.low - col) if item.reverse else col
                total += np.where(given, scored, 0.0)
        missing = len(items) - answered
        allowed = 0 if scale.missing == "refuse" else scale.max_missing
        refused |= (missing > allowed) | (answered == 0)
        prorated = np.zeros(rows, dtype=bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            if scale.method == "mean":
                raw = total / answered
            elif scale.missing == "prorate":
                prorated = missing > 0
                raw = np.where(prorated, total * len(items) / answered, total)
            else:
                raw = total
        if scale.multiply != 1:
            raw = raw * scale.multiply
        out[scale.id] = np.round(raw, scale.decimals or 2)
        out[f"{scale.id}.prorated"] = prorated
    for scale in instrument.scales:
        value = np.where(refused, np.nan, out[scale.id])
        out[scale.id] = value
        out[f"{scale.id}.prorated"] &= ~refused
        if scale.bands:
            minima = np.array([b.minimum for b in scale.bands])
            band = np.searchsorted(minima, value, side="right") - 1
            out[f"{scale.id}.band"] = np.where(np.isnan(value), -1, band).astype(np.int16)
        else:
            out[f"{scale.id}.band"] = np.full(rows, -1, dtype=np.int16)
        for cutoff in scale.cutoffs:
            if cutoff.conditions:
                met = np.ones(rows, dtype=bool)
                for condition in cutoff.conditions:
                    met &= _condition_columns(condition, values)
            else:
                at_least, at_most = cutoff.at_least, cutoff.at_most
                if cutoff.context_key is not None:
                    assert cutoff.otherwise is not None, "checked by the loader"
                    at_least, at_most = cutoff.otherwise
                met = ~np.isnan(value)
                if at_least is not None:
                    met &= value >= at_least
                if at_most is not None:
                    met &= value <= at_most
            out[f"{scale.id}.{cutoff.id}"] = met & ~refused
    out["refused"] = refused
    return out


def _condition_columns(condition: dict, values: dict):
    import numpy as np

    if "item" in condition:
        col = values[condition["item"]]
        met = ~np.isnan(col)
        if condition.get("at_least") is not None:
            met &= col >= condition["at_least"]
        if condition.get("at_most") is not None:
            met &= col <= condition["at_most"]
        return met
    block = np.stack([values[i] for i in condition["count_of"]], axis=1)
    counts = (np.nan_to_num(block, nan=-np.inf) >= condition["answer_at_least"]).sum(axis=1)
    return counts >= condition["at_least"]
