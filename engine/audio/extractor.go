package audio

import "fmt"

// Lookahead is how many 16 kHz samples past a row's centre (row k is centred on sample 640·k, t = k/25 s) an
// Extractor must have received before it can emit the row: the row's last frame is 2k+7, centred 7·320 samples
// later, and its window reaches 200 samples further — 2440 samples, 152.5 ms.
const Lookahead = (Window-WindowPad-1)*Hop + melWindow/2

// Extractor computes built-in features incrementally from 16 kHz mono samples as they arrive (a live stream):
// the rows it returns, concatenated, equal ExtractKind(Kind, ·)'s rows of the concatenated input bit for bit. Row
// k is returned by the first Push after 640·k + Lookahead samples are known; Flush returns the rest at the end.
type Extractor struct {
	// Kind is the built-in kind computed: BuiltIn (the zero value means BuiltIn) or BuiltIn40. Set it before the
	// first Push.
	Kind Kind

	x      []float32 // samples from absolute index x0 on
	x0     int
	total  int       // samples received
	mel    []float32 // log-mel frames from index j0 on
	j0     int
	frames int // 50 Hz frames computed so far
	rows   int // rows returned so far
}

// Rows is how many rows the Extractor has returned since it was created or last flushed.
func (e *Extractor) Rows() int { return e.rows }

// Dim is the values per feature frame (mel bands) of the Extractor's kind: a row holds Window·Dim values.
func (e *Extractor) Dim() int {
	if e.Kind == 0 {
		return BuiltInDim
	}
	if d := e.Kind.MelBands(); d > 0 {
		return d
	}
	panic(fmt.Sprintf("audio.Extractor: kind %v is not built in", e.Kind))
}

// Push adds samples and returns the rows that became final, row-major [m, Window, Dim()] (m may be 0).
func (e *Extractor) Push(x []float32) []float32 {
	e.x = append(e.x, x...)
	e.total += len(x)
	// Frame j is final once its window [320j−200, 320j+200) is known; such frames are always below the final n50.
	ready := 0
	if e.total >= melWindow/2 {
		ready = (e.total-melWindow/2)/Hop + 1
	}
	e.compute(ready)
	// Row k reads frames up to 2k+7.
	rows := 0
	if ready >= Window-WindowPad {
		rows = (ready-(Window-WindowPad))/2 + 1
	}
	out := e.cut(rows, ready)
	e.trim()
	return out
}

// Flush ends the input and returns the remaining rows, so that the total is FramesFor(samples received); the
// Extractor is then empty and can be reused.
func (e *Extractor) Flush() []float32 {
	n50 := frames50(e.total)
	e.compute(n50)
	out := e.cut(FramesFor(e.total), n50)
	*e = Extractor{Kind: e.Kind, x: e.x[:0], mel: e.mel[:0]}
	return out
}

// compute appends log-mel frames e.frames … upTo−1.
func (e *Extractor) compute(upTo int) {
	if upTo <= e.frames {
		return
	}
	have := len(e.mel)
	d := e.Dim()
	e.mel = append(e.mel, make([]float32, (upTo-e.frames)*d)...)
	logMel(e.mel[have:], d, e.x, e.x0, e.frames, upTo)
	e.frames = upTo
}

// cut returns rows e.rows … upTo−1, treating frames at or past n50 as zero padding.
func (e *Extractor) cut(upTo, n50 int) []float32 {
	if upTo <= e.rows {
		return nil
	}
	d := e.Dim()
	out := make([]float32, (upTo-e.rows)*Window*d)
	cutRows(out, d, e.mel, e.rows, e.j0, n50)
	e.rows = upTo
	return out
}

// trim drops frames no future row reads and samples no future frame reads, once they are half the buffer.
func (e *Extractor) trim() {
	d := e.Dim()
	if j := max(0, 2*e.rows-WindowPad); j-e.j0 > len(e.mel)/d/2 {
		e.mel = e.mel[:copy(e.mel, e.mel[(j-e.j0)*d:])]
		e.j0 = j
	}
	if s := max(0, e.frames*Hop-melWindow/2); s-e.x0 > len(e.x)/2 {
		e.x = e.x[:copy(e.x, e.x[s-e.x0:])]
		e.x0 = s
	}
}
