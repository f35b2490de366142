package recorder

import (
	"testing"
	"time"
)

func TestCaptureTimesFollowTheRTPClockNotTheArrivalJitter(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	c := NewSampleClock(90_000)
	c.At(1000, base.Add(30*time.Millisecond)) // the first packet was slow: 30 ms late
	// Later packets arrive with 0-20 ms of jitter; the clock learns the smaller delay and ignores the jitter.
	c.At(1000+2700, base.Add(32*time.Millisecond))
	got := c.At(1000+9000, base.Add(100*time.Millisecond+20*time.Millisecond))
	if want := base.Add(100*time.Millisecond + 2*time.Millisecond); !got.Equal(want) {
		t.Fatalf("got %v after base, want %v", got.Sub(base), want.Sub(base))
	}
}

func TestACaptureTimeIsNeverLaterThanItsArrivalNorEarlierThanThePreviousOne(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	c := NewSampleClock(48_000)
	prev := c.At(0, base)
	for i := 1; i < 200; i++ {
		arrival := base.Add(time.Duration(i*20)*time.Millisecond + time.Duration(i%7)*time.Millisecond)
		at := c.At(uint32(i*960), arrival)
		if at.After(arrival) || at.Before(prev) {
			t.Fatalf("sample %d at %v, arrival %v, previous %v", i, at.Sub(base), arrival.Sub(base), prev.Sub(base))
		}
		prev = at
	}
}

func TestTheRTPTimestampWrapsWithoutAJump(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	c := NewSampleClock(90_000)
	c.At(0xFFFF_FF00, base)
	got := c.At(0x0000_1000, base.Add(60*time.Millisecond))
	if d := got.Sub(base); d < 40*time.Millisecond || d > 50*time.Millisecond {
		t.Fatalf("4352 ticks across the wrap became %v", d)
	}
}

func TestASenderWhoseTimestampsStallReAnchorsOnArrival(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	c := NewSampleClock(48_000)
	c.At(0, base)
	// Unmuted after 10 s, but the sender's timestamps moved on by only 1 s.
	arrival := base.Add(10 * time.Second)
	if got := c.At(48_000, arrival); !got.Equal(arrival) {
		t.Fatalf("got %v, want the arrival %v", got.Sub(base), arrival.Sub(base))
	}
}
