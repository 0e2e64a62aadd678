package model

import (
	"fmt"
	"testing"
)

// TestParamCounts pins the head's parameter totals to spec §15.
func TestParamCounts(t *testing.T) {
	for _, tc := range []struct {
		preset, features string
		want             int
	}{
		{"ernerf", "deepspeech", 587989}, {"ernerf", "esperanto", 589429}, {"ernerf", "hubert", 683509},
		{"tuned", "deepspeech", 2742565},
	} {
		c, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Head.SetFeatures(tc.features); err != nil {
			t.Fatal(err)
		}
		l, err := HeadLayout(c.Head)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Params(); got != tc.want {
			t.Errorf("%s/%s: %d parameters, spec §15 says %d", tc.preset, tc.features, got, tc.want)
		}
	}
}

// TestModuleCounts pins the per-module counts of the ernerf preset (spec §15's table).
func TestModuleCounts(t *testing.T) {
	c, _ := Preset("ernerf")
	l, err := HeadLayout(c.Head)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"audio_net": 30720, "audio_att_net": 2149, "encoder": 490752, "sigma_net": 12672,
		"color_net": 5568, "unc_net": 1184, "aud_ch_att_net": 4352, "eye_att_net": 592, "individual_codes": 40000}
	for _, m := range l.Modules {
		if m.Off%SegmentAlign != 0 {
			t.Errorf("%s at %d not aligned", m.Name, m.Off)
		}
		if want[m.Name] != m.Count {
			t.Errorf("%s: %d parameters, want %d", m.Name, m.Count, want[m.Name])
		}
	}
	groups := l.Groups(c.Train, nil)
	byName := map[string]float64{}
	for _, g := range groups {
		byName[g.Name] = g.LR
		if g.Name == "audio_att_net" && (g.LR != 5e-3 || g.WeightDecay != 1e-4) {
			t.Errorf("audio_att_net group %+v, want lr 5e-3 wd 1e-4", g)
		}
		if g.Name == "encoder_yz" && (g.LR != 1e-2 || g.WeightDecay != 0.01) {
			t.Errorf("encoder_yz group %+v, want lr 1e-2 wd 0.01", g)
		}
		if g.Name == "sigma_net" && (g.LR != 1e-3 || g.WeightDecay != 0) {
			t.Errorf("sigma_net group %+v, want lr 1e-3 wd 0", g)
		}
	}
	if len(groups) != 11 {
		t.Errorf("%d groups, ER-NeRF's head has 11 (spec §11)", len(groups))
	}
}

func TestPresetsValidate(t *testing.T) {
	for _, p := range Presets() {
		if _, err := Preset(p); err != nil {
			t.Errorf("preset %s: %v", p, err)
		}
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestBuiltinFeaturesFitERNeRF: ern's built-in features are what ER-NeRF's own code trains on for an --asr_model
// it does not know (spec §3, §4, §5.2): the file aud.npy, rows [16, 32], an AudioNet of 32 input channels — the
// same as its wav2vec ("other") features — so the ernerf head on them has 29→32 more AudioNet inputs than on
// DeepSpeech: 587,989 + 3·32·3 = 588,277 parameters [derived]. The legacy builtin40 stays 40 wide in aud_mel.npy.
func TestBuiltinFeaturesFitERNeRF(t *testing.T) {
	const erNeRFOtherDim = 32 // AudioNet(32, …) for an asr_model without deepspeech/esperanto/hubert in its name
	for _, name := range []string{"builtin", "ern", "wav2vec"} {
		d, w, err := AudioFeatureDim(name)
		k, _ := FeatureKind(name)
		if err != nil || d != erNeRFOtherDim || w != 16 || k.FileName() != "aud.npy" {
			t.Errorf("%s: [%d, %d] in %s (%v), ER-NeRF reads [16, %d] from aud.npy", name, w, d, k.FileName(), err, erNeRFOtherDim)
		}
	}
	if d, w, _ := AudioFeatureDim("builtin40"); d != 40 || w != 16 {
		t.Errorf("builtin40: [%d, %d]", w, d)
	}
	c, _ := Preset("ernerf")
	if err := c.Head.SetFeatures("builtin"); err != nil {
		t.Fatal(err)
	}
	l, err := HeadLayout(c.Head)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Params(); got != 588277 {
		t.Errorf("ernerf/builtin: %d parameters, want 588277", got)
	}
	found := false
	for _, tn := range l.Tensors() {
		if tn.Name == "audio_net.encoder_conv.0.weight" {
			found = true
			if fmt.Sprint(tn.Shape) != "[32 32 3]" {
				t.Errorf("%s %v, ER-NeRF's AudioNet(32) has [32 32 3]", tn.Name, tn.Shape)
			}
		}
	}
	if !found {
		t.Error("no audio_net.encoder_conv.0.weight in the layout")
	}
}
