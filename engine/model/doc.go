// Package model owns ern's model files: the safetensors layout (an 8-byte little-endian header length, a JSON
// header mapping each tensor name to its dtype, shape and data_offsets, then the raw little-endian tensor bytes)
// with ern's metadata under "__metadata__" (format, format version, model kind and the kind's JSON config), so any
// Python user can open an ern model with the standard safetensors library.
//
// Write is atomic (temp file in the same folder, fsync, rename, fsync of the folder). Read validates everything a
// damaged or hostile file can get wrong — truncation, header size, JSON syntax, duplicate names, unknown dtypes,
// shapes that disagree with byte ranges, offsets out of range, overlapping or leaving holes, missing ern metadata —
// and reports the first problem as one error naming the file.
package model
