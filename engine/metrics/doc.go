// Package metrics scores rendered frames against ground truth the way ER-NeRF's evaluation does (spec §13) and
// the seed paper reports it, on the full frame and on the face rectangle (its "F" columns):
//
//   - PSNR (psnr.go): −10·log10(mean((clamp(pred, 0, 1) − gt)²)) per frame, averaged over frames.
//   - SSIM (ssim.go): Wang et al.'s mean SSIM with an 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03 on
//     [0, 1] images, channels averaged — scikit-image's structural_similarity with gaussian_weights=True,
//     use_sample_covariance=False, data_range=1 (which equals "valid" filtering).
//   - LMD (lmd.go, meter.go): ER-NeRF's LMDMeter with its dlib backend — dlib's HOG frontal face detector with
//     one upsampling, the first (most confident) face, dlib's 68-point shape predictor, points 48–67 (mouth) or
//     all 68 (face), each set centred on its own mean, mean Euclidean distance in pixels, averaged over frames.
//     A frame where either image has no detected face is counted and left out of the average (upstream crashes).
//     Note: ER-NeRF's own --test pass constructs LMDMeter(backend='fan') (face_alignment's 2D-FAN, the last
//     face; spec §13), so its published LMD (2.525 on Obama) is not directly comparable with this dlib value.
//
// Record and Summary (meter.go) hold one frame's scores and their averages. LPIPS lives in engine/lpips; Records
// carry it as NaN ("unavailable") unless the caller fills it in.
//
// Report (report*.go) is the evaluation report that needs no model: fed by Records (and, for the strips, the
// image pairs of chosen frames — PickFrames gives the best, median and worst by PSNR) it writes per-frame JSON
// and CSV, a summary table (JSON, Markdown), per-frame PSNR and LMD plots against time and a PSNR histogram
// (SVG, gonum/plot), ground truth | render | error heat map strips (PNG), report.md, and report.html, one
// self-contained page. Run (eval.go) scores a Source of render/ground-truth pairs frame by frame with a progress
// callback; NewReport picks the strip frames and fetches them again from the Source — what `erneval` needs around
// its renderer. PaperTableMarkdown/PaperTableJSON and CurvesPlot (report_table.go) are ernablate's: the seed
// paper's table layout, one row per configuration, and validation curves against training steps.
//
// Why cgo to Debian's dlib rather than reading the model in Go: LMD is only comparable with LMDMeter's dlib
// backend if the landmarks are dlib's, bit for bit. The detector call mirrors dlib's Python binding,
// detector(img, 1): pyramid_up with pyramid_down<2>, detection at adjust_threshold 0, rect_down back. That means dlib's HOG feature pyramid (fhog with its cell
// interpolation and normalisation), its pyramid_up/pyramid_down resampling, the five-filter detector's
// non-maximum suppression, and the shape predictor's cascades of regression trees with their
// similarity-transform feature indexing — several thousand lines of dlib whose every rounding matters. A Go port
// would be a second implementation to validate against the first; calling the first is exact and small
// (dlib_shim.cpp, about 110 lines of extern "C" wrappers that catch every C++ exception and return it as an
// error). The cost: building this package needs libdlib-dev and BLAS/LAPACK link libraries (pkg-config dlib-1;
// `make deps` installs them), and LMD needs the model file from libdlib-data at DefaultLandmarkModel or
// $ERN_DLIB_MODEL — without it NewLandmarker returns one line saying how to get it, and PSNR/SSIM still work.
package metrics
