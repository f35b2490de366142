package recorder

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
)

// The recording manifest as protocol/recording-manifest.ts defines it (version 1); the compositor parses it with
// that schema, and test/recording checks every manifest a recorder writes against it.

type Manifest struct {
	Version      int                   `json:"version"`
	RecordingID  string                `json:"recordingId"`
	TenantID     string                `json:"tenantId"`
	MeetingID    string                `json:"meetingId"`
	StartedAt    int64                 `json:"startedAt"`
	EndedAt      int64                 `json:"endedAt"`
	Participants []ManifestParticipant `json:"participants"`
	Tracks       []ManifestTrack       `json:"tracks"`
	Paused       []Span                `json:"paused"`
	// Spans whose media never reached S3: a recorder was lost, and another continued the recording.
	Lost     []Span         `json:"lost"`
	Speakers []SpeakerSpan  `json:"speakers"`
	Output   ManifestOutput `json:"output"`
}

type ManifestParticipant struct {
	Identity string             `json:"identity"`
	Name     string             `json:"name"`
	Excluded *ManifestExclusion `json:"excluded"`
}

type ManifestExclusion struct {
	Reason string `json:"reason"` // "declined" | "excluded_by_host"
}

type ManifestTrack struct {
	ID          string         `json:"id"`
	Participant string         `json:"participant"`
	Kind        string         `json:"kind"`   // audio | video
	Source      string         `json:"source"` // camera | screen | mic
	Codec       string         `json:"codec"`  // vp8 | h264 | opus
	Container   string         `json:"container"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one uploaded chunk: its key and the capture times of its first sample and of the end of its
// last one (ms since the epoch).
type ManifestFile struct {
	Key       string `json:"key"`
	StartedAt int64  `json:"startedAt"`
	EndedAt   int64  `json:"endedAt"`
}

type ManifestOutput struct {
	Layout     string `json:"layout"`
	Resolution string `json:"resolution"`
	FPS        int    `json:"fps"`
}

// ManifestInput is a capture's state as the manifest needs it.
type ManifestInput struct {
	RecordingID, TenantID, MeetingID, Layout string
	StartedAt                                time.Time
	// When this manifest is written: the stop, or now for one written during the capture.
	Until        time.Time
	Participants map[string]string // identity → name, everyone seen
	Excluded     map[string]string // identity → reason
	Tracks       []ManifestTrack   // files so far; tracks without files are left out
	Paused       []Span
	Lost         []Span
	Speakers     []SpeakerSpan
}

// BuildManifest assembles the manifest and keeps the schema's invariants: an excluded participant has no
// tracks and no speaker spans, a track has files, every span lies inside the recording.
func BuildManifest(in ManifestInput) Manifest {
	m := Manifest{
		Version: 1, RecordingID: in.RecordingID, TenantID: in.TenantID, MeetingID: in.MeetingID,
		StartedAt: in.StartedAt.UnixMilli(), EndedAt: in.Until.UnixMilli(),
		Participants: []ManifestParticipant{}, Tracks: []ManifestTrack{}, Paused: []Span{}, Lost: []Span{}, Speakers: []SpeakerSpan{},
		Output: ManifestOutput{Layout: in.Layout, Resolution: "1080p", FPS: 30},
	}
	for _, t := range in.Tracks {
		if _, excluded := in.Excluded[t.Participant]; excluded || len(t.Files) == 0 {
			continue
		}
		m.Tracks = append(m.Tracks, t)
		m.StartedAt = min(m.StartedAt, t.Files[0].StartedAt)
		m.EndedAt = max(m.EndedAt, t.Files[len(t.Files)-1].EndedAt)
	}
	m.EndedAt = max(m.EndedAt, m.StartedAt+1)
	identities := map[string]bool{}
	for identity := range in.Participants {
		identities[identity] = true
	}
	for identity := range in.Excluded {
		identities[identity] = true
	}
	for identity := range identities {
		p := ManifestParticipant{Identity: identity, Name: ManifestName(in.Participants[identity], identity)}
		if reason, ok := in.Excluded[identity]; ok {
			p.Excluded = &ManifestExclusion{Reason: reason}
		}
		m.Participants = append(m.Participants, p)
	}
	sort.Slice(m.Participants, func(i, j int) bool { return m.Participants[i].Identity < m.Participants[j].Identity })
	// By first file, then by ID: tracks that start together (a continued recording's) keep one order on every rewrite.
	sort.Slice(m.Tracks, func(i, j int) bool {
		a, b := m.Tracks[i], m.Tracks[j]
		if a.Files[0].StartedAt != b.Files[0].StartedAt {
			return a.Files[0].StartedAt < b.Files[0].StartedAt
		}
		return a.ID < b.ID
	})
	for _, span := range in.Paused {
		span.From, span.To = max(span.From, m.StartedAt), min(span.To, m.EndedAt)
		if span.To > span.From {
			m.Paused = append(m.Paused, span)
		}
	}
	for _, span := range in.Lost {
		span.From, span.To = max(span.From, m.StartedAt), min(span.To, m.EndedAt)
		if span.To > span.From {
			m.Lost = append(m.Lost, span)
		}
	}
	for _, span := range in.Speakers {
		_, excluded := in.Excluded[span.Participant]
		_, known := in.Participants[span.Participant]
		if excluded || !known {
			continue
		}
		span.From, span.To = max(span.From, m.StartedAt), min(span.To, m.EndedAt)
		if span.To > span.From {
			m.Speakers = append(m.Speakers, span)
		}
	}
	return m
}

// ManifestName is a participant's display name as the manifest takes it: one line, no control characters, at
// most 128 UTF-16 units (the schema's measure); the identity when LiveKit has no name.
func ManifestName(name, identity string) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	clean = strings.TrimSpace(clean)
	if clean == "" {
		clean = identity
	}
	units := 0
	for i, r := range clean {
		if units += len(utf16.Encode([]rune{r})); units > 128 {
			return clean[:i]
		}
	}
	return clean
}
