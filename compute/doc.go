// Package compute is ern's Vulkan runtime: it opens a device (with the feature shim vulkan-go lacks), allocates
// buffers, builds kernels from the embedded SPIR-V and manifest of package glsl, and records dispatches, copies and
// fills into one command buffer that is submitted once. It knows nothing about NeRFs.
//
// Environment: ERN_DEVICE picks a physical device by index or name substring (default: discrete > integrated >
// virtual > CPU); ERN_VALIDATE=1 turns on the Khronos validation layer and surfaces every warning and error from
// Recorder.Submit and Device.Close; ERN_PROFILE=1 times every dispatch with GPU timestamps and prints a per-kernel
// table at Close.
package compute
