// infer.glsl: the words of the inference pass plan (engine/render Frame.Plan, mirrored by the plan* constants in
// engine/render/infer.go). infer_plan writes them once per pass; march_infer and composite_infer read them.
#ifndef ERN_INFER_GLSL
#define ERN_INFER_GLSL

#define PLAN_ALIVE 0u   // n_alive of this pass (0 once every ray ended or step ≥ max_steps)
#define PLAN_NSTEP 1u   // n_step of this pass
#define PLAN_STEP 2u    // step after this pass (Σ n_step of the passes run)
#define PLAN_COUNTER 3u // alive rays composite_infer appended to the next list (zeroed by infer_plan)
#define PLAN_PASSES 4u  // passes run so far (n_alive > 0)
#define PLAN_SAMPLES 5u // n_alive · n_step sample slots of this pass
#define PLAN_ARGS 8u    // [3] workgroups (x, y, z) of march_infer / composite_infer over n_alive rays
#define PLAN_PIECES 16u // [pieces] live slots of each field piece: clamp(samples − start, 0, size)

#endif
