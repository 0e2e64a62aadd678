// Package model owns ER-NeRF's networks as ern runs them and the files they live in:
//
//   - config.go: the typed Config tree (head, torso, renderer, training) whose defaults are ER-NeRF's, the embedded
//     presets (presets/*.json: ernerf, tuned, tiny) and the audio feature kinds (FeatureKind, CheckFeatures);
//   - layout.go: one flat parameter buffer — modules report their tensors in ER-NeRF's state-dict names and receive
//     256-byte-aligned segments; the AdamW groups (spec §11) and the file's tensor names derive from it; init.go is
//     ER-NeRF's initialisation (spec §5.9);
//   - head.go / head_ref.go: the head field on the device (a render.Field with a training backward into the flat
//     gradient buffer) and its plain-Go reference composed of the ops' references;
//   - torso*.go: the 2D torso field, its layout, reference, device forward/backward and files;
//   - headfile.go / torsofile.go: model files; convert.go / torso_convert.go: ER-NeRF checkpoints (ngp.pth) to ern
//     models, the configuration inferred from the tensor shapes.
//
// Model files use the safetensors layout (an 8-byte little-endian header length, a JSON header mapping each tensor
// name to its dtype, shape and data_offsets, then the raw little-endian tensor bytes) with ern's metadata under
// "__metadata__" (format, format version, model kind and the kind's JSON config), so any Python user can open an
// ern model with the standard safetensors library. Write is atomic (temp file in the same folder, fsync, rename,
// fsync of the folder). Read validates everything a damaged or hostile file can get wrong — truncation, header size,
// JSON syntax, duplicate names, unknown dtypes, shapes that disagree with byte ranges, offsets out of range,
// overlapping or leaving holes, missing ern metadata — and reports the first problem as one error naming the file.
package model
