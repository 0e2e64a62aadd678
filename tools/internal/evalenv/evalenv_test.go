package evalenv

import (
	"errors"
	"testing"

	"ern/compute/optest"
	"ern/engine/lpips"
	"ern/tools/internal/fixture"
)

// TestOpenWithoutWeights opens the device without LMD and without LPIPS weights: no landmarker, no network and
// the reason, then closes it all.
func TestOpenWithoutWeights(t *testing.T) {
	optest.Device(t) // skip (or fail under ERN_REQUIRE_GPU) without a device
	fixture.NoLPIPSWeights(t)
	e, err := Open("", true)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Dev == nil || e.Landmarker != nil || e.LPIPS != nil || !errors.Is(e.NoLPIPS, lpips.ErrUnavailable) {
		t.Errorf("env %+v", e)
	}
}
