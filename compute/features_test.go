package compute

import (
	"strings"
	"testing"

	vk "github.com/vulkan-go/vulkan"
)

// TestMissingFeatureNamed: a device without int64 buffer atomics, or older than Vulkan 1.2, is refused with an
// error naming the device and the missing feature.
func TestMissingFeatureNamed(t *testing.T) {
	ok := caps{APIVersion: vk.MakeVersion(1, 3, 0), Int64: true, Int64Atomics: true}
	if err := requireFeatures("Good GPU", ok); err != nil {
		t.Fatal(err)
	}
	noInt64 := ok
	noInt64.Int64Atomics = false
	err := requireFeatures("Small GPU", noInt64)
	if err == nil || !strings.Contains(err.Error(), "Small GPU") || !strings.Contains(err.Error(), "shaderBufferInt64Atomics") {
		t.Fatalf("got %v", err)
	}
	old := ok
	old.APIVersion = vk.MakeVersion(1, 1, 0)
	if err := requireFeatures("Ancient GPU", old); err == nil || !strings.Contains(err.Error(), "Vulkan 1.2") {
		t.Fatalf("got %v", err)
	}
}
