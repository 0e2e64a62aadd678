// Package train owns ER-NeRF's training on the device: the per-frame inputs (camera, background, target, audio
// attention window, eye, code row), the training step recorded as one submission in pipeline order
// (HeadStep.Run: rays drawn uniformly or from the error map of engine/errmap, the stage-1 loss with the jitter
// regulariser every 16 steps, the lips stage's box and patch steps with the LPIPS term), the occupancy-grid
// schedule around it, the stages (HeadTrainer; StartLips continues a finished head stage) and checkpoints. The
// torso stage (TorsoStep.Run, one submission: random pixels → 2D coordinates and occupancy → torso field →
// torso·α + bc·(1 − α) vs torso-over-bc + mean (1 − anchor.w)² → backward → AdamW on the torso groups) runs in
// TorsoTrainer with the head frozen (SetHead builds it for inference only); its validation renders whole frames
// (head over torso over bc, one submission) and Model writes the head+torso model.
//
// Files: step.go (one step), trainer.go (the loop's schedule, stages, model metadata), run.go (checkpoints,
// validation and error-map PNGs around the loop), checkpoint.go, jitter.go (glsl/jitter_fwd.comp: the
// regulariser's points) with its reference jitter_ref.go, frames.go, window.go, validate.go; torso.go (the torso
// step), torso_trainer.go (its schedule, torso validation, checkpoints), torso_run.go (the frozen head, whole
// frames, the loop, the model), torso_ref.go (references of the torso composite, anchor term and frame).
package train
