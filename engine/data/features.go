package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sbinet/npyio"
)

// Features is what a split needs from an audio feature array: its shape [N, T, C] (rows, window taps,
// channels), e.g. [N, 16, 29] for DeepSpeech or [N, 2, 1024] for HuBERT.
type Features interface {
	Shape() []int
}

// npyShape is the shape of a .npy file, read from its header only.
type npyShape []int

func (s npyShape) Shape() []int { return s }

func loadNPYShape(path string) (Features, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return npyShape(r.Header.Descr.Shape), nil
}

// loadFeatures reads the feature file name inside the directory and checks it has rank 3 and enough rows for
// every aud_id up to maxAud (one short is allowed: upstream clamps the last frame to row N−1).
func (d *Dataset) loadFeatures(name string, maxAud int, ps *problems) {
	if name == NoFeatures {
		return
	}
	path := filepath.Join(d.Dir, name)
	feat, err := loadNPYShape(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ps.add(KindMissing, path, "audio features (ER-NeRF's loader reads aud_ds.npy for DeepSpeech: copy aud.npy to it)")
		return
	case err != nil:
		ps.add(KindFeatures, path, "%v", unwrapPath(err, path))
		return
	}
	shape := feat.Shape()
	if len(shape) != 3 {
		ps.add(KindFeatures, path, "shape %v, want [N, T, C] (e.g. [N, 16, 29] DeepSpeech, [N, 2, 1024] HuBERT)", shape)
		return
	}
	if shape[0] < max(maxAud, 1) {
		ps.add(KindFeatures, path, "%d rows but aud_id reaches %d: the features cover %.1f s of a %.1f s video",
			shape[0], maxAud, float64(shape[0])/25, float64(maxAud+1)/25)
	}
	d.FeaturePath, d.FeatureRows, d.features = path, shape[0], feat
}
