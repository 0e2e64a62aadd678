package metrics

/*
#cgo pkg-config: dlib-1
#cgo CXXFLAGS: -O2 -std=c++14 -w
#include <stdlib.h>
#include "dlib_shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"ern/engine/data"
)

// DefaultLandmarkModel is where Debian's libdlib-data installs dlib's 68-point iBUG shape predictor.
const DefaultLandmarkModel = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

// LandmarkModelEnv names the environment variable that overrides DefaultLandmarkModel.
const LandmarkModelEnv = "ERN_DLIB_MODEL"

// LandmarkModelPath returns $ERN_DLIB_MODEL when set, else DefaultLandmarkModel.
func LandmarkModelPath() string {
	if p := os.Getenv(LandmarkModelEnv); p != "" {
		return p
	}
	return DefaultLandmarkModel
}

// Upsample is how many times LMD doubles a frame before detecting faces: ER-NeRF's LMDMeter calls
// detector(img, 1).
const Upsample = 1

// Box is a detected face: dlib's rectangle, inclusive pixel bounds (Right, Bottom belong to the box), and the
// detector's confidence (the SVM score minus its threshold; positive for every returned face).
type Box struct {
	Left, Top, Right, Bottom int
	Score                    float64
}

// Landmarker is dlib's frontal face detector plus its 68-point shape predictor (Debian's libdlib through cgo).
// Its methods are safe for concurrent use; calls are serialised (dlib's detector keeps per-call state).
type Landmarker struct {
	mu    sync.Mutex
	d     *C.ern_dlib
	parts int
}

const errLen = 512

// NewLandmarker loads the shape-predictor model at path ("" means LandmarkModelPath()). A missing file is one
// line that says how to get it.
func NewLandmarker(path string) (*Landmarker, error) {
	if path == "" {
		path = LandmarkModelPath()
	}
	if st, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("metrics: dlib landmark model %s not found: install Debian's libdlib-data (apt-get install libdlib-data) or set %s to a shape_predictor_68_face_landmarks.dat", path, LandmarkModelEnv)
		}
		return nil, fmt.Errorf("metrics: dlib landmark model: %w", err)
	} else if st.IsDir() {
		return nil, fmt.Errorf("metrics: dlib landmark model %s is a directory, want the shape_predictor_68_face_landmarks.dat file", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var msg [errLen]C.char
	d := C.ern_dlib_open(cpath, &msg[0], errLen)
	if d == nil {
		return nil, fmt.Errorf("metrics: dlib landmark model %s is not a readable dlib shape predictor: %s", path, oneLine(C.GoString(&msg[0])))
	}
	l := &Landmarker{d: d, parts: int(C.ern_dlib_parts(d))}
	if l.parts != data.NumLandmarks {
		l.Close()
		return nil, fmt.Errorf("metrics: dlib landmark model %s predicts %d points, want the %d-point iBUG model", path, l.parts, data.NumLandmarks)
	}
	runtime.SetFinalizer(l, (*Landmarker).Close)
	return l, nil
}

// Close frees the model. It is safe to call more than once.
func (l *Landmarker) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.d != nil {
		C.ern_dlib_close(l.d)
		l.d = nil
	}
}

// oneLine folds a dlib exception message onto one line: dlib's serialization errors open with "An error occurred
// while trying to read the first object from the file …" (the path is already in ern's message) and then list
// "ERROR: …" and "while deserializing …" lines.
func oneLine(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "An error occurred while trying to read the first object") {
			continue
		}
		parts = append(parts, strings.TrimPrefix(l, "ERROR: "))
	}
	if len(parts) == 0 {
		return strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
	}
	return strings.Join(parts, ", ")
}

// rgbBytes returns m's packed RGB bytes, converting RGBA.
func rgbBytes(m *data.Image) ([]byte, error) {
	if m == nil || m.W <= 0 || m.H <= 0 || len(m.Pix) != m.W*m.H*m.C || (m.C != 3 && m.C != 4) {
		return nil, errors.New("metrics: not a valid 8-bit RGB or RGBA image")
	}
	if m.C == 3 {
		return m.Pix, nil
	}
	out := make([]byte, 3*m.W*m.H)
	for i := range m.W * m.H {
		copy(out[3*i:3*i+3], m.Pix[4*i:4*i+3])
	}
	return out, nil
}

// Detect runs the frontal face detector on img upsampled `upsample` times (dlib's pyramid_up, as the Python
// binding's detector(img, upsample)) and returns the faces in image coordinates, highest confidence first.
func (l *Landmarker) Detect(img *data.Image, upsample int) ([]Box, error) {
	px, err := rgbBytes(img)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.d == nil {
		return nil, errors.New("metrics: Landmarker used after Close")
	}
	const maxFaces = 64
	var boxes [4 * maxFaces]C.long
	var scores [maxFaces]C.double
	var msg [errLen]C.char
	n := C.ern_dlib_detect(l.d, (*C.uchar)(unsafe.Pointer(&px[0])), C.int(img.W), C.int(img.H), C.int(upsample),
		&boxes[0], &scores[0], maxFaces, &msg[0], errLen)
	runtime.KeepAlive(px)
	if n < 0 {
		return nil, fmt.Errorf("metrics: dlib face detector: %s", oneLine(C.GoString(&msg[0])))
	}
	out := make([]Box, min(int(n), maxFaces))
	for i := range out {
		out[i] = Box{Left: int(boxes[4*i]), Top: int(boxes[4*i+1]), Right: int(boxes[4*i+2]), Bottom: int(boxes[4*i+3]), Score: float64(scores[i])}
	}
	return out, nil
}

// Predict runs the 68-point shape predictor on img inside box and returns the points in pixels (x = column,
// y = row). dlib returns integer positions (its float estimates rounded), which ER-NeRF's LMDMeter copies into
// an int32 array; the values here are those integers.
func (l *Landmarker) Predict(img *data.Image, box Box) (data.Landmarks, error) {
	var lms data.Landmarks
	px, err := rgbBytes(img)
	if err != nil {
		return lms, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.d == nil {
		return lms, errors.New("metrics: Landmarker used after Close")
	}
	var pts [2 * data.NumLandmarks]C.long
	var msg [errLen]C.char
	rc := C.ern_dlib_predict(l.d, (*C.uchar)(unsafe.Pointer(&px[0])), C.int(img.W), C.int(img.H),
		C.long(box.Left), C.long(box.Top), C.long(box.Right), C.long(box.Bottom), &pts[0], &msg[0], errLen)
	runtime.KeepAlive(px)
	if rc != 0 {
		return lms, fmt.Errorf("metrics: dlib shape predictor: %s", oneLine(C.GoString(&msg[0])))
	}
	for i := range lms {
		lms[i] = [2]float64{float64(pts[2*i]), float64(pts[2*i+1])}
	}
	return lms, nil
}

// Find is LMDMeter.get_landmarks with the dlib backend: detect faces with Upsample, predict the 68 points in the
// first (most confident) face. ok is false when no face is found.
func (l *Landmarker) Find(img *data.Image) (lms data.Landmarks, ok bool, err error) {
	faces, err := l.Detect(img, Upsample)
	if err != nil || len(faces) == 0 {
		return lms, false, err
	}
	lms, err = l.Predict(img, faces[0])
	return lms, err == nil, err
}

// LoadImage decodes an image file with dlib's own loaders (libjpeg, libpng, BMP, DNG), as a C++ or Python dlib
// program that loads frames with dlib.load_rgb_image sees them. Go's image/jpeg may differ from libjpeg by 1–2
// levels, which moves landmarks on small faces; LoadImage gives the pixels dlib users measure on.
func LoadImage(path string) (*data.Image, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var msg [errLen]C.char
	var w, h C.int
	p := C.ern_dlib_load_rgb(cpath, &w, &h, &msg[0], errLen)
	if p == nil {
		return nil, fmt.Errorf("metrics: dlib cannot load %s: %s", path, oneLine(C.GoString(&msg[0])))
	}
	defer C.free(unsafe.Pointer(p))
	return &data.Image{W: int(w), H: int(h), C: 3, Pix: C.GoBytes(unsafe.Pointer(p), 3*w*h)}, nil
}

// Point ranges of the two LMD variants: the mouth (ER-NeRF's region='mouth', points 48–67) and the whole face
// (region='face', all 68).
const (
	MouthFirst = 48
	MouthEnd   = 68
)

// LandmarkDistance is LMDMeter's per-frame distance over points [lo, hi): each set is centred on its own mean,
// then the Euclidean distances of corresponding points are averaged, in pixels:
//
//	d = (1/n) Σᵢ ‖(aᵢ − ā) − (bᵢ − b̄)‖,  ā = (1/n) Σᵢ aᵢ,  n = hi − lo.
func LandmarkDistance(a, b *data.Landmarks, lo, hi int) float64 {
	if lo < 0 || hi > data.NumLandmarks || lo >= hi {
		panic(fmt.Sprintf("metrics.LandmarkDistance: range [%d,%d) outside [0,%d)", lo, hi, data.NumLandmarks))
	}
	var ma, mb [2]float64
	for i := lo; i < hi; i++ {
		for k := range 2 {
			ma[k] += a[i][k]
			mb[k] += b[i][k]
		}
	}
	n := float64(hi - lo)
	for k := range 2 {
		ma[k] /= n
		mb[k] /= n
	}
	var s float64
	for i := lo; i < hi; i++ {
		dx := (a[i][0] - ma[0]) - (b[i][0] - mb[0])
		dy := (a[i][1] - ma[1]) - (b[i][1] - mb[1])
		s += math.Hypot(dx, dy)
	}
	return s / n
}
