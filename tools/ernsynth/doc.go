// Command ernsynth writes a synthetic talking-portrait dataset in ER-NeRF's layout from a speech recording (or
// from text spoken by espeak-ng), with exact landmarks, parsing, torso layers and ground truth. See package
// ern/engine/synth for what is written.
package main
