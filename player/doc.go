// Package player is ern's real-time playback: it plays a WAV (a file or a live stream on stdin) through oto while
// a model renders the talking portrait frame by frame, in sync, into a GLFW window (Vulkan swapchain on the same
// device that renders) or into headless sinks (an H.264/AAC mp4 through ffmpeg, PNG frames, a benchmark).
//
// Audio is the master clock (clock.go): the position is the bytes oto pulled minus what it still buffers,
// interpolated with a monotonic clock between oto's coarse steps. Frame k is presented when the clock reaches k/25 s
// (schedule.go): frames are rendered one ahead, dropped when late, and never shown before their time.
//
// Models plug in through Renderer (renderer.go): a renderer draws frame k from its audio-feature window and the
// per-frame state into a BGRA8 buffer by recording into the caller's compute.Recorder. Until the NeRF lands, the
// one model kind is the test card (testcard*.go, glsl/testcard_draw.comp), which draws the frame index as binary
// blocks plus a feature level meter so sync can be verified from pixels (DecodeTestCard).
//
// Threading: Run must be called on the main OS thread (GLFW); it also does every queue submission.
package player
