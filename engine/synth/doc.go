// Package synth makes a synthetic talking portrait with exact ground truth: from speech it animates a procedural
// person and writes a complete ER-NeRF dataset directory (spec §3) of it, so training, evaluation and playback
// can be exercised without a face tracker, a parser or a recording.
//
// The person is a signed-distance model ray-marched on the CPU (goroutines over rows): skull, jaw, cheekbones,
// brow ridge, nose, ears, eyeballs in carved sockets, a hair shell above a hairline, and a static neck, shoulders
// and shirt. Eyes, lids, lashes, brows, lips, teeth and the mouth opening are painted from 2D curves in the head's
// frontal plane (face.go), so the 68 landmarks — points on the same curves lifted onto the surface — are exact.
// Lighting is a wrapped-Lambert + Blinn-Phong key with a soft shadow from the head, fill, rim and hemispherical
// ambient with distance-field occlusion; colours are computed in linear light and stored as sRGB.
//
// Animation (drive.go) is a deterministic function of the audio and the seed: the lip gap follows the frame's RMS
// level, the mouth width its spectral centroid (spread for bright sounds, rounded for dark ones), the jaw drops
// with the lower lip, blinks come every 2–5 s, and the head sways and nods slightly.
//
// Frames and conventions. The camera is fixed at the origin of the tracker's camera frame, looking down −z with
// +y up (spec §1.1); the head frame is the transforms' world (x right, y up, z toward the camera, metres, origin
// near the skull centre at eye height), and a head pose (R, T) maps head points to camera points R·q + T. Each
// frame's transform_matrix is [Rᵀ | −Rᵀ·T], so data.ConvertPose yields the renderer-frame pose of that camera.
// Landmarks are continuous image coordinates: x = column, y = row, pixel (r, c) covering [c, c+1) × [r, r+1)
// (the renderer's ray for pixel (r, c) passes through (c + 0.5, r + 0.5)).
//
// Files written by Generate (k = 0 … N−1, 25 fps):
//
//	aud.wav                  the driving audio, 16 kHz mono PCM16, cut to N·640 samples
//	aud.npy                  built-in features (audio.Extract: 32 log-mel bands), [N, 16, 32] float32 LE
//	aud.json                 their sidecar (audio.Sidecar): extractor "ern-logmel" and its parameters
//	au.csv                   OpenFace 2 layout; " AU45_r" = 2·blink, AU25/AU26 from the lip gap, AU20 from width
//	bc.jpg                   the static background
//	transforms_train.json    frames 0 … ⌊10N/11⌋−1; transforms_val.json the rest (focal_len, cx, cy, frames)
//	ori_imgs/k.jpg, k.lms    the frame and its 68 iBUG landmarks ("x y" per line)
//	gt_imgs/k.jpg            the frame (its background already is bc.jpg)
//	torso_imgs/k.png         RGBA: neck, shoulders and shirt rendered without the head (exact, no in-painting),
//	                         straight alpha = coverage, RGB 0 where alpha is 0
//	parsing/k.png            head (0,0,255), neck (0,255,0), torso (255,0,0), background white, RGB order
//	synth_truth.json         ground truth (Truth): per frame img_id, time_s, mouth_open ∈ [0,1], lip_gap_m,
//	                         mouth_width, blink ∈ [0,1], energy_db, centroid_hz, euler_deg (pitch, yaw, roll),
//	                         shift_m, head_to_camera_r / _t; plus seed, size, fps, focal_len, max_lip_gap_m
//
// The features are where ER-NeRF's own code finds features it can train on: its loader reads aud.npy for any
// --asr_model that is not deepspeech, esperanto or hubert (e.g. --asr_model ern) and builds a 32-channel AudioNet
// for it; ER-NeRF ignores aud.json. ern's loader reads them with data.Options{Features: audio.BuiltIn.FileName()},
// and the sidecar tells it they are its own built-in features (recomputable from any WAV at playback), not
// ER-NeRF's wav2vec features of the same name and shape. The same audio, seed and options give the same bytes.
package synth
