// Package player is ern's real-time playback: it plays audio (a file or a live WAV stream on stdin, decoded as a
// stream either way) through PulseAudio (or oto's ALSA fallback) while a model renders the talking portrait frame by
// frame, in sync, into a GLFW window (Vulkan swapchain on the same device that renders) or into headless sinks (an
// H.264/AAC mp4 through ffmpeg, PNG frames, a benchmark).
//
// Audio is the master clock (audioout.go, pulseout.go): the position being heard — PulseAudio's read index less the
// sink's latency, read every 10 ms — shifted by -av-offset; with oto, the bytes it pulled less what it buffers,
// smoothed (clock.go). Frame k is presented when the clock reaches k/25 s (realtime.go): frames are rendered one
// ahead, dropped when late, and never shown before their time. The sound never runs past the frames whose features
// exist, so a stalled live stream stops sound and picture together (source.go). Memory is bounded: the source keeps
// only what is still to be played or rendered, and decoding waits while 10 s are pending.
//
// Models plug in through Renderer (renderer.go): a renderer draws frame k from its audio-feature window and the
// per-frame state into a BGRA8 buffer by recording into the caller's compute.Recorder. Until the NeRF lands, the
// one model kind is the test card (testcard*.go, glsl/testcard_draw.comp), which draws the frame index as binary
// blocks plus a feature level meter so sync can be verified from pixels (DecodeTestCard).
//
// Threading: Run must be called on the main OS thread (GLFW); it also does every queue submission.
package player
