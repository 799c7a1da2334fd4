"""Validating and loading programme definition files (YAML).

A file is checked completely before anything is written: every problem is reported with the
file, the path inside it and the reason, and a file with any problem loads nothing. Loading the
same file twice changes nothing; loading a changed file raises the programme's revision.
See docs/programmes.md for the format.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import yaml
from django.db import transaction

from turnpoint.accounts.models import STAFF_ROLES, Role

from . import advancement, eligibility, fidelity_rules, matching_rules, responses
from .models import ConsentRevocation, Phase, Programme, ReviewMode, Stage

ELIGIBILITY_FIELDS = eligibility.FIELDS
ELIGIBILITY_OPS = set(eligibility.OPS)
EXIT_OUTCOMES = {"completed", "unsuccessful", "neutral"}

TOP_LEVEL = {
    "slug": (str, True),
    "name": (str, True),
    "jurisdiction": (str, True),
    "stage": (str, True),
    "legal_basis": (str, True),
    "description": (str, False),
    "sources": (list, True),
    "max_duration_weeks": (int, True),
    "eligibility": (list, True),
    "phases": (list, True),
    "responses": (dict, False),
    "exit_types": (list, True),
    "policy": (dict, True),
    "statutory_disclosures": (list, False),
    "overrides": (dict, False),
    "timeliness": (dict, False),
    # Matching rules (docs/matching.md): checked by matching_rules.check_matching.
    "matching": (dict, False),
    # Fidelity provisions (docs/programmes.md, "Fidelity"): checked by fidelity_rules.
    "fidelity": (list, False),
}
# Timeliness targets in days (R4; docs/programmes.md): each optional, each step no earlier than the
# one before it. A programme without a target for a step is never shown as overdue for it.
TIMELINESS_KEYS = {
    "referral_to_assessment_days": (int, False),
    "referral_to_decision_days": (int, False),
    "referral_to_start_days": (int, False),
    "offence_to_start_days": (int, False),
}
PHASE_KEYS = {
    "name": (str, True),
    "description": (str, False),
    "min_weeks": (int, True),
    "contacts_per_week": ((int, float), True),
    "tests_per_week": ((int, float), True),
    "reviews_per_month": ((int, float), True),
    # Checked by advancement.advancement_check (docs/programmes.md, "Advancement criteria").
    "advancement": (dict, False),
}
POLICY_KEYS = {
    "court_receives_test_results": (bool, True),
    "non_completion_penalised": (bool, True),
    "reviews": (str, True),
    "max_duration_not_longer_than_custody": (bool, False),
    "redisclosure_notice": (str, False),
    # 42 CFR 2.35 consents (security.md SEC-09); checked in _check_consent_revocation.
    "criminal_justice_referral": (bool, False),
    "consent_revocation": (str, False),
    "monitoring_roles": (list, False),
    # The longest a consent to share may last, in months (docs/programmes.md); checked below.
    "consent_max_months": (int, False),
}
# Roles that may carry a duty to monitor a participant's progress (42 CFR 2.35(a)). Analysts and
# administrators reach no identifiable participant, so they never do.
MONITORING_ROLE_CHOICES = tuple(
    r.value for r in STAFF_ROLES if r not in {Role.ANALYST, Role.ADMINISTRATOR}
)
# A category set the law fixes for one report (security.md SEC-15, section 5.1).
STATUTORY_KEYS = {
    "code": (str, True),
    "name": (str, True),
    "statute": (str, True),
    "categories": (list, True),
    "recipients": (list, True),
    "purpose": (str, True),
}
# Roles that may never receive an identifiable report, whatever a file says (SEC-38).
NOT_RECIPIENTS = {"analyst", "administrator"}
# Who may record a step that breaks one of the programme's rules (docs/programmes.md).
OVERRIDE_KEYS = {"roles": (list, True)}
OVERRIDE_ROLE_CHOICES = MONITORING_ROLE_CHOICES
# Person-first language in the words a programme shows users: a word that labels a person by an
# offence or by drug use, or calls a test result "clean" or "dirty", is refused outside double
# quotes (the legal name of an order or the words of a statute stay as they are, quoted).
# "Offending" describes behaviour, not a person, and is allowed.
LABELLING_WORDS = {
    "offender": "the participant", "offenders": "participants",
    "addict": "a person who uses drugs", "addicts": "people who use drugs",
    "abuser": "a person who uses drugs", "abusers": "people who use drugs",
    "junkie": "a person who uses drugs", "junkies": "people who use drugs",
    "clean": "negative (of a test) or drug-free", "dirty": "positive (of a test)",
}  # fmt: skip
_LABELLING = re.compile(r"\b(" + "|".join(LABELLING_WORDS) + r")\b", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')
# The user-facing text of a definition: top-level keys, then (list, key) inside each item.
SHOWN_TEXT = ("name", "description", "legal_basis")
SHOWN_ITEM_TEXT = (
    ("phases", "name"), ("phases", "description"), ("exit_types", "label"),
    ("eligibility", "reason"), ("statutory_disclosures", "name"),
)  # fmt: skip


@dataclass(frozen=True)
class FileProblem:
    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(top)'}: {self.reason}"


class ProgrammeFileInvalid(Exception):
    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _type_name(expected) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping"}  # fmt: skip
    return " or ".join(names[t] for t in types)


def _check_keys(obj: dict, spec: dict, path: str, say) -> None:
    for key in obj:
        if key not in spec:
            say(f"{path}{key}", f"unknown key (expected one of: {', '.join(spec)})")
    for key, (expected, required) in spec.items():
        if key not in obj:
            if required:
                say(f"{path}{key}", "is required")
            continue
        value = obj[key]
        # bool is an int in Python; a count given as `true` is a mistake.
        wrong_bool = isinstance(value, bool) and bool not in (
            expected if isinstance(expected, tuple) else (expected,)
        )
        if wrong_bool or not isinstance(value, expected):
            say(f"{path}{key}", f"must be {_type_name(expected)}")
        elif isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            say(f"{path}{key}", "must not be negative")
        elif isinstance(value, str) and not value.strip():
            say(f"{path}{key}", "must not be empty")


def validate_definition(data, file: str) -> list[FileProblem]:
    problems: list[FileProblem] = []

    def say(path: str, reason: str) -> None:
        problems.append(FileProblem(file, path, reason))

    if not isinstance(data, dict):
        say("", "must be a mapping of keys to values")
        return problems
    _check_keys(data, TOP_LEVEL, "", say)
    slug = data.get("slug")
    if isinstance(slug, str) and not slug.replace("-", "").isalnum():
        say("slug", "may contain only letters, digits and hyphens")
    if data.get("stage") not in Stage.values and isinstance(data.get("stage"), str):
        say("stage", f"must be one of: {', '.join(Stage.values)}")
    if data.get("max_duration_weeks") == 0:
        say("max_duration_weeks", "must be at least 1")

    for i, source in enumerate(data.get("sources") or []):
        if not isinstance(source, str) or not source.strip():
            say(f"sources[{i}]", "must be a citation in text")
    if isinstance(data.get("sources"), list) and not data["sources"]:
        say("sources", "must cite at least one source for the programme's rules")

    for i, rule in enumerate(data.get("eligibility") or []):
        _check_rule(rule, f"eligibility[{i}]", say)

    phases = data.get("phases")
    if isinstance(phases, list):
        if not phases:
            say("phases", "must list at least one phase")
        names = set()
        for i, phase in enumerate(phases):
            if not isinstance(phase, dict):
                say(f"phases[{i}]", "must be a mapping")
                continue
            _check_keys(phase, PHASE_KEYS, f"phases[{i}].", say)
            if phase.get("name") in names:
                say(f"phases[{i}].name", f"'{phase['name']}' is used by an earlier phase")
            names.add(phase.get("name"))
        total_min = sum(
            p.get("min_weeks", 0) for p in phases
            if isinstance(p, dict) and isinstance(p.get("min_weeks"), int)
        )  # fmt: skip
        max_weeks = data.get("max_duration_weeks")
        if isinstance(max_weeks, int) and total_min > max_weeks:
            say("phases", f"minimum lengths add up to {total_min} weeks, past the "
                f"maximum duration of {max_weeks}")  # fmt: skip

    exit_types = data.get("exit_types")
    if isinstance(exit_types, list):
        codes = set()
        for i, exit_type in enumerate(exit_types):
            if not isinstance(exit_type, dict):
                say(f"exit_types[{i}]", "must be a mapping")
                continue
            _check_keys(exit_type, {"code": (str, True), "label": (str, True),
                                    "outcome": (str, True)}, f"exit_types[{i}].", say)  # fmt: skip
            if exit_type.get("outcome") not in EXIT_OUTCOMES and "outcome" in exit_type:
                say(
                    f"exit_types[{i}].outcome",
                    f"must be one of: {', '.join(sorted(EXIT_OUTCOMES))}",
                )
            if exit_type.get("code") in codes:
                say(f"exit_types[{i}].code", f"'{exit_type['code']}' is used twice")
            codes.add(exit_type.get("code"))
        outcomes = {e.get("outcome") for e in exit_types if isinstance(e, dict)}
        if "completed" not in outcomes:
            say("exit_types", "must include an exit type whose outcome is 'completed'")

    policy = data.get("policy")
    if isinstance(policy, dict):
        _check_keys(policy, POLICY_KEYS, "policy.", say)
        if isinstance(policy.get("reviews"), str) and policy["reviews"] not in ReviewMode.values:
            say("policy.reviews", f"must be one of: {', '.join(ReviewMode.values)}")
        _check_consent_revocation(policy, say)
        if policy.get("consent_max_months") == 0:
            say("policy.consent_max_months", "must be at least 1")
    if isinstance(data.get("statutory_disclosures"), list):
        _check_statutory(data["statutory_disclosures"], say)
    if isinstance(data.get("overrides"), dict):
        _check_overrides(data["overrides"], say)
    responses.responses_check(data, say)
    advancement.advancement_check(data, say)
    _check_person_first(data, say)
    if isinstance(data.get("timeliness"), dict):
        _check_timeliness(data["timeliness"], say)
    if isinstance(data.get("matching"), dict):
        matching_rules.check_matching(data["matching"], say)
    if isinstance(data.get("fidelity"), list):
        fidelity_rules.check_fidelity(data["fidelity"], say)
    return problems


def _check_overrides(overrides: dict, say) -> None:
    _check_keys(overrides, OVERRIDE_KEYS, "overrides.", say)
    roles = overrides.get("roles")
    if not isinstance(roles, list):
        return
    if not roles:
        say("overrides.roles", "must list at least one role")
    for i, role in enumerate(roles):
        if role not in OVERRIDE_ROLE_CHOICES:
            say(f"overrides.roles[{i}]", f"'{role}' is not a role that may override the "
                f"programme's rules (one of: {', '.join(OVERRIDE_ROLE_CHOICES)})")  # fmt: skip
        elif roles.index(role) != i:
            say(f"overrides.roles[{i}]", f"'{role}' is listed twice")


def _check_person_first(data: dict, say) -> None:
    """Refuse a labelling word in any text the programme shows users, naming the field and
    the word; text inside double quotes (a legal name, a statute's words) is left alone."""
    texts = [(key, data.get(key)) for key in SHOWN_TEXT]
    for list_key, key in SHOWN_ITEM_TEXT:
        items = data.get(list_key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                texts.append((f"{list_key}[{i}].{key}", item.get(key)))
    texts += responses.responses_shown_text(data)
    matching = data.get("matching")
    rules = matching.get("rules") if isinstance(matching, dict) else None
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            texts.append((f"matching.rules[{i}].why", rule.get("why")))
    for path, text in texts:
        if not isinstance(text, str):
            continue
        for word in dict.fromkeys(m.group(0) for m in _LABELLING.finditer(_QUOTED.sub("", text))):
            say(path, f"uses '{word}', which labels a person: say "
                f"'{LABELLING_WORDS[word.lower()]}' instead, or put a legal name or a "
                "statute's own words in double quotes")  # fmt: skip


def _check_timeliness(timeliness: dict, say) -> None:
    """Whole numbers of days, at least 1, each step's target no earlier than the step before."""
    _check_keys(timeliness, TIMELINESS_KEYS, "timeliness.", say)
    days = {k: v for k, v in timeliness.items()
            if k in TIMELINESS_KEYS and isinstance(v, int) and not isinstance(v, bool)}  # fmt: skip
    for key, value in days.items():
        if value == 0:
            say(f"timeliness.{key}", "must be at least 1 day")
    steps = ["referral_to_assessment_days", "referral_to_decision_days", "referral_to_start_days"]
    given = [k for k in steps if k in days]
    for earlier, later in pairwise(given):
        if days[later] < days[earlier]:
            say(f"timeliness.{later}", f"is {days[later]} days, earlier than "
                f"{earlier} ({days[earlier]} days): a later step cannot be due sooner")  # fmt: skip


def _check_consent_revocation(policy: dict, say) -> None:
    """42 CFR 2.35: only a criminal-justice-referral programme may make its consents irrevocable
    until a stated time or event, and it must say which roles have a duty to monitor the
    participant; elsewhere (UK GDPR and GDPR Art. 7(3)) consent is withdrawable at any time."""
    referral = policy.get("criminal_justice_referral") is True
    revocation = policy.get("consent_revocation")
    if isinstance(revocation, str) and revocation not in ConsentRevocation.values:
        say("policy.consent_revocation", f"must be one of: {', '.join(ConsentRevocation.values)}")
    elif revocation == ConsentRevocation.AFTER_STATED_EVENT and not referral:
        say("policy.consent_revocation", "may be 'after_stated_event' only when "
            "policy.criminal_justice_referral is true (42 CFR 2.35(c))")  # fmt: skip
    roles = policy.get("monitoring_roles")
    if referral and "monitoring_roles" not in policy:
        say("policy.monitoring_roles", "is required when policy.criminal_justice_referral is "
            "true: list the roles with a duty to monitor the participant "
            "(42 CFR 2.35(a))")  # fmt: skip
    if not isinstance(roles, list):
        return
    if not referral:
        say("policy.monitoring_roles", "applies only when policy.criminal_justice_referral is true")
    elif not roles:
        say("policy.monitoring_roles", "must list at least one role")
    for i, role in enumerate(roles):
        if role not in MONITORING_ROLE_CHOICES:
            say(f"policy.monitoring_roles[{i}]",
                f"must be one of: {', '.join(MONITORING_ROLE_CHOICES)}")  # fmt: skip


def _check_statutory(disclosures: list, say) -> None:
    """Each declared statutory disclosure names a known category, role and purpose."""
    from turnpoint.accounts.models import STAFF_ROLES
    from turnpoint.sharing.categories import Category, Purpose
    from turnpoint.sharing.rules import ROLE_PURPOSES

    codes = set()
    for i, item in enumerate(disclosures):
        path = f"statutory_disclosures[{i}]"
        if not isinstance(item, dict):
            say(path, "must be a mapping with code, name, statute, categories, recipients, purpose")
            continue
        _check_keys(item, STATUTORY_KEYS, f"{path}.", say)
        code = item.get("code")
        if isinstance(code, str) and code.strip():
            if not code.replace("-", "").isalnum():
                say(f"{path}.code", "may contain only letters, digits and hyphens")
            if code in codes:
                say(f"{path}.code", f"'{code}' is used by an earlier statutory disclosure")
            codes.add(code)
        for key, known, what in (
            ("categories", Category.values, "a data category"),
            ("recipients", [r.value for r in STAFF_ROLES], "a role"),
        ):
            values = item.get(key)
            if not isinstance(values, list):
                continue
            if not values:
                say(f"{path}.{key}", f"must list at least one {what.split()[-1]}")
            for j, value in enumerate(values):
                if value not in known:
                    say(f"{path}.{key}[{j}]", f"'{value}' is not {what} (one of: "
                        f"{', '.join(known)})")  # fmt: skip
                elif key == "recipients" and value in NOT_RECIPIENTS:
                    say(f"{path}.{key}[{j}]", f"the {value} role never receives an "
                        "identifiable report")  # fmt: skip
                elif values.index(value) != j:
                    say(f"{path}.{key}[{j}]", f"'{value}' is listed twice")
        purpose = item.get("purpose")
        if isinstance(purpose, str) and purpose.strip() and purpose not in Purpose.values:
            say(f"{path}.purpose", f"'{purpose}' is not a purpose (one of: "
                f"{', '.join(Purpose.values)})")  # fmt: skip
        elif purpose in Purpose.values and isinstance(item.get("recipients"), list):
            for j, role in enumerate(item["recipients"]):
                acts_for = ROLE_PURPOSES.get(role)
                if acts_for is not None and role not in NOT_RECIPIENTS and purpose not in acts_for:
                    say(f"{path}.recipients[{j}]", f"the {role} role does not act for {purpose}")


def _check_rule(rule, path: str, say) -> None:
    """One eligibility rule: a known field, an operator that fits it and values it can take."""
    if not isinstance(rule, dict):
        say(path, "must be a mapping with field, op, value and reason")
        return
    _check_keys(rule, {"field": (str, True), "op": (str, True),
                       "value": ((str, int, bool, list), True), "reason": (str, True),
                       "kind": (str, False)}, f"{path}.", say)  # fmt: skip
    field, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    kind = rule.get("kind")
    if isinstance(kind, str) and kind not in eligibility.KINDS:
        say(f"{path}.kind", f"'{kind}' is not a kind of rule (one of: "
            f"{', '.join(eligibility.KINDS)})")  # fmt: skip
    if isinstance(field, str) and field not in ELIGIBILITY_FIELDS:
        say(f"{path}.field", f"must be one of: {', '.join(ELIGIBILITY_FIELDS)} ('{field}' is "
            "not a fact a rule can test)")  # fmt: skip
        return
    if isinstance(op, str) and op not in ELIGIBILITY_OPS:
        say(f"{path}.op", f"must be one of: {', '.join(sorted(ELIGIBILITY_OPS))} ('{op}' is "
            "not an operator)")  # fmt: skip
        return
    if not isinstance(field, str) or not isinstance(op, str) or "value" not in rule:
        return
    known = ELIGIBILITY_FIELDS[field]
    if known is None:  # a whole number: age
        if op not in eligibility.NUMBER_OPS:
            say(f"{path}.op", f"'{op}' does not apply to {field} (one of: "
                f"{', '.join(sorted(eligibility.NUMBER_OPS))})")  # fmt: skip
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            say(f"{path}.value", f"must be a whole number of years for {field}")
        return
    if op not in eligibility.CHOICE_OPS:
        say(f"{path}.op", f"'{op}' does not apply to {field} (one of: "
            f"{', '.join(sorted(eligibility.CHOICE_OPS))})")  # fmt: skip
        return
    listed = op in {"in", "not_in"}
    if listed and (not isinstance(value, list) or not value):
        say(f"{path}.value", f"must be a list of at least one value for '{op}'")
        return
    if not listed and isinstance(value, list):
        say(f"{path}.value", f"must be one value for '{op}' (use 'in' for a list)")
        return
    for j, item in enumerate(value if listed else [value]):
        where = f"{path}.value[{j}]" if listed else f"{path}.value"
        # bool is an int in Python, and True == 1: compare types as well as values.
        if not any(item == k and type(item) is type(k) for k in known):
            say(where, f"'{item}' is not a value of {field} (one of: "
                f"{', '.join(str(k).lower() for k in known)})")  # fmt: skip


def read_definition(path: Path) -> dict:
    """Parse and validate one file; raises ProgrammeFileInvalid listing every problem."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgrammeFileInvalid(
            [FileProblem(name, "", f"cannot be read: {exc.strerror}")]
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ProgrammeFileInvalid([FileProblem(name, where, f"is not valid YAML: {exc}")]) from exc
    problems = validate_definition(data, name)
    if problems:
        raise ProgrammeFileInvalid(problems)
    return data


@dataclass(frozen=True)
class LoadResult:
    slug: str
    status: str  # "created", "updated" or "unchanged"
    revision: int


def programme_load_files(paths: list[Path]) -> list[LoadResult]:
    """Validate every file first, then load them all in one transaction (all or nothing)."""
    definitions, problems = [], []
    for path in paths:
        try:
            definitions.append(read_definition(path))
        except ProgrammeFileInvalid as exc:
            problems.extend(exc.problems)
    slugs = [d["slug"] for d in definitions]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        problems.append(
            FileProblem(", ".join(map(str, paths)), "slug", f"'{slug}' is defined twice")
        )
    if problems:
        raise ProgrammeFileInvalid(problems)
    with transaction.atomic():
        return [_upsert(d) for d in definitions]


def _upsert(data: dict) -> LoadResult:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    existing = Programme.objects.filter(slug=data["slug"]).first()
    if existing and existing.definition_sha256 == digest:
        return LoadResult(existing.slug, "unchanged", existing.revision)
    policy = data["policy"]
    fields = dict(
        name=data["name"],
        jurisdiction=data["jurisdiction"],
        stage=data["stage"],
        legal_basis=data["legal_basis"],
        description=data.get("description", ""),
        max_duration_weeks=data["max_duration_weeks"],
        court_receives_test_results=policy["court_receives_test_results"],
        non_completion_penalised=policy["non_completion_penalised"],
        review_mode=policy["reviews"],
        definition=data,
        definition_sha256=digest,
    )
    if existing:
        in_use = existing.episodes.exists()
        if in_use and len(data["phases"]) < existing.phases.count():
            raise ProgrammeFileInvalid([FileProblem(
                data["slug"], "phases", "removes phases that episodes may be in; add, do not remove"
            )])  # fmt: skip
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.revision += 1
        existing.save()
        programme, status = existing, "updated"
        programme.phases.all().delete()
    else:
        programme, status = Programme.objects.create(slug=data["slug"], **fields), "created"
    Phase.objects.bulk_create(
        Phase(
            programme=programme,
            number=i,
            name=p["name"],
            description=p.get("description", ""),
            min_weeks=p["min_weeks"],
            contacts_per_week=Decimal(str(p["contacts_per_week"])),
            tests_per_week=Decimal(str(p["tests_per_week"])),
            reviews_per_month=Decimal(str(p["reviews_per_month"])),
        )
        for i, p in enumerate(data["phases"], start=1)
    )
    return LoadResult(programme.slug, status, programme.revision)
