package recorder

import (
	"strings"
	"testing"
)

func TestAnExcludedParticipantIsNeverCapturedAndIsListed(t *testing.T) {
	p := NewCapturePolicy([]string{"carol", "dave"})
	if p.Captures("carol") || p.Captures("dave") {
		t.Fatal("an excluded identity is captured")
	}
	if !p.Captures("alice") {
		t.Fatal("a participant nobody excluded is not captured")
	}
	if got := len(p.Excluded()); got != 2 {
		t.Fatalf("excluded list has %d identities, want 2", got)
	}
}

func TestAHostileIdentityCannotLeaveTheOutputDirectory(t *testing.T) {
	vp8, _ := ContainerFor("video/VP8")
	for _, identity := range []string{"../../etc/passwd", "/abs", "a/b", "..", "x\x00y", "名前"} {
		name := TrackFileName(identity, "TR_abc", vp8)
		if strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") {
			t.Errorf("%q became %q", identity, name)
		}
	}
	if TrackFileName("a/b", "TR_1", vp8) == TrackFileName("a/b", "TR_2", vp8) {
		t.Error("two tracks of one participant share a file name")
	}
}
