package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"ern/engine/audio"
)

// loadFeatures reads the audio feature file name inside the directory through audio.LoadNPY (which checks the
// [N, T, C] shape against the known extractors) and checks it has enough rows for every aud_id up to maxAud; one
// short is allowed, since upstream clamps the last frame to row N−1.
func (d *Dataset) loadFeatures(name string, maxAud int, ps *problems) {
	if name == NoFeatures {
		return
	}
	path := filepath.Join(d.Dir, name)
	feat, err := audio.LoadNPY(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && name == audio.DeepSpeech.FileName():
		ps.add(KindMissing, path, "audio features (ER-NeRF's loader reads aud_ds.npy for DeepSpeech: copy aud.npy to it)")
		return
	case errors.Is(err, os.ErrNotExist):
		ps.add(KindMissing, path, "audio features")
		return
	case err != nil:
		ps.add(KindFeatures, path, "%s", unwrapPath(errors.New(strings.TrimPrefix(err.Error(), "audio: ")), path))
		return
	}
	if feat.Frames < maxAud {
		ps.add(KindFeatures, path, "%d rows but aud_id reaches %d: the features cover %.1f s of a %.1f s video",
			feat.Frames, maxAud, float64(feat.Frames)/25, float64(maxAud+1)/25)
	}
	d.FeaturePath, d.FeatureRows, d.features = path, feat.Frames, feat
}

// BuiltInKind is the built-in feature kind to read from the dataset in dir when kind is asked for: a folder ern
// wrote before the 32-band change has only the legacy aud_mel.npy (BuiltIn40), which is read instead of a missing
// or foreign (no aud.json sidecar) aud.npy; every other case returns kind unchanged.
func BuiltInKind(dir string, kind audio.Kind) audio.Kind {
	if kind != audio.BuiltIn {
		return kind
	}
	if _, err := os.Stat(audio.SidecarPath(filepath.Join(dir, audio.BuiltIn.FileName()))); err == nil {
		return kind
	}
	if _, err := os.Stat(filepath.Join(dir, audio.BuiltIn40.FileName())); err == nil {
		return audio.BuiltIn40
	}
	return kind
}
