"""Instruments and administrations as FHIR R4 resources (docs/assessments.md, "FHIR").

`questionnaire(instrument)` gives the instrument as a Questionnaire; `questionnaire_response`
gives one administration's answers as a QuestionnaireResponse. Plain dictionaries, ready for
`json.dumps`; tests check both against the R4B models of `fhir.resources`. Pure: no database.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from .instruments import AnswersRefused, Instrument, Item, score

LOINC = "http://loinc.org"
URL_BASE = "urn:turnpoint:instrument"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def canonical_url(instrument: Instrument) -> str:
    return f"{URL_BASE}:{instrument.id}"


def answers_system(instrument: Instrument) -> str:
    """The code system of an instrument's answer values (code = the value as scored)."""
    return f"{URL_BASE}:{instrument.id}:answers"


def _computable_name(instrument: Instrument) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", instrument.short_name).strip("_")
    if not name or not name[0].isalpha():
        name = "I_" + name
    return name


def _code(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _copyright(instrument: Instrument) -> str:
    licence = instrument.licence
    parts = [licence.attribution, f"Licence: {licence.statement}"]
    if licence.provisional:
        parts.append(
            "Provisional ("
            + " and ".join(licence.provisional_parts)
            + "): "
            + " ".join(licence.open_checks)
        )
    if not instrument.validated:
        parts.append("Turnpoint's own measure; not validated.")
    return " ".join(parts)


def _item_type(item: Item) -> str:
    if item.kind == "choice":
        return "choice"
    if item.kind == "number":
        return "integer" if item.integer else "decimal"
    return "display"


def _bound(item: Item, url: str, value: int | float) -> dict:
    key = "valueInteger" if item.integer else "valueDecimal"
    return {"url": url, key: int(value) if item.integer else value}


def _questionnaire_item(instrument: Instrument, item: Item) -> dict:
    out: dict = {"linkId": item.id, "prefix": item.number, "text": item.text}
    if item.loinc:
        out["code"] = [{"system": LOINC, "code": item.loinc}]
    out["type"] = _item_type(item)
    if item.kind == "choice":
        out["answerOption"] = [
            {
                "valueCoding": {
                    "system": answers_system(instrument),
                    "code": _code(o.value),
                    "display": o.label,
                }
            }
            for o in item.options
        ]
    elif item.kind == "number":
        assert item.minimum is not None and item.maximum is not None, "a number item"
        out["extension"] = [
            _bound(item, MIN_VALUE, item.minimum),
            _bound(item, MAX_VALUE, item.maximum),
        ]
    if item.answerable:
        out["required"] = item.scored and item.skip is None
    if item.skip is not None:
        gate = instrument.item(item.skip.item)
        condition: dict = {"question": gate.id, "operator": "!="}
        if gate.kind == "choice":
            condition["answerCoding"] = {
                "system": answers_system(instrument),
                "code": _code(item.skip.equals),
            }
        else:
            condition["answerInteger"] = int(item.skip.equals)
        out["enableWhen"] = [condition]
    return out


def questionnaire(instrument: Instrument) -> dict:
    """The instrument as a FHIR R4 Questionnaire."""
    out: dict = {
        "resourceType": "Questionnaire",
        "id": instrument.id,
        "url": canonical_url(instrument),
        "identifier": [{"system": URL_BASE, "value": instrument.id}],
        "version": instrument.version,
        "name": _computable_name(instrument),
        "title": instrument.title,
        "status": "active",
        "description": instrument.about or instrument.title,
        "copyright": _copyright(instrument),
    }
    if instrument.loinc.get("panel"):
        out["code"] = [{"system": LOINC, "code": instrument.loinc["panel"]}]
    items = []
    if instrument.instructions:
        items.append({"linkId": "instructions", "text": instrument.instructions, "type": "display"})
    items += [_questionnaire_item(instrument, item) for item in instrument.items]
    out["item"] = items
    return out


def questionnaire_response(
    instrument: Instrument,
    answers: dict[str, int | float | None],
    *,
    authored: datetime | date,
    subject_reference: str,
) -> dict:
    """One administration's answers as a FHIR R4 QuestionnaireResponse: "completed" when the
    answers score completely, otherwise "in-progress". Bad answers raise AnswersRefused."""
    score(instrument, answers, partial=True)  # refuses bad answers, naming each item
    try:
        score(instrument, answers)
        status = "completed"
    except AnswersRefused:
        status = "in-progress"
    items = []
    for item in instrument.answerable_items:
        value = answers.get(item.id)
        if value is None:
            continue
        if item.kind == "choice":
            option = item.option(value)
            assert option is not None, "checked by score"
            answer: dict = {
                "valueCoding": {
                    "system": answers_system(instrument),
                    "code": _code(option.value),
                    "display": option.label,
                }
            }
        elif item.integer:
            answer = {"valueInteger": int(value)}
        else:
            answer = {"valueDecimal": value}
        items.append({"linkId": item.id, "text": item.text, "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        # A canonical reference carries no spaces, which most versions have: the URL alone.
        "questionnaire": canonical_url(instrument),
        "status": status,
        "subject": {"reference": subject_reference},
        "authored": authored.isoformat(),
        "item": items,
    }


def validated(resource: dict) -> dict:
    """`resource` checked against the FHIR R4B model of its type (ValueError when it does not
    conform); returned unchanged."""
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    model = {"Questionnaire": Questionnaire, "QuestionnaireResponse": QuestionnaireResponse}[
        resource["resourceType"]
    ]
    model.model_validate(resource)
    return resource
