package encoding

import (
	"encoding/json"
	"testing"
)

// The per-level tables derived in spec §5.1 and §6.
func TestLayoutMatchesSpec(t *testing.T) {
	cases := []struct {
		name    string
		cfg     GridConfig
		res     []int
		entries []int
		rows    int
		params  int
		dense   int // levels indexed densely
	}{
		{"head", HeadPlaneConfig(),
			[]int{64, 78, 94, 113, 137, 165, 199, 241, 291, 351, 424, 512},
			[]int{4232, 6248, 9032, 13000, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384},
			163584, 163584, 4},
		{"torso", TorsoGridConfig(),
			[]int{16, 23, 31, 43, 59, 81, 112, 154, 213, 295, 407, 562, 777, 1073, 1483, 2048},
			[]int{296, 576, 1024, 1936, 3600, 6728, 12776, 24032, 45800, 65536, 65536, 65536, 65536, 65536, 65536, 65536},
			555520, 1111040, 9},
		{"tuned", TunedPlaneConfig(), // spec §12.4
			[]int{64, 78, 94, 113, 137, 165, 199, 241, 291, 351, 424, 512},
			[]int{4232, 6248, 9032, 13000, 19048, 27560, 40000, 58568, 65536, 65536, 65536, 65536},
			439832, 879664, 8},
	}
	for _, tc := range cases {
		lay, err := tc.cfg.Layout()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if lay.Rows != tc.rows || tc.cfg.ParamCount() != tc.params {
			t.Errorf("%s: rows %d params %d, want %d %d", tc.name, lay.Rows, tc.cfg.ParamCount(), tc.rows, tc.params)
		}
		dense := 0
		for l, lv := range lay.Levels {
			if tc.res != nil && (lv.Res != tc.res[l] || lv.Entries != tc.entries[l]) {
				t.Errorf("%s level %d: res %d entries %d, want %d %d", tc.name, l, lv.Res, lv.Entries, tc.res[l], tc.entries[l])
			}
			if lv.GridRes != uint32(lv.Res) {
				t.Errorf("%s level %d: kernel resolution %d differs from allocation %d", tc.name, l, lv.GridRes, lv.Res)
			}
			if lv.Dense {
				dense++
			}
		}
		if tc.dense >= 0 && dense != tc.dense {
			t.Errorf("%s: %d dense levels, want %d", tc.name, dense, tc.dense)
		}
	}
	odd, _ := testConfigs()["2d-hash-mod"].Layout()
	if lv := odd.Levels[3]; lv.Res != 54 || lv.GridRes != 55 || lv.Entries != 3032 || lv.Dense {
		t.Errorf("float32 resolution drift case: %+v", lv)
	}
	head, _ := HeadPlaneConfig().Layout()
	if s := head.Levels[11].Scale; s != 511 {
		t.Errorf("head level 11 scale %v, want exactly 511 (spec §7)", s)
	}
}

func TestLayoutRejectsBadConfigs(t *testing.T) {
	bad := []func(*GridConfig){
		func(c *GridConfig) { c.Dim = 4 },
		func(c *GridConfig) { c.Levels = 0 },
		func(c *GridConfig) { c.Features = 3 },
		func(c *GridConfig) { c.Log2Table = 30 },
		func(c *GridConfig) { c.BaseRes = 0 },
		func(c *GridConfig) { c.MaxRes = 8 },
		func(c *GridConfig) { c.MaxRes, c.PerLevelScale = 0, 0.5 },
		func(c *GridConfig) { c.Bound = -1 },
		func(c *GridConfig) { c.Mode = 7 },
	}
	for i, mut := range bad {
		c := HeadPlaneConfig()
		mut(&c)
		if _, err := c.Layout(); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
		if c.ParamCount() != 0 {
			t.Errorf("case %d: invalid config reports %d params", i, c.ParamCount())
		}
	}
}

func TestGridConfigJSON(t *testing.T) {
	in := TorsoGridConfig()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out GridConfig
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip %s gave %+v", b, out)
	}
	if err := json.Unmarshal([]byte(`{"mode":"dense"}`), &out); err == nil {
		t.Fatal("unknown mode accepted")
	}
}
