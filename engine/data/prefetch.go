package data

import (
	"errors"
	"fmt"
	"sync"
)

// FrameImages are the decoded images of one frame, as a Prefetcher delivers them.
type FrameImages struct {
	Index int    // frame index in the split
	GT    *Image // gt_imgs/<id>.jpg, RGB
	Torso *Image // torso_imgs/<id>.png, RGBA (composite with CompositeOver for the head stage's background)
}

// Prefetcher decodes the frames of a fixed order on background workers, up to `ahead` frames ahead of the
// consumer, and hands them out in that order. Training visits a shuffled permutation of the frames each epoch,
// so the order is known in advance and decoding (a few ms per 512² frame) overlaps the GPU step. Images bypass
// the dataset's cache; at most ahead decoded frames wait (use ahead ≥ 2·workers to keep every worker busy).
type Prefetcher struct {
	pending chan chan prefetched
	stop    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
}

type prefetched struct {
	imgs FrameImages
	err  error
}

// ErrPrefetchDone is returned by Next after the last frame of the order or after Close.
var ErrPrefetchDone = errors.New("data: prefetch order exhausted")

// Prefetch starts decoding the frames in order (indices into d.Frames) with the given number of workers,
// keeping at most ahead decoded frames waiting. Call Close when done with it.
func (d *Dataset) Prefetch(order []int, workers, ahead int) *Prefetcher {
	for _, i := range order {
		if i < 0 || i >= len(d.Frames) {
			panic(fmt.Sprintf("data.Prefetch: frame %d outside [0, %d)", i, len(d.Frames)))
		}
	}
	workers, ahead = max(workers, 1), max(ahead, 1)
	p := &Prefetcher{pending: make(chan chan prefetched, ahead), stop: make(chan struct{})}
	type job struct {
		index int
		out   chan prefetched
	}
	jobs := make(chan job)
	p.done.Add(workers + 1)
	for range workers {
		go func() {
			defer p.done.Done()
			for j := range jobs {
				j.out <- d.decodeFrame(j.index)
			}
		}()
	}
	go func() { // feeder: reserves a slot in pending (bounding look-ahead), then hands the job to a worker
		defer p.done.Done()
		defer close(jobs)
		defer close(p.pending)
		for _, i := range order {
			out := make(chan prefetched, 1)
			select {
			case p.pending <- out:
			case <-p.stop:
				return
			}
			select {
			case jobs <- job{i, out}:
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (d *Dataset) decodeFrame(i int) prefetched {
	id := d.Frames[i].ImgID
	r := prefetched{imgs: FrameImages{Index: i}}
	r.imgs.GT, r.err = DecodeImage(GTPath(d.Dir, id), 3)
	if r.err == nil {
		r.imgs.Torso, r.err = DecodeImage(TorsoPath(d.Dir, id), 4)
	}
	for _, m := range []*Image{r.imgs.GT, r.imgs.Torso} {
		if r.err == nil && (m.W != d.Intrinsics.W || m.H != d.Intrinsics.H) {
			r.err = fmt.Errorf("frame %d (img_id %d): image is %dx%d, want %dx%d", i, id, m.W, m.H, d.Intrinsics.W, d.Intrinsics.H)
		}
	}
	return r
}

// Next returns the next frame of the order, waiting for its decode; ErrPrefetchDone after the last one.
func (p *Prefetcher) Next() (FrameImages, error) {
	select {
	case <-p.stop:
		return FrameImages{}, ErrPrefetchDone
	default:
	}
	out, ok := <-p.pending
	if !ok {
		return FrameImages{}, ErrPrefetchDone
	}
	select {
	case r := <-out:
		return r.imgs, r.err
	case <-p.stop:
		return FrameImages{}, ErrPrefetchDone
	}
}

// Close stops the workers and waits for them; Next then returns ErrPrefetchDone.
func (p *Prefetcher) Close() {
	p.once.Do(func() { close(p.stop) })
	p.done.Wait()
}
