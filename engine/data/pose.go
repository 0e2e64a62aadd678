package data

import "math"

// Mat4 is a row-major 4×4 matrix: m[row][col].
type Mat4 [4][4]float64

// DefaultScale is ER-NeRF's --scale: tracker translations (about metres) are multiplied by it on loading, so one
// renderer unit is about 0.25 m.
const DefaultScale = 4

// ConvertPose maps a transforms-json camera-to-world matrix M (tracker frame: world x right, y up, z toward the
// camera; OpenGL camera looking down its −Z with +Y up) to the renderer frame P (spec §2), with scale s and
// offset o:
//
//	P row 0 = ( M10, −M11, −M12, s·M13 + o0 )
//	P row 1 = ( M20, −M21, −M22, s·M23 + o1 )
//	P row 2 = ( M00, −M01, −M02, s·M03 + o2 )
//	P row 3 = ( 0,    0,    0,   1 )
//
// The rows cyclically permute the world axes (renderer x = tracker y, up; renderer y = tracker z, depth; renderer
// z = tracker x) and the negated columns 1 and 2 turn the camera into an OpenCV one (+Z forward, +Y down).
func ConvertPose(m Mat4, scale float64, offset [3]float64) Mat4 {
	var p Mat4
	for r, src := range [3]int{1, 2, 0} {
		p[r][0] = m[src][0]
		p[r][1] = -m[src][1]
		p[r][2] = -m[src][2]
		p[r][3] = scale*m[src][3] + offset[r]
	}
	p[3] = [4]float64{0, 0, 0, 1}
	return p
}

// TrackerPose is the inverse of ConvertPose: it maps a renderer-frame camera-to-world matrix P back to the
// transforms-json convention, M row k = ( P[r][0], −P[r][1], −P[r][2], (P[r][3] − o_r)/s ) with r = (k+2) mod 3.
// The synthetic-portrait generator places cameras in the renderer frame and writes them with this.
func TrackerPose(p Mat4, scale float64, offset [3]float64) Mat4 {
	var m Mat4
	for r, dst := range [3]int{1, 2, 0} {
		m[dst][0] = p[r][0]
		m[dst][1] = -p[r][1]
		m[dst][2] = -p[r][2]
		m[dst][3] = (p[r][3] - offset[r]) / scale
	}
	m[3] = [4]float64{0, 0, 0, 1}
	return m
}

// Translation returns the last column's first three entries (the camera centre of a camera-to-world matrix).
func (m *Mat4) Translation() [3]float64 {
	return [3]float64{m[0][3], m[1][3], m[2][3]}
}

// OrthonormalError is max |(RᵀR − I)ᵢⱼ| over the upper-left 3×3 block R, plus |det R − 1|, so it is ~0 only for a
// proper rotation (a reflection has det −1).
func (m *Mat4) OrthonormalError() float64 {
	worst := 0.0
	for i := range 3 {
		for j := range 3 {
			dot := m[0][i]*m[0][j] + m[1][i]*m[1][j] + m[2][i]*m[2][j]
			if i == j {
				dot--
			}
			worst = math.Max(worst, math.Abs(dot))
		}
	}
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	return worst + math.Abs(det-1)
}

// Float32 returns the matrix row-major as float32, the layout GPU buffers take.
func (m *Mat4) Float32() [16]float32 {
	var f [16]float32
	for r := range 4 {
		for c := range 4 {
			f[4*r+c] = float32(m[r][c])
		}
	}
	return f
}
