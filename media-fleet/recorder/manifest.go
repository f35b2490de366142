package recorder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Manifest describes one recording: what was captured, into which files, and when (wall clock), so the
// compositor can line tracks up without trusting RTP clocks across participants.
type Manifest struct {
	Room      string          `json:"room"`
	StartedAt time.Time       `json:"startedAt"`
	EndedAt   *time.Time      `json:"endedAt,omitempty"`
	Excluded  []string        `json:"excludedIdentities"`
	Tracks    []ManifestTrack `json:"tracks"`
}

type ManifestTrack struct {
	TrackSID            string         `json:"trackSid"`
	ParticipantIdentity string         `json:"participantIdentity"`
	Kind                string         `json:"kind"`   // "audio" | "video"
	Source              string         `json:"source"` // LiveKit's track source: CAMERA, MICROPHONE, SCREEN_SHARE, …
	MimeType            string         `json:"mimeType"`
	Files               []ManifestFile `json:"files"`
	Error               string         `json:"error,omitempty"`
}

// ManifestFile is one file of a track. One per track for now; S3 chunking will make it one per chunk.
type ManifestFile struct {
	Path string `json:"path"` // relative to the manifest
	// Wall clock of the first and last packet written, and the RTP timestamp of the first, for sync.
	StartedAt         *time.Time `json:"startedAt,omitempty"`
	EndedAt           *time.Time `json:"endedAt,omitempty"`
	FirstRTPTimestamp uint32     `json:"firstRtpTimestamp"`
	ClockRate         uint32     `json:"clockRate"`
	Packets           uint64     `json:"packets"`
}

// ManifestStore holds the manifest and rewrites its file atomically on every change, so a crash leaves a
// manifest that describes the files on disk.
type ManifestStore struct {
	mu       sync.Mutex
	path     string
	manifest Manifest
}

func NewManifestStore(path string, m Manifest) (*ManifestStore, error) {
	s := &ManifestStore{path: path, manifest: m}
	return s, s.Update(func(*Manifest) {})
}

// Update applies a change and persists the result.
func (s *ManifestStore) Update(change func(*Manifest)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.manifest)
	sort.Strings(s.manifest.Excluded)
	body, err := json.MarshalIndent(s.manifest, "", "  ")
	if err != nil {
		return err
	}
	staging := s.path + ".tmp"
	if err := os.WriteFile(staging, append(body, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(staging, s.path)
}

// UpdateTrack applies a change to one track's entry (added when new) and persists.
func (s *ManifestStore) UpdateTrack(trackSID string, change func(*ManifestTrack)) error {
	return s.Update(func(m *Manifest) {
		for i := range m.Tracks {
			if m.Tracks[i].TrackSID == trackSID {
				change(&m.Tracks[i])
				return
			}
		}
		m.Tracks = append(m.Tracks, ManifestTrack{TrackSID: trackSID})
		change(&m.Tracks[len(m.Tracks)-1])
	})
}

func (s *ManifestStore) Dir() string { return filepath.Dir(s.path) }
