"""Instruments as FHIR R4 Questionnaires and administrations as QuestionnaireResponses, checked
against the R4B models of fhir.resources (docs/assessments.md, "FHIR")."""

from datetime import date

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from turnpoint.assessments import fhir
from turnpoint.assessments.instruments import AnswersRefused, catalogue, get

IDS = sorted(catalogue())


def _complete_answers(instrument):
    """The first test vector with answers that scores completely, else each item's lowest."""
    return {i.id: i.low for i in instrument.answerable_items if i.skip is None}


@pytest.mark.parametrize("instrument_id", IDS)
def test_every_instrument_is_a_valid_questionnaire(instrument_id):
    instrument = get(instrument_id)
    resource = fhir.questionnaire(instrument)
    model = Questionnaire.model_validate(resource)
    assert model.status == "active"
    assert model.url == f"urn:turnpoint:instrument:{instrument_id}"
    assert model.version == instrument.version
    assert instrument.licence.attribution in model.copyright
    link_ids = [i.linkId for i in model.item if i.linkId != "instructions"]
    assert link_ids == [i.id for i in instrument.items]
    for item, fitem in zip(
        instrument.items, resource["item"][-len(instrument.items) :], strict=True
    ):
        assert fitem["text"] == item.text
        if item.kind == "choice":
            assert fitem["type"] == "choice"
            assert [
                (o["valueCoding"]["code"], o["valueCoding"]["display"])
                for o in fitem["answerOption"]
            ] == [(str(o.value), o.label) for o in item.options]
        elif item.kind == "number":
            assert fitem["type"] == "integer"


@pytest.mark.parametrize("instrument_id", IDS)
def test_every_instrument_gives_a_valid_response(instrument_id):
    instrument = get(instrument_id)
    answers = _complete_answers(instrument)
    resource = fhir.questionnaire_response(
        instrument, answers, authored=date(2026, 12, 7), subject_reference="Patient/p-1"
    )
    model = QuestionnaireResponse.model_validate(resource)
    assert model.status == "completed"
    assert [i.linkId for i in model.item] == list(answers)
    partial = fhir.questionnaire_response(
        instrument,
        dict(list(answers.items())[:1]),
        authored=date(2026, 12, 7),
        subject_reference="Patient/p-1",
    )
    assert QuestionnaireResponse.model_validate(partial).status == "in-progress"


def test_loinc_codes_and_labels_travel():
    resource = fhir.questionnaire(get("phq-9"))
    assert resource["code"] == [{"system": "http://loinc.org", "code": "44249-1"}]
    first = resource["item"][1]
    assert first["code"] == [{"system": "http://loinc.org", "code": "44250-9"}]
    assert first["answerOption"][0]["valueCoding"]["display"] == "Not at all"
    days = fhir.questionnaire(get("tp-substance-days"))["item"][1]
    assert days["type"] == "integer"
    assert [e["valueInteger"] for e in days["extension"]] == [0, 28]
    bam = {i["linkId"]: i for i in fhir.questionnaire(get("bam"))["item"]}
    assert bam["bam_5"]["enableWhen"] == [
        {
            "question": "bam_4",
            "operator": "!=",
            "answerCoding": {"system": "urn:turnpoint:instrument:bam:answers", "code": "0"},
        }
    ]
    assert bam["bam_7_stem"]["type"] == "display"


def test_a_response_carries_values_and_codes():
    response = fhir.questionnaire_response(
        get("tp-readiness"),
        {"importance": 7, "confidence": 4},
        authored=date(2026, 12, 7),
        subject_reference="Patient/p-1",
    )
    assert response["item"][0]["answer"] == [{"valueInteger": 7}]
    response = fhir.questionnaire_response(
        get("barc-10"),
        {"barc_1": 3},
        authored=date(2026, 12, 7),
        subject_reference="Patient/p-1",
    )
    # Answers 2 to 5 carry no label in the source: the number is the display.
    assert response["item"][0]["answer"][0]["valueCoding"]["display"] == "3"


def test_a_response_refuses_bad_answers():
    with pytest.raises(AnswersRefused) as refused:
        fhir.questionnaire_response(
            get("phq-9"), {"phq9_1": 9}, authored=date(2026, 12, 7), subject_reference="Patient/1"
        )
    assert refused.value.problems == ["phq9_1: 9 is not one of the answers (0, 1, 2, 3)"]
