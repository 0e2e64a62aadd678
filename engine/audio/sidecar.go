package audio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// SidecarExtractor is the extractor name in the sidecar of ern's built-in features.
const SidecarExtractor = "ern-logmel"

// Sidecar is the small JSON file WriteNPY puts beside ern's built-in features (aud.json beside aud.npy): it names
// the extractor and every parameter of the recipe (features.go), so that ern knows the array holds features it can
// recompute from any WAV — ER-NeRF's wav2vec features have the same file name and shape — and so that a reader can
// tell which recipe wrote them. ER-NeRF ignores the file.
type Sidecar struct {
	Extractor  string  `json:"extractor"`   // SidecarExtractor
	Kind       string  `json:"kind"`        // builtin (32 bands) or builtin40
	Bands      int     `json:"bands"`       // mel bands = the array's last dimension
	Window     int     `json:"window"`      // 50 Hz frames per row (16), frame 2k−8+w in slot w of row k
	SampleRate int     `json:"sample_rate"` // Hz (16000)
	Hop        int     `json:"hop"`         // samples between frames (320, 20 ms)
	WinLength  int     `json:"win_length"`  // periodic Hann window, samples (400)
	FFT        int     `json:"n_fft"`       // FFT size (512)
	FMin       float64 `json:"fmin"`        // Hz, lowest filter edge (HTK mel scale)
	FMax       float64 `json:"fmax"`        // Hz, highest filter edge
	Value      string  `json:"value"`       // the per-band value
}

// sidecarFor is the sidecar of a built-in kind's features as this ern computes them.
func sidecarFor(k Kind) Sidecar {
	return Sidecar{Extractor: SidecarExtractor, Kind: k.String(), Bands: k.MelBands(), Window: Window,
		SampleRate: SampleRate, Hop: Hop, WinLength: melWindow, FFT: melFFT, FMin: melFMin, FMax: melFMax,
		Value: "(10*log10(P+1e-8)+80)/40, P = unit-sum triangular mel filter over |FFT|^2/sum(w^2)"}
}

// SidecarPath is the sidecar of a feature file: its name with .json for .npy (aud.npy → aud.json).
func SidecarPath(npyPath string) string { return strings.TrimSuffix(npyPath, ".npy") + ".json" }

// ReadSidecar reads the sidecar of the feature file at npyPath; nil without error when there is none.
func ReadSidecar(npyPath string) (*Sidecar, error) {
	p := SidecarPath(npyPath)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	var s Sidecar
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("audio: %s (the sidecar of %s) is not valid JSON: %v", p, npyPath, err)
	}
	return &s, nil
}

// kindFor checks the sidecar against the array shape and this ern's recipe and returns the built-in kind.
func (s *Sidecar) kindFor(npyPath string, shape [3]int) (Kind, error) {
	p := SidecarPath(npyPath)
	if s.Extractor != SidecarExtractor {
		return 0, fmt.Errorf("audio: %s names extractor %q; ern knows only its own, %q (remove the file if %s holds external features)",
			p, s.Extractor, SidecarExtractor, npyPath)
	}
	var k Kind
	for _, c := range []Kind{BuiltIn, BuiltIn40} {
		if c.MelBands() == s.Bands {
			k = c
		}
	}
	if k == 0 {
		return 0, fmt.Errorf("audio: %s: %d mel bands; ern computes %d (builtin) or %d (builtin40)", p, s.Bands, BuiltInDim, LegacyBuiltInDim)
	}
	if want := sidecarFor(k); *s != want {
		return 0, fmt.Errorf("audio: %s describes log-mel features %+v; this ern computes %+v", p, *s, want)
	}
	if shape[1] != Window || shape[2] != s.Bands {
		return 0, fmt.Errorf("audio: %s: array shape %v, but its sidecar %s says [N,%d,%d]", npyPath, shape, p, Window, s.Bands)
	}
	return k, nil
}

// writeSidecar writes the sidecar of kind's features beside npyPath.
func writeSidecar(npyPath string, k Kind) error {
	b, err := json.MarshalIndent(sidecarFor(k), "", "  ")
	if err != nil {
		return fmt.Errorf("audio: %w", err)
	}
	return writeFile(SidecarPath(npyPath), append(b, '\n'))
}

// removeSidecar removes an ern sidecar beside npyPath (left by built-in features the file no longer holds); a
// file of that name that is not an ern sidecar stays.
func removeSidecar(npyPath string) error {
	s, err := ReadSidecar(npyPath)
	if err != nil || s == nil || s.Extractor != SidecarExtractor {
		return nil
	}
	if err := os.Remove(SidecarPath(npyPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("audio: %w", err)
	}
	return nil
}
