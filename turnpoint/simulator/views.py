"""The analyst's page: edit a scenario's YAML, run it against its baseline, see charts and tables.

Each run is bounded in runs times simulated years, and each user in simulations running and
started an hour (limits.py, security.md SEC-46).

The page calls the same functions as ``turnpoint simulate`` (cli.run_simulation's pieces), so the
web and the command give the same numbers for the same scenario, runs and seed.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from turnpoint.simulator import analysis, charts, outputs
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.limits import (
    SimulationRefused,
    run_years,
    runs_problem,
    web_simulation_finish,
    web_simulation_start,
)
from turnpoint.simulator.parameters import parse_yaml
from turnpoint.simulator.runner import simulate
from turnpoint.simulator.scenario import load_scenario, resolve_extends, scenario_from_data

MAX_WEB_RUNS = 300
DEFAULT_WEB_RUNS = 100
MAX_YAML_CHARS = 100_000  # a scenario is a few kilobytes; refuse anything far larger
FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.yaml$")
LABEL = "edited scenario"


def _scenario_dir() -> Path:
    return Path(getattr(settings, "TURNPOINT_SCENARIOS_DIR", settings.BASE_DIR / "scenarios"))


def _shipped() -> list[Path]:
    return sorted(_scenario_dir().glob("*.yaml"))


def _int_field(post, name: str, default: int, low: int, high: int, errors: list) -> int:
    raw = (post.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.append((name, f"{name.capitalize()} must be a whole number"))
        return default
    if not low <= value <= high:
        errors.append((name, f"{name.capitalize()} must be between {low} and {high}"))
    return value


def _load_edited(text: str):
    """Parse the edited YAML. ``extends`` and ``compare_to`` may only name a shipped scenario
    file, so the page cannot be used to read other files on the server."""
    data = parse_yaml(text, LABEL)
    if isinstance(data, dict):
        for key in ("extends", "compare_to"):
            if key in data and not (
                isinstance(data[key], str)
                and FILE_NAME.match(data[key])
                and (_scenario_dir() / data[key]).is_file()
            ):
                raise SimulatorInputError(
                    LABEL, key, "must name a scenario file shipped in scenarios/"
                )
    base_dir = _scenario_dir()
    return scenario_from_data(resolve_extends(data, LABEL, base_dir), LABEL, base_dir)


def _charts(summary: dict) -> dict[str, str]:
    out = {}
    series = {summary["scenario"]["title"]: summary["series"].get("prison_population", [])}
    comp = summary.get("comparison")
    if comp:
        series[f"Baseline ({comp['baseline']})"] = comp["baseline_series"].get(
            "prison_population", []
        )
        econ = comp["economics"]
        out["economics"] = charts.interval_chart(
            [
                ("Net cost", econ["net_cost"]),
                ("Benefits to taxpayers", econ["benefits_taxpayers"]),
                ("Benefits to victims", econ["benefits_victims"]),
                ("Deaths avoided, valued", econ["benefits_deaths_valued"]),
                ("Net present value", econ["npv"]),
            ],
            title="Costs and benefits against the baseline (GBP, discounted)",
            desc="Mean and 95% Monte Carlo interval of each line; the table below has the numbers.",
        )
        curve = comp.get("acceptability")
        if curve:
            out["acceptability"] = charts.curve_chart(
                [(p["value_of_a_prevented_death"], p["probability"]) for p in curve["points"]],
                title="Chance the policy is worth it, by the value put on a death avoided",
                desc="Share of runs with a positive net present value when each death avoided "
                "is valued at the amount on the horizontal axis; the table below has the numbers.",
                x_label=f"value of a death avoided (GBP, {curve['price_base']})",
                y_label="chance net present value > 0",
            )
    out["prison"] = charts.line_chart(
        series,
        title="People in prison, average over runs",
        x_label="years from start",
        y_label="people in prison",
        desc="Weekly prison population of this scenario and its baseline, averaged over the runs.",
    )
    tornado = summary.get("one_way")
    if tornado:
        out["sensitivity"] = charts.one_way_chart(
            tornado["parameters"],
            base=tornado["base_result"],
            title=f"Which figures move the {tornado['target']} most",
            desc=f"The {tornado['target']} with each figure at the low and then the high end of "
            "its 95% range, every other figure at its point value; the table below has the "
            "numbers.",
            x_label=f"{tornado['target']} (GBP, discounted)",
        )
    return out


@login_required
@require_http_methods(["GET", "POST"])
def simulator_page(request):
    """GET shows a shipped scenario in the editor; POST validates, runs and shows the results."""
    shipped = _shipped()
    names = [p.name for p in shipped]
    chosen = request.GET.get("scenario", "ew_ost_continuity_for_all.yaml")
    if chosen not in names:
        chosen = names[0] if names else ""
    context = {
        "shipped": names,
        "chosen": chosen,
        "runs": DEFAULT_WEB_RUNS,
        "seed": 20240601,
        "max_runs": MAX_WEB_RUNS,
        "errors": [],
    }
    if request.method == "GET":
        context["text"] = (_scenario_dir() / chosen).read_text(encoding="utf-8") if chosen else ""
        return render(request, "simulator/page.html", context)

    errors: list[tuple[str, str]] = []
    text = request.POST.get("scenario_yaml", "")
    runs = _int_field(request.POST, "runs", DEFAULT_WEB_RUNS, 1, MAX_WEB_RUNS, errors)
    seed = _int_field(request.POST, "seed", 20240601, 0, 2**32 - 1, errors)
    context.update(text=text, runs=runs, seed=seed)
    scenario = baseline_scenario = None
    if len(text) > MAX_YAML_CHARS:
        errors.append(("scenario_yaml", f"Scenario is longer than {MAX_YAML_CHARS:,} characters"))
    if not errors:
        try:
            scenario = _load_edited(text)
            if scenario.compare_to is not None:
                baseline_scenario = load_scenario(scenario.compare_to)
        except SimulatorInputError as exc:
            errors.append(("scenario_yaml", f"{exc.key}: {exc.reason}"))
    if not errors:
        too_much = runs_problem(scenario, runs=runs, baseline=baseline_scenario)
        if too_much:
            errors.append(("runs", too_much))
    if errors:
        context["errors"] = errors
        return render(request, "simulator/page.html", context, status=400)

    work = run_years(scenario, runs=runs, baseline=baseline_scenario)
    try:
        started = web_simulation_start(user=request.user, runs=runs, run_years=work)
    except SimulationRefused as refused:
        context["errors"] = [("runs", str(refused))]
        response = render(request, "simulator/page.html", context, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
    try:
        result = simulate(scenario, runs=runs, seed=seed)
        baseline = simulate(baseline_scenario, runs=runs, seed=seed) if baseline_scenario else None
        one_way = None
        if request.POST.get("format") != "csv":  # one deterministic run per figure's two ends
            one_way = analysis.one_way(scenario, baseline_scenario, seed=seed)
    finally:
        web_simulation_finish(started)
    if request.POST.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{scenario.name}-runs.csv"'
        rows = outputs.run_rows(result, baseline)
        writer = csv.DictWriter(response, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return response
    summary = outputs.summary(result, baseline)
    summary["one_way"] = one_way
    context.update(summary=summary, charts=_charts(summary), tables=_tables(summary))
    return render(request, "simulator/page.html", context)


def _tables(summary: dict) -> dict:
    """Rows for the templates: (label, cell, kind) where kind picks the number format."""
    o = summary["outcomes"]
    outcome_rows = [
        ("Reconvictions", o["reconvictions"], "count"),
        ("Crimes", o["crimes"], "count"),
        ("Prison population (average)", o["prison_population_avg"], "count"),
        ("Prison bed-days", o["prison_bed_days"], "count"),
        ("Drug-related deaths", o["deaths_drug"], "count"),
        ("Other deaths", o["deaths_other"], "count"),
        ("Programme completions", o["completions"], "count"),
        ("Cost to justice (discounted)", o["payer.taxpayer_justice"], "money"),
        ("Cost to health (discounted)", o["payer.taxpayer_health"], "money"),
        ("Cost of crime to victims (discounted)", o["payer.victims"], "money"),
    ]
    tables = {"outcomes": outcome_rows}
    comp = summary.get("comparison")
    if comp:
        ch, ec = comp["changes"], comp["economics"]
        tables["changes"] = [
            ("Reconvictions", ch["reconvictions"], "count"),
            ("Crimes", ch["crimes"], "count"),
            ("Prison population (average)", ch["prison_population_avg"], "count"),
            ("Prison bed-days", ch["prison_bed_days"], "count"),
            ("Drug-related deaths", ch["deaths_drug"], "count"),
            ("Programme completions", ch["completions"], "count"),
        ]
        tables["economics"] = [
            ("Net cost (programmes and OST)", ec["net_cost"], "money"),
            ("Benefits to taxpayers (prison, justice)", ec["benefits_taxpayers"], "money"),
            ("Benefits to victims (crime avoided)", ec["benefits_victims"], "money"),
            ("Deaths avoided, valued", ec["benefits_deaths_valued"], "money"),
            ("Total benefits", ec["benefits_total"], "money"),
            ("Net present value", ec["npv"], "money"),
            ("Benefit-cost ratio", ec["bcr"], "ratio"),
        ]
    return tables
