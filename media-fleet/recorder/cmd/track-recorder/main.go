// Command track-recorder records one LiveKit room's tracks to local files and a manifest until it is stopped
// (SIGINT/SIGTERM) or -duration passes. The API secret comes from the environment, never a flag (ps shows flags).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"edge-meetings/media-fleet/recorder"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:7880", "LiveKit node URL")
	room := flag.String("room", "", "room to record")
	identity := flag.String("identity", "", "the recorder's hidden identity (default: recorder-<unix time>)")
	out := flag.String("out", "", "output directory (created; holds the files and manifest.json)")
	exclude := flag.String("exclude", "", "comma-separated identities never to capture")
	duration := flag.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	flag.Parse()
	apiKey, apiSecret := os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if *room == "" || *out == "" || apiKey == "" || apiSecret == "" {
		fmt.Fprintln(os.Stderr, "usage: LIVEKIT_API_KEY=… LIVEKIT_API_SECRET=… track-recorder -room R -out DIR [-url U] [-exclude a,b] [-duration 10s]")
		os.Exit(2)
	}
	if *identity == "" {
		*identity = fmt.Sprintf("recorder-%d", time.Now().Unix())
	}
	if err := run(*url, apiKey, apiSecret, *room, *identity, *out, splitList(*exclude), *duration); err != nil {
		fmt.Fprintln(os.Stderr, "track-recorder:", err)
		os.Exit(1)
	}
}

func run(url, apiKey, apiSecret, room, identity, out string, exclude []string, duration time.Duration) error {
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	policy := recorder.NewCapturePolicy(exclude)
	store, err := recorder.NewManifestStore(filepath.Join(out, "manifest.json"), recorder.Manifest{
		Room: room, StartedAt: time.Now().UTC(), Excluded: policy.Excluded(), Tracks: []recorder.ManifestTrack{},
	})
	if err != nil {
		return err
	}
	session, err := recorder.Join(recorder.SessionConfig{
		URL: url, APIKey: apiKey, APISecret: apiSecret, Room: room, Identity: identity, Policy: policy, Store: store,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "track-recorder: recording room %q into %s\n", room, out)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	var timeout <-chan time.Time
	if duration > 0 {
		timeout = time.After(duration)
	}
	select {
	case <-stop:
	case <-timeout:
	}
	session.Stop()
	return store.Update(func(m *recorder.Manifest) {
		ended := time.Now().UTC()
		m.EndedAt = &ended
	})
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
