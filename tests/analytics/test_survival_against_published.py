"""The survival estimators against results other software published (docs/analytics.md).

Each test names its source, the tie method or interval transform, and the tolerance, which is
half a unit in the last printed digit of the source (5e-6 for five decimals, 5e-5 for four,
5e-4 for three). Where Turnpoint computes a value itself it is also compared, to 1e-6 or
tighter, with lifelines or statsmodels.

Sources:

- COX_R: R, survival package 3.8-6, `coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar
  + paro + prio, data = Rossi)` with its default Efron ties — the model of Fox & Weisberg,
  "Cox Proportional-Hazards Regression for Survival Data in R", appendix to An R Companion to
  Applied Regression, 3rd ed. (2018), section 3. Printed output as reproduced in the concurve R
  package's article on survival modelling (github.com/zadrafi/concurve, articles/survival.md,
  commit 797a6659aa11bab5fe64638459f0369fb4c47a4c). The same table, with `summary()`'s
  exp(coef) lower/upper .95 columns, appears in other public R Markdown reproductions.
  The data are Rossi, Berk & Lenihan (1980), 432 people released from prison and followed
  for 52 weeks; the copy shipped in lifelines (`load_rossi`) codes race 1 = black and
  mar 1 = married, where R's carData factors take "black" and "married" as the baseline, so R's
  `raceother` and `marnot married` are the negatives of lifelines' `race` and `mar` (same
  standard errors, z of the opposite sign).
- KM_R: R, survival package, `summary(survfit(Surv(t, status) ~ group))` with the default
  `conf.type = "log"`, on the Freireich et al. (1963) leukaemia remission data (21 people given
  6-mercaptopurine, 21 placebo; the data set of Kleinbaum & Klein, Survival Analysis: A
  Self-Learning Text) — the same 42 rows as lifelines' `load_leukemia` (Rx 0 = 6-MP,
  Rx 1 = placebo). Printed output as reproduced in public R Markdown course notes (two
  independent reproductions, one using KMsurv::drug6mp, agree digit for digit). The same notes
  print `coxph(Surv(t, status) ~ Group)` (Efron) on these data: coef 1.5721, se 0.4124,
  likelihood ratio test 16.35 on 1 df.
- Breslow ties: no published table for this model with Breslow ties (R `ties = "breslow"`,
  Stata's `stcox` default) was found, so statsmodels' PHReg (which Turnpoint uses) is compared
  with an independent Newton-Raphson maximisation of the Breslow partial likelihood written
  here in numpy.
"""

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_leukemia, load_rossi
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from turnpoint.analytics.survival import cox, kaplan_meier

COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]

# COX_R, coef and se(coef) printed to five decimals, z to three; R's names and signs.
COX_R = {
    "fin": ("finyes", -0.37942, 0.19138, -1.983),
    "age": ("age", -0.05744, 0.02200, -2.611),
    "race": ("raceother", -0.31390, 0.30799, -1.019),
    "wexp": ("wexpyes", -0.14980, 0.21222, -0.706),
    "mar": ("marnot married", 0.43370, 0.38187, 1.136),
    "paro": ("paroyes", -0.08487, 0.19576, -0.434),
    "prio": ("prio", 0.09150, 0.02865, 3.194),
}
# R recodes race and mar with the other level as baseline (see the module docstring).
R_SIGN = {"race": -1, "mar": -1}
# COX_R summary(): exp(coef) lower .95 / upper .95, four decimals, for covariates coded alike.
COX_R_HR_INTERVALS = {
    "fin": (0.4702, 0.9957),
    "age": (0.9043, 0.9858),
    "wexp": (0.5679, 1.3049),
}
COX_R_LR = 33.27  # "Likelihood ratio test=33.27  on 7 df, p=2.362e-05"
COX_R_LR_P = 2.362e-05

# KM_R: time, n.risk, n.event, survival, std.err, lower 95% CI, upper 95% CI (log transform).
KM_R_6MP = [
    (6, 21, 3, 0.857, 0.0764, 0.720, 1.000),
    (7, 17, 1, 0.807, 0.0869, 0.653, 0.996),
    (10, 15, 1, 0.753, 0.0963, 0.586, 0.968),
    (13, 12, 1, 0.690, 0.1068, 0.510, 0.935),
    (16, 11, 1, 0.627, 0.1141, 0.439, 0.896),
    (22, 7, 1, 0.538, 0.1282, 0.337, 0.858),
    (23, 6, 1, 0.448, 0.1346, 0.249, 0.807),
]
KM_R_PLACEBO = [
    (1, 21, 2, 0.9048, 0.0641, 0.78754, 1.000),
    (2, 19, 2, 0.8095, 0.0857, 0.65785, 0.996),
    (3, 17, 1, 0.7619, 0.0929, 0.59988, 0.968),
    (4, 16, 2, 0.6667, 0.1029, 0.49268, 0.902),
    (5, 14, 2, 0.5714, 0.1080, 0.39455, 0.828),
    (8, 12, 4, 0.3810, 0.1060, 0.22085, 0.657),
    (11, 8, 2, 0.2857, 0.0986, 0.14529, 0.562),
    (12, 6, 2, 0.1905, 0.0857, 0.07887, 0.460),
    (15, 4, 1, 0.1429, 0.0764, 0.05011, 0.407),
    (17, 3, 1, 0.0952, 0.0641, 0.02549, 0.356),
    (22, 2, 1, 0.0476, 0.0465, 0.00703, 0.322),
    (23, 1, 1, 0.0000, None, None, None),  # R prints NaN and NA
]


def half_unit(printed: float) -> float:
    """Half a unit in the last digit of a printed decimal (0.857 -> 5e-4, 0.78754 -> 5e-6)."""
    text = f"{printed}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10**-decimals + 1e-12


@pytest.fixture(scope="module")
def rossi():
    return load_rossi()


@pytest.fixture(scope="module")
def efron(rossi):
    return cox(rossi["week"], rossi["arrest"], {c: rossi[c] for c in COVARIATES}, ties="efron")


def test_cox_efron_coefficients_and_standard_errors_match_r_on_rossi(efron):
    """Source COX_R; Efron ties; coefficients and standard errors to 5e-6, z to 5e-4."""
    assert efron["ties"] == "efron" and efron["library"].startswith("lifelines")
    assert (efron["n"], efron["events"]) == (432, 114)
    got = {c["name"]: c for c in efron["coefficients"]}
    assert list(got) == COVARIATES
    for name, (_r_name, coef, se, z) in COX_R.items():
        sign = R_SIGN.get(name, 1)
        assert sign * got[name]["coef"] == pytest.approx(coef, abs=5e-6), name
        assert got[name]["se"] == pytest.approx(se, abs=5e-6), name
        assert sign * got[name]["z"] == pytest.approx(z, abs=5e-4), name


def test_cox_efron_hazard_ratio_intervals_match_r_on_rossi(efron):
    """Source COX_R (summary); Efron ties; Wald 95% intervals of exp(coef) to 5e-5."""
    got = {c["name"]: c for c in efron["coefficients"]}
    for name, (lower, upper) in COX_R_HR_INTERVALS.items():
        assert got[name]["hazard_ratio_lower"] == pytest.approx(lower, abs=5e-5), name
        assert got[name]["hazard_ratio_upper"] == pytest.approx(upper, abs=5e-5), name


def test_cox_efron_likelihood_ratio_matches_r_and_log_likelihood_matches_statsmodels(rossi, efron):
    """Source COX_R: likelihood ratio 33.27 (5e-3) and its p 2.362e-05 (5e-9). R's printout
    does not show the log-likelihood itself, so it is compared with statsmodels' independent
    Efron implementation to 1e-6, at the optimum and with no covariates."""
    assert efron["likelihood_ratio"]["statistic"] == pytest.approx(COX_R_LR, abs=5e-3)
    assert efron["likelihood_ratio"]["df"] == 7
    assert efron["likelihood_ratio"]["p"] == pytest.approx(COX_R_LR_P, abs=5e-9)
    model = PHReg(rossi["week"], rossi[COVARIATES], status=rossi["arrest"], ties="efron")
    result = model.fit()
    assert efron["log_likelihood"] == pytest.approx(result.llf, abs=1e-6)
    assert efron["null_log_likelihood"] == pytest.approx(model.loglike(np.zeros(7)), abs=1e-6)
    got = np.array([c["coef"] for c in efron["coefficients"]])
    np.testing.assert_allclose(got, result.params, atol=1e-6)
    np.testing.assert_allclose([c["se"] for c in efron["coefficients"]], result.bse, atol=1e-6)


def test_cox_efron_matches_r_on_the_leukaemia_data():
    """Source KM_R's notes: coxph(Surv(t, status) ~ Group), Efron ties: coef 1.5721 and
    se 0.4124 (5e-5), likelihood ratio 16.35 (5e-3); Group 2 is placebo (Rx = 1)."""
    leukemia = load_leukemia()
    result = cox(leukemia["t"], leukemia["status"], {"placebo": leukemia["Rx"]})
    (placebo,) = result["coefficients"]
    assert placebo["coef"] == pytest.approx(1.5721, abs=5e-5)
    assert placebo["hazard_ratio"] == pytest.approx(4.8169, abs=5e-5)
    assert placebo["se"] == pytest.approx(0.4124, abs=5e-5)
    assert result["likelihood_ratio"]["statistic"] == pytest.approx(16.35, abs=5e-3)


def breslow_by_hand(time, event, x, iterations=50):
    """Newton-Raphson on the Breslow partial log-likelihood, independent of any library:
    l(b) = Σ over event times t [ Σ_{i dies at t} x_i·b - d_t · log Σ_{j: T_j ≥ t} exp(x_j·b) ]."""
    time, event, x = np.asarray(time, float), np.asarray(event, int), np.asarray(x, float)
    beta = np.zeros(x.shape[1])
    event_times = np.unique(time[event == 1])

    def parts(b):
        loglik, score, info = 0.0, np.zeros_like(b), np.zeros((len(b), len(b)))
        risk = np.exp(x @ b)
        for t in event_times:
            at_risk = time >= t
            dying = (time == t) & (event == 1)
            d = dying.sum()
            w = risk[at_risk]
            xr = x[at_risk]
            s0 = w.sum()
            s1 = w @ xr
            s2 = (xr * w[:, None]).T @ xr
            loglik += x[dying].sum(axis=0) @ b - d * np.log(s0)
            score += x[dying].sum(axis=0) - d * s1 / s0
            info += d * (s2 / s0 - np.outer(s1, s1) / s0**2)
        return loglik, score, info

    for _ in range(iterations):
        _, score, info = parts(beta)
        step = np.linalg.solve(info, score)
        beta = beta + step
        if np.abs(step).max() < 1e-12:
            break
    loglik, _, info = parts(beta)
    return beta, np.sqrt(np.diag(np.linalg.inv(info))), loglik, parts(np.zeros_like(beta))[0]


def test_cox_breslow_matches_an_independent_computation_on_rossi(rossi):
    """Breslow ties, no published table found: statsmodels PHReg (what Turnpoint runs) against
    the hand-written Newton-Raphson above, coefficients, standard errors and log-likelihoods to
    1e-6. Breslow and Efron also differ here, as they must with tied weeks."""
    result = cox(rossi["week"], rossi["arrest"], {c: rossi[c] for c in COVARIATES}, ties="breslow")
    assert result["ties"] == "breslow" and result["library"].startswith("statsmodels")
    beta, se, loglik, null = breslow_by_hand(rossi["week"], rossi["arrest"], rossi[COVARIATES])
    np.testing.assert_allclose([c["coef"] for c in result["coefficients"]], beta, atol=1e-6)
    np.testing.assert_allclose([c["se"] for c in result["coefficients"]], se, atol=1e-6)
    assert result["log_likelihood"] == pytest.approx(loglik, abs=1e-6)
    assert result["null_log_likelihood"] == pytest.approx(null, abs=1e-6)
    efron = cox(rossi["week"], rossi["arrest"], {c: rossi[c] for c in COVARIATES})
    assert abs(result["coefficients"][0]["coef"] - efron["coefficients"][0]["coef"]) > 1e-4


def _km_by_group(conf_type):
    leukemia = load_leukemia()
    result = kaplan_meier(
        leukemia["t"], leukemia["status"], groups=leukemia["Rx"].tolist(), conf_type=conf_type
    )
    return {curve["group"]: curve for curve in result["curves"]}, leukemia


@pytest.mark.parametrize("group, published", [(0, KM_R_6MP), (1, KM_R_PLACEBO)])
def test_kaplan_meier_with_log_intervals_matches_r(group, published):
    """Source KM_R; interval transform "log" (R's default); every figure to half a unit in its
    last printed digit."""
    curves, _ = _km_by_group("log")
    rows = [r for r in curves[group]["rows"] if r["n_event"] > 0]
    assert len(rows) == len(published)
    for row, (time, n_risk, n_event, surv, std_err, lower, upper) in zip(
        rows, published, strict=True
    ):
        assert (row["time"], row["n_risk"], row["n_event"]) == (time, n_risk, n_event)
        assert row["survival"] == pytest.approx(surv, abs=half_unit(surv)), time
        if std_err is None:
            assert row["std_err"] is None and row["lower"] is None and row["upper"] is None
            continue
        assert row["std_err"] == pytest.approx(std_err, abs=half_unit(std_err)), time
        assert row["lower"] == pytest.approx(lower, abs=half_unit(lower)), time
        assert row["upper"] == pytest.approx(upper, abs=half_unit(upper)), time


def test_kaplan_meier_greenwood_error_matches_statsmodels_to_1e_9():
    """Turnpoint computes the Greenwood standard error itself: compared with statsmodels'
    SurvfuncRight (its own Kaplan-Meier and Greenwood) on both groups of the leukaemia data
    and on the Rossi data."""
    leukemia = load_leukemia()
    rossi = load_rossi()
    cases = [
        (leukemia[leukemia["Rx"] == g]["t"], leukemia[leukemia["Rx"] == g]["status"])
        for g in (0, 1)
    ] + [(rossi["week"], rossi["arrest"])]
    for time, status in cases:
        ours = kaplan_meier(time, status, conf_type="log")["curves"][0]["rows"]
        theirs = SurvfuncRight(np.asarray(time, float), np.asarray(status, int))
        pairs = zip(theirs.surv_prob, theirs.surv_prob_se, strict=True)
        by_time = dict(zip(theirs.surv_times, pairs, strict=True))
        checked = 0
        for row in ours:
            if row["n_event"] == 0:
                continue
            prob, se = by_time[row["time"]]
            assert row["survival"] == pytest.approx(prob, abs=1e-12)
            if row["std_err"] is not None:
                assert row["std_err"] == pytest.approx(se, abs=1e-9)
                checked += 1
        assert checked >= 6


@pytest.mark.parametrize("which", ["6-MP", "placebo", "rossi"])
def test_kaplan_meier_log_log_intervals_match_lifelines(which):
    """Turnpoint computes the log-log interval itself (R's conf.type = "log-log", Stata's
    default): compared with lifelines' KaplanMeierFitter.confidence_interval_, which uses the
    same exponential-Greenwood formula, to 1e-9 at every distinct time."""
    leukemia, rossi = load_leukemia(), load_rossi()
    time, status = {
        "6-MP": (leukemia[leukemia["Rx"] == 0]["t"], leukemia[leukemia["Rx"] == 0]["status"]),
        "placebo": (leukemia[leukemia["Rx"] == 1]["t"], leukemia[leukemia["Rx"] == 1]["status"]),
        "rossi": (rossi["week"], rossi["arrest"]),
    }[which]
    ours = kaplan_meier(time, status, conf_type="log-log")
    assert ours["conf_type"] == "log-log"
    fitter = KaplanMeierFitter().fit(time, status)
    interval = fitter.confidence_interval_
    compared = 0
    for row in ours["curves"][0]["rows"]:
        lower, upper = interval.loc[row["time"]].to_numpy()
        if row["lower"] is None:
            assert row["survival"] == 0
            continue
        assert row["lower"] == pytest.approx(lower, abs=1e-9), row["time"]
        assert row["upper"] == pytest.approx(upper, abs=1e-9), row["time"]
        compared += 1
    assert compared >= 7


def test_log_and_log_log_intervals_differ_and_both_contain_the_estimate():
    curves_log, _ = _km_by_group("log")
    curves_loglog, _ = _km_by_group("log-log")
    for a, b in zip(curves_log[0]["rows"], curves_loglog[0]["rows"], strict=True):
        for row in (a, b):
            assert row["lower"] <= row["survival"] <= row["upper"] <= 1
    assert curves_log[0]["rows"][0]["upper"] == 1.0  # capped, as R caps it
    assert curves_loglog[0]["rows"][0]["upper"] < 1.0


def test_events_at_time_zero_are_kept():
    """An event on the day of entry counts (statsmodels SurvfuncRight as the reference)."""
    time, status = [0, 0, 1, 2, 3, 3], [1, 0, 1, 0, 1, 1]
    rows = kaplan_meier(time, status)["curves"][0]["rows"]
    theirs = SurvfuncRight(np.asarray(time, float), np.asarray(status, int))
    assert [(r["time"], r["n_risk"], r["n_event"], r["n_censored"]) for r in rows] == [
        (0, 6, 1, 1), (1, 4, 1, 0), (2, 3, 0, 1), (3, 2, 2, 0),
    ]  # fmt: skip
    events = [r for r in rows if r["n_event"]]
    np.testing.assert_allclose([r["survival"] for r in events], theirs.surv_prob, atol=1e-12)
    assert events[-1]["std_err"] is None
