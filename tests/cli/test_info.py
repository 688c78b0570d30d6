import json

from rnnkit.cli.main import main


def test_info_json_is_last_line(capsys):
    assert main(["info", "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    facts = json.loads(last)
    assert facts["rnnkit"] and facts["threads"] >= 1
    assert facts["fused_kernels"].startswith(("compiled", "unavailable: "))  # one line
    assert "\n" not in facts["fused_kernels"]
    assert facts["onnx_export"].startswith(("onnx ", "unavailable: "))


def test_bad_threads_is_one_line_error(capsys):
    assert main(["info", "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--threads" in err[0]
