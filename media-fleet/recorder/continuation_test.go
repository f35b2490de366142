package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

func baseManifest() Manifest {
	return BuildManifest(ManifestInput{
		RecordingID: "r", TenantID: "t", MeetingID: "m", Layout: "grid", StartedAt: at(0), Until: at(6000),
		Participants: map[string]string{"alice": "Alice", "bob": "Bob"},
		Excluded:     map[string]string{},
		Tracks: []ManifestTrack{
			{ID: "TR_a", Participant: "alice", Files: []ManifestFile{file("recordings/t/r/tracks/TR_a/000001.ivf", 0, 2000), file("recordings/t/r/tracks/TR_a/000002.ivf", 2000, 4000)}},
			{ID: "TR_b", Participant: "bob", Files: []ManifestFile{file("recordings/t/r/tracks/TR_b/000001.ogg", 0, 4000)}},
		},
		Paused:   []Span{{at(1000).UnixMilli(), at(1500).UnixMilli()}},
		Speakers: []SpeakerSpan{{"bob", at(0).UnixMilli(), at(500).UnixMilli()}, {"alice", at(500).UnixMilli(), at(900).UnixMilli()}},
	})
}

func TestAContinuationKeepsTheFilesSoFarAndListsTheTimeSinceTheLastManifestAsLost(t *testing.T) {
	c := ContinuationOf(baseManifest(), map[string]string{}, at(9000), false)
	if c.StartedAt != at(0).UnixMilli() || len(c.Tracks) != 2 || len(c.Doomed) != 0 {
		t.Fatalf("continuation %+v: want both tracks kept from the recording's start", c)
	}
	if c.NextIndex["TR_a"] != 3 || c.NextIndex["TR_b"] != 2 || c.nextIndex("TR_new") != 1 {
		t.Fatalf("next indexes %+v: a track captured again must not overwrite a listed chunk", c.NextIndex)
	}
	if len(c.Lost) != 1 || c.Lost[0] != (Span{at(6000).UnixMilli(), at(9000).UnixMilli()}) {
		t.Fatalf("lost %+v: want the span from the last manifest write to the continuation", c.Lost)
	}
	if len(c.Paused) != 1 || len(c.Speakers) != 2 || c.Names["alice"] != "Alice" {
		t.Fatalf("paused %+v speakers %+v names %+v", c.Paused, c.Speakers, c.Names)
	}
}

func TestAContinuationOfAPausedRecordingListsTheGapAsPausedNotLost(t *testing.T) {
	base := baseManifest()
	base.Paused = append(base.Paused, Span{at(5000).UnixMilli(), at(6000).UnixMilli()}) // a pause in progress when it died
	c := ContinuationOf(base, map[string]string{}, at(9000), true)
	if len(c.Lost) != 0 {
		t.Fatalf("lost %+v: nothing is lost while paused", c.Lost)
	}
	if len(c.Paused) != 2 || c.Paused[1] != (Span{at(5000).UnixMilli(), at(9000).UnixMilli()}) {
		t.Fatalf("paused %+v: want the open pause joined with the gap", c.Paused)
	}
}

func TestAContinuationDropsAndDeletesTheTracksOfSomeoneExcludedNow(t *testing.T) {
	c := ContinuationOf(baseManifest(), map[string]string{"bob": "excluded_by_host"}, at(9000), false)
	if len(c.Tracks) != 1 || c.Tracks[0].ID != "TR_a" {
		t.Fatalf("tracks %+v: want only alice's", c.Tracks)
	}
	if len(c.Doomed) != 1 || c.Doomed[0] != "recordings/t/r/tracks/TR_b/000001.ogg" {
		t.Fatalf("doomed %+v: want bob's chunk", c.Doomed)
	}
	for _, s := range c.Speakers {
		if s.Participant == "bob" {
			t.Fatalf("speakers %+v: bob must not be listed", c.Speakers)
		}
	}
}

func TestLostSpansFromEarlierLossesAreKeptAndJoinedWhenTheyTouch(t *testing.T) {
	base := baseManifest()
	base.Lost = []Span{{at(4000).UnixMilli(), at(5000).UnixMilli()}, {at(5500).UnixMilli(), at(6000).UnixMilli()}}
	c := ContinuationOf(base, map[string]string{}, at(7000), false)
	want := []Span{{at(4000).UnixMilli(), at(5000).UnixMilli()}, {at(5500).UnixMilli(), at(7000).UnixMilli()}}
	if len(c.Lost) != 2 || c.Lost[0] != want[0] || c.Lost[1] != want[1] {
		t.Fatalf("lost %+v, want %+v", c.Lost, want)
	}
}

// The continuing capture reads the last manifest from the store and writes one that lists the earlier files, the
// lost span, and its own paused start, at the same key.
func TestACaptureContinuingARecordingWritesTheMergedManifestAtTheSameKey(t *testing.T) {
	store := NewDirStore(t.TempDir())
	key := ManifestKeyOf("00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002")
	base := baseManifest()
	body, _ := json.Marshal(base)
	if err := store.PutBytes(context.Background(), key, body, "application/json"); err != nil {
		t.Fatal(err)
	}
	deps := CaptureDeps{Store: store, ChunkDuration: time.Second, WorkDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	req := StartRequest{RecordingID: "00000000-0000-4000-8000-000000000002", TenantID: "00000000-0000-4000-8000-000000000001",
		MeetingID: "m", Layout: "grid", Continuing: true, Paused: true}
	c := newCapture(req, deps, at(9000))
	if err := c.continueRecording(); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.stoppedAt = at(12000)
	c.mu.Unlock()
	m := c.manifest()
	if m.StartedAt != base.StartedAt || m.EndedAt != at(12000).UnixMilli() || len(m.Tracks) != 2 || len(m.Tracks[0].Files) != 2 {
		t.Fatalf("manifest %+v: want the base's start and files", m)
	}
	// Resumed paused: the gap since the last write and the pause since the start are one paused span.
	if len(m.Lost) != 0 || len(m.Paused) != 2 || m.Paused[1] != (Span{at(6000).UnixMilli(), at(12000).UnixMilli()}) {
		t.Fatalf("paused %+v lost %+v", m.Paused, m.Lost)
	}
	if _, err := store.Get(context.Background(), "recordings/none/manifest.json"); !errors.Is(err, ErrObjectMissing) {
		t.Fatalf("a missing object: %v, want ErrObjectMissing", err)
	}
}
