package recorder

import (
	"fmt"
	"net/url"
	"regexp"
	"unicode/utf16"
)

// The control API's wire shapes: the Go side of protocol/recorder-control.ts (keep the two in step; the stack
// tests drive this server with that module's client and parse every answer with its schemas).

// ControlAudience is the `aud` a control token must carry; ControlMaxTTLSeconds how far ahead its `exp` may be.
const (
	ControlAudience      = "recorder"
	ControlMaxTTLSeconds = 60
)

var exclusionReasons = map[string]bool{"declined": true, "excluded_by_host": true}
var layouts = map[string]bool{"grid": true, "speaker": true}
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type Exclusion struct {
	Identity string `json:"identity"`
	Reason   string `json:"reason"`
}

type StartRequest struct {
	RecordingID string      `json:"recordingId"`
	TenantID    string      `json:"tenantId"`
	MeetingID   string      `json:"meetingId"`
	Room        string      `json:"room"`
	NodeURL     string      `json:"nodeUrl"`
	Excluded    []Exclusion `json:"excluded"`
	Layout      string      `json:"layout"`
	// Continuing: another capture held this recording (lost recorder, or an SFU move); this one takes over its
	// manifest (continuation.go). Paused: start without writing anything until a resume.
	Continuing bool `json:"continuing,omitempty"`
	Paused     bool `json:"paused,omitempty"`
}

type ExclusionsRequest struct {
	Excluded []Exclusion `json:"excluded"`
}

type StatusBody struct {
	RecordingID    string       `json:"recordingId"`
	State          CaptureState `json:"state"`
	StartedAt      int64        `json:"startedAt"`
	ActiveTracks   int          `json:"activeTracks"`
	ChunksUploaded int          `json:"chunksUploaded"`
	UploadFailures int          `json:"uploadFailures"`
	Excluded       []Exclusion  `json:"excluded"`
	Paused         []Span       `json:"paused"`
	ManifestKey    string       `json:"manifestKey"`
}

type StopBody struct {
	ManifestKey string     `json:"manifestKey"`
	Status      StatusBody `json:"status"`
}

type HealthBody struct {
	Status       string `json:"status"`
	MaxTracks    int    `json:"maxTracks"`
	ActiveTracks int    `json:"activeTracks"`
	Captures     int    `json:"captures"`
}

// Issue is one problem with a request body, as the API's validation_failed problems list them.
type Issue struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func validIdentity(s string) bool { n := utf16Len(s); return n >= 1 && n <= 128 }

func validateExclusions(excluded []Exclusion, path string) []Issue {
	var issues []Issue
	if excluded == nil {
		return []Issue{{path, "required"}}
	}
	if len(excluded) > 1000 {
		issues = append(issues, Issue{path, "at most 1000 exclusions"})
	}
	seen := map[string]bool{}
	for i, e := range excluded {
		if !validIdentity(e.Identity) {
			issues = append(issues, Issue{fmt.Sprintf("%s.%d.identity", path, i), "must be 1-128 characters"})
		} else if seen[e.Identity] {
			issues = append(issues, Issue{fmt.Sprintf("%s.%d.identity", path, i), "listed twice"})
		}
		seen[e.Identity] = true
		if !exclusionReasons[e.Reason] {
			issues = append(issues, Issue{fmt.Sprintf("%s.%d.reason", path, i), `must be "declined" or "excluded_by_host"`})
		}
	}
	return issues
}

// Validate checks a start request as protocol/recorder-control.ts's StartCaptureRequest does.
func (r StartRequest) Validate() []Issue {
	var issues []Issue
	for path, id := range map[string]string{"recordingId": r.RecordingID, "tenantId": r.TenantID, "meetingId": r.MeetingID} {
		if !uuidPattern.MatchString(id) {
			issues = append(issues, Issue{path, "must be a UUID"})
		}
	}
	if n := utf16Len(r.Room); n < 1 || n > 256 {
		issues = append(issues, Issue{"room", "must be 1-256 characters"})
	}
	if u, err := url.Parse(r.NodeURL); err != nil || u.Host == "" ||
		(u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https") {
		issues = append(issues, Issue{"nodeUrl", "must be a ws(s) or http(s) URL"})
	}
	if !layouts[r.Layout] {
		issues = append(issues, Issue{"layout", `must be "grid" or "speaker"`})
	}
	return append(issues, validateExclusions(r.Excluded, "excluded")...)
}

func (r ExclusionsRequest) Validate() []Issue { return validateExclusions(r.Excluded, "excluded") }
