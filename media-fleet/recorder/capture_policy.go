package recorder

import "regexp"

// CapturePolicy decides whose tracks are captured. An excluded participant (declined consent, or excluded by a
// host) is never subscribed to, so their media never reaches the recorder at all.
type CapturePolicy struct {
	excluded map[string]bool
}

func NewCapturePolicy(excludedIdentities []string) CapturePolicy {
	excluded := make(map[string]bool, len(excludedIdentities))
	for _, identity := range excludedIdentities {
		excluded[identity] = true
	}
	return CapturePolicy{excluded: excluded}
}

func (p CapturePolicy) Captures(identity string) bool { return !p.excluded[identity] }

// Excluded lists the excluded identities, for the manifest.
func (p CapturePolicy) Excluded() []string {
	out := make([]string, 0, len(p.excluded))
	for identity := range p.excluded {
		out = append(out, identity)
	}
	return out
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// TrackFileName names a track's file from parts a participant controls (its identity), so it must not be able
// to leave the output directory or collide: unsafe characters are replaced and the track SID keeps it unique.
func TrackFileName(identity, trackSID string, c Container) string {
	return unsafeFileChars.ReplaceAllString(identity, "_") + "_" + unsafeFileChars.ReplaceAllString(trackSID, "_") + "." + c.Extension
}
