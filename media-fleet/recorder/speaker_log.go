package recorder

import "time"

// SpeakerSpan: who the SFU rated the loudest speaker over a span (ms since the epoch).
type SpeakerSpan struct {
	Participant string `json:"participant"`
	From        int64  `json:"from"`
	To          int64  `json:"to"`
}

// SpeakerLog turns LiveKit's active-speaker updates into spans; nobody speaking leaves a gap.
type SpeakerLog struct {
	current string
	since   time.Time
	spans   []SpeakerSpan
}

// Change records the loudest speaker from `now` ("" for nobody).
func (s *SpeakerLog) Change(identity string, now time.Time) {
	if identity == s.current {
		return
	}
	s.end(now)
	s.current, s.since = identity, now
}

func (s *SpeakerLog) end(now time.Time) {
	if s.current == "" {
		return
	}
	if span := (SpeakerSpan{s.current, s.since.UnixMilli(), now.UnixMilli()}); span.To > span.From {
		s.spans = append(s.spans, span)
	}
	s.current = ""
}

// Through lists the spans as of `until`, the one in progress included, leaving out anyone `keep` refuses.
func (s *SpeakerLog) Through(until time.Time, keep func(identity string) bool) []SpeakerSpan {
	out := make([]SpeakerSpan, 0, len(s.spans)+1)
	for _, span := range s.spans {
		if keep(span.Participant) {
			out = append(out, span)
		}
	}
	if s.current != "" && keep(s.current) {
		if span := (SpeakerSpan{s.current, s.since.UnixMilli(), until.UnixMilli()}); span.To > span.From {
			out = append(out, span)
		}
	}
	return out
}
