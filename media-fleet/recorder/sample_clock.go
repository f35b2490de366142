package recorder

import "time"

// SampleClock turns a track's RTP timestamps into wall-clock capture times. The offset between our clock and
// the sender's RTP clock is the smallest one seen (the packet that waited least on the way), so a sample's time
// is never later than its arrival and jitter does not move it. A sender whose timestamps jump (an encoder
// restart, a long mute) makes times lag their arrival; past maxLag the clock re-anchors on the arrival.
type SampleClock struct {
	clockRate float64
	maxLag    time.Duration
	valid     bool
	lastTS    uint32
	unwrapped int64     // RTP ticks since the first timestamp, wraps undone
	offset    time.Time // wall time of tick 0
	last      time.Time // times never go backwards
}

func NewSampleClock(clockRate uint32) *SampleClock {
	return &SampleClock{clockRate: float64(clockRate), maxLag: 500 * time.Millisecond}
}

func (c *SampleClock) ticks(d int64) time.Duration {
	return time.Duration(float64(d) / c.clockRate * float64(time.Second))
}

// At is the capture time of the sample with RTP timestamp ts that arrived at arrival.
func (c *SampleClock) At(ts uint32, arrival time.Time) time.Time {
	if !c.valid {
		c.valid, c.lastTS, c.unwrapped, c.offset, c.last = true, ts, 0, arrival, arrival
		return arrival
	}
	c.unwrapped += int64(int32(ts - c.lastTS)) // a signed difference undoes the 32-bit wrap
	c.lastTS = ts
	at := c.offset.Add(c.ticks(c.unwrapped))
	switch {
	case at.After(arrival): // this packet was quicker than any before: a smaller offset
		c.offset = arrival.Add(-c.ticks(c.unwrapped))
		at = arrival
	case arrival.Sub(at) > c.maxLag:
		c.offset = arrival.Add(-c.ticks(c.unwrapped))
		at = arrival
	}
	if at.Before(c.last) {
		at = c.last
	}
	c.last = at
	return at
}
