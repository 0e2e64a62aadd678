package render

import "fmt"

// StepSize is ER-NeRF's effective marching step (spec §8.1, §16 item 10): with one cascade and max_steps = 16,
// dt_min = min(dt_max, 2√3/16) = dt_max = 2√3/128, so dt = clamp(t·dt_gamma, dt_min, dt_max) is the constant √3/64.
const StepSize = 1.7320508075688772 / 64

// Config holds the renderer's knobs; DefaultConfig gives ER-NeRF's values.
type Config struct {
	Bound         float64 `json:"bound"`          // scene cube [−bound, bound]³ of the occupancy grid (1)
	Box           Box     `json:"box"`            // near/far box (HeadBox)
	MinNear       float64 `json:"min_near"`       // lower clamp of near (0.05)
	Step          float64 `json:"step"`           // marching step dt (StepSize)
	MaxSteps      int     `json:"max_steps"`      // occupied samples per ray at most (16)
	TThresh       float64 `json:"t_thresh"`       // transmittance at which compositing stops (1e−4)
	DensityThresh float64 `json:"density_thresh"` // occupancy threshold cap on σ (10)
	TorsoThresh   float64 `json:"torso_thresh"`   // torso occupancy threshold cap on alpha (0.01)
	Decay         float64 `json:"decay"`          // occupancy EMA decay (0.95)
	// UpdateParts is how many of the grid's UpdatePartsAll Morton-ordered parts one occupancy update evaluates,
	// in rotation (0 or UpdatePartsAll: the whole grid, as ER-NeRF; the first update always covers it all). A
	// CPU-sized preset sets 1 to make updates 8× cheaper; each cell is then refreshed every 8 updates.
	UpdateParts  int  `json:"update_parts,omitempty"`
	ForceAllRays bool `json:"force_all_rays"` // ignore the point budget (ER-NeRF: patch_size > 1 or train_camera)
}

// DefaultConfig is ER-NeRF's renderer configuration (spec §0, §8.1).
func DefaultConfig() Config {
	return Config{Bound: 1, Box: HeadBox, MinNear: MinNear, Step: StepSize, MaxSteps: 16, TThresh: 1e-4,
		DensityThresh: 10, TorsoThresh: 0.01, Decay: 0.95}
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	switch {
	case !(c.Bound > 0 && c.Bound <= 1):
		return fmt.Errorf("render: bound %g must be in (0, 1]: larger scenes need occupancy cascades, which ER-NeRF's head does not use", c.Bound)
	case !(c.Step > 0):
		return fmt.Errorf("render: step %g must be positive", c.Step)
	case c.MaxSteps <= 0:
		return fmt.Errorf("render: max_steps %d must be positive", c.MaxSteps)
	case !(c.TThresh >= 0 && c.TThresh < 1):
		return fmt.Errorf("render: t_thresh %g must be in [0, 1)", c.TThresh)
	case c.UpdateParts < 0 || c.UpdateParts > UpdatePartsAll:
		return fmt.Errorf("render: update_parts %d outside 0..%d", c.UpdateParts, UpdatePartsAll)
	case !(c.Decay >= 0 && c.Decay <= 1):
		return fmt.Errorf("render: decay %g must be in [0, 1]", c.Decay)
	}
	for k := range 3 {
		if !(c.Box.Min[k] < c.Box.Max[k]) {
			return fmt.Errorf("render: box axis %d is empty", k)
		}
	}
	return nil
}
