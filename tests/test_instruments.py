"""The instrument files and the engine that scores them (docs/assessments.md, "Instruments")."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from turnpoint.assessments import instruments as engine
from turnpoint.assessments.domains import LifeDomain
from turnpoint.assessments.instruments import (
    AnswersRefused,
    InstrumentFileError,
    UnknownInstrument,
    catalogue,
    get,
    load_file,
    score,
)

SHIPPED = Path(settings.TURNPOINT_INSTRUMENTS_DIR)

# The test vectors each reference instrument came with: dropping one from a shipped file fails.
COPIED_VECTORS = {
    "phq-9": {"us-core-phq9-example", "derived-all-zero", "derived-all-max"},
    "gad-7": {"derived-cut-point-10", "derived-all-max", "derived-4-minimal"},
    "audit-c": {
        "us-core-audit-c-zero",
        "derived-threshold-female",
        "derived-q1-only",
        "derived-max",
    },
    "bam": {"derived-example"},
    "barc-10": {"derived-min", "derived-cutoff-47", "derived-46", "derived-max"},
    "core-10": {"derived-reverse", "derived-prorated"},
    "pcl-5": {"derived-dsm-rule-met", "derived-high-total-no-c"},
    "socrates-8d": {
        "published-recognition-29",
        "derived-ambivalence-max",
        "derived-recognition-min",
    },
    "who-5": {"derived-raw-13", "derived-raw-12", "derived-raw-7"},
    "tp-substance-days": {"derived-none", "derived-mixed", "derived-all"},
    "tp-readiness": {"derived-low", "derived-mixed", "derived-high"},
    "tp-life-domains": {"derived-none", "derived-mixed", "derived-all"},
}


def _vectors():
    for path in sorted(SHIPPED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for vector in data["test_vectors"]:
            yield pytest.param(data["id"], vector, id=f"{data['id']}:{vector['id']}")


def test_every_instrument_of_the_issue_ships():
    assert set(catalogue()) == set(COPIED_VECTORS)


@pytest.mark.parametrize("instrument_id", sorted(COPIED_VECTORS))
def test_each_file_carries_the_vectors_copied_for_it(instrument_id):
    instrument = get(instrument_id)
    ids = [v["id"] for v in instrument.test_vectors]
    assert set(ids) >= COPIED_VECTORS[instrument_id]
    assert len(ids) == len(set(ids))
    # The header comment states the count copied; it must agree with the file.
    header = Path(instrument.source_path).read_text().splitlines()[:8]
    counted = [line for line in header if "Test vectors" in line]
    assert counted and str(len(COPIED_VECTORS[instrument_id])) in counted[0]


@pytest.mark.parametrize(("instrument_id", "vector"), list(_vectors()))
def test_every_vector_scores_to_its_expected_values(instrument_id, vector):
    instrument = get(instrument_id)
    runs = [(vector.get("context"), vector["expected"])]
    runs += [(a["context"], a["expected"]) for a in vector.get("also", [])]
    for context, expected in runs:
        got = engine.vector_outcome(instrument, vector, context)
        for key, want in expected.items():
            if isinstance(want, float):
                assert got[key] == pytest.approx(want, abs=0.005), key
            else:
                assert got[key] == want, key


def test_socrates_published_decile():
    socrates = get("socrates-8d")
    [row] = engine.norm_lookup(socrates, "Re", 29)
    assert (row["value"], row["value_label"]) == (30, "Low")
    answers = {i: 4 for i in socrates.scale("Re").items} | {"soc_1": 1, "soc_3": 2, "soc_7": 2}
    scored = score(socrates, answers, partial=True)
    assert scored.scale("Re").score == 4 * 4 + 1 + 2 + 2 == 21
    assert scored.scale("Re").norms[0]["value"] == 10


def test_socrates_ships_seventeen_items_and_does_not_score_taking_steps():
    socrates = get("socrates-8d")
    assert len(socrates.items) == 17
    assert {s.id for s in socrates.scales} == {"Re", "Am"}
    assert "the Taking Steps scale is not scored until they are verified" in socrates.about
    assert socrates.licence.provisional_parts == ("wording",)


def test_phq9_item_9_raises_the_safety_flag_and_bands():
    phq = get("phq-9")
    answers = {f"phq9_{i}": 0 for i in range(1, 10)}
    assert score(phq, answers).flags == []
    scored = score(phq, answers | {"phq9_9": 1})
    assert scored.flags == [
        "Item 9 (thoughts of death or self-harm) answered above 0: "
        "follow the local safety protocol."
    ]
    assert scored.scale("total").band == "None\N{EN DASH}minimal"
    assert scored.as_json()["scales"][0]["cutoffs"] == [
        {"id": "at_least_10", "label": phq.scale("total").cutoffs[0].label, "met": False}
    ]


def test_core10_reverses_items_2_and_3_and_prorates_one_missing_item():
    core = get("core-10")
    answers = {f"core10_{i}": 0 for i in range(1, 11)}
    assert score(core, answers).scale("total").score == 8  # items 2 and 3 reverse: 4 + 4
    scored = score(core, answers | {"core10_10": None})
    clinical = scored.scale("clinical_score")
    assert clinical.prorated and clinical.score == pytest.approx(80 / 9, abs=0.005)
    assert scored.missing == ["core10_10"]
    with pytest.raises(AnswersRefused) as refused:
        score(core, answers | {"core10_10": None, "core10_9": None})
    assert "core10_9: not answered (Total score allows at most 1 missing item; 2 are missing)" in (
        refused.value.problems
    )
    assert score(core, answers | {"core10_6": 1}).flags[0].startswith("Item 6")


def test_audit_c_threshold_by_sex_and_lower_threshold_when_not_stated():
    audit = get("audit-c")
    answers = {"auditc_1": 2, "auditc_2": 1, "auditc_3": 0}

    def positive(context):
        return score(audit, answers, context=context).scale("total").cutoffs[0]

    assert positive({"sex": "male"})["met"] is False
    assert positive({"sex": "female"})["met"] is True
    for context in (None, {}, {"sex": "prefer_not_to_say"}, {"sex": "not_stated"}):
        result = positive(context)
        assert result["met"] is True
        assert result["note"] == "Sex not stated: the lower threshold (3 or more) is used."


def test_bam_item_5_is_skipped_and_scored_0_when_item_4_is_0():
    bam = get("bam")
    answers = dict(bam.test_vectors[0]["answers"]) | {"bam_4": 0}
    answers.pop("bam_5")
    scored = score(bam, answers)
    assert scored.scale("use").score == 0 + 0 + 2
    with pytest.raises(AnswersRefused) as refused:
        score(bam, answers | {"bam_5": 2})
    assert refused.value.problems == ["bam_5: is not asked when item 4 is 0; leave it unanswered"]


def test_pcl5_provisional_ptsd_needs_every_cluster():
    pcl = get("pcl-5")
    answers = {f"pcl5_{i}": 0 for i in range(1, 21)}
    met = answers | {"pcl5_1": 2, "pcl5_6": 2, "pcl5_8": 2, "pcl5_9": 2, "pcl5_15": 2, "pcl5_16": 2}

    def rule(a):
        return {c["id"]: c["met"] for c in score(pcl, a).scale("total").cutoffs}["provisional_ptsd"]

    assert rule(met) is True
    assert rule(met | {"pcl5_16": 1}) is False  # one short in E
    assert rule(met | {"pcl5_6": 1}) is False  # none in C


def test_who5_percentage_is_four_times_the_raw_score():
    who = get("who-5")
    scored = score(who, {f"who5_{i}": 5 for i in range(1, 6)})
    assert (scored.scale("raw").score, scored.scale("percentage").score) == (25, 100)
    labels = [o.label for o in who.item("who5_1").options]
    assert labels == ["All of the time", "4", "3", "2", "1", "At no time"]
    assert [o.labelled for o in who.item("who5_1").options] == [
        True,
        False,
        False,
        False,
        False,
        True,
    ]


def test_own_measures_are_labelled_not_validated():
    for iid in ("tp-substance-days", "tp-readiness", "tp-life-domains"):
        instrument = get(iid)
        assert instrument.validated is False
        assert instrument.licence.verdict == "OWN-MEASURE"
    life = get("tp-life-domains")
    assert [i.id for i in life.items] == [f"need_{d}" for d in LifeDomain.values]
    assert all(i.domain == i.id.removeprefix("need_") for i in life.items)
    assert [o.label for o in life.items[0].options] == ["No need", "Some need", "Serious need"]
    days = get("tp-substance-days")
    assert (days.item("days_alcohol").minimum, days.item("days_alcohol").maximum) == (0, 28)
    assert get("tp-readiness").item("confidence").maximum == 10


def test_categories_and_profiles_are_as_agreed():
    expected = {
        "phq-9": "mental_health", "gad-7": "mental_health", "core-10": "mental_health",
        "pcl-5": "mental_health", "who-5": "mental_health", "barc-10": "strengths",
        "socrates-8d": "strengths", "audit-c": "clinical", "bam": "clinical",
        "tp-substance-days": "clinical", "tp-readiness": "strengths",
        "tp-life-domains": "risk_need",
    }  # fmt: skip
    assert {k: v.category for k, v in catalogue().items()} == expected


def test_provisional_licences_and_wording_carry_their_open_checks():
    for instrument in catalogue().values():
        if instrument.licence.provisional:
            assert instrument.licence.open_checks
    assert get("barc-10").licence.provisional_parts == ("licence", "wording")
    assert get("who-5").licence.provisional_parts == ("licence", "wording")
    assert get("bam").licence.provisional_parts == ("licence",)
    assert not get("phq-9").licence.provisional


# Answers refused --------------------------------------------------------------------------


def test_bad_answers_are_refused_naming_each_item():
    phq = get("phq-9")
    with pytest.raises(AnswersRefused) as refused:
        score(phq, {"phq9_1": 4, "phq9_2": "2", "phq9_3": True, "nine": 1, "phq9_4": 1.5})
    assert refused.value.problems == [
        "nine: is not an item of PHQ-9",
        "phq9_1: 4 is not one of the answers (0, 1, 2, 3)",
        "phq9_2: '2' is not a number",
        "phq9_3: True is not a number",
        "phq9_4: 1.5 is not one of the answers (0, 1, 2, 3)",
    ]
    days = get("tp-substance-days")
    with pytest.raises(AnswersRefused) as refused:
        score(days, {"days_alcohol": 29, "days_cannabis": 2.5}, partial=True)
    assert refused.value.problems == [
        "days_alcohol: 29 is outside 0 to 28",
        "days_cannabis: 2.5 is not a whole number",
    ]


def test_a_missing_answer_is_refused_unless_partial():
    phq = get("phq-9")
    answers = {f"phq9_{i}": 1 for i in range(1, 9)}
    with pytest.raises(AnswersRefused) as refused:
        score(phq, answers)
    assert refused.value.problems == ["phq9_9: not answered (Total score needs every item)"]
    partial = score(phq, answers, partial=True)
    assert partial.scales == [] and partial.missing == ["phq9_9"] and partial.answered == 8


def test_a_display_item_takes_no_answer():
    with pytest.raises(AnswersRefused) as refused:
        score(get("bam"), {"bam_7_stem": 1}, partial=True)
    assert refused.value.problems == ["bam_7_stem: asks nothing (it introduces the items after it)"]


# Malformed files ---------------------------------------------------------------------------


def _write(tmp_path, data, name=None):
    path = tmp_path / f"{name or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def _phq():
    return yaml.safe_load((SHIPPED / "phq-9.yaml").read_text())


def _problems(tmp_path, data, name=None):
    with pytest.raises(InstrumentFileError) as refused:
        load_file(_write(tmp_path, data, name))
    return refused.value.problems


def test_a_shipped_file_copied_elsewhere_loads(tmp_path):
    assert load_file(_write(tmp_path, _phq())).scale("total").maximum == 27


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(colour="blue"), "phq-9.yaml: file: unknown key 'colour'"),
        (
            lambda d: d["items"][1].update(id="phq9_1"),
            "phq-9.yaml: item phq9_1: duplicate item id",
        ),
        (
            lambda d: d["items"][0].update(wording="x"),
            "phq-9.yaml: item phq9_1: unknown key 'wording'",
        ),
        (
            lambda d: d["scales"][0]["items"].append("phq9_11"),
            "phq-9.yaml: scale total: names an unknown item 'phq9_11'",
        ),
        (
            lambda d: d["response_sets"]["frequency_0_3"][2].update(value="2"),
            "phq-9.yaml: response set frequency_0_3, option 3: value '2' is not a number",
        ),
        (
            lambda d: d["scales"][0]["bands"][1].update(min=4),
            "phq-9.yaml: scale total: bands 'None\N{EN DASH}minimal' and 'Mild' overlap",
        ),
        (
            lambda d: d["scales"][0]["bands"][2].update(min=11),
            "phq-9.yaml: scale total: bands 'Mild' and 'Moderate' leave a gap",
        ),
        (
            lambda d: d["scales"][0]["bands"][-1].update(max=26),
            "phq-9.yaml: scale total: bands end at 26, not at the highest score 27",
        ),
        (
            lambda d: d["scales"][0].update(range=[0, 30]),
            "phq-9.yaml: scale total: range [0, 30] does not match what its items allow [0, 27]",
        ),
        (
            lambda d: d["test_vectors"][0]["expected"].update(total=13),
            "phq-9.yaml: test vector us-core-phq9-example: total: expected 13, scored 12",
        ),
        (
            lambda d: d["test_vectors"][1]["answers"].update(phq9_1=9),
            "phq-9.yaml: test vector derived-all-zero: answers refused: "
            "phq9_1: 9 is not one of the answers (0, 1, 2, 3)",
        ),
        (
            lambda d: d["scales"][0].update(missing="prorate"),
            "phq-9.yaml: scale total: max_missing must be stated: "
            "a whole number from 1 to one less than the items",
        ),
        (
            lambda d: d["scales"][0].update(items=["phq9_1", "phq9_difficulty"], range=[0, 6]),
            "phq-9.yaml: scale total: names item 'phq9_difficulty', which is not scored",
        ),
        (
            lambda d: d.update(category="secrets"),
            "phq-9.yaml: category: 'secrets' is not a data category",
        ),
        (
            lambda d: d["licence"].update(provisional=["licence"]),
            "phq-9.yaml: licence.open_checks: a provisional licence or wording must say what "
            "is still to check",
        ),
        (
            lambda d: d["flags"][0].update(item="phq9_99"),
            "phq-9.yaml: flag 1: names an unknown item 'phq9_99'",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_the_place_and_reason(tmp_path, change, expected):
    data = _phq()
    change(data)
    assert expected in _problems(tmp_path, data)


def test_a_file_whose_name_is_not_its_id_is_refused(tmp_path):
    assert "other.yaml: id: must match the file name ('other')" in _problems(
        tmp_path, _phq(), name="other"
    )


def test_invalid_yaml_is_refused(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(InstrumentFileError) as refused:
        load_file(path)
    assert refused.value.problems[0].startswith("broken.yaml: is not valid YAML")


# Deployment switches ------------------------------------------------------------------------


def test_switching_an_instrument_off():
    with override_settings(TURNPOINT_INSTRUMENTS_OFF=["bam", "who-5"]):
        assert "bam" not in catalogue() and "who-5" not in catalogue()
        assert "bam" in catalogue(include_off=True)
        with pytest.raises(UnknownInstrument) as refused:
            get("bam")
        assert str(refused.value) == "instrument 'bam' is switched off in this deployment"
        assert get("bam", include_off=True).id == "bam"


def test_an_unknown_id_switched_off_is_refused_at_start():
    with override_settings(TURNPOINT_INSTRUMENTS_OFF=["phq-10"]):
        with pytest.raises(ImproperlyConfigured) as refused:
            engine.check_switches()
        assert str(refused.value).startswith(
            "TURNPOINT_INSTRUMENTS_OFF names 'phq-10', not an instrument; "
            "known instruments: audit-c"
        )


def test_an_unknown_instrument_is_named():
    with pytest.raises(UnknownInstrument) as refused:
        get("ls-cmi")
    assert str(refused.value).startswith("there is no instrument 'ls-cmi'; available: audit-c")
    assert engine.find("ls-cmi") is None


def test_a_deployment_directory_adds_licensed_instruments(tmp_path):
    data = copy.deepcopy(_phq())
    data["id"] = "local-phq"
    data["licence"]["verdict"] = "DEPLOYMENT-LICENSED"
    _write(tmp_path, data)
    with override_settings(TURNPOINT_INSTRUMENT_DIRS=[str(tmp_path)]):
        local = get("local-phq")
        assert local.shipped is False and get("phq-9").shipped is True


def test_a_deployment_file_clashing_with_a_shipped_id_is_refused(tmp_path):
    _write(tmp_path, _phq())
    with (
        override_settings(TURNPOINT_INSTRUMENT_DIRS=[str(tmp_path)]),
        pytest.raises(InstrumentFileError) as refused,
    ):
        catalogue()
    assert refused.value.problems == [
        "phq-9.yaml: id 'phq-9' is already taken by a shipped instrument"
    ]


def test_a_malformed_deployment_file_is_refused_with_the_same_checks(tmp_path):
    data = _phq()
    data["id"] = "local-phq"
    data["scales"][0]["items"].append("nope")
    _write(tmp_path, data)
    with (
        override_settings(TURNPOINT_INSTRUMENT_DIRS=[str(tmp_path)]),
        pytest.raises(InstrumentFileError) as refused,
    ):
        catalogue()
    assert "local-phq.yaml: scale total: names an unknown item 'nope'" in refused.value.problems


def test_settings_read_the_environment(monkeypatch):
    import importlib

    import turnpoint.settings as module

    monkeypatch.setenv("TURNPOINT_INSTRUMENTS_OFF", "bam, who-5")
    monkeypatch.setenv("TURNPOINT_INSTRUMENT_DIRS", "/srv/a:/srv/b")
    try:
        reloaded = importlib.reload(module)
        assert reloaded.TURNPOINT_INSTRUMENTS_OFF == ["bam", "who-5"]
        assert reloaded.TURNPOINT_INSTRUMENT_DIRS == ["/srv/a", "/srv/b"]
    finally:
        monkeypatch.delenv("TURNPOINT_INSTRUMENTS_OFF")
        monkeypatch.delenv("TURNPOINT_INSTRUMENT_DIRS")
        importlib.reload(module)


# Person-first language --------------------------------------------------------------------

STIGMATISING = re.compile(r"\b(addicts?|offenders?|clean|dirty|abusers?|junkies?)\b", re.I)


def test_turnpoints_own_words_are_person_first():
    """Turnpoint's own measures, and every note, label and flag Turnpoint wrote around the
    licensed instruments, use person-first language. (Item wording of a licensed instrument is
    kept verbatim, as its licence requires, and is not checked here.)"""
    own_words = []
    for instrument in catalogue().values():
        own_words += [instrument.scoring_note, *(f.message for f in instrument.flags)]
        for scale in instrument.scales:
            own_words += [scale.name, scale.note, *(c.label for c in scale.cutoffs)]
            own_words += [c.otherwise_note for c in scale.cutoffs]
            own_words += [n.note for n in scale.norms]
        if not instrument.validated:
            own_words += [instrument.title, instrument.about, instrument.instructions]
            own_words += [i.text for i in instrument.items]
            own_words += [o.label for i in instrument.items for o in i.options]
    found = [w for w in own_words if STIGMATISING.search(w)]
    assert own_words and found == []


def test_texts_fall_back_to_the_default_language(tmp_path):
    data = _phq()
    data["languages"] = ["en", "cy"]
    data["items"][0]["text"]["cy"] = "(test text for item 1 in cy)"
    data["response_sets"]["frequency_0_3"][0]["label"]["cy"] = "(test label 0 in cy)"
    phq = load_file(_write(tmp_path, data))
    first = phq.item("phq9_1")
    assert first.text_in("cy") == "(test text for item 1 in cy)"
    assert first.text_in("fr") == first.text == "Little interest or pleasure in doing things"
    assert first.options[0].label_in("cy") == "(test label 0 in cy)"
    assert first.options[1].label_in("cy") == "Several days"
    data["items"][1]["text"]["de"] = "x"
    assert (
        "phq-9.yaml: item phq9_2 text: language 'de' is not one of the file's languages"
        in _problems(tmp_path, data)
    )
