import torch

from rnnkit.training import tree


def test_flatten_round_trip_keeps_types_and_values():
    state = {"a": (torch.ones(2), [torch.zeros(1, 3), None]), 3: {"x": 1.5, "s": "t"}}
    flat, skeleton = tree.flatten(state)
    back = tree.unflatten(skeleton, flat)
    assert isinstance(back["a"], tuple) and 3 in back
    assert torch.equal(back["a"][0], torch.ones(2)) and back["a"][1][1] is None
    assert back[3] == {"x": 1.5, "s": "t"}


def test_optimizer_state_round_trip():
    w = torch.nn.Parameter(torch.randn(4))
    opt = torch.optim.Adam([w])
    (w**2).sum().backward()
    opt.step()
    flat, skeleton = tree.flatten(opt.state_dict())
    opt2 = torch.optim.Adam([torch.nn.Parameter(w.detach().clone())])
    opt2.load_state_dict(tree.unflatten(skeleton, flat))
    a, b = opt.state_dict()["state"][0], opt2.state_dict()["state"][0]
    assert torch.equal(a["exp_avg"], b["exp_avg"]) and torch.equal(a["step"], b["step"])


def test_detach_and_keep_lanes():
    h = torch.ones(2, 3, 4, requires_grad=True) * 2  # (L, B, H)
    c = torch.ones(3, 4)  # (B, H)
    state = tree.detach_state((h, c))
    assert not state[0].requires_grad
    kept = tree.keep_lanes(state, torch.tensor([True, False, True]))
    assert kept[0][:, 1].abs().sum() == 0 and kept[0][:, 0].sum() == 16
    assert kept[1][1].abs().sum() == 0 and kept[1][2].sum() == 4
