import math

import pytest
import torch

from rnnkit.training import TrainConfig
from rnnkit.training.config import OPTIMIZERS
from rnnkit.training.optim import Schedule, make_optimizer


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_constructs_and_steps(name):
    w = torch.nn.Parameter(torch.ones(3))
    opt = make_optimizer([w], TrainConfig(optimizer=name, lr=0.1))
    (w**2).sum().backward()
    opt.step()
    assert (w < 1).all()


def factors(cfg: TrainConfig, total: int) -> list[float]:
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    sched = Schedule(opt, cfg, total)
    lrs = [sched.apply(s) for s in range(total)]
    assert opt.param_groups[0]["lr"] == lrs[-1]
    return [lr / cfg.lr for lr in lrs]


def test_constant_with_warmup():
    f = factors(TrainConfig(warmup=4), 8)
    assert f == pytest.approx([0.25, 0.5, 0.75, 1, 1, 1, 1, 1])


def test_step_schedule():
    f = factors(TrainConfig(schedule="step", step_size=2, gamma=0.5), 6)
    assert f == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.25])


def test_cosine_with_warmup_decays_to_floor():
    cfg = TrainConfig(schedule="cosine", warmup=2, min_lr_ratio=0.1)
    f = factors(cfg, 12)
    assert f[:2] == pytest.approx([0.5, 1.0])
    assert f[2] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[2:-1], f[3:], strict=True))
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    assert Schedule(opt, cfg, 12).factor(12) == pytest.approx(0.1)
    mid = Schedule(opt, cfg, 12).factor(7)  # halfway through the decay
    assert mid == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))


def test_plateau_reduces_after_patience_and_round_trips():
    cfg = TrainConfig(schedule="plateau", plateau_patience=2, gamma=0.1)
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    sched = Schedule(opt, cfg, None)
    for value in (1.0, 0.9, 0.95, 0.97):
        sched.observe(value)
    assert sched.factor(0) == pytest.approx(0.1)
    other = Schedule(opt, cfg, None)
    other.load_state_dict(sched.state_dict())
    assert other.factor(0) == sched.factor(0)


def test_cosine_over_a_time_budget():
    cfg = TrainConfig(schedule="cosine", min_lr_ratio=0.1)
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    by_time = Schedule(opt, cfg, None)  # training by --minutes: no step total
    assert by_time.factor(0) == 1.0  # no budget either: nothing to decay over
    assert by_time.factor(0, 0.0) == pytest.approx(1.0)
    assert by_time.factor(40, 0.5) == pytest.approx(0.1 + 0.9 * 0.5)
    assert by_time.factor(90, 1.0) == pytest.approx(0.1)
    assert by_time.factor(99, 1.7) == pytest.approx(0.1)  # past the budget: the floor
    # with a step total the steps decide (the clock would make runs irreproducible)
    both = Schedule(opt, cfg, 100)
    assert both.factor(10, 0.9) == both.factor(10) == both.factor(10, 0.0)
    assert both.factor(50, 0.0) == pytest.approx(0.1 + 0.9 * 0.5)
