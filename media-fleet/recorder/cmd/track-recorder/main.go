// Command track-recorder captures LiveKit rooms' tracks without transcoding, in chunks, to S3 or a directory.
//
//	track-recorder serve     the control API (start, status, pause, resume, exclusions, stop) on loopback
//	track-recorder record    one room into a local directory until SIGINT/SIGTERM or -duration
//
// Secrets come from the environment, never flags (ps shows flags), and are never logged.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"edge-meetings/media-fleet/recorder"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(log)
	case "record":
		err = record(log, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "track-recorder:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  track-recorder serve
      RECORDER_CONTROL_SECRET, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, S3_ENDPOINT, S3_REGION, S3_BUCKET,
      S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY; optional RECORDER_LISTEN (127.0.0.1:9300),
      RECORDER_CHUNK_SECONDS (10), RECORDER_MAX_TRACKS (64), RECORDER_WORK_DIR (a temporary directory)
  LIVEKIT_API_KEY=… LIVEKIT_API_SECRET=… track-recorder record -room R -out DIR [-url U] [-exclude a,b] [-duration 10s]`)
	os.Exit(2)
}

func env(name string, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func chunkDuration() (time.Duration, error) {
	seconds, err := strconv.ParseFloat(env("RECORDER_CHUNK_SECONDS", "10"), 64)
	if err != nil || seconds < 0.5 || seconds > 600 {
		return 0, errors.New("RECORDER_CHUNK_SECONDS must be a number from 0.5 to 600")
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

func serve(log *slog.Logger) error {
	var missing []string
	for _, name := range []string{"RECORDER_CONTROL_SECRET", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"} {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	secret := os.Getenv("RECORDER_CONTROL_SECRET")
	if len(secret) < 32 {
		return errors.New("RECORDER_CONTROL_SECRET must be at least 32 characters")
	}
	chunk, err := chunkDuration()
	if err != nil {
		return err
	}
	maxTracks, err := strconv.Atoi(env("RECORDER_MAX_TRACKS", "64"))
	if err != nil || maxTracks < 1 {
		return errors.New("RECORDER_MAX_TRACKS must be a positive integer")
	}
	store, err := recorder.NewS3Store(recorder.S3Config{
		Endpoint: os.Getenv("S3_ENDPOINT"), Region: env("S3_REGION", "us-east-1"), Bucket: os.Getenv("S3_BUCKET"),
		AccessKey: os.Getenv("S3_ACCESS_KEY_ID"), SecretKey: os.Getenv("S3_SECRET_ACCESS_KEY"),
	})
	if err != nil {
		return err
	}
	workDir := env("RECORDER_WORK_DIR", filepath.Join(os.TempDir(), fmt.Sprintf("track-recorder-%d", os.Getpid())))
	service := recorder.NewService(recorder.CaptureDeps{
		Store: store, APIKey: os.Getenv("LIVEKIT_API_KEY"), APISecret: os.Getenv("LIVEKIT_API_SECRET"),
		ChunkDuration: chunk, WorkDir: workDir, Log: log,
	}, maxTracks)
	listen := env("RECORDER_LISTEN", "127.0.0.1:9300")
	listener, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: recorder.ControlHandler(service, []byte(secret), log), ReadHeaderTimeout: 10 * time.Second}
	log.Info("recorder listening", "address", listener.Addr().String(), "chunkSeconds", chunk.Seconds(), "maxTracks", maxTracks)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return err
	case <-stop:
	}
	// A graceful stop uploads every capture's last chunks and manifest before the process goes.
	log.Info("recorder stopping: finishing every capture")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
	service.StopAll()
	return os.RemoveAll(workDir)
}

func record(log *slog.Logger, args []string) error {
	flags := flag.NewFlagSet("record", flag.ExitOnError)
	url := flags.String("url", "ws://127.0.0.1:7880", "LiveKit node URL")
	room := flags.String("room", "", "room to record")
	out := flags.String("out", "", "output directory: recordings/<tenant>/<recording>/… as in S3")
	exclude := flags.String("exclude", "", "comma-separated identities never to capture")
	duration := flags.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	_ = flags.Parse(args)
	apiKey, apiSecret := os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if *room == "" || *out == "" || apiKey == "" || apiSecret == "" {
		usage()
	}
	chunk, err := chunkDuration()
	if err != nil {
		return err
	}
	req := recorder.StartRequest{
		RecordingID: "00000000-0000-4000-8000-000000000000", TenantID: "00000000-0000-4000-8000-000000000001",
		MeetingID: "00000000-0000-4000-8000-000000000002", Room: *room, NodeURL: *url, Layout: "grid", Excluded: []recorder.Exclusion{},
	}
	for _, identity := range strings.Split(*exclude, ",") {
		if identity = strings.TrimSpace(identity); identity != "" {
			req.Excluded = append(req.Excluded, recorder.Exclusion{Identity: identity, Reason: "declined"})
		}
	}
	if issues := req.Validate(); len(issues) > 0 {
		return fmt.Errorf("%s: %s", issues[0].Path, issues[0].Message)
	}
	service := recorder.NewService(recorder.CaptureDeps{
		Store: recorder.NewDirStore(*out), APIKey: apiKey, APISecret: apiSecret, ChunkDuration: chunk,
		WorkDir: filepath.Join(*out, ".work"), Log: log,
	}, 1<<20)
	if _, _, err := service.Start(req); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "track-recorder: recording room %q into %s\n", *room, *out)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	var timeout <-chan time.Time
	if *duration > 0 {
		timeout = time.After(*duration)
	}
	select {
	case <-stop:
	case <-timeout:
	}
	status, err := service.Stop(req.RecordingID)
	if err == nil {
		fmt.Fprintf(os.Stderr, "track-recorder: %d chunks, manifest %s\n", status.ChunksUploaded, filepath.Join(*out, status.ManifestKey))
	}
	return err
}
