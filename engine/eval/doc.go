// Package eval renders a trained head over a dataset's validation split and scores it with engine/metrics
// (and engine/lpips when weights exist) — what `erneval` does — and reruns the seed paper's ablation study —
// what `ernablate` does.
//
//   - Source (source.go) is a metrics.Source over a head model and a validation split: frame i is rendered on
//     demand exactly as train.HeadTrainer.Validate renders it (code row 0, the GT torso over bc as background,
//     the inference path, spec §1.3/§13) with the model's parameters and occupancy bitfield, next to its ground
//     truth and face rectangle. With an LPIPS network it also measures LPIPS on the full frame and on the face
//     rectangle (crops under 32 px a side padded as the lips stage pads, lpips.LipsPad); Run fills the Records'
//     LPIPS columns from it, which metrics.Run leaves unavailable.
//   - LoadVal (source.go) loads a dataset's validation split with the audio features a model was trained on,
//     turning the usual mismatches (no validation frames, no feature file of the model's kind, features of
//     another shape, another image size) into one line each.
//   - Study (ablate.go) is the seed paper's ablation: rows that differ in one setting each (criterion, error map,
//     hash grid), trained from the same seed with the same step budget (head stage, then the lips stage, in
//     ER-NeRF's 4:1 ratio), each evaluated on the validation split; its tables in the paper's layout and its
//     validation-PSNR-against-steps curves come from metrics.PaperTableMarkdown/JSON and metrics.CurvesPlot.
package eval
