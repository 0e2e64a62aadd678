package data

import (
	"container/list"
	"sync"
)

// imageCache is a least-recently-used cache of decoded images bounded by total pixel bytes. It is safe for
// concurrent use; two goroutines missing the same key may both decode it, and the second insert wins.
type imageCache struct {
	mu       sync.Mutex
	limit    int64
	used     int64
	order    *list.List // front = most recent; values are *cacheEntry
	entries  map[cacheKey]*list.Element
	hits     int64
	misses   int64
	maxBytes int64
}

type cacheKey struct {
	kind  string
	frame int
}

type cacheEntry struct {
	key cacheKey
	img *Image
}

func newImageCache(limit int64) *imageCache {
	return &imageCache{limit: limit, order: list.New(), entries: map[cacheKey]*list.Element{}}
}

// get returns the cached image for key, or decodes it with load and caches it when it fits the budget.
func (c *imageCache) get(key cacheKey, load func() (*Image, error)) (*Image, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		c.hits++
		c.mu.Unlock()
		return e.Value.(*cacheEntry).img, nil
	}
	c.misses++
	c.mu.Unlock()
	img, err := load()
	if err != nil {
		return nil, err
	}
	c.put(key, img)
	return img, nil
}

func (c *imageCache) put(key cacheKey, img *Image) {
	size := int64(len(img.Pix))
	if size > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.used -= int64(len(e.Value.(*cacheEntry).img.Pix))
		c.order.Remove(e)
	}
	for c.used+size > c.limit {
		last := c.order.Back()
		old := last.Value.(*cacheEntry)
		c.used -= int64(len(old.img.Pix))
		delete(c.entries, old.key)
		c.order.Remove(last)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, img: img})
	c.used += size
	c.maxBytes = max(c.maxBytes, c.used)
}

// CacheStats reports the image cache's hits, misses, current and peak bytes.
type CacheStats struct {
	Hits, Misses, Bytes, PeakBytes int64
}

func (c *imageCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses, Bytes: c.used, PeakBytes: c.maxBytes}
}
