// Package train owns ER-NeRF's training on the device: the per-frame inputs (camera, background, target, audio
// attention window, eye, code row), the training step recorded as one submission in pipeline order
// (HeadStep.Run), and the occupancy-grid schedule around it.
package train
