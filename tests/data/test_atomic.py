import json

import pytest

from rnnkit.data.atomic import atomic_open, write_json_atomic


def test_json_written_and_no_temp_files_left(tmp_path):
    path = tmp_path / "sub" / "x.json"
    write_json_atomic(path, {"a": [1, 2], "é": "ü"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": [1, 2], "é": "ü"}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(path, "w") as f:
        f.write("new")
        raise RuntimeError("boom")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]
