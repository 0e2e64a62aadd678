// Package lpips owns the LPIPS v0.1 perceptual distance with the AlexNet trunk (spec §10.4), on the GPU, forward
// and backward to the predicted image: ER-NeRF's lips stage trains with it (spec §10.2) and the metrics report it
// (spec §13).
//
// LPIPS(x0, x1), for images in [−1, 1]:
//  1. scale each channel: s = (x − shift_c)/scale_c, shift = (−0.030, −0.088, −0.188), scale = (0.458, 0.448, 0.450);
//  2. run torchvision's AlexNet features and tap relu1..relu5 (64, 192, 384, 256, 256 channels):
//     conv1 11×11/4 pad 2 → ReLU → maxpool 3/2 → conv2 5×5 pad 2 → ReLU → maxpool 3/2 → conv3 3×3 pad 1 → ReLU →
//     conv4 3×3 pad 1 → ReLU → conv5 3×3 pad 1 → ReLU;
//  3. normalise every tap per pixel across channels: f/(‖f‖₂ + 1e−10);
//  4. d_k = mean over pixels of Σ_c w_kc·(f̂0_c − f̂1_c)² with the non-negative 1×1 heads w_k (no bias);
//  5. LPIPS = Σ_k d_k.
//
// Files: lpips_ref.go is the executable specification (plain Go, float64; testdata/ holds a PyTorch-made
// cross-check it matches to 2e-15); lpips.go records the GPU network into a caller's compute.Recorder (Net, State,
// Forward, Backward) from the glsl/lpips_*.comp kernels; host.go computes distances of host images (metrics);
// weights.go converts the two PyTorch files a user of the Python lpips package already has (torchvision's
// alexnet-owt-7be5be79.pth and lpips' weights/v0.1/alex.pth, read by engine/pth) into one ern weights file and
// finds that file (flag, ERN_LPIPS_WEIGHTS, ~/.cache/ern/lpips_alex.safetensors). Without weights LPIPS is
// unavailable (ErrUnavailable) — never a made-up number.
//
// Use (a lips-stage patch step: 64 patches of 32×32 rays, rendered colours in [0,1], HWC as rays come):
//
//	net, err := lpips.Open(dev, flagPath)  // errors.Is(err, lpips.ErrUnavailable) without weights
//	st, err := net.NewState(64, lpips.Image{H: 32, W: 32, A: 2, B: -1})
//	net.Forward(r, st, lpips.HWC(pred, off, 32, 32), lpips.HWC(gt, off, 32, 32), values, 0) // values[b] = LPIPS_b
//	net.BackwardScaled(r, st, 0.1/64, lpips.HWC(dPred, off, 32, 32), true)                 // dPred += ∂(0.1·mean)/∂pred
//
// The lips box: make the state for the largest box, then st.SetGeometry(1, lpips.Image{H: side, W: side,
// PadY: lpips.LipsPad(side), PadX: lpips.LipsPad(side), A: 2, B: -1}) per step. Metrics: net.Distances on host
// images.
package lpips
