// Package pth reads PyTorch checkpoint files (torch.save's zip format and the legacy pre-1.6 format) — the
// `.pth` files ER-NeRF writes — through github.com/nlpodyssey/gopickle: the top-level dict's numbers (epoch,
// global_step, mean_density, …) and the named tensors of its state dict (ER-NeRF's nested "model", or a plain
// state dict), each materialised contiguous and row-major with strides and storage offsets honoured.
//
// It owns only reading. Every file is checked before gopickle sees it (pickle length fields bounded by the file,
// storage sizes matched to the bytes holding them, zip CRCs verified), pickles may reference only tensor storages
// and a few inert containers, and any malformed input yields a one-line error naming the file, never a panic.
package pth
