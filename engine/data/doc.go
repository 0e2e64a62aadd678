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
// Memory: frames are kept compact. Load holds only per-frame metadata (poses, landmarks, rectangles, eye value:
// about 1.5 KB a frame), the audio features and the decoded background; GT, torso and parsing images stay on disk
// and are decoded on demand, either through a byte-bounded LRU cache of 8-bit pixels (Dataset.GT / Torso /
// Parsing; Options.CacheBytes, 64 MiB by default) or, for training's shuffled epochs, by a Prefetcher that
// decodes the known order on background workers a few frames ahead. A 5-minute 512² set (7500 frames) thus needs
// ~11 MB of metadata plus the cache, where holding every image as float32 (ER-NeRF's --preload 1) needs
// 7500·512²·(3+4)·4 B ≈ 55 GB. Decoding a 512² frame (JPEG + RGBA PNG) costs ~3–5 ms of one core.
package data
