"""Labelled data: user file formats, one-line errors, stratified splits."""

import numpy as np
import pytest

from rnnkit.data.labelled import Labelled, balanced_weights, load_file, stratified_split


def test_csv_with_header_tsv_without_and_folders(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text('id,review,stars\n1,"great, fun",good\n2,dull,bad\n3,ok,good\n')
    d = load_file(csv, text_column="review", label_column="stars")
    assert d.items == ["great, fun", "dull", "ok"] and d.classes == ["bad", "good"]
    tsv = tmp_path / "b.tsv"
    tsv.write_text("fine\tpos\nawful\tneg\nnice\tpos\n")
    assert load_file(tsv).labels == ["pos", "neg", "pos"]  # no header: text, label
    per_line = tmp_path / "lines"
    per_line.mkdir()
    (per_line / "spam.txt").write_text("buy now\nfree money\n")
    (per_line / "ham.txt").write_text("see you at noon\n")
    d = load_file(per_line)
    assert sorted(zip(d.labels, d.items)) == [
        ("ham", "see you at noon"),
        ("spam", "buy now"),
        ("spam", "free money"),
    ]
    per_file = tmp_path / "files"
    for c in ("x", "y"):
        (per_file / c).mkdir(parents=True)
        (per_file / c / "1.txt").write_text(f"text of {c}\n")
    assert load_file(per_file).labels == ["x", "y"]


def test_series_files(tmp_path):
    x = np.zeros((4, 6, 2), dtype=np.float32)
    np.savez(tmp_path / "s.npz", x=x, y=np.array([0, 1, 0, 1]), lengths=np.array([6, 3, 2, 6]))
    d = load_file(tmp_path / "s.npz")
    assert d.kind == "series" and [len(i) for i in d.items] == [6, 3, 2, 6] and d.features == 2
    ts = tmp_path / "s.ts"
    ts.write_text(
        "@problemName toy\n@timeStamps false\n@missing false\n@univariate false\n"
        "@dimensions 2\n@equalLength false\n@classLabel true a b\n@data\n"
        "1,2,3:4,5,6:a\n7,8:9,10:b\n"
    )
    d = load_file(ts)
    assert d.labels == ["a", "b"] and d.items[0].shape == (3, 2) and d.items[1].shape == (2, 2)
    assert d.items[1].tolist() == [[7, 9], [8, 10]]  # channels first in .ts, steps first here


@pytest.mark.parametrize(
    "name, text, kw, message",
    [
        ("a.csv", "text,label\nhi,x\n", {"label_column": "kind"}, "no column 'kind' in the header"),
        ("a.csv", "review,stars\nhi,x\nyo,y\n", {}, "no column 'text' in the header"),
        ("a.csv", "text,label\nhi,\n", {}, "row 2 has no label"),
        ("a.csv", "text,label\nhi,x\n", {}, "one class only"),
        ("a.csv", "", {}, "the file is empty"),
        ("a.json", "{}", {}, "unknown format '.json'"),
    ],
)
def test_bad_tables_are_one_line_errors(tmp_path, name, text, kw, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_file(path, **kw)


def test_bad_folders_and_series(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "pos.txt").write_text("good\n")
    (tmp_path / "d" / "neg.txt").write_text("\n")
    with pytest.raises(ValueError, match="class 'neg' has no examples"):
        load_file(tmp_path / "d")
    np.savez(tmp_path / "n.npz", x=np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="no array 'y'"):
        load_file(tmp_path / "n.npz")
    items = [np.zeros((3, 2)), np.zeros((3, 3))]
    with pytest.raises(ValueError, match=r"different feature counts \[2, 3\]"):
        Labelled("toy", "series", items, ["a", "b"])
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_file(tmp_path / "missing.csv")


def test_stratified_split_is_deterministic_disjoint_and_per_class():
    labels = ["a"] * 50 + ["b"] * 10
    d = Labelled("toy", "text", [str(i) for i in range(60)], labels)
    s = stratified_split(d, test_fraction=0.2, val_fraction=0.1, seed=3)
    assert s == stratified_split(d, test_fraction=0.2, val_fraction=0.1, seed=3)
    assert sorted(s["train"] + s["val"] + s["test"]) == list(range(60))
    in_b = {k: sum(labels[i] == "b" for i in v) for k, v in s.items()}
    assert in_b == {"train": 7, "val": 1, "test": 2}
    assert len(s["test"]) == 12 and len(s["val"]) == 5  # 10 + 2 test; 4 + 1 validation
    official = Labelled("toy", "text", d.items, labels, test=list(range(0, 60, 3)))
    s = stratified_split(official, test_fraction=0.5, val_fraction=0.1, seed=0)
    assert s["test"] == list(range(0, 60, 3))
    assert not set(s["train"] + s["val"]) & set(s["test"]) and len(s["train"] + s["val"]) == 40
    tiny = Labelled("toy", "text", ["x", "y", "z"], ["a", "a", "b"])
    with pytest.raises(ValueError, match="class 'a' has 2 example"):
        stratified_split(tiny, test_fraction=0.2, val_fraction=0.1, seed=0)


def test_balanced_weights_have_mean_one():
    w = balanced_weights([10, 30, 60])
    assert np.isclose(np.mean(w), 1) and w[0] == pytest.approx(6 * w[2])
