// Package data reads, validates and writes ER-NeRF dataset directories (spec §2–§3):
//
//	<dir>/transforms_train.json, transforms_val.json   intrinsics + per-frame tracker poses
//	<dir>/gt_imgs/<id>.jpg                             training targets (RGB)
//	<dir>/torso_imgs/<id>.png                          torso layer (RGBA, straight alpha)
//	<dir>/parsing/<id>.png                             face-parsing map (optional, checked when present)
//	<dir>/ori_imgs/<id>.lms                            68 landmarks, "x y" per line, x = column, y = row
//	<dir>/bc.jpg                                       static background
//	<dir>/au.csv                                       OpenFace action units, column " AU45_r"
//	<dir>/aud_ds.npy (or aud_hu.npy, aud_eo.npy, ...)   audio features [N, T, C], read through package audio
//
// It owns the conversion of tracker poses to the renderer frame, the image-size rule, the per-frame face / lower
// half / eye / lips rectangles derived from landmarks, the eye feature clip(AU45, 0, 2)/2, and the writers
// (WriteTransforms, WriteSplits, WriteAU, WriteLandmarks) used by the synthetic-portrait generator.
//
// Load validates the whole directory first and reports every problem in one *ValidationError, grouped by kind.
//
// Memory: frames are kept compact. Load holds only per-frame metadata (pose, landmarks, rectangles, eye value:
// about 1.3 KB a frame) plus the decoded background; GT, torso and parsing images are decoded from disk on demand
// and kept in a byte-bounded LRU cache of 8-bit pixels (Options.CacheBytes, 256 MiB by default). A 5-minute 512²
// set (7500 frames) therefore needs ~10 MB of metadata plus the cache, where holding every image as float32 (as
// ER-NeRF's --preload 1 does) needs ~7500·512²·(3+4)·4 B ≈ 55 GB. Decoding a 512² JPEG or PNG costs a few
// milliseconds, far below one training step.
package data
