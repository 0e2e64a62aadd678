package lpips

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ern/compute"
	"ern/engine/model"
	"ern/engine/pth"
)

// Kind is the model kind of an ern LPIPS weights file.
const Kind = "lpips_alex"

// EnvWeights names the environment variable that points at the weights file.
const EnvWeights = "ERN_LPIPS_WEIGHTS"

// CacheName is the weights file's name in ern's cache folder (~/.cache/ern on Linux).
const CacheName = "lpips_alex.safetensors"

// ErrUnavailable is wrapped by every error that means "no LPIPS weights": callers report LPIPS as unavailable.
var ErrUnavailable = errors.New("LPIPS unavailable")

// featureIndex is torchvision's index of each convolution in alexnet().features.
var featureIndex = [5]int{0, 3, 6, 8, 10}

// Tensor names, the same in the PyTorch files and in ern's file (so a Python user recognises them).
func convName(i int, what string) string { return fmt.Sprintf("features.%d.%s", featureIndex[i], what) }
func linName(i int) string               { return fmt.Sprintf("lin%d.model.1.weight", i) }

type fileConfig struct {
	Net     string `json:"net"`
	Version string `json:"version"`
}

// File returns the weights as an ern model file: features.{0,3,6,8,10}.{weight,bias} in PyTorch's shapes
// ([Cout, Cin, K, K], [Cout]) and lin0..4.model.1.weight ([1, C, 1, 1]), all F32.
func (w *Weights) File() *model.File {
	cfg, _ := json.Marshal(fileConfig{Net: "alex", Version: "0.1"})
	f := &model.File{Kind: Kind, Config: cfg, Meta: map[string]string{}}
	for i, c := range w.Arch {
		f.Tensors = append(f.Tensors,
			model.F32Tensor(convName(i, "weight"), []int{c.Cout, c.Cin, c.K, c.K}, w.W[i]),
			model.F32Tensor(convName(i, "bias"), []int{c.Cout}, w.B[i]))
	}
	for i, c := range w.Arch {
		f.Tensors = append(f.Tensors, model.F32Tensor(linName(i), []int{1, c.Cout, 1, 1}, w.Lin[i]))
	}
	return f
}

// FromFile reads AlexNet LPIPS weights from an ern model file, checking the kind and every shape.
func FromFile(f *model.File) (*Weights, error) {
	if f.Kind != Kind {
		return nil, fmt.Errorf("lpips: the file holds a %q model, not LPIPS weights (%q)", f.Kind, Kind)
	}
	get := func(name string, shape []int) ([]float32, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("lpips: the weights file has no tensor %s", name)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("lpips: tensor %s has shape %v, want %v (AlexNet LPIPS v0.1)", name, t.Shape, shape)
		}
		return t.Float32()
	}
	return collect(get)
}

// collect assembles AlexNet weights from a lookup by name and expected shape.
func collect(get func(name string, shape []int) ([]float32, error)) (*Weights, error) {
	w := &Weights{Arch: AlexNet()}
	var err error
	for i, c := range w.Arch {
		if w.W[i], err = get(convName(i, "weight"), []int{c.Cout, c.Cin, c.K, c.K}); err != nil {
			return nil, err
		}
		if w.B[i], err = get(convName(i, "bias"), []int{c.Cout}); err != nil {
			return nil, err
		}
		if w.Lin[i], err = get(linName(i), []int{1, c.Cout, 1, 1}); err != nil {
			return nil, err
		}
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// Load reads an ern LPIPS weights file.
func Load(path string) (*Weights, error) {
	f, err := model.Read(path)
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	w, err := FromFile(f)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return w, nil
}

// Save writes w as an ern weights file (atomically).
func Save(path string, w *Weights) error {
	if err := w.Validate(); err != nil {
		return err
	}
	return model.Write(path, w.File())
}

// ConvertPyTorch reads torchvision's AlexNet state dict (alexnet-owt-7be5be79.pth: features.0/3/6/8/10 weight
// and bias; the classifier is ignored) and lpips' heads (weights/v0.1/alex.pth: lin0..lin4.model.1.weight,
// [1, C, 1, 1]), both PyTorch files (zip or legacy, read by engine/pth), and returns the checked weights.
func ConvertPyTorch(alexnetPath, linPath string) (*Weights, error) {
	trunk, err := pth.Load(alexnetPath)
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	lin, err := pth.Load(linPath)
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	return collect(func(name string, shape []int) ([]float32, error) {
		src, path, want := trunk, alexnetPath, "torchvision's alexnet-owt-7be5be79.pth"
		if strings.HasPrefix(name, "lin") {
			src, path, want = lin, linPath, "lpips' weights/v0.1/alex.pth"
		}
		t, ok := src.Tensors[name]
		if !ok {
			return nil, fmt.Errorf("lpips: %s has no tensor %s: is it %s?", path, name, want)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("lpips: %s: tensor %s has shape %v, want %v (AlexNet LPIPS v0.1)", path, name, t.Shape, shape)
		}
		if t.F32 == nil {
			return nil, fmt.Errorf("lpips: %s: tensor %s is %s, not floating point", path, name, t.DType)
		}
		return t.F32, nil
	})
}

// Convert is ConvertPyTorch followed by Save; the file's metadata records each source's name and SHA-256.
func Convert(alexnetPath, linPath, outPath string) (*Weights, error) {
	w, err := ConvertPyTorch(alexnetPath, linPath)
	if err != nil {
		return nil, err
	}
	f := w.File()
	for key, path := range map[string]string{"source_alexnet": alexnetPath, "source_lin": linPath} {
		sum, err := FileSHA256(path)
		if err != nil {
			return nil, err
		}
		f.Meta[key] = filepath.Base(path) + " sha256:" + sum
	}
	if dir := filepath.Dir(outPath); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
	}
	if err := model.Write(outPath, f); err != nil {
		return nil, err
	}
	return w, nil
}

// FileSHA256 is the hex SHA-256 of a file. torchvision names its weights by the first 8 hex digits of it
// (alexnet-owt-7be5be79.pth), which ernlpips checks.
func FileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("lpips: %w", err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("lpips: reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DefaultPath is the cache location ern looks in last: $XDG_CACHE_HOME/ern/lpips_alex.safetensors, usually
// ~/.cache/ern/lpips_alex.safetensors.
func DefaultPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("lpips: no cache folder: %w", err)
	}
	return filepath.Join(dir, "ern", CacheName), nil
}

// HowTo is the one-line instruction for making the weights file.
func HowTo(dest string) string {
	return "make it once from the Python lpips package's own files: pip install lpips torchvision; " +
		"python3 -c 'import lpips; lpips.LPIPS(net=\"alex\")' (downloads ~/.cache/torch/hub/checkpoints/alexnet-owt-7be5be79.pth); " +
		"then ernlpips -alexnet ~/.cache/torch/hub/checkpoints/alexnet-owt-7be5be79.pth " +
		"-lin \"$(python3 -c 'import lpips, os; print(os.path.join(os.path.dirname(lpips.__file__), \"weights/v0.1/alex.pth\"))')\" " +
		"-o " + dest
}

// Find locates the weights file: path (a flag) when given, else $ERN_LPIPS_WEIGHTS, else DefaultPath. A missing
// file yields an error wrapping ErrUnavailable that says how to make it.
func Find(path string) (string, error) {
	src := "the -lpips-weights flag"
	if path == "" {
		path, src = os.Getenv(EnvWeights), "$"+EnvWeights
	}
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return "", fmt.Errorf("%w: %v; set %s to a weights file", ErrUnavailable, err, EnvWeights)
		}
		path, src = p, "the cache"
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		where := path
		if src == "the cache" {
			where = path + " (no -lpips-weights flag, no $" + EnvWeights + ")"
		} else {
			where = path + " (from " + src + ")"
		}
		return "", fmt.Errorf("%w: no weights file at %s; %s", ErrUnavailable, where, HowTo(path))
	}
	return path, nil
}

// LoadFound is Find followed by Load.
func LoadFound(path string) (*Weights, error) {
	p, err := Find(path)
	if err != nil {
		return nil, err
	}
	return Load(p)
}

// Open finds and loads the weights (Find(path): flag, $ERN_LPIPS_WEIGHTS, the cache) and builds the network on d.
// Without weights the error wraps ErrUnavailable: report LPIPS as unavailable.
func Open(d *compute.Device, path string) (*Net, error) {
	w, err := LoadFound(path)
	if err != nil {
		return nil, err
	}
	return New(d, w)
}
