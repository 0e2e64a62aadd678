package nn

import "fmt"

// tunedSharedBytes bounds a tuned layer's weights staged in shared memory (the smallest maxComputeSharedMemorySize
// among the devices ern runs on, lavapipe's 32 KiB).
const tunedSharedBytes = 32 << 10

// TunedSupported reports why cfg cannot use the tuned kernels, or nil. They need the shape IN → HID × k → OUT
// (every hidden layer the same width) and every layer's parameters within 32 KiB of shared memory.
func TunedSupported(cfg MLPConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	w := cfg.Widths
	for l := 1; l+1 < len(w); l++ {
		if w[l] != w[1] {
			return fmt.Errorf("nn: tuned MLP needs equal hidden widths, got %v", w)
		}
	}
	for l := range cfg.Layers() {
		if _, n := cfg.LayerParams(l); 4*n > tunedSharedBytes {
			return fmt.Errorf("nn: tuned MLP layer %d has %d parameters, beyond shared memory", l, n)
		}
	}
	if cfg.MaxWidth() > 256 {
		return fmt.Errorf("nn: tuned MLP width %d beyond 256", cfg.MaxWidth())
	}
	return nil
}

// tunedSpec returns the specialization constants of mlp_tuned_fwd/bwd: IN, HID, OUT, NHID, HIDACT, OUTACT,
// BIAS, MAXW, SMAX.
func (m *MLP) tunedSpec() []uint32 {
	c := m.cfg
	hid := c.Out()
	if c.Layers() > 1 {
		hid = c.Widths[1]
	}
	smax := 0
	for l := range c.Layers() {
		_, n := c.LayerParams(l)
		smax = max(smax, n)
	}
	return []uint32{uint32(c.In()), uint32(hid), uint32(c.Out()), uint32(c.Layers() - 1), uint32(c.Hidden),
		uint32(c.Output), b2u(c.Bias), uint32(c.MaxWidth()), uint32(smax)}
}

func (m *MLP) buildTuned() error {
	if err := TunedSupported(m.cfg); err != nil {
		return err
	}
	spec := m.tunedSpec()
	var err error
	if m.fwd, err = m.d.Kernel("mlp_tuned_fwd", spec...); err != nil {
		return err
	}
	if m.bwd, err = m.d.Kernel("mlp_tuned_bwd", spec...); err != nil {
		return err
	}
	m.wgrad, err = m.d.Kernel("mlp_wgrad", m.sg, m.rb)
	return err
}
