package audio

import (
	"math/rand/v2"
	"testing"
)

// TestExtractorMatchesExtract: for both built-in kinds, random block sizes (including empty and single-sample
// blocks) and several signal lengths (ties and lengths shorter than a window among them), the streamed rows equal
// ExtractKind's bit for bit, and a flushed Extractor is reusable and keeps its kind.
func TestExtractorMatchesExtract(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, kind := range []Kind{0, BuiltIn40} {
		e := Extractor{Kind: kind}
		want := BuiltIn
		if kind != 0 {
			want = kind
		}
		if e.Dim() != want.MelBands() {
			t.Errorf("Extractor{Kind: %v}.Dim() = %d", kind, e.Dim())
		}
		for _, n := range []int{161, 2439, 17440, 16000*2 + 123, 16000 * 3} {
			x := noise(uint64(n), n, 0.1)
			ref := Must(ExtractKind(want, x))
			var got []float32
			for i := 0; i < n; {
				m := min(n-i, []int{0, 1, 7, 320, 999, 5000}[rng.IntN(6)])
				got = append(got, e.Push(x[i:i+m])...)
				i += m
			}
			got = append(got, e.Flush()...)
			if !slicesEqual(got, ref.Data) {
				t.Fatalf("%v, %d samples: streamed %d values, Extract %d (or values differ)", want, n, len(got), len(ref.Data))
			}
		}
		if rows := e.Flush(); len(rows) != 0 || e.Rows() != 0 || e.Kind != kind {
			t.Errorf("Flush of an empty Extractor returned %d values (kind %v)", len(rows), e.Kind)
		}
	}
}

// TestExtractorLatency: row k comes out exactly when 640·k + Lookahead samples are known, not one sample later.
func TestExtractorLatency(t *testing.T) {
	x := noise(23, 16000*2, 0.1)
	var e Extractor
	pushed := 0
	for k := range 20 {
		need := 640*k + Lookahead
		e.Push(x[pushed : need-1])
		if e.Rows() != k {
			t.Fatalf("with %d samples: %d rows, want %d", need-1, e.Rows(), k)
		}
		e.Push(x[need-1 : need])
		pushed = need
		if e.Rows() != k+1 {
			t.Fatalf("with %d samples: %d rows, want %d", need, e.Rows(), k+1)
		}
	}
}
