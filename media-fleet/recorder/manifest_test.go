package recorder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readManifest(t *testing.T, path string) Manifest {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("manifest on disk is not valid JSON: %v", err)
	}
	return m
}

func TestEveryChangeIsOnDiskSoACrashLeavesAManifestOfTheFilesWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.json")
	store, err := NewManifestStore(path, Manifest{Room: "r", StartedAt: time.Now(), Excluded: []string{"carol"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := readManifest(t, path); m.Room != "r" || len(m.Excluded) != 1 {
		t.Fatalf("initial manifest not written: %+v", m)
	}
	start := time.Now().UTC()
	_ = store.UpdateTrack("TR_v", func(mt *ManifestTrack) {
		mt.ParticipantIdentity, mt.Kind = "alice", "video"
		mt.Files = append(mt.Files, ManifestFile{Path: "alice_TR_v.ivf", StartedAt: &start})
	})
	_ = store.UpdateTrack("TR_v", func(mt *ManifestTrack) { mt.Files[0].Packets = 42 })
	m := readManifest(t, path)
	if len(m.Tracks) != 1 || m.Tracks[0].Files[0].Packets != 42 || m.Tracks[0].Files[0].StartedAt == nil {
		t.Fatalf("track updates not merged into one entry: %+v", m.Tracks)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("staging file left behind")
	}
}
