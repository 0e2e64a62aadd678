package encoding

import (
	"fmt"
	"math"
)

// Mode selects how a level too large for a dense table is indexed (spec §7).
type Mode int

const (
	// ModeHash XOR-hashes the corner coordinates with torch-ngp's primes once the dense stride exceeds T_l.
	ModeHash Mode = iota
	// ModeTiled never hashes: the dense index simply wraps modulo T_l.
	ModeTiled
)

// String names the mode as torch-ngp's gridtype does.
func (m Mode) String() string {
	switch m {
	case ModeHash:
		return "hash"
	case ModeTiled:
		return "tiled"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText writes the mode as "hash" or "tiled" (JSON configs).
func (m Mode) MarshalText() ([]byte, error) {
	if m != ModeHash && m != ModeTiled {
		return nil, fmt.Errorf("encoding: unknown grid mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads "hash" or "tiled".
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "hash":
		*m = ModeHash
	case "tiled":
		*m = ModeTiled
	default:
		return fmt.Errorf("encoding: unknown grid mode %q (want hash or tiled)", b)
	}
	return nil
}

// GridConfig describes one multiresolution grid (torch-ngp GridEncoder). Zero Bound means 1.
type GridConfig struct {
	Dim           int     `json:"dim"`             // input dimension D: 2 or 3
	Levels        int     `json:"levels"`          // L
	Features      int     `json:"features"`        // C per level: 1, 2, 4 or 8
	Log2Table     int     `json:"log2_table"`      // log2 of the maximum entries per level
	BaseRes       int     `json:"base_res"`        // resolution of level 0
	MaxRes        int     `json:"max_res"`         // desired finest resolution; overrides PerLevelScale when > 0
	PerLevelScale float64 `json:"per_level_scale"` // b, used when MaxRes is 0
	Bound         float64 `json:"bound"`           // inputs live in [−Bound, Bound]^D; 0 means 1
	Mode          Mode    `json:"mode"`            // hash or tiled
}

// HeadPlaneConfig is one of ER-NeRF's head tri-plane grids (spec §5.1): L 12, C 1, log2 T 14, 64 → 512, hash.
func HeadPlaneConfig() GridConfig {
	return GridConfig{Dim: 2, Levels: 12, Features: 1, Log2Table: 14, BaseRes: 64, MaxRes: 512, Bound: 1, Mode: ModeHash}
}

// TunedPlaneConfig is the fork's tuned head plane (spec §15): L 12, C 2, log2 T 16, 64 → 512, hash.
func TunedPlaneConfig() GridConfig {
	return GridConfig{Dim: 2, Levels: 12, Features: 2, Log2Table: 16, BaseRes: 64, MaxRes: 512, Bound: 1, Mode: ModeHash}
}

// TorsoGridConfig is the torso's tiled 2D grid (spec §6): L 16, C 2, log2 T 16, 16 → 2048, tiled.
func TorsoGridConfig() GridConfig {
	return GridConfig{Dim: 2, Levels: 16, Features: 2, Log2Table: 16, BaseRes: 16, MaxRes: 2048, Bound: 1, Mode: ModeTiled}
}

// Level is the resolved layout of one grid level. Scale and GridRes are what the kernel uses and are computed with
// torch-ngp's float32 formula: S = float32(log2 b), Scale = float32(2^(l·S))·BaseRes − 1, GridRes = ⌈Scale⌉ + 1.
type Level struct {
	Res     int     // ⌈BaseRes·b^l⌉, the allocation resolution
	Entries int     // T_l = min(2^Log2Table, (Res+1)^D) rounded up to a multiple of 8
	Offset  int     // first row of the level inside one plane's table
	Scale   float32 // scale_l
	GridRes uint32  // R_l
	Dense   bool    // every corner indexes densely (no hash, no wrap)
}

// Layout is a validated GridConfig with its per-level tables.
type Layout struct {
	Config GridConfig
	Levels []Level
	Rows   int     // Σ_l T_l, rows of one plane's table
	Inv2B  float32 // float32(1/(2·Bound)), the input scale u = (x + Bound)·Inv2B
}

// PlaneParams is the float count of one plane's table (Rows·C).
func (lay *Layout) PlaneParams() int { return lay.Rows * lay.Config.Features }

// bound returns the effective bound (0 means 1).
func (c GridConfig) bound() float64 {
	if c.Bound == 0 {
		return 1
	}
	return c.Bound
}

// scaleFactor returns b: 2^(log2(MaxRes/BaseRes)/(L−1)) when MaxRes is set, else PerLevelScale.
func (c GridConfig) scaleFactor() float64 {
	if c.MaxRes > 0 {
		if c.Levels == 1 {
			return 1
		}
		return math.Exp2(math.Log2(float64(c.MaxRes)/float64(c.BaseRes)) / float64(c.Levels-1))
	}
	return c.PerLevelScale
}

// Layout validates the config and resolves its levels (spec §7, allocation).
func (c GridConfig) Layout() (*Layout, error) {
	switch {
	case c.Dim != 2 && c.Dim != 3:
		return nil, fmt.Errorf("encoding: grid dim %d unsupported (want 2 or 3)", c.Dim)
	case c.Levels < 1 || c.Levels > 32:
		return nil, fmt.Errorf("encoding: grid levels %d out of range [1, 32]", c.Levels)
	case c.Features != 1 && c.Features != 2 && c.Features != 4 && c.Features != 8:
		return nil, fmt.Errorf("encoding: grid features %d unsupported (want 1, 2, 4 or 8)", c.Features)
	case c.Log2Table < 3 || c.Log2Table > 24:
		return nil, fmt.Errorf("encoding: grid log2 table size %d out of range [3, 24]", c.Log2Table)
	case c.BaseRes < 1:
		return nil, fmt.Errorf("encoding: grid base resolution %d must be positive", c.BaseRes)
	case c.MaxRes > 0 && c.MaxRes < c.BaseRes:
		return nil, fmt.Errorf("encoding: grid max resolution %d below base %d", c.MaxRes, c.BaseRes)
	case c.MaxRes <= 0 && !(c.PerLevelScale >= 1):
		return nil, fmt.Errorf("encoding: grid needs MaxRes or a per-level scale ≥ 1 (got %g)", c.PerLevelScale)
	case c.Bound < 0 || math.IsNaN(c.Bound) || math.IsInf(c.Bound, 0):
		return nil, fmt.Errorf("encoding: grid bound %g must be positive", c.Bound)
	case c.Mode != ModeHash && c.Mode != ModeTiled:
		return nil, fmt.Errorf("encoding: unknown grid mode %d", int(c.Mode))
	}
	b := c.scaleFactor()
	s := float32(math.Log2(b))
	maxEntries := 1 << c.Log2Table
	lay := &Layout{Config: c, Levels: make([]Level, c.Levels), Inv2B: float32(1 / (2 * c.bound()))}
	for l := range lay.Levels {
		res := int(math.Ceil(float64(c.BaseRes) * math.Pow(b, float64(l))))
		entries := maxEntries
		if dense := math.Pow(float64(res+1), float64(c.Dim)); dense < float64(maxEntries) {
			entries = int(dense)
		}
		entries = (entries + 7) / 8 * 8
		scale := float32(float32(math.Exp2(float64(float32(float32(l)*s))))*float32(c.BaseRes)) - 1
		if !(scale > 0) || scale > 1<<20 {
			return nil, fmt.Errorf("encoding: grid level %d scale %g out of range", l, scale)
		}
		gridRes := uint32(math.Ceil(float64(scale))) + 1
		// The kernel's stride loop runs in uint32: reject layouts whose stride could wrap.
		stride := uint64(1)
		for d := 0; d < c.Dim && stride <= uint64(entries); d++ {
			stride *= uint64(gridRes) + 1
		}
		if stride > math.MaxUint32 {
			return nil, fmt.Errorf("encoding: grid level %d stride %d overflows uint32", l, stride)
		}
		lay.Levels[l] = Level{Res: res, Entries: entries, Offset: lay.Rows, Scale: scale, GridRes: gridRes,
			Dense: stride <= uint64(entries)}
		lay.Rows += entries
	}
	if lay.Rows*c.Features*3 >= 1<<31 {
		return nil, fmt.Errorf("encoding: grid table of %d rows too large", lay.Rows)
	}
	return lay, nil
}

// ParamCount is the float count of one grid's table (Σ_l T_l · C), or 0 for an invalid config.
func (c GridConfig) ParamCount() int {
	lay, err := c.Layout()
	if err != nil {
		return 0
	}
	return lay.PlaneParams()
}

// OutDim is the per-point output width of one grid, L·C.
func (c GridConfig) OutDim() int { return c.Levels * c.Features }
