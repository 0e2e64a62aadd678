package lpips

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/model"
	"ern/engine/pth"
)

// fixtures writes torchvision- and lpips-layout PyTorch files of w (the trunk in the zip format with a
// double-precision tensor, an ignored classifier stored as a transposed view; the heads in the legacy format)
// and returns their paths.
func fixtures(t *testing.T, w *Weights) (alex, lin string) {
	t.Helper()
	dir := t.TempDir()
	var trunk, heads []ptTensor
	for i, c := range w.Arch {
		trunk = append(trunk,
			ptTensor{name: convName(i, "weight"), shape: []int{c.Cout, c.Cin, c.K, c.K}, data: w.W[i]},
			ptTensor{name: convName(i, "bias"), shape: []int{c.Cout}, data: w.B[i], double: i == 2})
		heads = append(heads, ptTensor{name: linName(i), shape: []int{1, c.Cout, 1, 1}, data: w.Lin[i]})
	}
	trunk = append(trunk, ptTensor{name: "classifier.1.weight", shape: []int{2, 3}, data: []float32{1, 2, 3, 4, 5, 6}, transposed: true})
	alex, lin = filepath.Join(dir, "alexnet-owt-7be5be79.pth"), filepath.Join(dir, "alex.pth")
	if err := writeTorchZip(alex, trunk); err != nil {
		t.Fatal(err)
	}
	if err := writeTorchLegacy(lin, heads); err != nil {
		t.Fatal(err)
	}
	return alex, lin
}

func sameF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConvertRoundTrip(t *testing.T) {
	w := randWeights(newRNG(61), AlexNet())
	alex, lin := fixtures(t, w)
	out := filepath.Join(t.TempDir(), "sub", CacheName)
	got, err := Convert(alex, lin, out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range w.Arch {
		for _, p := range [][3][]float32{{w.W[i], got.W[i], back.W[i]}, {w.B[i], got.B[i], back.B[i]}, {w.Lin[i], got.Lin[i], back.Lin[i]}} {
			if !sameF32(p[0], p[1]) || !sameF32(p[0], p[2]) {
				t.Fatalf("layer %d: converted or reloaded weights differ from the PyTorch files' values", i+1)
			}
		}
	}
	f, err := model.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := f.Tensor("lin4.model.1.weight"); !ok || !slices.Equal(tt.Shape, []int{1, 256, 1, 1}) {
		t.Errorf("ern file keeps lpips' names and shapes: lin4 %v", tt)
	}
	sum, _ := FileSHA256(alex)
	if got := f.Meta["source_alexnet"]; got != "alexnet-owt-7be5be79.pth sha256:"+sum || !strings.HasPrefix(f.Meta["source_lin"], "alex.pth sha256:") {
		t.Errorf("provenance metadata %q, %q", got, f.Meta["source_lin"])
	}
	// the fixture's strided classifier view reads in logical order (the converter ignores it: this checks the
	// fixture writer)
	ck, err := pth.Load(alex)
	if err != nil {
		t.Fatal(err)
	}
	if v := ck.Tensors["classifier.1.weight"]; v == nil || !sameF32(v.F32, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("transposed view read as %v, want 1..6", v)
	}
}

// TestConvertBadInput: every wrong file gives one clear error, never a panic.
func TestConvertBadInput(t *testing.T) {
	w := randWeights(newRNG(62), AlexNet())
	alex, lin := fixtures(t, w)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pth")
	os.WriteFile(junk, []byte("this is not a pytorch file at all"), 0o644)
	wrong := *w
	wrong.Arch[1].K = 3 // features.3.weight [192, 64, 3, 3]
	wrong.W[1] = make([]float32, wrong.Arch[1].NumW())
	badShape, _ := fixtures(t, &wrong)
	neg := *w
	neg.Lin[2] = append([]float32(nil), w.Lin[2]...)
	neg.Lin[2][5] = -0.1
	_, negLin := fixtures(t, &neg)
	for _, k := range []struct {
		name, alex, lin, want string
	}{
		{"swapped", lin, alex, "features.0.weight"},
		{"junk", junk, lin, "not a PyTorch checkpoint"},
		{"missing", filepath.Join(dir, "nope.pth"), lin, "no such file"},
		{"shape", badShape, lin, "shape [192 64 3 3], want [192 64 5 5]"},
		{"negative head", alex, negLin, "negative weight"},
	} {
		_, err := ConvertPyTorch(k.alex, k.lin)
		if err == nil || !strings.Contains(err.Error(), k.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", k.name, err, k.want)
		} else {
			t.Logf("%s: %v", k.name, err)
		}
	}
	// an ern file of another kind, and one with a wrong shape
	other := filepath.Join(dir, "other.safetensors")
	if err := model.Write(other, &model.File{Kind: "head"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(other); err == nil || !strings.Contains(err.Error(), "not LPIPS weights") {
		t.Errorf("other kind: %v", err)
	}
	f := w.File()
	f.Tensors[0] = model.F32Tensor("features.0.weight", []int{64, 3, 11, 11 - 10}, make([]float32, 64*3*11))
	if err := model.Write(other, f); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(other); err == nil || !strings.Contains(err.Error(), "shape [64 3 11 1]") {
		t.Errorf("wrong shape: %v", err)
	} else {
		t.Log(err)
	}
}

func TestFind(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(EnvWeights, "")
	_, err := Find("")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "pip install lpips") ||
		!strings.Contains(err.Error(), filepath.Join(cache, "ern", CacheName)) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("missing weights: %v", err)
	}
	t.Log(err)
	if _, err := LoadFound(""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("LoadFound without weights: %v", err)
	}
	if _, err := Open(nil, ""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open without weights: %v", err)
	}
	w := randWeights(newRNG(63), AlexNet())
	def := filepath.Join(cache, "ern", CacheName)
	os.MkdirAll(filepath.Dir(def), 0o755)
	if err := Save(def, w); err != nil {
		t.Fatal(err)
	}
	if p, err := Find(""); err != nil || p != def {
		t.Errorf("cache: %q, %v", p, err)
	}
	env := filepath.Join(t.TempDir(), "env.safetensors")
	t.Setenv(EnvWeights, env)
	if _, err := Find(""); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), EnvWeights) {
		t.Errorf("env pointing at nothing must not fall back to the cache: %v", err)
	}
	Save(env, w)
	if p, err := Find(""); err != nil || p != env {
		t.Errorf("env: %q, %v", p, err)
	}
	flag := filepath.Join(t.TempDir(), "flag.safetensors")
	if _, err := Find(flag); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "flag") {
		t.Errorf("flag pointing at nothing: %v", err)
	}
	Save(flag, w)
	if p, err := Find(flag); err != nil || p != flag {
		t.Errorf("flag: %q, %v", p, err)
	}
}

// TestConvertedNetworkGPU: weights that went through the PyTorch files and the converter give the reference's
// LPIPS on the device (two 32×32 patches), and images of different sizes are refused.
func TestConvertedNetworkGPU(t *testing.T) {
	d := optest.Device(t)
	w0 := randWeights(newRNG(64), AlexNet())
	alex, lin := fixtures(t, w0)
	w, err := Convert(alex, lin, filepath.Join(t.TempDir(), CacheName))
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(d, w)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Release()
	im := Image{H: 32, W: 32, A: 2, B: -1}
	rng := optest.NewRand(5)
	pred, gt := rng.Uniform32(2*32*32*3, 0, 1), rng.Uniform32(2*32*32*3, 0, 1)
	got, err := n.Distances(pred, gt, 2, im)
	if err != nil {
		t.Fatal(err)
	}
	chw := func(x []float32) []float64 { // HWC → CHW for the reference
		o := make([]float64, len(x))
		for b := range 2 {
			for y := range 32 {
				for xx := range 32 {
					for c := range 3 {
						o[((b*3+c)*32+y)*32+xx] = float64(x[((b*32+y)*32+xx)*3+c])
					}
				}
			}
		}
		return o
	}
	want, _ := ForwardRef(w0, chw(pred), chw(gt), 2, im)
	optest.Compare(t, "converted lpips", got, want, fwdTol)
	if _, err := n.Distances(pred, gt[:len(gt)-3], 2, im); err == nil || !strings.Contains(err.Error(), "different sizes") {
		t.Errorf("different sizes: %v", err)
	}
	// a binding limit that holds one pair's activations but not two: NewState refuses the batch, Distances runs
	// it pair by pair with the same results
	_, out, _ := w.Arch.Sizes(32, 32)
	n.limit = uint64(4 * 2 * 64 * out[0][0] * out[0][1] * 3 / 2) // conv1's taps of 1.5 pairs
	if _, err := n.NewState(2, im); !errors.Is(err, ErrBatchTooLarge) {
		t.Fatalf("NewState beyond the binding limit: %v", err)
	}
	chunked, err := n.Distances(pred, gt, 2, im)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if chunked[i] != got[i] {
			t.Errorf("pair %d: %v in chunks, %v in one batch", i, chunked[i], got[i])
		}
	}
}
