// Package evalenv opens what the tools that score renders against ground truth (erneval, ernablate) share: dlib's
// landmarker for LMD, the compute device and the LPIPS network, with the same messages in both.
package evalenv

import (
	"errors"
	"fmt"

	"ern/compute"
	"ern/engine/lpips"
	"ern/engine/metrics"
)

// Env is an open landmarker, device and LPIPS network.
type Env struct {
	Landmarker *metrics.Landmarker // nil with noLMD
	Dev        *compute.Device
	LPIPS      *lpips.Net // nil when the weights are unavailable; NoLPIPS then says why
	NoLPIPS    error      // an lpips.ErrUnavailable error, or nil
}

// Open opens, in this order, dlib's landmarker (unless noLMD; its error suggests --no-lmd), the compute device and
// the LPIPS network from lpipsWeights (lpips.Open's search when ""). Missing LPIPS weights are not an error: LPIPS
// is then nil and NoLPIPS the reason. On an error whatever was opened is closed again.
func Open(lpipsWeights string, noLMD bool) (*Env, error) {
	e := &Env{}
	if !noLMD {
		lm, err := metrics.NewLandmarker("")
		if err != nil {
			return nil, fmt.Errorf("%v (or pass --no-lmd)", err)
		}
		e.Landmarker = lm
	}
	dev, err := compute.Open(compute.Options{})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Dev = dev
	net, err := lpips.Open(dev, lpipsWeights)
	switch {
	case errors.Is(err, lpips.ErrUnavailable):
		e.NoLPIPS = err
	case err != nil:
		e.Close()
		return nil, err
	default:
		e.LPIPS = net
	}
	return e, nil
}

// Close releases the LPIPS network, then closes the device and the landmarker.
func (e *Env) Close() {
	if e.LPIPS != nil {
		e.LPIPS.Release()
	}
	if e.Dev != nil {
		e.Dev.Close()
	}
	if e.Landmarker != nil {
		e.Landmarker.Close()
	}
}
