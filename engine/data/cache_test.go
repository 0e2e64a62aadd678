package data

import (
	"errors"
	"testing"
)

// TestImageCacheLRU: a 3-image budget keeps the most recently used images, evicts the least recent, refuses
// images larger than the budget and does not cache failed loads.
func TestImageCacheLRU(t *testing.T) {
	c := newImageCache(3 * 10)
	loads := 0
	get := func(frame, size int) *Image {
		t.Helper()
		img, err := c.get(cacheKey{"gt", frame}, func() (*Image, error) {
			loads++
			return &Image{Pix: make([]uint8, size)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a := get(0, 10)
	get(1, 10)
	get(2, 10)
	if get(0, 10) != a || loads != 3 {
		t.Fatalf("frame 0 reloaded (%d loads)", loads)
	}
	get(3, 10) // evicts 1, the least recently used
	get(0, 10)
	get(2, 10)
	if loads != 4 {
		t.Fatalf("%d loads, want 4", loads)
	}
	get(1, 10)
	if loads != 5 {
		t.Fatalf("frame 1 was not evicted (%d loads)", loads)
	}
	get(9, 31) // larger than the budget: returned, not cached
	get(9, 31)
	if loads != 7 {
		t.Fatalf("oversized image cached (%d loads)", loads)
	}
	boom := errors.New("boom")
	for range 2 {
		if _, err := c.get(cacheKey{"torso", 0}, func() (*Image, error) { loads++; return nil, boom }); err != boom {
			t.Fatalf("error %v, want boom", err)
		}
	}
	if st := c.stats(); loads != 9 || st.Bytes != 30 || st.PeakBytes != 30 || st.Hits != 3 || st.Misses != 9 {
		t.Fatalf("stats %+v after %d loads", st, loads)
	}
}
