# Makes torch_*.pth, the PyTorch cross-check of engine/lpips (run once with Debian's python3-torch 1.13;
# ern never needs Python). It builds LPIPS v0.1 exactly as the lpips package's code does — ScalingLayer,
# torchvision's AlexNet feature slices (relu1..relu5), normalize_tensor, NetLinLayer (Dropout + 1x1 conv without
# bias), spatial_average, sum — but with few channels (3→8→12→16→8→8), so the files stay small, and saves:
#   torch_trunk.pth  module state dict, keys features.{0,3,6,8,10}.{weight,bias} (zip format, as torchvision's)
#   torch_lin.pth    module state dict, keys lin0..lin4.model.1.weight [1,C,1,1] (legacy format, as lpips' v0.1)
#   torch_cases.pth  inputs and expected outputs (float64 autograd) of two cases, as named tensors
import collections
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(14)
ch = [3, 8, 12, 16, 8, 8]


class Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(  # torchvision.models.alexnet().features with other widths
            nn.Conv2d(ch[0], ch[1], kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(ch[1], ch[2], kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(ch[2], ch[3], kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(ch[3], ch[4], kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(ch[4], ch[5], kernel_size=3, padding=1), nn.ReLU(inplace=True),
        )


class NetLinLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(c, 1, 1, stride=1, padding=0, bias=False))


class Lins(nn.Module):
    def __init__(self):
        super().__init__()
        for k in range(5):
            setattr(self, "lin%d" % k, NetLinLayer(ch[k + 1]))


trunk, lins = Trunk(), Lins()
with torch.no_grad():
    for m in trunk.features:
        if isinstance(m, nn.Conv2d):
            m.bias.uniform_(0.0, 0.1)  # positive biases keep some ReLUs alive in a narrow net
    for k in range(5):
        w = getattr(lins, "lin%d" % k).model[1].weight
        w.copy_(w.abs())  # lpips' heads are non-negative
torch.save(trunk.state_dict(), "torch_trunk.pth")
torch.save(lins.state_dict(), "torch_lin.pth", _use_new_zipfile_serialization=False)

shift = torch.tensor([-.030, -.088, -.188], dtype=torch.float64)[None, :, None, None]
scale = torch.tensor([.458, .448, .450], dtype=torch.float64)[None, :, None, None]
feats = trunk.double().features
slices = [feats[0:2], feats[2:5], feats[5:8], feats[8:10], feats[10:12]]


def normalize_tensor(x, eps=1e-10):
    return x / (torch.sqrt(torch.sum(x ** 2, dim=1, keepdim=True)) + eps)


def lpips(in0, in1):  # lpips.LPIPS.forward, version 0.1, lpips=True, spatial=False, inputs in [-1,1]
    h0, h1 = (in0 - shift) / scale, (in1 - shift) / scale
    val = 0
    for k, sl in enumerate(slices):
        h0, h1 = sl(h0), sl(h1)
        d = (normalize_tensor(h0) - normalize_tensor(h1)) ** 2
        w = getattr(lins, "lin%d" % k).model[1].weight.double()
        val = val + F.conv2d(d, w).mean([2, 3], keepdim=True)
    return val.flatten()


cases = collections.OrderedDict()
# case 0: the metric: two 35x33 [0,1] pairs, normalize = true (2x - 1)
# case 1: the lips step: one 24x24 box in [0,1], mapped with 2x - 1, zero-padded by (32 - 24 + 1)//2 = 4
for name, (b, h, w, pad) in {"metric": (2, 35, 33, 0), "lips": (1, 24, 24, 4)}.items():
    pred = torch.rand(b, 3, h, w, dtype=torch.float32).double().requires_grad_()
    gt = torch.rand(b, 3, h, w, dtype=torch.float32).double()
    dL = (torch.rand(b, dtype=torch.float32) * 2 - 1).double()
    p, g = pred * 2 - 1, gt * 2 - 1
    if pad:
        p, g = F.pad(p, (pad, pad, pad, pad)), F.pad(g, (pad, pad, pad, pad))
    dist = lpips(p, g)
    (dist * dL).sum().backward()
    for k, v in {"pred": pred.detach(), "gt": gt, "dL": dL, "dist": dist.detach(), "dpred": pred.grad}.items():
        cases[name + "." + k] = v.float() if k in ("pred", "gt", "dL") else v
torch.save(cases, "torch_cases.pth")
for k, v in cases.items():
    print(k, tuple(v.shape), v.dtype, v.flatten()[:3].tolist())
