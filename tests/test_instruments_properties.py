"""Properties of instrument scoring, and the vectorised path agreeing with `score` row by row
(docs/assessments.md, "Instruments")."""

import copy
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from turnpoint.assessments.instruments import (
    AnswersRefused,
    _item_score,
    catalogue,
    column_order,
    get,
    score,
    score_columns,
)

INSTRUMENTS = catalogue()
ALL_ITEMS = [(i, item) for i in INSTRUMENTS.values() for item in i.answerable_items]


def _answer(item):
    if item.options:
        return st.sampled_from([o.value for o in item.options])
    return st.integers(int(item.minimum), int(item.maximum))


@st.composite
def complete_answers(draw, instrument=None):
    instrument = instrument or draw(
        st.sampled_from(sorted(INSTRUMENTS.values(), key=lambda i: i.id))
    )
    answers = {}
    for item in instrument.answerable_items:
        if item.skip is not None and answers.get(item.skip.item) == item.skip.equals:
            answers[item.id] = None
        else:
            answers[item.id] = draw(_answer(item))
    return instrument, answers


@given(st.sampled_from(ALL_ITEMS), st.data())
def test_reverse_scoring_twice_is_the_answer(pair, data):
    _, item = pair
    reversed_item = dataclasses.replace(item, reverse=True)
    value = data.draw(_answer(item))
    once = _item_score(reversed_item, value)
    assert item.low <= once <= item.high
    assert _item_score(reversed_item, once) == value


@settings(max_examples=400)
@given(complete_answers())
def test_any_valid_answers_score_within_every_scales_range(drawn):
    instrument, answers = drawn
    scored = score(instrument, answers)
    assert [s.id for s in scored.scales] == [s.id for s in instrument.scales]
    for s in scored.scales:
        assert s.minimum <= s.score <= s.maximum, (instrument.id, s.id, s.score)
        if instrument.scale(s.id).bands:
            assert s.band is not None


@settings(max_examples=200)
@given(complete_answers(get("core-10")))
def test_prorated_score_equals_the_plain_score_when_nothing_is_missing(drawn):
    instrument, answers = drawn
    scored = score(instrument, answers)
    clinical = scored.scale("clinical_score")
    assert not clinical.prorated
    plain = dataclasses.replace(
        instrument,
        scales=tuple(
            dataclasses.replace(s, missing="refuse", max_missing=0) for s in instrument.scales
        ),
    )
    assert clinical.score == score(plain, answers).scale("clinical_score").score
    assert clinical.score == scored.scale("total").score


@settings(max_examples=300)
@given(complete_answers(), st.data())
def test_refusing_an_out_of_range_answer_changes_nothing(drawn, data):
    instrument, answers = drawn
    before = score(instrument, answers).as_json()
    item = data.draw(st.sampled_from([i for i in instrument.answerable_items if i.skip is None]))
    bad = data.draw(
        st.one_of(
            st.sampled_from([item.high + 1, item.low - 1, item.high + 0.5]),
            st.just("3"),
            st.just(True),
        )
    )
    changed = dict(answers) | {item.id: bad}
    frozen = copy.deepcopy(changed)
    with pytest.raises(AnswersRefused) as refused:
        score(instrument, changed)
    assert [p for p in refused.value.problems if p.startswith(f"{item.id}: ")]
    assert changed == frozen  # the answers given are not touched
    assert score(instrument, answers).as_json() == before


# The vectorised path -----------------------------------------------------------------------


def _random_matrix(instrument, rows, rng):
    """Valid answers mostly; some missing, some not one of the answers."""
    columns = column_order(instrument)
    matrix = np.empty((rows, len(columns)))
    for n, item_id in enumerate(columns):
        item = instrument.item(item_id)
        if item.options:
            choices = np.array([o.value for o in item.options], dtype=float)
            matrix[:, n] = rng.choice(choices, rows)
        else:
            matrix[:, n] = rng.integers(int(item.minimum), int(item.maximum) + 1, rows)
    matrix[rng.random(matrix.shape) < 0.04] = np.nan
    bad = rng.random(matrix.shape) < 0.004
    matrix[bad] = 99
    return columns, matrix


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_score_columns_agrees_with_score_row_by_row(instrument_id):
    instrument = get(instrument_id)
    rng = np.random.default_rng(28)
    columns, matrix = _random_matrix(instrument, 3000, rng)
    # Keep the skip rules' gates answered 0 often enough to exercise them.
    for item in instrument.items:
        if item.skip is not None and item.skip.item in columns:
            gate = columns.index(item.skip.item)
            matrix[rng.random(len(matrix)) < 0.3, gate] = item.skip.equals
    result = score_columns(instrument, matrix)
    refused_rows = 0
    for row in range(len(matrix)):
        answers = {
            c: (None if math.isnan(v) else (int(v) if float(v).is_integer() else float(v)))
            for c, v in zip(columns, matrix[row], strict=True)
        }
        try:
            scored = score(instrument, answers)
        except AnswersRefused:
            assert result["refused"][row], (row, answers)
            refused_rows += 1
            for scale in instrument.scales:
                assert math.isnan(result[scale.id][row])
            continue
        assert not result["refused"][row], (row, answers)
        for s in scored.scales:
            assert result[s.id][row] == pytest.approx(s.score, abs=1e-9), (row, s.id)
            band = result[f"{s.id}.band"][row]
            scale = instrument.scale(s.id)
            assert (scale.bands[band].label if band >= 0 else None) == s.band
            assert bool(result[f"{s.id}.prorated"][row]) == s.prorated
            for c in s.cutoffs:
                assert bool(result[f"{s.id}.{c['id']}"][row]) == c["met"], (row, c["id"])
    assert 0 < refused_rows < len(matrix)


def test_score_columns_refuses_a_matrix_of_the_wrong_shape():
    with pytest.raises(ValueError, match="must have 10 columns"):
        score_columns(get("core-10"), np.zeros((3, 9)))
