"""The response guide as programme data (docs/supervision.md, "Responses"; docs/programmes.md,
"Response guide"): every shipped programme answers each of its behaviours in every phase;
substance use early in the programme proposes a service adjustment first, not a sanction
(evidence R14); incentives are always on offer for proximal achievements (R15); the loader
refuses a malformed guide naming the file, the behaviour and the reason; the incentive-to-sanction
ratio is plain arithmetic against the standards' target of about 4 to 1."""

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.conf import settings

from turnpoint.programmes.loader import (
    ProgrammeFileInvalid,
    programme_load_files,
    read_definition,
    validate_definition,
)
from turnpoint.programmes.models import Programme
from turnpoint.programmes.responses import BEHAVIOURS
from turnpoint.supervision.responses import (
    TARGET_RATIO,
    NoGuide,
    incentive_sanction_ratio,
    response_guide,
    responses_for,
)

SHIPPED = sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml"))
DAYS = (0, 45, 89, 90, 200, 700)


def shipped(name: str) -> dict:
    return read_definition(Path(settings.TURNPOINT_PROGRAMMES_DIR) / f"{name}.yaml")


def kinds(proposal) -> list[str]:
    return [o.kind for o in proposal.options]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_behaviour_of_every_shipped_programme_resolves_in_every_phase(path):
    definition = read_definition(path)
    guide = response_guide(definition)
    phases = [p["name"] for p in definition["phases"]]
    assert guide.phases == tuple(phases)
    # Each guide answers achievements and substance use, so both ends of the ratio exist.
    assert any(BEHAVIOURS[b].achievement for b in guide.behaviours)
    assert any(BEHAVIOURS[b].substance_use for b in guide.behaviours)
    for behaviour in guide.behaviours:
        for phase in phases:
            for days in DAYS:
                proposal = responses_for(guide, behaviour, phase, days)
                assert proposal.options, (behaviour, phase)
                assert proposal.goal in {"proximal", "distal"}
                if BEHAVIOURS[behaviour].achievement:
                    assert set(kinds(proposal)) == {"incentive"}
                else:
                    assert "incentive" not in kinds(proposal)
                    assert "service_adjustment" in kinds(proposal) or proposal.goal == "proximal"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_early_substance_use_proposes_a_service_adjustment_first(path):
    definition = read_definition(path)
    guide = response_guide(definition)
    window = definition["responses"]["early_substance_use"]
    substance = [b for b in guide.behaviours if BEHAVIOURS[b].substance_use]
    for behaviour in substance:
        for phase in guide.phases:
            # Within the first `days` days, whatever the phase ...
            for days in range(0, window["days"], 15):
                proposal = responses_for(guide, behaviour, phase, days)
                assert proposal.early_substance_use
                assert kinds(proposal)[0] == "service_adjustment", (behaviour, phase, days)
                first_sanction = kinds(proposal).index("sanction") if "sanction" in kinds(
                    proposal) else len(proposal.options)  # fmt: skip
                assert "service_adjustment" not in kinds(proposal)[first_sanction:]
            # ... and in an early phase, however long since the start.
            late = responses_for(guide, behaviour, phase, 5 * 365)
            assert late.early_substance_use == (phase in window.get("phases", []))
            if late.early_substance_use or late.goal == "distal":
                assert kinds(late)[0] == "service_adjustment"


def test_substance_use_later_with_a_proximal_goal_proposes_the_sanctions_first():
    guide = response_guide(shipped("us-adult-drug-court"))
    early = responses_for(guide, "positive_test", "Acute stabilisation", 10)
    later = responses_for(guide, "positive_test", "Continuing care", 300)
    assert (early.goal, early.early_substance_use) == ("distal", True)
    assert set(kinds(early)) == {"service_adjustment"}
    assert (later.goal, later.early_substance_use) == ("proximal", False)
    assert kinds(later) == ["sanction"] * 3 + ["service_adjustment"] * 2
    assert [o.grade for o in later.options] == ["low", "moderate", "high", "low", "moderate"]
    # Day 60 in a later phase is still early: the days window and the phases window both count.
    assert kinds(responses_for(guide, "positive_test", "Continuing care", 60))[0] == (
        "service_adjustment"
    )
    # The Scottish DTTO: after stabilisation, the sheriff may warn at the review, but the
    # treatment team's adjustments stay on offer.
    dtto = response_guide(shipped("scotland-dtto"))
    assert kinds(responses_for(dtto, "positive_test", "Treatment and testing", 200)) == [
        "sanction", "service_adjustment", "service_adjustment"
    ]  # fmt: skip


def test_a_proximal_concern_proposes_sanctions_from_the_lightest_and_a_distal_one_adjustments():
    guide = response_guide(shipped("scotland-dtto"))
    missed = responses_for(guide, "missed_appointment", "Stabilisation", 10)
    assert [(o.kind, o.grade) for o in missed.options] == [
        ("sanction", "low"), ("sanction", "moderate"), ("sanction", "high"),
        ("service_adjustment", "low"),
    ]  # fmt: skip
    told = responses_for(guide, "substance_use_disclosed", "Treatment and testing", 400)
    assert (told.goal, told.early_substance_use) == ("distal", False)
    assert kinds(told) == ["service_adjustment", "service_adjustment"]


def test_phases_differ_where_the_guide_says_so():
    prison = response_guide(shipped("england-prison-to-community"))
    first_weeks = responses_for(prison, "missed_appointment", "First weeks after release", 100)
    licence = responses_for(prison, "missed_appointment", "Community treatment on licence", 100)
    adjustment = next(o for o in first_weeks.options if o.kind == "service_adjustment")
    assert "naloxone" in adjustment.text
    assert "naloxone" not in " ".join(o.text for o in licence.options)
    ghent = response_guide(shipped("ghent-dtc"))
    assert responses_for(ghent, "goal_achieved", "Consolidation", 200).options[-1].text == (
        "The achievement set before the court at the final hearing"
    )
    assert responses_for(ghent, "goal_achieved", "Engagement", 20).options[-1].text == (
        "Hearings spaced further apart"
    )


def test_a_programme_without_testing_answers_no_testing_behaviour():
    for name in ("ghent-dtc", "scotland-cpo-dtr", "england-police-drug-intervention"):
        guide = response_guide(shipped(name))
        assert not {"positive_test", "negative_tests", "specimen_not_provided"} & set(
            guide.behaviours
        )
        assert "substance_use_disclosed" in guide.behaviours


def test_responses_for_refuses_what_the_guide_does_not_answer():
    guide = response_guide(shipped("ghent-dtc"))
    with pytest.raises(NoGuide, match="does not answer 'positive_test'"):
        responses_for(guide, "positive_test", "Engagement", 3)
    with pytest.raises(NoGuide, match="'Aftercare' is not a phase of this programme"):
        responses_for(guide, "missed_appointment", "Aftercare", 3)
    with pytest.raises(ValueError, match="days_in_programme must be a whole number"):
        responses_for(guide, "missed_appointment", "Engagement", -1)
    definition = shipped("ghent-dtc")
    del definition["responses"]
    with pytest.raises(NoGuide, match="has no response guide"):
        response_guide(definition)


def test_the_incentive_to_sanction_ratio():
    ratio = incentive_sanction_ratio(["incentive"] * 8 + ["sanction"] * 2 + ["service_adjustment"])
    assert (ratio.incentives, ratio.sanctions, ratio.service_adjustments) == (8, 2, 1)
    assert (ratio.ratio, ratio.target, ratio.meets_target) == (4.0, TARGET_RATIO, True)
    assert ratio.target_status == "Verify"
    below = incentive_sanction_ratio(["incentive"] * 7 + ["sanction"] * 2)
    assert (below.ratio, below.meets_target) == (3.5, False)
    # Service adjustments are neither incentives nor sanctions.
    adjusted = incentive_sanction_ratio(["incentive", "sanction"] + ["service_adjustment"] * 9)
    assert (adjusted.ratio, adjusted.meets_target) == (1.0, False)
    no_sanction = incentive_sanction_ratio(["incentive"] * 3)
    assert (no_sanction.ratio, no_sanction.meets_target) == (None, True)
    nothing = incentive_sanction_ratio([])
    assert (nothing.ratio, nothing.meets_target) == (None, None)
    only_sanctions = incentive_sanction_ratio(["sanction"])
    assert (only_sanctions.ratio, only_sanctions.meets_target) == (0.0, False)
    # Recorded responses (anything with a kind) and proposals' options count the same way.
    recorded = [SimpleNamespace(kind="incentive")] * 5 + [SimpleNamespace(kind="sanction")]
    assert incentive_sanction_ratio(recorded).ratio == 5.0
    guide = response_guide(shipped("us-adult-drug-court"))
    options = responses_for(guide, "specimen_not_provided", "Continuing care", 300).options
    assert incentive_sanction_ratio(options).sanctions == 3
    assert incentive_sanction_ratio(["incentive"] * 6 + ["sanction"] * 2, target=3).meets_target
    with pytest.raises(ValueError, match="'reward' is not a kind of response"):
        incentive_sanction_ratio(["incentive", "reward"])


# Loader refusals: each names the file, the path, the behaviour and the reason.


def raw(name: str) -> dict:
    return yaml.safe_load((Path(settings.TURNPOINT_PROGRAMMES_DIR) / f"{name}.yaml").read_text())


def us() -> dict:
    return raw("us-adult-drug-court")


def behaviour_index(data: dict, code: str) -> int:
    return [b["behaviour"] for b in data["responses"]["behaviours"]].index(code)


def problems(data: dict) -> list[str]:
    return [str(p) for p in validate_definition(data, "court.yaml")]


def test_an_unknown_phase_is_refused_naming_the_behaviour():
    data = us()
    i = behaviour_index(data, "positive_test")
    data["responses"]["behaviours"][i]["phases"][0]["phase"] = "Aftercare"
    data["responses"]["early_substance_use"]["phases"] = ["Acute stabilisation", "Intake"]
    found = problems(data)
    assert (
        f"court.yaml: responses.behaviours[{i}].phases[0].phase: behaviour 'positive_test': "
        "'Aftercare' is not a phase of this programme (one of: Acute stabilisation, Clinical "
        "stabilisation, Pro-social habilitation, Adaptive habilitation, Continuing care)"
    ) in found
    assert any(p.startswith("court.yaml: responses.early_substance_use.phases[1]: 'Intake' is "
                            "not a phase") for p in found)  # fmt: skip


def test_an_unknown_kind_grade_or_behaviour_is_refused():
    data = us()
    i = behaviour_index(data, "missed_appointment")
    options = data["responses"]["behaviours"][i]["options"]
    options[1]["kind"] = "punishment"
    options[2]["grade"] = "severe"
    data["responses"]["behaviours"][0]["behaviour"] = "good_attitude"
    found = problems(data)
    path = f"court.yaml: responses.behaviours[{i}].options"
    assert (f"{path}[1].kind: behaviour 'missed_appointment': 'punishment' is not a kind of "
            "response (one of: incentive, service_adjustment, sanction)") in found  # fmt: skip
    assert (f"{path}[2].grade: behaviour 'missed_appointment': 'severe' is not a grade (one of: "
            "low, moderate, high)") in found  # fmt: skip
    assert any(p.startswith("court.yaml: responses.behaviours[0].behaviour: 'good_attitude' is "
                            "not a behaviour a guide can answer") for p in found)  # fmt: skip


def test_grades_out_of_order_are_refused():
    data = us()
    i = behaviour_index(data, "specimen_not_provided")
    options = data["responses"]["behaviours"][i]["options"]
    options[1], options[3] = options[3], options[1]  # the high sanction before the low one
    found = problems(data)
    assert (f"court.yaml: responses.behaviours[{i}].options[2].grade: behaviour "
            "'specimen_not_provided': 'moderate' comes after 'high' among the sanctions: list "
            "each kind's options from low to high") in found  # fmt: skip
    assert any(f"responses.behaviours[{i}].options[3].grade" in p for p in found)


def test_a_kind_that_does_not_answer_the_behaviour_is_refused():
    data = us()
    goal = behaviour_index(data, "goal_achieved")
    missed = behaviour_index(data, "missed_appointment")
    data["responses"]["behaviours"][goal]["options"].append(
        {"kind": "sanction", "grade": "high", "text": "A curfew"}
    )
    data["responses"]["behaviours"][missed]["options"].insert(
        0, {"kind": "incentive", "grade": "low", "text": "Praise"}
    )
    found = problems(data)
    assert any(f"responses.behaviours[{goal}].options[3].kind: behaviour 'goal_achieved': a "
               "sanction does not answer an achievement (use: incentive)" in p
               for p in found)  # fmt: skip
    assert any(f"responses.behaviours[{missed}].options[0].kind: behaviour "
               "'missed_appointment': an incentive does not answer a concern" in p
               for p in found)  # fmt: skip


def test_substance_use_without_a_service_adjustment_is_refused():
    data = us()
    i = behaviour_index(data, "positive_test")
    later = data["responses"]["behaviours"][i]["phases"][2]
    later["options"] = [o for o in later["options"] if o["kind"] == "sanction"]
    found = problems(data)
    assert (f"court.yaml: responses.behaviours[{i}].phases[2].options: behaviour "
            "'positive_test': substance use must be met with a service adjustment first: offer "
            "at least one") in found  # fmt: skip
    data = us()
    j = behaviour_index(data, "new_offence")
    data["responses"]["behaviours"][j]["goal"] = "distal"
    data["responses"]["behaviours"][j]["options"].pop(0)
    assert (f"court.yaml: responses.behaviours[{j}].options: behaviour 'new_offence': a distal "
            "goal (too hard for now) must be met with a service adjustment: offer at least "
            "one") in problems(data)  # fmt: skip


def test_other_malformed_guides_are_refused():
    data = us()
    del data["responses"]["early_substance_use"]
    data["responses"]["behaviours"][1]["goal"] = "someday"
    data["responses"]["behaviours"].append(copy.deepcopy(data["responses"]["behaviours"][0]))
    found = problems(data)
    assert any(p.startswith("court.yaml: responses.early_substance_use: is required")
               for p in found)  # fmt: skip
    assert any("responses.behaviours[1].goal: behaviour 'negative_tests': 'someday' is not a goal "
               "difficulty (one of: proximal, distal)" in p for p in found)  # fmt: skip
    assert any(p.endswith("behaviour 'attended_all_sessions': is listed twice") for p in found)
    ghent = raw("ghent-dtc")
    ghent["responses"]["behaviours"].append({
        "behaviour": "positive_test", "goal": "distal",
        "options": [{"kind": "service_adjustment", "grade": "low", "text": "Review the plan"}],
    })  # fmt: skip
    assert any("behaviour 'positive_test': needs drug testing, and no phase of this programme "
               "tests" in p for p in problems(ghent))  # fmt: skip
    data = us()
    data["responses"]["early_substance_use"] = {"days": 0, "phases": []}
    data["responses"]["behaviours"][0]["phases"] = [{"phase": "Continuing care"}]
    found = problems(data)
    assert "court.yaml: responses.early_substance_use.days: must be a whole number of days, at " \
        "least 1" in found  # fmt: skip
    assert "court.yaml: responses.early_substance_use.phases: must list at least one phase, or " \
        "be left out" in found  # fmt: skip
    assert any("responses.behaviours[0].phases[0]: behaviour 'attended_all_sessions': must "
               "change the goal, the options or both" in p for p in found)  # fmt: skip


@pytest.mark.django_db
def test_a_guide_that_labels_people_is_refused_and_loads_nothing(tmp_path):
    data = us()
    i = behaviour_index(data, "positive_test")
    data["responses"]["behaviours"][i]["label"] = "Dirty test"
    data["responses"]["behaviours"][i]["phases"][0]["options"][0]["text"] = "Warn the addict"
    path = tmp_path / "court.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProgrammeFileInvalid) as excinfo:
        programme_load_files([path])
    message = str(excinfo.value)
    assert f"court.yaml: responses.behaviours[{i}].label: uses 'Dirty'" in message
    assert (f"court.yaml: responses.behaviours[{i}].phases[0].options[0].text: uses 'addict'"
            in message)  # fmt: skip
    assert not Programme.objects.exists()


@pytest.mark.django_db
def test_the_shipped_guides_load_with_their_programmes():
    programme_load_files(SHIPPED)
    for programme in Programme.objects.all():
        guide = response_guide(programme.definition)
        assert guide.behaviours, programme.slug
