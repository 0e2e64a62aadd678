package synth

import "math/rand/v2"

// Look is the fixed appearance of one synthetic person: albedos in sRGB [0,1] and small proportion changes, all
// drawn from a seed so that a seed names a person.
type Look struct {
	Skin, Hair, Iris, Lip, Shirt [3]float64
	Wall, WallGlow               [3]float64 // background base colour and the colour of its soft light patch
	FaceWidth                    float64    // multiplies the head's x radii, around 1
	Seed                         uint64     // texture noise seed
}

// NewLook draws a person from seed: one of a few skin tones with jitter, a natural hair colour, iris, lip tint,
// a shirt and a muted wall colour. The same seed always yields the same Look.
func NewLook(seed uint64) Look {
	rng := rand.New(rand.NewPCG(seed, 0x5EED_0F_FACE))
	pick := func(c [][3]float64) [3]float64 {
		v := c[rng.IntN(len(c))]
		for i := range v {
			v[i] = clamp(v[i]+(rng.Float64()-0.5)*0.04, 0, 1)
		}
		return v
	}
	skin := pick([][3]float64{
		{0.93, 0.76, 0.65}, {0.87, 0.67, 0.54}, {0.78, 0.57, 0.43}, {0.62, 0.43, 0.31}, {0.45, 0.30, 0.21},
	})
	lip := [3]float64{skin[0]*0.82 + 0.08, skin[1] * 0.55, skin[2] * 0.58}
	return Look{
		Skin: skin,
		Hair: pick([][3]float64{
			{0.10, 0.07, 0.05}, {0.22, 0.14, 0.08}, {0.36, 0.23, 0.13}, {0.55, 0.40, 0.22}, {0.06, 0.05, 0.05},
		}),
		Iris: pick([][3]float64{{0.33, 0.20, 0.11}, {0.20, 0.33, 0.45}, {0.30, 0.36, 0.20}, {0.18, 0.11, 0.07}}),
		Lip:  lip,
		Shirt: pick([][3]float64{
			{0.16, 0.22, 0.36}, {0.55, 0.12, 0.14}, {0.20, 0.36, 0.30}, {0.62, 0.6, 0.56}, {0.25, 0.25, 0.28},
		}),
		Wall:      pick([][3]float64{{0.55, 0.60, 0.66}, {0.62, 0.58, 0.52}, {0.48, 0.55, 0.52}, {0.66, 0.64, 0.62}}),
		WallGlow:  pick([][3]float64{{0.95, 0.90, 0.80}, {0.80, 0.88, 0.95}}),
		FaceWidth: 0.96 + rng.Float64()*0.08,
		Seed:      seed*0x9E3779B97F4A7C15 + 1,
	}
}

// Expression is the per-frame state of the person: what the audio and the blink schedule drive, and the head pose.
type Expression struct {
	Open  float64 // lip opening in [0, 1]; the inner-lip gap is Open·MaxLipGap
	Width float64 // mouth width factor, about 0.85 (rounded "oo") to 1.15 (spread "ee")
	Blink float64 // eyelid closure in [0, 1]: 0 open, 1 closed
	Pose  Pose
}

// Pose is the head's rigid motion relative to its rest placement: Euler angles in radians (tracker order
// Rx(Pitch)·Ry(Yaw)·Rz(Roll), applied about the neck pivot) and a translation in metres.
type Pose struct {
	Pitch, Yaw, Roll float64
	Shift            Vec3
}
