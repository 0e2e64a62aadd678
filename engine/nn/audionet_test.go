package nn

import (
	"testing"

	"ern/compute/optest"
)

func TestAudioEncoderParamCounts(t *testing.T) {
	// spec §15: AudioNet 30,720 (DeepSpeech), 32,160 (esperanto), 126,240 (HuBERT); AudioAttNet 2,149
	for _, k := range []struct {
		c        AudioEncoderConfig
		net, att int
	}{
		{AudioEncoderConfig{InDim: 29, Window: 16, Frames: 8}, 30720, 2149},
		{AudioEncoderConfig{InDim: 44, Window: 16, Frames: 8}, 32160, 2149},
		{AudioEncoderConfig{InDim: 1024, Window: 2, Frames: 8}, 126240, 2149},
		{AudioEncoderConfig{InDim: 29, Window: 16}, 30720, 0},
	} {
		if err := k.c.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := k.c.AudioNetParams(); got != k.net {
			t.Errorf("%+v: AudioNet %d params, want %d", k.c, got, k.net)
		}
		if got := k.c.AttParams(); got != k.att {
			t.Errorf("%+v: AudioAttNet %d params, want %d", k.c, got, k.att)
		}
	}
	if (AudioEncoderConfig{InDim: 29, Window: 32, Frames: 8}).Validate() == nil {
		t.Error("a 32-step window (two steps after AudioNet) accepted")
	}
}

// Parameter counts cannot see activations or strides: pin AudioNet's and AudioAttNet's layer structure (spec
// §5.2, §5.3 — LeakyReLU 0.02 after every convolution, including AudioAttNet's last, and none after the last
// Linear).
func TestAudioEncoderStructure(t *testing.T) {
	c := AudioEncoderConfig{InDim: 29, Window: 16, Frames: 8}
	ch := []int{29, 32, 32, 64, 64}
	for i, cc := range c.AudioNetConvs() {
		if cc != (Conv1dConfig{Cin: ch[i], Cout: ch[i+1], Stride: 2, Act: ActLeakyReLU}) {
			t.Errorf("AudioNet conv %d is %+v", i, cc)
		}
	}
	if l := c.convLens(); l != [5]int{16, 8, 4, 2, 1} {
		t.Errorf("AudioNet time lengths %v, want 16 → 8 → 4 → 2 → 1", l)
	}
	if l := (AudioEncoderConfig{InDim: 1024, Window: 2, Frames: 8}).convLens(); l != [5]int{2, 1, 1, 1, 1} {
		t.Errorf("HuBERT time lengths %v, want 2 → 1 → 1 → 1 → 1", l)
	}
	fc := c.AudioNetFC()
	if len(fc.Widths) != 3 || fc.Widths[0] != 64 || fc.Widths[1] != 64 || fc.Widths[2] != 32 || !fc.Bias ||
		fc.Hidden != ActLeakyReLU || fc.Output != ActNone {
		t.Errorf("AudioNet head %+v, want Linear 64→64 (bias), LeakyReLU, Linear 64→32 (bias), raw", fc)
	}
	ach := []int{32, 16, 8, 4, 2, 1}
	for i, cc := range c.AttConvs() {
		if cc != (Conv1dConfig{Cin: ach[i], Cout: ach[i+1], Stride: 1, Act: ActLeakyReLU}) {
			t.Errorf("AudioAttNet conv %d is %+v", i, cc)
		}
	}
}

func TestAudioEncoderReferenceGradient(t *testing.T) {
	c := AudioEncoderConfig{InDim: 5, Window: 16, Frames: 8}
	const F = 2
	rng := newRNG(71)
	net := randVec(rng, c.AudioNetParams(), -0.4, 0.4)
	att := randVec(rng, c.AttParams(), -0.4, 0.4)
	win := randVec(rng, F*c.Frames*c.InDim*c.Window, -1, 1)
	dEnc := randVec(rng, F*AudioCodeDim, -1, 1)
	dNet, dAtt := AudioEncoderBackwardRef(c, net, att, win, dEnc, F)
	// LeakyReLU kinks: a bias of the first convolution moves hundreds of pre-activations, so the step is kept
	// small (1e-7) to stay off the kinks, and the absolute tolerance covers its round-off.
	tol := optest.Tol{Abs: 1e-7, Rel: 1e-5}
	optest.GradCheck(t, "audio encoder dAudioNet", func(v []float64) []float64 { return AudioEncoderForwardRef(c, v, att, win, F) },
		net, dEnc, dNet, probe(rng, len(net), 120), 1e-7, tol)
	optest.GradCheck(t, "audio encoder dAudioAttNet", func(v []float64) []float64 { return AudioEncoderForwardRef(c, net, v, win, F) },
		att, dEnc, dAtt, probe(rng, len(att), 120), 0, tol)
}

func TestAudioEncoderGPU(t *testing.T) {
	d := optest.Device(t)
	for i, k := range []struct {
		c      AudioEncoderConfig
		frames int
	}{
		{AudioEncoderConfig{InDim: 29, Window: 16, Frames: 8}, 2},
		{AudioEncoderConfig{InDim: 1024, Window: 2, Frames: 8}, 1},
		{AudioEncoderConfig{InDim: 44, Window: 16}, 3},
	} {
		c, F := k.c, k.frames
		e, err := NewAudioEncoder(d, c)
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.NewState(F)
		if err != nil {
			t.Fatal(err)
		}
		rng := optest.NewRand(uint64(90 + i))
		net32 := rng.Uniform32(c.AudioNetParams(), -0.2, 0.2)
		att32 := rng.Uniform32(max(c.AttParams(), 1), -0.4, 0.4)
		win32 := rng.Uniform32(F*max(c.Frames, 1)*c.InDim*c.Window, -2, 2)
		dEnc32 := rng.Uniform32(F*AudioCodeDim, -1, 1)
		net, att, win, dEnc := optest.To64(net32), optest.To64(att32[:c.AttParams()]), optest.To64(win32), optest.To64(dEnc32)
		wantE := AudioEncoderForwardRef(c, net, att, win, F)
		wantDNet, wantDAtt := AudioEncoderBackwardRef(c, net, att, win, dEnc, F)

		pb := optest.Buffer(t, d, append(append(append([]float32{}, net32...), make([]float32, 5)...), att32...))
		nSeg, aSeg := Seg{Buf: pb}, Seg{Buf: pb, Off: len(net32) + 5}
		grads := optest.NewGuardedZeros(t, d, len(net32)+5+len(att32))
		enc := optest.NewGuardedZeros(t, d, F*AudioCodeDim)
		winB, dEncB := optest.Buffer(t, d, win32), optest.Buffer(t, d, dEnc32)
		r := d.Record()
		e.Forward(r, nSeg, aSeg, winB, enc.View, st, F)
		e.Backward(r, nSeg, aSeg, Seg{Buf: grads.View}, Seg{Buf: grads.View, Off: aSeg.Off}, winB, dEncB, st, F)
		optest.Submit(t, r)
		r.Release()
		st.Release()
		optest.Compare(t, "audio encoder enc_a", enc.Download(t), wantE, fwdTol)
		g := grads.Download(t)
		optest.Compare(t, "audio encoder dAudioNet", g[:len(net32)], wantDNet, bwdTol)
		if c.Frames > 0 {
			optest.Compare(t, "audio encoder dAudioAttNet", g[aSeg.Off:aSeg.Off+c.AttParams()], wantDAtt, bwdTol)
		}
	}
}
