package recorder

import (
	"strings"
	"testing"
	"unicode/utf16"
)

func file(key string, from, to int) ManifestFile {
	return ManifestFile{Key: key, StartedAt: at(from).UnixMilli(), EndedAt: at(to).UnixMilli()}
}

func TestAnExcludedParticipantIsListedWithNoTracksAndNoSpeakerSpans(t *testing.T) {
	m := BuildManifest(ManifestInput{
		RecordingID: "r", TenantID: "t", MeetingID: "m", Layout: "grid", StartedAt: at(0), Until: at(5000),
		Participants: map[string]string{"alice": "Alice", "carol": "Carol"},
		Excluded:     map[string]string{"carol": "declined", "dave": "excluded_by_host"},
		Tracks: []ManifestTrack{
			{ID: "TR_a", Participant: "alice", Files: []ManifestFile{file("a1", 100, 2000)}},
			{ID: "TR_c", Participant: "carol", Files: []ManifestFile{file("c1", 100, 2000)}},
			{ID: "TR_empty", Participant: "alice"},
		},
		Speakers: []SpeakerSpan{{"carol", at(0).UnixMilli(), at(100).UnixMilli()}, {"alice", at(100).UnixMilli(), at(200).UnixMilli()}},
	})
	if len(m.Tracks) != 1 || m.Tracks[0].ID != "TR_a" {
		t.Fatalf("tracks %+v: want alice's one track with files", m.Tracks)
	}
	if len(m.Participants) != 3 || m.Participants[1].Excluded == nil || m.Participants[1].Excluded.Reason != "declined" ||
		m.Participants[2].Name != "dave" || m.Participants[2].Excluded.Reason != "excluded_by_host" {
		t.Fatalf("participants %+v", m.Participants)
	}
	if len(m.Speakers) != 1 || m.Speakers[0].Participant != "alice" {
		t.Fatalf("speakers %+v", m.Speakers)
	}
}

func TestTheRecordingCoversEveryFileAndPauseSpansStayInsideIt(t *testing.T) {
	m := BuildManifest(ManifestInput{
		StartedAt: at(1000), Until: at(3000), Layout: "speaker",
		Participants: map[string]string{"alice": ""},
		Tracks:       []ManifestTrack{{ID: "TR_a", Participant: "alice", Files: []ManifestFile{file("a1", 990, 3010)}}},
		Paused:       []Span{{at(500).UnixMilli(), at(1500).UnixMilli()}, {at(2000).UnixMilli(), at(2000).UnixMilli()}},
	})
	if m.StartedAt != at(990).UnixMilli() || m.EndedAt != at(3010).UnixMilli() {
		t.Fatalf("recording %d–%d does not cover its file", m.StartedAt, m.EndedAt)
	}
	if len(m.Paused) != 1 || m.Paused[0].From != m.StartedAt {
		t.Fatalf("paused %+v", m.Paused)
	}
	if m.Participants[0].Name != "alice" || m.Output.Resolution != "1080p" || m.Output.FPS != 30 {
		t.Fatalf("%+v", m)
	}
}

func TestNamesAreOneStorableLineOfAtMost128Units(t *testing.T) {
	if got := ManifestName("Ada\x00\n Lovelace\u0085", "ada"); got != "Ada Lovelace" {
		t.Fatalf("got %q", got)
	}
	long := ManifestName(strings.Repeat("😀", 100), "x")
	if n := len(utf16.Encode([]rune(long))); n > 128 || n < 126 {
		t.Fatalf("%d UTF-16 units", n)
	}
	if got := ManifestName("  ", "bob"); got != "bob" {
		t.Fatalf("blank name became %q", got)
	}
}

// The capture hands tracks over from a map, in any order; the manifest lists them by first file, then by ID.
func TestTracksAreListedInOneOrderWhateverOrderTheyCameIn(t *testing.T) {
	tracks := []ManifestTrack{
		{ID: "TR_c", Participant: "carol", Files: []ManifestFile{file("c1", 500, 2000)}},
		{ID: "TR_b", Participant: "bob", Files: []ManifestFile{file("b1", 100, 2000)}},
		{ID: "TR_a", Participant: "alice", Files: []ManifestFile{file("a1", 100, 2000)}},
	}
	for shift := range tracks {
		rotated := append(append([]ManifestTrack{}, tracks[shift:]...), tracks[:shift]...)
		m := BuildManifest(ManifestInput{StartedAt: at(0), Until: at(3000), Layout: "grid", Tracks: rotated,
			Participants: map[string]string{"alice": "", "bob": "", "carol": ""}})
		if got := m.Tracks[0].ID + m.Tracks[1].ID + m.Tracks[2].ID; got != "TR_aTR_bTR_c" {
			t.Fatalf("order %s from rotation %d", got, shift)
		}
	}
}
