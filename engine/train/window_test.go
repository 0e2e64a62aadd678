package train

import (
	"testing"

	"ern/engine/audio"
)

// TestAttentionWindow pins the window rows (k−4 … k+3 for att 2, k−8 … k−1 for att 1), the zero padding at both
// ends and the channels-first transpose.
func TestAttentionWindow(t *testing.T) {
	const N, T, C = 10, 16, 3
	f := &audio.Features{Frames: N, Window: T, Dim: C, Data: make([]float32, N*T*C)}
	for r := range N {
		for tt := range T {
			for c := range C {
				f.Data[(r*T+tt)*C+c] = float32(1000*(r+1) + 10*tt + c)
			}
		}
	}
	for _, tc := range []struct{ k, att, first int }{{0, 2, -4}, {5, 2, 1}, {9, 2, 5}, {3, 1, -5}} {
		w, err := AttentionWindow(f, tc.k, tc.att, 8)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 8 {
			r := tc.first + j
			for c := range C {
				for tt := range T {
					got := w[(j*C+c)*T+tt]
					want := float32(0)
					if r >= 0 && r < N {
						want = float32(1000*(r+1) + 10*tt + c)
					}
					if got != want {
						t.Fatalf("k %d att %d: window %d [c %d, t %d] = %g, want %g", tc.k, tc.att, j, c, tt, got, want)
					}
				}
			}
		}
	}
	if w, _ := AttentionWindow(f, 4, 0, 8); len(w) != C*T || w[0] != 5000 {
		t.Fatalf("att 0: %d values starting %g, want one window of row 4", len(w), w[0])
	}
}
