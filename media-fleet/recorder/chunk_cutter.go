package recorder

import "time"

// CutterSettings: when a track's output is cut into chunks.
type CutterSettings struct {
	// A chunk is cut once it is this long (at the next keyframe, for video).
	ChunkDuration time.Duration
	// Video: a keyframe is asked for (PLI) this long before the cut is due, so it arrives about on time.
	KeyframeLead time.Duration
	// Video: asked again after this long without one.
	KeyframeRetry time.Duration
	// Video needs a keyframe to start a chunk; audio starts anywhere.
	NeedsKeyframe bool
	// For containers without timestamps (Opus in Ogg counts samples), a gap in the track (mute, DTX, a
	// publisher's outage) longer than this starts a new chunk, so every chunk is continuous and its wall-clock
	// span says where its samples belong. 0: gaps stay inside a chunk (IVF, VP8's and H.264's, keeps RTP time).
	MaxGap time.Duration
}

// SettingsFor derives a track's settings from the chunk length and its container.
func SettingsFor(c Container, chunk time.Duration) CutterSettings {
	lead := min(500*time.Millisecond, chunk/4)
	s := CutterSettings{ChunkDuration: chunk, KeyframeLead: lead, KeyframeRetry: time.Second}
	switch c.Codec {
	case "vp8", "h264":
		s.NeedsKeyframe = true
	case "opus":
		s.MaxGap = 500 * time.Millisecond
	}
	return s
}

// CutDecision says what to do with one sample (a whole frame).
type CutDecision struct {
	// Close the open chunk before this sample.
	Cut bool
	// Write the sample; into a new chunk when none is open (after a cut, or at the start).
	Write bool
	// Ask the publisher for a keyframe (PLI).
	RequestKeyframe bool
}

// ChunkCutter decides, sample by sample, where a track's chunks begin and end. It keeps no files: the track
// writer does what it says. Pure, so cutting is tested without media.
type ChunkCutter struct {
	s        CutterSettings
	open     bool
	openedAt time.Time
	last     time.Time
	askedAt  time.Time // zero: no keyframe asked for since the chunk opened (or since the cutter was closed)
}

func NewChunkCutter(s CutterSettings) *ChunkCutter { return &ChunkCutter{s: s} }

// Open reports whether a chunk is open.
func (c *ChunkCutter) Open() bool { return c.open }

// Close records that the open chunk was closed from outside (pause, exclusion, stop): the next sample that may
// start a chunk starts one.
func (c *ChunkCutter) Close() {
	c.open = false
	c.askedAt = time.Time{}
}

func (c *ChunkCutter) ask(at time.Time) bool {
	if c.askedAt.IsZero() || at.Sub(c.askedAt) >= c.s.KeyframeRetry {
		c.askedAt = at
		return true
	}
	return false
}

func (c *ChunkCutter) start(at time.Time) {
	c.open, c.openedAt, c.last, c.askedAt = true, at, at, time.Time{}
}

// Next decides for the sample captured at `at`; keyframe says whether it can start a chunk.
func (c *ChunkCutter) Next(at time.Time, keyframe bool) CutDecision {
	if !c.open {
		if c.s.NeedsKeyframe && !keyframe {
			return CutDecision{RequestKeyframe: c.ask(at)}
		}
		c.start(at)
		return CutDecision{Write: true}
	}
	gap := c.s.MaxGap > 0 && at.Sub(c.last) > c.s.MaxGap
	age := at.Sub(c.openedAt)
	if !c.s.NeedsKeyframe {
		if gap || age >= c.s.ChunkDuration {
			c.start(at)
			return CutDecision{Cut: true, Write: true}
		}
		c.last = at
		return CutDecision{Write: true}
	}
	if gap {
		// What follows the gap can't be appended without time; it waits for a keyframe of its own.
		c.Close()
		if keyframe {
			c.start(at)
			return CutDecision{Cut: true, Write: true}
		}
		return CutDecision{Cut: true, RequestKeyframe: c.ask(at)}
	}
	window := age >= c.s.ChunkDuration-c.s.KeyframeLead
	if window && keyframe {
		c.start(at)
		return CutDecision{Cut: true, Write: true}
	}
	c.last = at
	return CutDecision{Write: true, RequestKeyframe: window && c.ask(at)}
}
