"""`turnpoint instruments list | score ID | check FILE | fhir ID` (docs/assessments.md)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from turnpoint.assessments import fhir
from turnpoint.assessments.instruments import (
    AnswersRefused,
    InstrumentFileError,
    UnknownInstrument,
    catalogue,
    get,
    is_off,
    load_file,
    score,
)
from turnpoint.cli import emit, fail


def _fmt(value) -> str:
    if value is None:
        return "not scored"
    return str(value)


class Command(BaseCommand):
    help = "List the instruments, score answers against one, check a file, or export FHIR."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the instruments available, switched off too")
        listing.add_argument("--json", action="store_true")
        scoring = sub.add_parser("score", help="score answers (nothing is stored)")
        scoring.add_argument("instrument_id")
        scoring.add_argument(
            "--answers", required=True, help="a JSON object of item id -> value, or a JSON file"
        )
        scoring.add_argument("--context", help='JSON, e.g. {"sex": "female"} for AUDIT-C')
        scoring.add_argument(
            "--partial", action="store_true", help="check what is given; score what can be"
        )
        scoring.add_argument("--json", action="store_true")
        check = sub.add_parser("check", help="check a deployment's own instrument file")
        check.add_argument("file", type=Path)
        check.add_argument("--json", action="store_true")
        export = sub.add_parser("fhir", help="print the instrument as a FHIR R4 Questionnaire")
        export.add_argument("instrument_id")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _list(self, *, json: bool, **_):
        rows = [
            {
                "id": i.id,
                "version": i.version,
                "title": i.title,
                "validated": i.validated,
                "licence": {
                    "verdict": i.licence.verdict,
                    "status": i.licence.status,
                    "provisional": list(i.licence.provisional_parts),
                },
                "category": i.category,
                "on": not is_off(i.id),
            }
            for i in sorted(catalogue(include_off=True).values(), key=lambda i: i.id)
        ]
        lines = []
        for r in rows:
            provisional = r["licence"]["provisional"]
            lines.append(
                f"{r['id']:<18} {'on ' if r['on'] else 'off'} "
                f"{'validated' if r['validated'] else 'not validated':<13} "
                f"{r['category']:<14} {r['licence']['verdict']}"
                + (f" (provisional: {', '.join(provisional)})" if provisional else "")
                + f"  {r['title']}"
            )
        emit(self, rows, as_json=json, text="\n".join(lines))

    def _instrument(self, instrument_id: str, as_json: bool):
        try:
            return get(instrument_id)
        except UnknownInstrument as exc:
            fail(self, [str(exc)], as_json=as_json, headline="No such instrument.")

    def _json_arg(self, name: str, raw: str, as_json: bool):
        text = raw
        if not raw.lstrip().startswith("{"):
            try:
                text = Path(raw).read_text(encoding="utf-8")
            except OSError as exc:
                fail(self, [f"{name}: cannot read {raw} ({exc.strerror})"], as_json=as_json,
                     headline="Nothing was scored.")  # fmt: skip
        try:
            value = json.loads(text)
        except ValueError as exc:
            fail(self, [f"{name}: is not JSON ({exc})"], as_json=as_json,
                 headline="Nothing was scored.")  # fmt: skip
        if not isinstance(value, dict):
            fail(self, [f"{name}: must be a JSON object"], as_json=as_json,
                 headline="Nothing was scored.")  # fmt: skip
        return value

    def _score(self, *, instrument_id, answers, context, partial, json: bool, **_):
        instrument = self._instrument(instrument_id, json)
        given = self._json_arg("answers", answers, json)
        ctx = self._json_arg("context", context, json) if context else None
        try:
            scored = score(instrument, given, context=ctx, partial=partial)
        except AnswersRefused as exc:
            headline = f"Nothing was scored: {len(exc.problems)} problem(s) with the answers."
            fail(self, exc.problems, as_json=json, headline=headline)
        lines = [f"{instrument.short_name} ({instrument.version})"]
        for s in scored.scales:
            band = f"  {s.band}" if s.band else ""
            lines.append(f"{s.name}: {_fmt(s.score)} ({s.minimum} to {s.maximum}){band}")
            for c in s.cutoffs:
                note = f" — {c['note']}" if c.get("note") else ""
                lines.append(f"  {'met    ' if c['met'] else 'not met'} {c['label']}{note}")
            for n in s.norms:
                label = f" {n['value_label']}" if n["value_label"] else ""
                lines.append(f"  {n['label']}: {_fmt(n['value'])}{label} — {n['note']}")
            if s.note:
                lines.append(f"  {s.note}")
        if instrument.scoring_note:
            lines.append(instrument.scoring_note)
        if instrument.licence.provisional:
            lines.append(
                f"Provisional ({' and '.join(instrument.licence.provisional_parts)}): "
                + " ".join(instrument.licence.open_checks)
            )
        for flag in scored.flags:
            lines.append(f"FLAG: {flag}")
        if scored.missing:
            lines.append("Not answered: " + ", ".join(scored.missing))
        emit(self, {"ok": True, "instrument": instrument.id, **scored.as_json()}, as_json=json,
             text="\n".join(lines))  # fmt: skip

    def _check(self, *, file: Path, json: bool, **_):
        try:
            instrument = load_file(file)
        except InstrumentFileError as exc:
            fail(self, exc.problems, as_json=json,
                 headline=f"{file.name} is not a usable instrument file: "
                 f"{len(exc.problems)} problem(s).")  # fmt: skip
        shipped = catalogue(include_off=True).get(instrument.id)
        if shipped is not None and shipped.shipped and Path(shipped.source_path) != file.resolve():
            problem = f"{file.name}: id {instrument.id!r} is already taken by a shipped instrument"
            fail(self, [problem], as_json=json, headline=f"{file.name} cannot be added.")
        summary = {
            "ok": True,
            "id": instrument.id,
            "items": len(instrument.items),
            "scales": [s.id for s in instrument.scales],
            "test_vectors": len(instrument.test_vectors),
        }
        emit(self, summary, as_json=json,
             text=f"{file.name}: {instrument.id} is valid: {len(instrument.items)} items, "
             f"scales {', '.join(summary['scales'])}, {summary['test_vectors']} test vector(s) "
             "score as expected.")  # fmt: skip

    def _fhir(self, *, instrument_id, **_):
        instrument = self._instrument(instrument_id, False)
        resource = fhir.validated(fhir.questionnaire(instrument))
        self.stdout.write(json.dumps(resource, indent=2, ensure_ascii=False))
