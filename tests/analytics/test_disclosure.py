"""Small-cell suppression, keyed pseudonyms and coarse dates (docs/analytics.md, "Publishing
safely")."""

import datetime
import hashlib
import hmac

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from turnpoint.analytics.disclosure import (
    THRESHOLD,
    coarsen_date,
    pseudonymise,
    recoverable,
    suppress,
)
from turnpoint.errors import InvalidInput

KEY = "k" * 16 + "0123456789abcdef"  # 32 characters


def augmented(result):
    """The published table with its margins, None where withheld."""
    rows = [[*row, total] for row, total in zip(result["cells"], result["row_totals"], strict=True)]
    rows.append(result["column_totals"] + [result["grand_total"]])
    return rows


def true_augmented(table):
    cells = np.array(table)
    full = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=int)
    full[:-1, :-1] = cells
    full[:-1, -1] = cells.sum(axis=1)
    full[-1, :-1] = cells.sum(axis=0)
    full[-1, -1] = cells.sum()
    return full


tables = st.integers(1, 5).flatmap(
    lambda cols: st.lists(
        st.lists(st.one_of(st.integers(0, 6), st.integers(0, 200)), min_size=cols, max_size=cols),
        min_size=1,
        max_size=5,
    )
)


@settings(max_examples=400, deadline=None)
@given(tables)
def test_no_withheld_value_can_be_derived_from_its_row_or_column(table):
    published = augmented(suppress(table))
    truth = true_augmented(table)
    lines = [list(row) for row in published] + [list(col) for col in zip(*published, strict=True)]
    for line in lines:
        withheld = [v for v in line if v is None]
        # A line with exactly one withheld entry would give it away by subtraction.
        assert len(withheld) != 1, (table, published)
    # Published values are the true ones; every count of 1-4 (totals too) is withheld.
    for i, row in enumerate(published):
        for j, value in enumerate(row):
            if value is not None:
                assert value == truth[i, j]
            if 0 < truth[i, j] < THRESHOLD:
                assert value is None


def solvable(full, hidden):
    """Withheld entries every solution of the published sums agrees on, by linear algebra:
    unknowns are the withheld entries, each line of the table one equation (its interior
    entries add up to its last); an unknown is fixed when its row of the null space is zero."""
    unknowns = [tuple(int(x) for x in c) for c in np.argwhere(hidden)]
    rows, cols = full.shape
    lines = [[(i, j) for j in range(cols)] for i in range(rows)]
    lines += [[(i, j) for i in range(rows)] for j in range(cols)]
    system = np.zeros((len(lines), len(unknowns)))
    for r, line in enumerate(lines):
        for n, cell in enumerate(line):
            if cell in unknowns:
                system[r, unknowns.index(cell)] = -1.0 if n == len(line) - 1 else 1.0
    if not unknowns:
        return []
    _, singular, vt = np.linalg.svd(system)
    null = vt[int((singular > 1e-9).sum()) :].T
    if null.shape[1] == 0:
        return unknowns
    return [c for k, c in enumerate(unknowns) if np.abs(null[k]).max() < 1e-9]


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_withheld_value_can_be_solved_for_from_all_the_sums(table):
    published = augmented(suppress(table))
    hidden = np.array([[v is None for v in row] for row in published])
    full = true_augmented(table)
    assert recoverable(full, hidden) == []
    assert solvable(full, hidden) == []  # checked by linear algebra, not by `recoverable`


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_recoverable_finds_exactly_what_linear_algebra_solves(rows, cols, data):
    """`recoverable` looks for bridges in the graph of withheld entries; the same entries are
    the ones the published sums fix, on any pattern of withheld entries."""
    full = true_augmented(np.arange(rows * cols).reshape(rows, cols) + 1)
    hidden = np.array(
        data.draw(st.lists(st.lists(st.booleans(), min_size=cols + 1, max_size=cols + 1),
                           min_size=rows + 1, max_size=rows + 1))
    )  # fmt: skip
    assert recoverable(full, hidden) == solvable(full, hidden)


def test_secondary_suppression_chooses_the_smallest_other_cells():
    result = suppress([[10, 20, 3], [15, 12, 30], [8, 9, 40]])
    assert result["cells"] == [[None, 20, None], [15, None, None], [None, None, 40]]
    assert result["row_totals"] == [33, 57, 57]
    assert result["column_totals"] == [33, 41, 73]
    assert result["grand_total"] == 147
    assert result["primary"][0] == [False, False, True]
    assert sum(map(sum, result["withheld"])) == 6


def test_zero_is_published_and_a_table_with_nothing_small_is_untouched():
    table = [[0, 12], [7, 30]]
    result = suppress(table)
    assert result["cells"] == table and result["grand_total"] == 49


def test_a_bridge_between_two_withheld_cycles_is_closed():
    # Withholding only in-line pairs can leave a cell fixed by the sums of several lines;
    # `recoverable` finds it and suppression goes on until none is.
    full = true_augmented([[1, 9, 50, 50], [9, 1, 50, 50], [50, 50, 1, 9], [50, 50, 9, 1]])
    hidden = np.zeros(full.shape, dtype=bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)]:
        hidden[cell] = True
    assert recoverable(full, hidden) == []  # two separate cycles: nothing fixed
    hidden[0, 2] = True  # a bridge joins them...
    hidden[2, 0] = True  # ...and is closed into a cycle by a second link
    assert recoverable(full, hidden) == []
    hidden[2, 0] = False
    assert (0, 2) in recoverable(full, hidden)


def test_bad_tables_are_refused():
    with pytest.raises(InvalidInput) as caught:
        suppress([[1, -2], [3]])
    assert [str(p) for p in caught.value.problems] == [
        "row 1, column 2: must be a count (0 or more)",
        "row 2: has 1 cells; row 1 has 2",
    ]
    with pytest.raises(InvalidInput):
        suppress([])


def test_pseudonyms_are_hmac_sha256_under_the_settings_key():
    with override_settings(TURNPOINT_PSEUDONYM_KEY=KEY):
        pseudonyms = pseudonymise(["P-001", "P-002", "P-001", 42])
    expected = hmac.new(KEY.encode(), b"P-001", hashlib.sha256).hexdigest()
    assert pseudonyms[0] == pseudonyms[2] == expected
    assert pseudonyms[1] != pseudonyms[0] and len(pseudonyms[1]) == 64
    assert pseudonyms[3] == hmac.new(KEY.encode(), b"42", hashlib.sha256).hexdigest()
    other = pseudonymise(["P-001"], key=b"z" * 32)
    assert other[0] != expected


def test_pseudonyms_are_refused_without_a_proper_key(settings):
    settings.TURNPOINT_PSEUDONYM_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="is not set"):
        pseudonymise(["P-001"])
    settings.TURNPOINT_PSEUDONYM_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="at least 32 characters; it is 5"):
        pseudonymise(["P-001"])
    settings.TURNPOINT_PSEUDONYM_KEY = settings.SECRET_KEY
    with pytest.raises(ImproperlyConfigured, match="must differ from SECRET_KEY"):
        pseudonymise(["P-001"])
    with pytest.raises(ImproperlyConfigured):
        pseudonymise(["P-001"], key=b"short")


def test_dates_are_coarsened_to_month_or_quarter():
    assert coarsen_date(datetime.date(2026, 3, 17)) == "2026-03"
    assert coarsen_date(datetime.datetime(2026, 12, 31, 23, 59)) == "2026-12"
    assert coarsen_date(datetime.date(2026, 3, 31), to="quarter") == "2026-Q1"
    assert coarsen_date(datetime.date(2026, 4, 1), to="quarter") == "2026-Q2"
    assert coarsen_date(datetime.date(2026, 12, 1), to="quarter") == "2026-Q4"
    with pytest.raises(InvalidInput):
        coarsen_date(datetime.date(2026, 1, 1), to="week")
    with pytest.raises(InvalidInput):
        coarsen_date("2026-01-01")


def test_suppression_goes_on_until_no_cell_is_fixed_by_the_sums():
    # Here withholding a second entry in every line leaves the 2 in row 2, column 2 fixed by
    # the sums of several lines (a bridge); suppression withholds more until nothing is.
    table = [[3, 0, 6, 6], [6, 2, 2, 6], [50, 1, 6, 1]]
    result = suppress(table)
    published = augmented(result)
    hidden = np.array([[v is None for v in row] for row in published])
    assert recoverable(true_augmented(table), hidden) == []
    assert result["cells"][1] == [None, None, None, None]
    assert hidden.sum() == 10
