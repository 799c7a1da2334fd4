"""The participant's profile (docs/assessments.md, "The profile"): risk and need level, recovery
capital, readiness and needs across the life domains, each with its change over time.

A pure function of what a selector returned (`sharing.reads.assessments_read`): what the user may
not read was never fetched, so it is simply absent here. Only complete administrations count.
"""

from dataclasses import dataclass, field

from . import instruments
from .domains import LifeDomain, RiskLevel

RISK_ORDER = {level: n for n, level in enumerate(RiskLevel.values, start=1)}
CAPITAL_GROUPS = (("personal", "Personal"), ("social", "Social"), ("community", "Community"))


@dataclass
class Trend:
    """One measure over time: (date, value) points, oldest first, on a scale from `minimum` to
    `maximum`."""

    name: str
    minimum: float
    maximum: float
    points: list = field(default_factory=list)

    @property
    def latest(self):
        return self.points[-1][1] if self.points else None

    @property
    def change(self):
        """The latest value minus the first, or None with fewer than two points."""
        if len(self.points) < 2:
            return None
        return self.points[-1][1] - self.points[0][1]


@dataclass
class Need:
    domain: str
    label: str
    level: int | None  # 0 no need, 1 some, 2 serious; None: not asked
    level_label: str
    scores: list = field(default_factory=list)  # (instrument title, scale name, score, band, date)


@dataclass
class Profile:
    risk: object = None  # the latest external assessment that gave a level
    risk_trend: Trend | None = None
    capital: list = field(default_factory=list)  # Trends: BARC-10 total, then the groupings
    capital_title: str = ""
    readiness: list = field(default_factory=list)  # Trends: importance, confidence, SOCRATES
    needs: list = field(default_factory=list)  # Needs, one per life domain
    needs_on: object = None  # the date of the needs checklist shown
    # Signals for plans and matching: substances used on at least one of the past 28 days (the
    # latest days-of-use measure), and whether there is a mental-health need (None: nothing
    # read that says either way).
    substances: list = field(default_factory=list)
    mental_health_need: bool | None = None

    @property
    def empty(self) -> bool:
        return not (self.risk or self.capital or self.readiness or self.needs)


def _known(instrument_id: str):
    return instruments.catalogue(include_off=True).get(instrument_id)


def _scale(scores: dict, scale_id: str | None = None) -> dict | None:
    scales = (scores or {}).get("scales") or []
    if scale_id is None:
        return next((s for s in scales if s.get("id") == "total"), scales[0] if scales else None)
    return next((s for s in scales if s.get("id") == scale_id), None)


def _range(item) -> tuple[float, float]:
    if item.options:
        values = [o.value for o in item.options]
        return min(values), max(values)
    return item.minimum or 0, item.maximum or 0


def _by_instrument(administrations) -> dict[str, list]:
    """Complete administrations by instrument id, oldest first."""
    found: dict[str, list] = {}
    done = [a for a in administrations if a.status == "complete"]
    for a in sorted(done, key=lambda a: (a.administered_on, a.completed_at or a.created_at, a.pk)):
        found.setdefault(a.instrument_id, []).append(a)
    return found


def _capital(rows) -> tuple[str, list[Trend]]:
    instrument = _known("barc-10")
    if not rows or instrument is None:
        return "", []
    first = _scale(rows[-1].scores) or {}
    total = Trend(first.get("name") or "Total", first.get("minimum", 0), first.get("maximum", 0))
    for a in rows:
        scale = _scale(a.scores)
        if scale and scale.get("score") is not None:
            total.points.append((a.administered_on, scale["score"]))
    trends = [total]
    for group, label in CAPITAL_GROUPS:
        items = [i for i in instrument.items if i.capital == group]
        if not items:
            continue
        ranges = [_range(i) for i in items]
        trend = Trend(f"{label} (Turnpoint's grouping)", sum(r[0] for r in ranges),
                      sum(r[1] for r in ranges))  # fmt: skip
        for a in rows:
            values = [(a.answers or {}).get(i.id) for i in items]
            if all(v is not None for v in values):
                trend.points.append((a.administered_on, sum(values)))
        trends.append(trend)
    return instrument.title, trends


def _readiness(by_id: dict) -> list[Trend]:
    trends = []
    instrument = _known("tp-readiness")
    rows = by_id.get("tp-readiness", [])
    if instrument is not None and rows:
        for item_id, name in (("importance", "Importance"), ("confidence", "Confidence")):
            try:
                item = instrument.item(item_id)
            except KeyError:
                continue
            low, high = _range(item)
            trend = Trend(f"{name} (0 to {high:g})", low, high)
            for a in rows:
                value = (a.answers or {}).get(item_id)
                if value is not None:
                    trend.points.append((a.administered_on, value))
            trends.append(trend)
    socrates = by_id.get("socrates-8d", [])
    if socrates:
        for scale in (socrates[-1].scores or {}).get("scales") or []:
            trend = Trend(f"SOCRATES: {scale.get('name')}", scale.get("minimum", 0),
                          scale.get("maximum", 0))  # fmt: skip
            for a in socrates:
                found = _scale(a.scores, scale.get("id"))
                if found and found.get("score") is not None:
                    trend.points.append((a.administered_on, found["score"]))
            trends.append(trend)
    return [t for t in trends if t.points]


NEED_LABELS = {0: "No need", 1: "Some need", 2: "Serious need"}


def _needs(by_id: dict) -> tuple[object, list[Need]]:
    checklist = by_id.get("tp-life-domains", [])
    latest = checklist[-1] if checklist else None
    scored: dict[str, list] = {}
    for instrument_id, rows in by_id.items():
        instrument = _known(instrument_id)
        if instrument is None or instrument_id == "tp-life-domains":
            continue
        scale = _scale(rows[-1].scores)
        if scale is None:
            continue
        for domain in instrument.domains or ():
            scored.setdefault(domain, []).append(
                (instrument.short_name or instrument.title, scale.get("name"), scale.get("score"),
                 scale.get("band"), rows[-1].administered_on)
            )  # fmt: skip
    if latest is None and not scored:
        return None, []
    needs = []
    for domain in LifeDomain:
        value = (latest.answers or {}).get(f"need_{domain.value}") if latest else None
        needs.append(
            Need(domain.value, domain.label, value,
                 NEED_LABELS.get(value, "Not asked") if value is not None else "Not asked",
                 scored.get(domain.value, []))
        )  # fmt: skip
    return (latest.administered_on if latest else None), needs


def profile_of(administrations, external) -> Profile:
    """The profile from what the selector returned: administrations and external assessments the
    user may read."""
    by_id = _by_instrument(administrations)
    profile = Profile()
    levelled = sorted((e for e in external if e.level),
                      key=lambda e: (e.assessed_on, e.recorded_at, e.pk))  # fmt: skip
    if levelled:
        profile.risk = levelled[-1]
        profile.risk_trend = Trend("Risk and need level", 1, len(RISK_ORDER), [
            (e.assessed_on, RISK_ORDER[e.level]) for e in levelled
        ])  # fmt: skip
    profile.capital_title, profile.capital = _capital(by_id.get("barc-10", []))
    profile.capital = [t for t in profile.capital if t.points]
    profile.readiness = _readiness(by_id)
    profile.needs_on, profile.needs = _needs(by_id)
    profile.substances = _substances(by_id.get("tp-substance-days", []))
    profile.mental_health_need = _mental_health_need(by_id, profile.needs)
    return profile


def _substances(rows) -> list[str]:
    """The substances of the latest days-of-use measure with days >= 1 ("crack cocaine")."""
    if not rows:
        return []
    answers = rows[-1].answers or {}
    return [key.removeprefix("days_").replace("_", " ") for key, days in answers.items()
            if key.startswith("days_") and days is not None and days >= 1]  # fmt: skip


def _at_or_above_moderate(instrument, scale: dict) -> bool:
    """A scale's band is moderate or worse (by the order of the instrument's own bands), or a
    cutoff of it is met."""
    if any(c.get("met") for c in scale.get("cutoffs") or []):
        return True
    try:
        bands = [b.label for b in instrument.scale(scale.get("id")).bands]
    except KeyError:
        return False
    moderate = next((i for i, label in enumerate(bands) if "moderate" in label.lower()), None)
    band = scale.get("band")
    return moderate is not None and band in bands and bands.index(band) >= moderate


def _mental_health_need(by_id: dict, needs: list) -> bool | None:
    """Life-domain mental health at some need or more, or the latest administration of a
    mental-health instrument at or above moderate; None when nothing read says either way."""
    found = None
    need = next((n for n in needs if n.domain == LifeDomain.MENTAL_HEALTH), None)
    if need is not None and need.level is not None:
        found = need.level >= 1
    for instrument_id, rows in by_id.items():
        instrument = _known(instrument_id)
        if instrument is None or instrument.category != "mental_health":
            continue
        scales = (rows[-1].scores or {}).get("scales") or []
        met = any(_at_or_above_moderate(instrument, s) for s in scales)
        found = bool(found) or met
    return found
