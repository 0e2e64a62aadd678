package model

import (
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
