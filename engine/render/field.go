package render

import "ern/compute"

// FieldBatch names the buffers of one field evaluation over N sample slots: inputs Pos and Dir [N, 3] f32 (unit
// world directions), outputs Sigma [N], RGB [N, 3] and Extra [N, E] f32 (Extra is nil when the field has no
// extras). When Count is not nil it is a [1] u32 buffer on the device: only slots below Count[0] are live (the
// training march fills a prefix of its budget), and a field may skip the rest.
type FieldBatch struct {
	Pos, Dir, Sigma, RGB, Extra *compute.Buffer
	N                           int
	Count                       *compute.Buffer
}

// Field is the head radiance field as the renderer sees it. Implementations append their kernels to the caller's
// recorder (so march, field and composite share one submission) and must not submit it.
type Field interface {
	// Extras describes the per-sample extra scalars Record writes.
	Extras() ExtraSpec
	// Record appends the kernels that fill b.Sigma, b.RGB and b.Extra from b.Pos and b.Dir.
	Record(r *compute.Recorder, b FieldBatch) error
	// RecordDensity appends kernels that write σ [n] for positions pos [n, 3] (the occupancy update).
	RecordDensity(r *compute.Recorder, pos, sigma *compute.Buffer, n int) error
}

// Field2D is the torso field as its occupancy grid sees it: alpha [n] at 2D points pts [n, 2].
type Field2D interface {
	RecordAlpha(r *compute.Recorder, pts, alpha *compute.Buffer, n int) error
}
