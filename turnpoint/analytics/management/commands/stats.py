"""`turnpoint stats km | cox --csv FILE ...`: survival estimators on a table (docs/analytics.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from turnpoint.analytics import survival
from turnpoint.analytics.tables import load_survival_csv
from turnpoint.cli import emit, fail
from turnpoint.errors import InvalidInput, Problem


def _fmt(value, digits: int = 4) -> str:
    return "NA" if value is None else f"{value:.{digits}f}"


def _km_text(result: dict) -> str:
    lines = [
        f"Kaplan-Meier, {round(result['conf_level'] * 100)}% intervals on the "
        f"{result['conf_type']} scale (Greenwood standard errors)"
    ]
    for curve in result["curves"]:
        heading = f"group {curve['group']}" if curve["group"] is not None else "everybody"
        lines.append("")
        lines.append(f"{heading}: n = {curve['n']}, events = {curve['events']}")
        lines.append(
            f"{'time':>10} {'at risk':>8} {'events':>7} {'censored':>9} {'survival':>9} "
            f"{'std err':>9} {'lower':>9} {'upper':>9}"
        )
        for row in curve["rows"]:
            lines.append(
                f"{row['time']:>10g} {row['n_risk']:>8} {row['n_event']:>7} "
                f"{row['n_censored']:>9} {_fmt(row['survival']):>9} {_fmt(row['std_err']):>9} "
                f"{_fmt(row['lower']):>9} {_fmt(row['upper']):>9}"
            )
    return "\n".join(lines)


def _cox_text(result: dict) -> str:
    width = max(len(c["name"]) for c in result["coefficients"])
    level = round(result["conf_level"] * 100)
    lines = [
        f"Cox proportional hazards, {result['ties']} ties ({result['library']})",
        f"n = {result['n']}, events = {result['events']}",
        "",
        f"{'':<{width}} {'coef':>9} {'HR':>9} {'se':>9} {'z':>8} {'p':>9} "
        f"{'HR lower':>9} {'HR upper':>9}",
    ]
    for c in result["coefficients"]:
        lines.append(
            f"{c['name']:<{width}} {c['coef']:>9.5f} {c['hazard_ratio']:>9.5f} {c['se']:>9.5f} "
            f"{c['z']:>8.3f} {c['p']:>9.5f} {c['hazard_ratio_lower']:>9.4f} "
            f"{c['hazard_ratio_upper']:>9.4f}"
        )
    lr = result["likelihood_ratio"]
    lines += [
        "",
        f"HR intervals: {level}% (Wald)",
        f"log-likelihood = {result['log_likelihood']:.4f} "
        f"(no covariates: {result['null_log_likelihood']:.4f})",
        f"likelihood ratio test = {lr['statistic']:.2f} on {lr['df']} df, p = {lr['p']:.4g}",
    ]
    lines += [f"warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Kaplan-Meier curves or a Cox model from a CSV table (nothing is stored)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        km = sub.add_parser("km", help="Kaplan-Meier survival at each time, with intervals")
        cox = sub.add_parser("cox", help="a Cox proportional-hazards model")
        for p in (km, cox):
            p.add_argument("--csv", required=True, type=Path, help="a CSV file with a header")
            p.add_argument("--duration", required=True, help="column: time to event or censoring")
            p.add_argument("--event", required=True, help="column: 1 event, 0 censored")
            p.add_argument("--json", action="store_true")
        km.add_argument("--group", help="column: one curve per value")
        km.add_argument(
            "--conf-type", choices=survival.CONF_TYPES, default=survival.DEFAULT_CONF_TYPE
        )
        cox.add_argument("--covariates", required=True, help="columns, comma-separated")
        cox.add_argument("--ties", choices=survival.TIES, default=survival.DEFAULT_TIES)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except InvalidInput as exc:
            fail(
                self,
                [str(p) for p in exc.problems],
                as_json=options["json"],
                headline=f"{options['csv']}: the table was refused; nothing was estimated",
            )

    def _km(self, *, csv, duration, event, group, conf_type, json, **_):
        table = load_survival_csv(csv, duration=duration, event=event, group=group)
        result = survival.kaplan_meier(
            table["durations"], table["events"], groups=table["groups"], conf_type=conf_type
        )
        emit(self, result, as_json=json, text=_km_text(result))

    def _cox(self, *, csv, duration, event, covariates, ties, json, **_):
        names = [c.strip() for c in covariates.split(",") if c.strip()]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InvalidInput(Problem("covariates", f"names {', '.join(repeated)} twice"))
        table = load_survival_csv(csv, duration=duration, event=event, covariates=names)
        result = survival.cox(table["durations"], table["events"], table["covariates"], ties=ties)
        emit(self, result, as_json=json, text=_cox_text(result))
