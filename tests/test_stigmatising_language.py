"""The stigmatising-language check (turnpoint/language.py, docs/plans.md "The language check"):
a table of sentences staff might write, with the labels each should and should not raise."""

import pytest

from turnpoint.language import WordingToCheck, fields_findings, findings, wording_check

# (sentence, the words found, in order)
FLAGGED = [
    ("He is an addict.", ["addict"]),
    ("Addicts need support.", ["Addicts"]),
    ("She is a recovering addict", ["recovering addict"]),
    ("An ex-addict who mentors others", ["ex-addict"]),
    ("Known as a heroin addict in the area", ["heroin addict"]),
    ("Other junkies at the hostel", ["junkies"]),
    ("Called a junkie by his family", ["junkie"]),
    ("a druggie", ["druggie"]),
    ("Lives with a crackhead", ["crackhead"]),
    ("He is a drug user", ["drug user"]),
    ("Injecting drug users at the needle exchange", ["Injecting drug users"]),
    ("Heroin users", ["Heroin users"]),
    ("A drug abuser since 2010", ["drug abuser"]),
    ("Substance abuser", ["Substance abuser"]),
    ("He is an abuser", ["abuser"]),
    ("Her father was an alcoholic.", ["alcoholic"]),
    ("Alcoholics in the family", ["Alcoholics"]),
    ("Long history of substance abuse", ["substance abuse"]),
    ("Drug abuse started at 15", ["Drug abuse"]),
    ("The offender attended", ["offender"]),
    ("Offenders on the programme", ["Offenders"]),
    ("An ex-offender now working", ["ex-offender"]),
    ("A prolific offender", ["prolific offender"]),
    ("He is a convicted felon", ["felon"]),
    ("An ex-convict", ["ex-convict"]),
    ("Shared a cell with a convict", ["a convict"]),
    ("He is a career criminal.", ["career criminal"]),
    ("Mixes with criminals", ["criminals"]),
    ("She was called a criminal and left", ["a criminal"]),
    ("Another inmate", ["inmate"]),
    ("Clean test on Monday", ["Clean test"]),
    ("Dirty urine last week", ["Dirty urine"]),
    ("Two clean drug tests", ["clean drug tests"]),
    ("The sample came back dirty", ["came back dirty"]),
    ("He tested clean", ["tested clean"]),
    ("Has stayed clean since March", ["stayed clean"]),
    ("Clean for six months now", ["Clean for six months"]),
    ("Clean since 2024", ["Clean since 2024"]),
    ("Clean and sober", ["Clean and sober"]),
    ("She is clean", ["She is clean"]),
    ("They were dirty again", ["They were dirty"]),
    ("An addict and an offender", ["addict", "offender"]),
    ("ADDICT", ["ADDICT"]),
]

NOT_FLAGGED = [
    "Addiction services in Leeds",
    "He is addicted to opioids and wants to cut down",
    "Relapse prevention work with her key worker",
    "A slip last week; back on track",
    "Substance misuse team referral",
    "Person who uses drugs",
    "Service user forum on Thursday",
    "Userland tools; the user account was locked",
    "Cleaning job at the leisure centre",
    "Works in clean energy",
    "Collects clean needles from the exchange",
    "The flat was clean and tidy",
    "Dirty dishes in the sink",
    "Negative test result on Monday",
    "Alcoholic drinks at the party",
    "Alcoholic liver disease under review",
    "Criminal justice liaison team",
    "No criminal record before 2020",
    "Criminal damage charge",
    "Offender Assessment System score from probation",
    "The Offender Rehabilitation Act 2014 applies",
    "The court may convict if she does not attend",
    "Person with a conviction",
    "Unclean",
    "Stainless steel cleaner",
]


@pytest.mark.parametrize(("sentence", "words"), FLAGGED)
def test_stigmatising_labels_are_found(sentence, words):
    found = findings(sentence)
    assert [f.text for f in found] == words
    for f in found:
        assert sentence[f.start : f.end] == f.text
        assert f.suggestion and f.why


@pytest.mark.parametrize("sentence", NOT_FLAGGED)
def test_person_first_and_other_uses_are_left_alone(sentence):
    assert findings(sentence) == []


def test_a_finding_names_its_position_and_suggestion():
    (f,) = findings("Plan agreed. He was an addict.", field="staff_note")
    assert (f.field, f.text, f.start, f.end) == ("staff_note", "addict", 23, 29)
    assert f.suggestion == "person who uses drugs"
    assert "at character 24" in f.message and "person who uses drugs" in f.message
    assert f.as_json()["start"] == 23


def test_test_results_and_people_get_different_suggestions():
    assert findings("clean test")[0].suggestion == "negative test result"
    assert findings("dirty test")[0].suggestion == "positive test result"
    assert "not using" in findings("stayed clean")[0].suggestion
    assert "conviction" in findings("offender")[0].suggestion


def test_only_the_named_fields_are_checked():
    values = {"staff_note": "The offender agreed", "goal": "stay clean for my kids"}
    found = fields_findings(values, ["staff_note"])
    assert [(f.field, f.text) for f in found] == [("staff_note", "offender")]


def test_the_check_refuses_until_the_author_keeps_their_wording():
    found = findings("junkie", field="staff_note")
    with pytest.raises(WordingToCheck) as caught:
        wording_check(found, keep_wording=False)
    assert caught.value.problems[0].field == "staff_note"
    assert caught.value.findings == found
    wording_check(found, keep_wording=True)  # kept: no exception
    wording_check([], keep_wording=False)  # nothing found: no exception
