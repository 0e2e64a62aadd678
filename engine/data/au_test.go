package data

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEyeFeature(t *testing.T) {
	for in, want := range map[float64]float64{-0.3: 0, 0: 0, 0.5: 0.25, 2: 1, 4.7: 1} {
		if got := EyeFeature(in); got != want {
			t.Errorf("EyeFeature(%g) = %g, want %g", in, got, want)
		}
	}
}

func TestAUFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), AUFile)
	vals := []float64{0, 0.17, 1.0 / 3, 4.99}
	if err := WriteAU(path, vals); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAU(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(vals) {
		t.Fatalf("read %v, wrote %v", got, vals)
	}
	for i := range vals {
		if got[i] != vals[i] {
			t.Fatalf("read %v, wrote %v", got, vals)
		}
	}
}

func TestParseAU(t *testing.T) {
	const head = "frame, face_id, AU26_r, AU45_r, AU45_c\n"
	cases := map[string]struct {
		text string
		want []float64
		err  string
	}{
		"OpenFace spacing":   {head + "1, 0, 0.5, 0.17, 0\n2, 0, 0.1, 1.20, 1\n", []float64{0.17, 1.2}, ""},
		"header sans space":  {"frame,AU45_r\n1,0.3\n", []float64{0.3}, ""},
		"exact name wins":    {"AU45_r, AU45_r\n1, 2\n", []float64{2}, ""},
		"no rows":            {head, nil, ""},
		"no AU45_r":          {"frame, AU26_r\n1, 0\n", nil, `no " AU45_r" column`},
		"empty":              {"", nil, "empty file"},
		"empty value (NaN)":  {head + "1, 0, 0.5, , 0\n", nil, `line 2:  AU45_r = " " is not a finite number`},
		"short row":          {head + "1, 0, 0.5, 0.2, 0\n2, 0\n", nil, "line 3: 2 fields"},
		"nan written as nan": {head + "1, 0, 0.5, nan, 0\n", nil, "not a finite number"},
	}
	for name, c := range cases {
		got, err := ParseAU(strings.NewReader(c.text))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", name, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%s: %v, %v; want %v", name, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", name, got, c.want)
			}
		}
	}
}
