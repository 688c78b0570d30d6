"""`--cell mingru|minlstm` end to end, small."""

import json

import pytest

from rnnkit.cli.main import main


@pytest.mark.parametrize("cell", ["mingru", "minlstm"])
def test_adding_problem_trains_with_min_cells(cell, tmp_path, capsys):
    out = tmp_path / "adding"
    argv = ["longrange", "adding", "--cell", cell, "--length", "8", "--hidden", "16"]
    argv += ["--steps", "200", "--eval-every", "50", "--test-size", "50", "--val-size", "50"]
    argv += ["--out", str(out)]
    assert main([*argv, "--quiet", "--json", "--threads", "1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["cell"] == cell and result["steps"] == 200
    assert result["test_mse"] < 0.5 * result["baseline_mse"]  # 0.02 vs 0.167 for predicting 1


def test_cell_options_of_other_cells_are_refused(capsys):
    argv = ["longrange", "adding", "--cell", "mingru", "--layer-norm", "--steps", "1"]
    assert main(argv) != 0
    assert "--layer-norm applies to the rnn or lstm or gru cell only" in capsys.readouterr().err
