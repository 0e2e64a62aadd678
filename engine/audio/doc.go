// Package audio owns everything ern does with sound before it reaches a network or a speaker:
//
//   - decoding: WAV (u8, s16, s24, s32, f32, f64; any channel count up to 64; 1 Hz … 384 kHz) by a RIFF parser of
//     its own that also works on non-seekable readers (Decode, OpenStream for stdin playback), and every other
//     container (flac, ogg, m4a, mp3, video files) through an ffmpeg process when ffmpeg is installed (Load);
//   - resampling: a Kaiser-windowed-sinc band-limited interpolator (Resampler, Resample) usable on streams;
//   - features: the built-in log-mel features (Extract, ExtractKind, the streaming Extractor) cut into ER-NeRF's
//     DeepSpeech window layout, one row per 25 fps video frame (FramesFor): 32 bands saved as aud.npy [N,16,32],
//     the file and width ER-NeRF itself trains on for an unknown --asr_model, with an aud.json sidecar (Sidecar)
//     that marks them as ern's; the legacy 40-band aud_mel.npy still reads. And the .npy feature files of
//     ER-NeRF's extractors (LoadNPY, WriteNPY).
//
// Conventions: samples are float32, nominally in [-1, 1], interleaved by channel; the feature sample rate is
// SampleRate (16 kHz); video runs at FPS (25). Bad input (missing files, non-audio, empty or truncated WAVs,
// absurd rates or depths, wrong array shapes) is reported as an error that names the file and the problem; the
// package never panics on user data.
package audio
