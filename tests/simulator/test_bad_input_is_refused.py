"""A scenario or parameter file with bad input is refused with the file, the key and the reason."""

import copy

import pytest
import yaml

from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.parameters import load_library_file
from turnpoint.simulator.scenario import load_scenario

from .helpers import baseline_data, write_yaml


def _refused(tmp_path, change) -> SimulatorInputError:
    data = copy.deepcopy(baseline_data())
    change(data)
    path = write_yaml(tmp_path / "bad.yaml", data)
    with pytest.raises(SimulatorInputError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    return info.value


def test_unknown_top_level_key(tmp_path):
    err = _refused(tmp_path, lambda d: d.update(colour="blue"))
    assert (err.key, err.reason) == ("colour", "unknown key")


def test_unknown_disposal(tmp_path):
    err = _refused(tmp_path, lambda d: d["disposal_mix"]["shares"].update(boot_camp=0.0))
    assert err.key == "disposal_mix.shares.boot_camp"
    assert "unknown key" in err.reason


def test_probability_above_one(tmp_path):
    err = _refused(tmp_path, lambda d: d["disposal_mix"]["shares"].update(custody=1.4))
    assert err.key == "disposal_mix.shares.custody"
    assert "between 0 and 1" in err.reason


def test_probability_override_below_zero(tmp_path):
    def change(d):
        d["parameters"]["programme.cpo.completion"]["value"] = -0.1

    err = _refused(tmp_path, change)
    assert err.key == "parameters.programme.cpo.completion.value"
    assert "between 0 and 1" in err.reason


def test_negative_count(tmp_path):
    err = _refused(tmp_path, lambda d: d["inflow"].update(arrivals_per_year=-5))
    assert err.key == "inflow.arrivals_per_year"
    assert "must not be below 0" in err.reason


def test_negative_capacity(tmp_path):
    err = _refused(tmp_path, lambda d: d.update(capacity={"drug_court": -1}))
    assert err.key == "capacity.drug_court"


def test_negative_cost_override(tmp_path):
    def change(d):
        d["parameters"]["cost.prison_per_year"] = {
            "value": -1,
            "source": "typo",
            "status": "assumption",
        }

    err = _refused(tmp_path, change)
    assert err.key == "parameters.cost.prison_per_year.value"
    assert "must not be negative" in err.reason


def test_missing_source_on_inflow(tmp_path):
    err = _refused(tmp_path, lambda d: d["inflow"].pop("source"))
    assert err.key == "inflow.source"
    assert "missing" in err.reason


def test_missing_source_on_override(tmp_path):
    err = _refused(tmp_path, lambda d: d["parameters"]["effect.dtto"].pop("source"))
    assert err.key == "parameters.effect.dtto.source"
    assert "missing" in err.reason


def test_figure_not_found_needs_an_assumption(tmp_path):
    err = _refused(tmp_path, lambda d: d["parameters"].pop("custody.weeks_served"))
    assert err.key == "parameters.custody.weeks_served"
    assert "no published value" in err.reason


def test_unknown_parameter(tmp_path):
    def change(d):
        d["parameters"]["effect.magic"] = {"value": 1, "source": "x", "status": "assumption"}

    err = _refused(tmp_path, change)
    assert err.key == "parameters.effect.magic"
    assert "unknown parameter" in err.reason


def test_shares_must_add_up_to_one(tmp_path):
    err = _refused(
        tmp_path, lambda d: d["inflow"]["shares"].update(sex={"male": 0.8, "female": 0.1})
    )
    assert err.key == "inflow.shares.sex"
    assert "add up to 1" in err.reason


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ninflow: [unclosed\n")
    with pytest.raises(SimulatorInputError) as info:
        load_scenario(path)
    assert info.value.key.startswith("line ")


LIBRARY_ENTRY = {
    "value": 0.5,
    "unit": "probability",
    "distribution": {"type": "beta", "sd": 0.05},
    "source": "somewhere",
    "year": 2020,
    "currency": None,
    "price_base": None,
    "basis": "n/a",
    "status": "read",
}


def _library_refused(tmp_path, **changes) -> SimulatorInputError:
    entry = {**LIBRARY_ENTRY, **changes}
    entry = {k: v for k, v in entry.items() if v != "DROP"}
    path = tmp_path / "library.yaml"
    path.write_text(yaml.safe_dump({"programme.x.completion": entry}))
    with pytest.raises(SimulatorInputError) as info:
        load_library_file(path)
    assert info.value.file == "library.yaml"
    return info.value


def test_library_unknown_key(tmp_path):
    err = _library_refused(tmp_path, colour="blue")
    assert (err.key, err.reason) == ("programme.x.completion.colour", "unknown key")


def test_library_probability_outside_range(tmp_path):
    err = _library_refused(tmp_path, value=1.2)
    assert err.key == "programme.x.completion.value"
    assert "between 0 and 1" in err.reason


def test_library_negative_cost(tmp_path):
    err = _library_refused(
        tmp_path,
        value=-10,
        unit="GBP_per_year",
        currency="GBP",
        price_base="2020",
        basis="average",
        distribution={"type": "fixed"},
    )
    assert err.key == "programme.x.completion.value"
    assert "must not be negative" in err.reason


def test_library_missing_source(tmp_path):
    err = _library_refused(tmp_path, source="DROP")
    assert err.key == "programme.x.completion.source"
    assert "missing" in err.reason


def test_library_blank_source(tmp_path):
    err = _library_refused(tmp_path, source="  ")
    assert err.key == "programme.x.completion.source"


def test_library_cost_needs_average_or_marginal(tmp_path):
    err = _library_refused(
        tmp_path,
        value=10,
        unit="GBP_per_year",
        currency="GBP",
        price_base="2020",
        distribution={"type": "fixed"},
    )
    assert err.key == "programme.x.completion.basis"


def test_library_impossible_beta(tmp_path):
    err = _library_refused(tmp_path, distribution={"type": "beta", "sd": 0.6})
    assert err.key == "programme.x.completion.distribution.sd"


def test_extends_loop_is_refused(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    with pytest.raises(SimulatorInputError, match="forms a loop"):
        load_scenario(tmp_path / "a.yaml")


def test_extended_scenario_replaces_a_share_table_whole(tmp_path):
    """A policy file's disposal shares replace the baseline's: no mix of old and new keys."""
    data = baseline_data()
    write_yaml(tmp_path / "base.yaml", data)
    policy = {
        "extends": "base.yaml",
        "disposal_mix": {"source": "policy", "shares": {"none": 1.0}},
    }
    path = write_yaml(tmp_path / "policy.yaml", policy)
    with pytest.raises(SimulatorInputError) as info:
        load_scenario(path)
    assert info.value.key == "disposal_mix.shares.diversion"
    assert info.value.reason == "is missing"


def test_library_distribution_that_could_leave_the_range(tmp_path):
    err = _library_refused(tmp_path, distribution={"type": "normal", "sd": 0.1})
    assert err.key == "programme.x.completion.distribution.type"
    assert "can leave the range" in err.reason


def test_inflow_needs_exactly_one_count(tmp_path):
    err = _refused(tmp_path, lambda d: d["inflow"].update(entrants_per_year=100))
    assert err.key == "inflow"
    assert "exactly one" in err.reason


def test_warm_up_must_be_whole_years(tmp_path):
    err = _refused(tmp_path, lambda d: d.update(warm_up_years=-1))
    assert err.key == "warm_up_years"
