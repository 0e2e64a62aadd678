package loss

import (
	"fmt"
	"strings"

	"ern/compute"
	"ern/engine/tensor"
)

// Kind selects a loss; values match LOSS_* in glsl/include/loss.glsl.
type Kind uint32

const (
	L2Half   Kind = iota // ½ r²
	MSE                  // r²
	L1                   // |r|
	Huber                // ½ r² if |r| ≤ δ else δ(|r| − ½δ)
	SmoothL1             // ½ r²/β if |r| < β else |r| − ½β
)

var names = []string{"l2", "mse", "l1", "huber", "smoothl1"}

func (k Kind) String() string {
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("loss(%d)", uint32(k))
}

// Parse reads a loss name: l2, mse, l1, huber, smoothl1 (also smooth_l1, smooth-l1).
func Parse(s string) (Kind, error) {
	n := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	for i, name := range names {
		if n == name {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown loss %q (want one of %s)", s, strings.Join(names, ", "))
}

// Config is a loss with its parameter (Huber δ or Smooth-L1 β; ignored by the others).
type Config struct {
	Kind  Kind
	Param float32
}

// Validate rejects parameters that make the loss undefined.
func (c Config) Validate() error {
	if c.Kind > SmoothL1 {
		return fmt.Errorf("loss: unknown kind %d", c.Kind)
	}
	if (c.Kind == Huber || c.Kind == SmoothL1) && !(c.Param > 0) {
		return fmt.Errorf("loss: %v needs a positive parameter, got %v", c.Kind, c.Param)
	}
	return nil
}

// Push is loss_fwd's push block.
type Push struct {
	N         uint32
	Kind      uint32
	Param     float32
	GradScale float32
	HasWeight uint32
}

// Loss records loss evaluations on one device.
type Loss struct {
	k       *compute.Kernel
	tensors *tensor.Kernels
}

// New builds the kernels.
func New(d *compute.Device) (*Loss, error) {
	k, err := d.Kernel("loss_fwd")
	if err != nil {
		return nil, err
	}
	t, err := tensor.New(d)
	if err != nil {
		return nil, err
	}
	return &Loss{k, t}, nil
}

// Buffers are the tensors of one evaluation over n elements. Weight may be nil (all ones). Scratch holds
// tensor.SumScratch words; Mean receives one word.
type Buffers struct {
	Pred, Target, Weight *compute.Buffer
	Value, Grad          *compute.Buffer
	Scratch, Mean        *compute.Buffer
}

// Record appends value[i] = w·ℓ(r), grad[i] = w·dℓ/dr / n (the gradient of the mean) and mean = Σ value / n.
func (l *Loss) Record(r *compute.Recorder, c Config, n int, b Buffers) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if n <= 0 {
		return fmt.Errorf("loss: %d elements", n)
	}
	w, has := b.Weight, uint32(1)
	if w == nil {
		w, has = b.Pred, 0
	}
	r.Dispatch1D(l.k, n, &Push{uint32(n), uint32(c.Kind), c.Param, 1 / float32(n), has}, b.Pred, b.Target, w, b.Value, b.Grad)
	return l.tensors.Sum(r, b.Value, n, 1/float32(n), b.Scratch, b.Mean)
}
