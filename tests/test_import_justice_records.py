"""`turnpoint import justice-records FILE`: the whole file checked first, every problem listed
with its row, nothing written on refusal, and a second import of the same file changing nothing
(turnpoint/outcomes/justice_import.py)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from turnpoint.outcomes.models import OutcomeEvent
from turnpoint.people.identifiers import identifier_add
from turnpoint.people.merge import participant_merge
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reach import participants_visible_to

DATA = Path(__file__).parent / "data"
HEADER = ("identifier_kind,identifier,kind,offence_date,outcome_date,offence_category,outcome,"
          "source_reference")  # fmt: skip


@pytest.fixture
def robin(make_referral, coordinator):
    """The participant the sample files name, by three identifiers."""
    participant = make_referral().participant
    for kind, value in (("police", "2019/0012345A"), ("court_case", "T20267001"),
                        ("prison", "A1234BC")):  # fmt: skip
        identifier_add(acting_user=coordinator, participant=participant, kind=kind, value=value)
    return participant


def run(path, *args) -> dict:
    out = StringIO()
    call_command("import", "justice-records", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def refused(path, *args) -> dict:
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import", "justice-records", str(path), "--json", *args, stdout=out)
    assert "Nothing was imported" in str(error.value)
    return json.loads(out.getvalue())


def write(tmp_path, *lines, name="records.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("sample", ["justice-records.csv", "justice-records.jsonl"])
def test_the_sample_imports_once_and_a_second_time_changes_nothing(robin, sample):
    first = run(DATA / sample)
    assert first == {"ok": True, "file": sample, "dry_run": False, "rows": 4, "new": 4,
                     "already_imported": 0}  # fmt: skip
    events = list(OutcomeEvent.objects.order_by("source_row"))
    assert [(e.kind, e.category, e.outcome) for e in events] == [
        ("arrest", "legal", "pending"), ("charge", "legal", "pending"),
        ("conviction", "legal", "convicted"), ("custody", "legal", "pending"),
    ]  # fmt: skip
    assert {e.participant_id for e in events} == {robin.pk}
    assert {(e.source, e.source_file, e.recorded_by_id) for e in events} == {
        ("imported", sample, None)
    }
    assert events[2].source_reference == "HMCTS-T20267001-1" and events[0].source_row == (
        2 if sample.endswith(".csv") else 1
    )
    entry = AuditEntry.objects.get(action="import")
    assert entry.user is None and entry.participant_ids == [robin.pk]
    assert entry.detail["via"].startswith("command line") and entry.detail["new"] == 4
    second = run(DATA / sample)
    assert (second["new"], second["already_imported"]) == (0, 4)
    assert OutcomeEvent.objects.count() == 4
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_csv_and_json_lines_of_the_same_records_are_the_same_records(robin):
    run(DATA / "justice-records.csv")
    again = run(DATA / "justice-records.jsonl")
    assert (again["new"], again["already_imported"]) == (0, 4)


def test_a_dry_run_counts_and_writes_nothing(robin):
    result = run(DATA / "justice-records.csv", "--dry-run")
    assert (result["dry_run"], result["new"]) == (True, 4)
    assert not OutcomeEvent.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["import", "import_rejected"]).exists()


def test_every_problem_is_listed_with_its_row_and_nothing_is_written(
    robin, make_referral, coordinator, tmp_path
):
    # Two participants share a court case number: a record cannot say which it is.
    other = make_referral(given_name="Sam").participant
    identifier_add(acting_user=coordinator, participant=other, kind="court_case",
                   value="T20267001")  # fmt: skip
    path = write(
        tmp_path, HEADER,
        "police,2019/0012345A,arrest,2026-03-02,2026-03-03,acquisitive,pending,REF-1",  # good
        "nhs,9434765919,arrest,2026-03-02,2026-03-03,acquisitive,pending,REF-2",
        "police,1999/9999999Z,arrest,2026-03-02,2026-03-03,acquisitive,pending,REF-3",
        "court_case,T20267001,conviction,2026-03-02,2026-06-15,acquisitive,convicted,REF-4",
        "police,2019/0012345A,overdose,2026-03-02,2026-03-03,acquisitive,pending,REF-5",
        "police,2019/0012345A,arrest,2026-03-02,2999-01-01,acquisitive,pending,REF-6",
        "police,2019/0012345A,charge,2026-03-10,2026-03-04,acquisitive,pending,REF-7",
        "police,2019/0012345A,arrest,02/03/2026,2026-03-03,acquisitive,pending,REF-8",
        "police,2019/0012345A,arrest,2026-03-02,2026-03-03,acquisitive,pending,REF-1",  # repeat
        "police,2019/0012345A,arrest,2026-03-02,2026-03-03,shoplifting,maybe,",
    )  # fmt: skip
    before = OutcomeEvent.objects.count(), AuditEntry.objects.filter(action="import").count()
    result = refused(path)
    found = {(p["row"], p["field"]) for p in result["problems"]}
    assert found == {
        (3, "identifier_kind"),
        (4, "identifier"),
        (5, "identifier"),
        (6, "kind"),
        (7, "outcome_date"),
        (8, "outcome_date"),
        (9, "offence_date"),
        (10, ""),
        (11, "offence_category"), (11, "outcome"), (11, "source_reference"),
    }  # fmt: skip
    reasons = {(p["row"], p["field"]): p["reason"] for p in result["problems"]}
    assert reasons[(4, "identifier")] == "matches no participant"
    assert reasons[(5, "identifier")].startswith("matches 2 participants")
    assert reasons[(7, "outcome_date")] == "is in the future"
    assert reasons[(8, "outcome_date")] == "is before the offence date (10 March 2026)"
    assert reasons[(10, "")] == "repeats row 2"
    assert "row 9: offence_date: '02/03/2026' is not a date" in " ".join(result["errors"])
    assert result["ok"] is False and result["new"] == 0
    assert (OutcomeEvent.objects.count(), AuditEntry.objects.filter(action="import").count()) == (
        before
    )
    rejected = AuditEntry.objects.get(action="import_rejected")
    assert rejected.detail["problems"] == len(result["problems"]) and rejected.user is None


def test_the_text_output_lists_every_problem(robin, tmp_path):
    path = write(
        tmp_path, HEADER,
        "police,1999/9999999Z,arrest,2026-03-02,2026-03-03,acquisitive,pending,REF-3",
        "police,2019/0012345A,arrest,2026-03-02,2999-01-01,acquisitive,pending,REF-6",
    )  # fmt: skip
    with pytest.raises(CommandError) as error:
        call_command("import", "justice-records", str(path), stdout=StringIO())
    message = str(error.value)
    assert "records.csv was refused: 2 problem(s) found. Nothing was imported." in message
    assert "row 2: identifier: matches no participant" in message
    assert "row 3: outcome_date: is in the future" in message


def test_a_merged_record_resolves_to_the_kept_one(robin, make_referral, coordinator, tmp_path):
    duplicate = make_referral(given_name="Robyn").participant
    identifier_add(acting_user=coordinator, participant=duplicate, kind="police",
                   value="2020/0000777K")  # fmt: skip
    participant_merge(acting_user=coordinator, kept=robin, duplicate=duplicate,
                      reached=participants_visible_to(coordinator))  # fmt: skip
    # The duplicate's identifier moved to the kept record with the merge.
    path = write(
        tmp_path, HEADER,
        "police,2020 0000777K,arrest,2026-03-02,2026-03-03,acquisitive,pending,REF-1",
    )  # fmt: skip
    assert run(path)["new"] == 1
    assert OutcomeEvent.objects.get().participant == robin


def test_an_identifier_left_on_a_merged_record_resolves_to_the_kept_one(
    robin, make_referral, coordinator, tmp_path
):
    duplicate = make_referral(given_name="Robyn").participant
    identifier_add(acting_user=coordinator, participant=duplicate, kind="prison", value="A1234BC")
    participant_merge(acting_user=coordinator, kept=robin, duplicate=duplicate,
                      reached=participants_visible_to(coordinator))  # fmt: skip
    path = write(tmp_path, HEADER,
                 "prison,A1234BC,custody,,2026-06-15,acquisitive,pending,REF-9")  # fmt: skip
    assert run(path)["new"] == 1
    assert OutcomeEvent.objects.get().participant == robin


@pytest.mark.parametrize(
    "lines, name, reason",
    [
        (["identifier_kind,identifier,kind"], "records.csv", "lacks the columns"),
        ([HEADER], "records.csv", "has no rows"),
        (['{"identifier_kind": "police"', "[1]"], "records.jsonl", "is not a JSON object"),
        ([HEADER], "records.txt", "must be csv or jsonl"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(robin, tmp_path, lines, name, reason):
    result = refused(write(tmp_path, *lines, name=name))
    assert any(reason in e for e in result["errors"]), result["errors"]
    assert not OutcomeEvent.objects.exists()


def test_a_missing_file_is_refused_without_a_traceback(db, tmp_path):
    result = refused(tmp_path / "nowhere.csv")
    assert result["errors"] == ["file: there is no file nowhere.csv"]
