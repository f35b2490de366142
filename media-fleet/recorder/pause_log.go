package recorder

import "time"

// CaptureState: a capture takes media, is paused (takes none, keeps the recording), or has stopped for good.
type CaptureState string

const (
	StateCapturing CaptureState = "capturing"
	StatePaused    CaptureState = "paused"
	StateStopped   CaptureState = "stopped"
)

// Span is a half-open wall-clock span [From, To) in ms since the epoch, as the manifest has it.
type Span struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// PauseLog is a capture's state and its paused spans. Pure: the capture asks it, then acts.
type PauseLog struct {
	state       CaptureState
	pausedSince time.Time
	spans       []Span
}

func NewPauseLog() *PauseLog { return &PauseLog{state: StateCapturing} }

func (p *PauseLog) State() CaptureState { return p.state }

// Capturing: whether media may be written now.
func (p *PauseLog) Capturing() bool { return p.state == StateCapturing }

// Pause starts a paused span; false when not capturing (already paused, or stopped).
func (p *PauseLog) Pause(now time.Time) bool {
	if p.state != StateCapturing {
		return false
	}
	p.state, p.pausedSince = StatePaused, now
	return true
}

// Resume ends the paused span; false when not paused.
func (p *PauseLog) Resume(now time.Time) bool {
	if p.state != StatePaused {
		return false
	}
	p.close(now)
	p.state = StateCapturing
	return true
}

// Stop ends the capture, and a pause in progress with it.
func (p *PauseLog) Stop(now time.Time) {
	if p.state == StatePaused {
		p.close(now)
	}
	p.state = StateStopped
}

// A span shorter than a millisecond paused nothing the manifest could show; it is left out.
func (p *PauseLog) close(now time.Time) {
	if span := (Span{p.pausedSince.UnixMilli(), now.UnixMilli()}); span.To > span.From {
		p.spans = append(p.spans, span)
	}
}

// Finished lists the paused spans that have ended.
func (p *PauseLog) Finished() []Span { return append([]Span{}, p.spans...) }

// Through lists the paused spans as of `until`: a pause in progress counts as paused until then (the manifest
// written mid-pause says so; a crash then leaves a recording whose end was paused).
func (p *PauseLog) Through(until time.Time) []Span {
	spans := p.Finished()
	if p.state == StatePaused {
		if open := (Span{p.pausedSince.UnixMilli(), until.UnixMilli()}); open.To > open.From {
			spans = append(spans, open)
		}
	}
	return spans
}
