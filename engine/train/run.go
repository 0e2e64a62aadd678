package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"
)

// Run trains until the stage's last step, writing a checkpoint to ckpt every CheckpointEvery steps and at the end
// (atomically: a crash loses at most one interval), validating every ValEvery steps and at the end, and reporting
// every step to Opt.Progress. A non-finite step — its loss, or the parameters at an occupancy update — rolls the
// run back to the last checkpoint (its parameters were already updated on the device) and draws a different frame; MaxBadSteps in a row stop the run with the last good
// checkpoint kept. ctx cancellation stops after the current step with a checkpoint.
func (t *HeadTrainer) Run(ctx context.Context, ckpt string) error {
	st := &t.State
	start, startStep := time.Now(), st.Step
	bad := 0
	for st.Step < st.Iters {
		if ctx.Err() != nil {
			if err := t.Save(ckpt); err != nil {
				return err
			}
			return ctx.Err()
		}
		res, err := t.Step()
		p := Progress{Stage: st.Stage, Step: st.Step, Iters: st.Iters, Loss: res.Loss, LPIPS: res.LPIPS, ValPSNR: st.LastValPSNR}
		if err != nil {
			if !math.IsNaN(float64(res.Loss)) && !math.IsInf(float64(res.Loss), 0) {
				return err
			}
			bad++
			p.SkippedReason = fmt.Sprintf("non-finite loss %g (%d in a row)", res.Loss, bad)
			if errors.Is(err, ErrNonFiniteParams) {
				p.SkippedReason = fmt.Sprintf("non-finite parameters at the occupancy update (%d in a row)", bad)
			}
			if t.Opt.Progress != nil {
				t.Opt.Progress(p)
			}
			if bad >= t.Opt.MaxBadSteps {
				last := "the last good checkpoint is " + ckpt
				if _, err := os.Stat(ckpt); err != nil {
					last = "no checkpoint was written yet"
				}
				return fmt.Errorf("train: %d non-finite steps in a row at step %d: stopped; %s", bad, st.Step, last)
			}
			if _, statErr := os.Stat(ckpt); statErr == nil {
				if err := t.rollback(ckpt); err != nil {
					return err
				}
				t.rng.Uint64() // a different draw than the one that failed
			}
			continue
		}
		bad = 0
		el := time.Since(start).Seconds()
		if el > 0 {
			p.StepsPerSec = float64(st.Step-startStep) / el
			p.ETA = time.Duration(float64(st.Iters-st.Step) / p.StepsPerSec * float64(time.Second))
		}
		last := st.Step == st.Iters
		if t.Val != nil && len(t.Val.Frames) > 0 && (last || (t.Opt.ValEvery > 0 && st.Step%t.Opt.ValEvery == 0)) {
			v, err := t.Validate(t.Opt.ValFrames, st.EMAUpdates > 0)
			if err != nil {
				return err
			}
			st.LastValPSNR, p.ValPSNR, p.Validated = v.PSNR, v.PSNR, true
			st.BestPSNR = math.Max(st.BestPSNR, v.PSNR)
		}
		if t.Opt.ErrorMapDir != "" && t.Opt.ErrorMapEvery > 0 && (last || st.Step%t.Opt.ErrorMapEvery == 0) {
			if _, err := t.SaveErrorMap(t.Opt.ErrorMapDir); err != nil {
				return err
			}
		}
		if last || (t.Opt.CheckpointEvery > 0 && st.Step%t.Opt.CheckpointEvery == 0) {
			if err := t.Save(ckpt); err != nil {
				return fmt.Errorf("train: checkpoint at step %d: %w (the previous checkpoint is intact)", st.Step, err)
			}
			p.Checkpointed = ckpt
		}
		if t.Opt.Progress != nil {
			t.Opt.Progress(p)
		}
	}
	return nil
}
