package player

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// pulseOut plays the PCM through a PulseAudio playback stream over the native protocol (the protocol layer of
// github.com/jfreymuth/pulse; its higher-level stream blocks the connection when the server reports a restart
// after uncorking, so ern drives the stream itself) and reports the position being heard, not the position handed
// over: every pollEvery it asks the server for the stream's timing (GET_PLAYBACK_LATENCY) and takes
//
//	heard = read_index / bytes-per-second − sink latency,
//
// valid at the local midpoint of the request and its reply. read_index is what the server took out of the stream's
// buffer (it stands still while the stream is corked or starved), sink latency is what the sink has rendered but not
// yet played out (the device buffer). Between polls the position advances in real time while the server says the
// stream is playing, at most pollEvery·5 past the last reading.
//
// Underruns are the server's UNDERFLOW messages; those while the input had not delivered (a live stream stalled,
// which the reader reports) or after the end are not the sound path's fault and are left to the stall count.
type pulseOut struct {
	c     *proto.Client
	conn  net.Conn
	index uint32 // stream index
	r     *pcmReader
	bps   float64 // bytes per second
	want  atomic.Int64
	wake  chan struct{}
	frame int // bytes per sample frame

	mu        sync.Mutex
	pos       time.Duration // heard position at `at`
	at        time.Time
	playing   bool
	latSum    time.Duration // sink latency + what the stream buffers ahead of the read index, summed over readings
	latN      int           // while playing
	underruns int
	drained   bool
	perr      error
	stop      chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
}

// pollEvery is how often the stream's timing is read from the server.
const pollEvery = 10 * time.Millisecond

// pulseLatency is the buffering asked of the server (stream + sink), in seconds: large enough that a loaded
// 2-core machine refills it in time (0.2 s underran there), and harmless to sync because the clock subtracts what
// the server reports. pulsePrebuf is how much must be buffered before the server starts (or restarts after a
// stall) playing, so a live stream is heard as soon as it has that much.
const (
	pulseLatency = 0.5
	pulsePrebuf  = 0.05
)

func openPulse(r *pcmReader, rate, channels int) (*pulseOut, error) {
	c, conn, err := proto.Connect("")
	if err != nil {
		return nil, fmt.Errorf("PulseAudio: %w", err)
	}
	c.SetTimeout(2 * time.Second)
	p := &pulseOut{c: c, conn: conn, r: r, bps: float64(2 * rate * channels), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	c.Callback = p.message
	props := proto.PropList{"application.name": proto.PropListString("ernplay"), "media.name": proto.PropListString("ernplay")}
	if err := c.Request(&proto.SetClientName{Props: props}, &proto.SetClientNameReply{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("PulseAudio: %w", err)
	}
	cmap := proto.ChannelMap{proto.ChannelMono}
	if channels == 2 {
		cmap = proto.ChannelMap{proto.ChannelLeft, proto.ChannelRight}
	}
	frame := uint32(2 * channels)
	tlength := uint32(pulseLatency*float64(rate)) * frame
	var rep proto.CreatePlaybackStreamReply
	err = c.Request(&proto.CreatePlaybackStream{
		SampleSpec:            proto.SampleSpec{Format: proto.FormatInt16LE, Channels: byte(channels), Rate: uint32(rate)},
		ChannelMap:            cmap,
		SinkIndex:             proto.Undefined,
		BufferMaxLength:       2 * tlength,
		Corked:                true,
		BufferTargetLength:    tlength,
		BufferPrebufferLength: uint32(pulsePrebuf*float64(rate)) * frame,
		BufferMinimumRequest:  proto.Undefined,
		ChannelVolumes:        proto.ChannelVolumes{0x10000, 0x10000}[:channels],
		AdjustLatency:         true,
		Properties:            props,
	}, &rep)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("PulseAudio playback stream: %w", err)
	}
	p.index, p.frame = rep.StreamIndex, int(frame)
	p.want.Add(int64(rep.Missing))
	return p, nil
}

// message handles what the server sends on its own (it runs on the connection's reader and must not block).
func (p *pulseOut) message(msg interface{}) {
	switch m := msg.(type) {
	case *proto.Request:
		if m.StreamIndex == p.index {
			p.want.Add(int64(m.Length))
			p.signal()
		}
	case *proto.Underflow:
		if m.StreamIndex == p.index && !p.r.starved() && !p.r.ended() {
			p.mu.Lock()
			p.underruns++
			p.mu.Unlock()
		}
	case *proto.ConnectionClosed:
		p.mu.Lock()
		p.perr = errors.New("PulseAudio closed the connection")
		p.mu.Unlock()
	}
}

func (p *pulseOut) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// feed writes what the server asked for, as the reader delivers it.
func (p *pulseOut) feed() {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		select {
		case <-p.stop:
			return
		case <-p.wake:
		}
		for w := p.want.Load(); w >= int64(p.frame); w = p.want.Load() {
			n, err := p.r.Read(buf[:min(int(w), len(buf))/p.frame*p.frame])
			if n > 0 {
				if serr := p.c.Send(p.index, buf[:n]); serr != nil {
					p.fail(fmt.Errorf("PulseAudio: %w", serr))
					return
				}
				p.want.Add(-int64(n))
			}
			if err != nil { // the end: the rest plays out
				return
			}
			select {
			case <-p.stop:
				return
			default:
			}
		}
	}
}

func (p *pulseOut) fail(err error) {
	p.mu.Lock()
	if p.perr == nil {
		p.perr = err
	}
	p.mu.Unlock()
}

func (p *pulseOut) name() string  { return "PulseAudio" }
func (p *pulseOut) stepped() bool { return false }

// play uncorks the stream (the server starts once prebuffered) and starts the feeder and the timing poll.
func (p *pulseOut) play() {
	p.wg.Add(2)
	go p.feed()
	go p.poll()
	p.signal()
	p.pause(false)
}

func (p *pulseOut) poll() {
	defer p.wg.Done()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	drainSent := false
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		if !drainSent && p.r.ended() {
			// A stream shorter than the prebuffer only starts playing when drained; the reply comes when all played.
			drainSent = true
			go func() {
				err := p.c.Request(&proto.DrainPlaybackStream{StreamIndex: p.index}, nil)
				p.mu.Lock()
				p.drained = err == nil
				p.mu.Unlock()
			}()
		}
		t0 := time.Now()
		var rep proto.GetPlaybackLatencyReply
		err := p.c.Request(&proto.GetPlaybackLatency{StreamIndex: p.index, Time: timeval(t0)}, &rep)
		t1 := time.Now()
		if err != nil {
			select {
			case <-p.stop:
			default:
				p.fail(fmt.Errorf("PulseAudio timing: %w", err))
			}
			return
		}
		sink := time.Duration(rep.Latency) * time.Microsecond
		p.mu.Lock()
		p.pos = p.dur(rep.ReadIndex) - sink
		p.at = t0.Add(t1.Sub(t0) / 2)
		p.playing = rep.Running && rep.UnderrunFor == 0 && rep.ReadIndex > 0
		if p.playing {
			p.latSum += sink + p.dur(rep.WriteIndex-rep.ReadIndex)
			p.latN++
		}
		p.mu.Unlock()
	}
}

func (p *pulseOut) dur(bytes int64) time.Duration {
	return time.Duration(float64(bytes) / p.bps * float64(time.Second))
}

// raw is the heard position now, and its upper bound (everything handed to the server).
func (p *pulseOut) raw() (pos, upper time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pos, upper = p.pos, p.dur(p.r.bytesPulled())
	if p.playing {
		pos += min(time.Since(p.at), 5*pollEvery)
	}
	if p.drained { // the server says everything was played
		pos = upper
	}
	return pos, upper
}

// pause corks or uncorks the stream: the server stops or resumes taking from its buffer at once.
func (p *pulseOut) pause(on bool) {
	if err := p.c.Request(&proto.CorkPlaybackStream{StreamIndex: p.index, Corked: on}, nil); err != nil {
		p.fail(fmt.Errorf("PulseAudio: %w", err))
	}
}

// finished: the input ended and the server played all of it.
func (p *pulseOut) finished() bool {
	if !p.r.ended() {
		return false
	}
	pos, upper := p.raw()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drained || pos >= upper-time.Millisecond || p.perr != nil
}

// outputLatency is the mean time between handing sound over and hearing it, while playing.
func (p *pulseOut) outputLatency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.latN == 0 {
		return 0
	}
	return p.latSum / time.Duration(p.latN)
}

func (p *pulseOut) underrunCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.underruns
}

func (p *pulseOut) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.perr
}

func (p *pulseOut) close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.r.s.close() // wake a reader waiting for input
	p.c.Request(&proto.DeletePlaybackStream{StreamIndex: p.index}, nil)
	p.conn.Close()
	p.wg.Wait()
}

func timeval(t time.Time) proto.Time {
	us := t.UnixMicro()
	return proto.Time{Seconds: uint32(us / 1e6), Microseconds: uint32(us % 1e6)}
}
