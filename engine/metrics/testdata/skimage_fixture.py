# Made skimage_fixture.json once (Debian bookworm: python3-skimage 0.19.3, numpy 1.24.2, scipy 1.10.1):
#   /usr/bin/python3 skimage_fixture.py > skimage_fixture.json
# ern never runs this; ssim_test.go and psnr_test.go read the JSON. Images are float32 (stored with 9 significant
# digits, which round-trip exactly), promoted to float64 before scoring so both sides compute in float64.
import json

import numpy as np
import skimage
from skimage.metrics import structural_similarity

rng = np.random.default_rng(14)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def smooth(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([0.5 + 0.4 * np.sin(x / 5.0 + c) * np.cos(y / 7.0 - c) for c in range(3)], axis=-1)
    return base


cases = []


def add(name, pred, gt, rect):
    pred, gt = f32(pred), f32(gt)
    p = np.clip(pred.astype(np.float64), 0, 1)
    g = gt.astype(np.float64)
    r0, r1, c0, c1 = rect
    def scores(p, g):
        ssim = structural_similarity(p, g, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                     data_range=1.0, channel_axis=-1)
        psnr = -10 * np.log10(np.mean((p - g) ** 2))
        return float(ssim), float(psnr)
    s, ps = scores(p, g)
    sf, psf = scores(p[r0:r1, c0:c1], g[r0:r1, c0:c1])
    h, w, _ = gt.shape
    cases.append({
        "name": name, "w": w, "h": h,
        "pred": [float("%.9g" % v) for v in pred.reshape(-1)],
        "gt": [float("%.9g" % v) for v in gt.reshape(-1)],
        "rect": {"Row0": r0, "Row1": r1, "Col0": c0, "Col1": c1},
        "ssim": s, "psnr": ps, "ssim_rect": sf, "psnr_rect": psf,
    })


# independent uniform noise: SSIM near 0
add("noise", rng.random((13, 16, 3)), rng.random((13, 16, 3)), (1, 12, 2, 15))
# a smooth picture and a noisy copy of it with values outside [0, 1] that PSNR/SSIM clamp
g = smooth(24, 32)
add("noisy_copy", g + rng.normal(0, 0.08, g.shape) + 0.05, g, (3, 20, 5, 30))
# 8-bit ground truth, a slightly blurred and shifted prediction
g = np.round(smooth(30, 27) * 255) / 255
p = 0.5 * g + 0.25 * np.roll(g, 1, axis=0) + 0.25 * np.roll(g, 1, axis=1)
add("blur_shift", p, g, (0, 30, 0, 27))
# a contrast and brightness change (luminance and contrast terms, not structure)
g = smooth(20, 20)
add("contrast", 0.6 * g + 0.3, g, (2, 18, 4, 15))

print(json.dumps({"skimage": skimage.__version__, "numpy": np.__version__, "cases": cases}))
