from pathlib import Path

import pytest

from experiments.design import build_design
from experiments.errors import ExperimentError
from experiments.spec import load_experiment
from sim.params import PARAMS

REPO = Path(__file__).resolve().parents[2]


def test_full_range_morris_design_stays_inside_the_allowed_range(tmp_path):
    param = PARAMS["electricity_price_growth_per_year"]  # -0.1..0.3: low + 1·(high − low) rounds past high
    f = tmp_path / "m.toml"
    f.write_text(f"""[experiment]
design = "morris"
samples = 4
outputs = ["adoption_rate_final"]
[parameters.electricity_price_growth_per_year]
low = {param.low}
high = {param.high}
[parameters.bass_q]
low = 0.1
high = 0.6
""")
    points = build_design(load_experiment(f)).points
    column = points["electricity_price_growth_per_year"]
    assert column.min() >= param.low and column.max() <= param.high
    assert column.max() == pytest.approx(param.high)


def test_a_compare_file_is_pointed_to_sovai_compare():
    with pytest.raises(ExperimentError, match="sovai compare"):
        load_experiment(REPO / "experiments" / "instrument_comparison.toml")
