import io

from rnnkit.training.progress import PlainProgress, Progress, RichProgress, make_progress
from tests.training.helpers import stream_trainer


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def train_with(progress) -> None:
    stream_trainer(steps=6, progress=progress).fit()


def test_quiet_is_silent(capsys):
    progress = make_progress(quiet=True)
    assert type(progress) is Progress
    train_with(progress)
    assert capsys.readouterr() == ("", "")


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    progress = make_progress(every=2, unit="tok", stream=out)
    assert isinstance(progress, PlainProgress)
    train_with(progress)
    lines = out.getvalue().splitlines()
    steps = [line for line in lines if line.startswith("step")]
    assert [s.split()[1] for s in steps] == ["2/6", "4/6", "6/6"]
    assert all("loss" in s and "tok/s" in s and "eta" in s for s in steps)
    assert any(line.startswith("eval val_loss") for line in lines)


def test_a_terminal_gets_a_live_bar():
    progress = make_progress(stream=Terminal(), unit="tok")
    assert isinstance(progress, RichProgress)
    progress.bar.console.file = io.StringIO()  # keep the test output clean
    train_with(progress)
    assert "step" in progress.bar.console.file.getvalue()
