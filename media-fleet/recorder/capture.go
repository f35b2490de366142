package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/pion/webrtc/v4"

	lksdk "github.com/livekit/server-sdk-go/v2"
)

// CaptureDeps: what every capture of a recorder process shares.
type CaptureDeps struct {
	Store         ObjectStore
	APIKey        string
	APISecret     string
	ChunkDuration time.Duration
	WorkDir       string // chunks wait here until uploaded
	Log           *slog.Logger
}

// RecordingPrefix and the keys under it: protocol/recording-composition.ts's layout.
func RecordingPrefix(tenantID, recordingID string) string {
	return "recordings/" + tenantID + "/" + recordingID + "/"
}
func ManifestKeyOf(tenantID, recordingID string) string {
	return RecordingPrefix(tenantID, recordingID) + "manifest.json"
}
func ChunkKey(prefix, trackID string, index int, c Container) string {
	return fmt.Sprintf("%stracks/%s/%06d.%s", prefix, trackID, index, c.Extension)
}

var contentTypes = map[string]string{"vp8": "video/x-ivf", "h264": "video/x-ivf", "opus": "audio/ogg"}

var sourceNames = map[livekit.TrackSource]string{
	livekit.TrackSource_CAMERA: "camera", livekit.TrackSource_SCREEN_SHARE: "screen", livekit.TrackSource_MICROPHONE: "mic",
}

// The manifest knows camera, screen and mic; anything else (screen-share audio, an unknown source) is named by kind.
func manifestSource(source livekit.TrackSource, kind string) string {
	if name, ok := sourceNames[source]; ok && (kind == "audio") == (name == "mic") {
		return name
	}
	if kind == "audio" {
		return "mic"
	}
	return "camera"
}

type captureTrack struct {
	meta     ManifestTrack // Files: uploaded chunks, in order
	identity string
	pub      *lksdk.RemoteTrackPublication
	rec      *trackRecorder // nil until subscribed; replaced on a new subscription
	running  bool
	excluded bool
}

// Capture is one recording of one room on this recorder.
type Capture struct {
	req       StartRequest
	deps      CaptureDeps
	prefix    string
	key       string // the manifest's
	identity  string // ours in the room
	workDir   string
	startedAt time.Time
	queue     *uploadQueue

	mu             sync.Mutex
	room           *lksdk.Room
	pause          *PauseLog
	stoppedAt      time.Time
	speakers       SpeakerLog
	names          map[string]string // identity → name, everyone seen
	excluded       map[string]string // identity → reason
	tracks         map[string]*captureTrack
	chunksUploaded int
	cont           *Continuation // the manifest this capture continues; nil for a recording's first capture
	uploadFailures int
	readers        sync.WaitGroup
	stopOnce       sync.Once
}

func newCapture(req StartRequest, deps CaptureDeps, now time.Time) *Capture {
	excluded := map[string]string{}
	for _, e := range req.Excluded {
		excluded[e.Identity] = e.Reason
	}
	prefix := RecordingPrefix(req.TenantID, req.RecordingID)
	c := &Capture{
		req: req, deps: deps, prefix: prefix, key: ManifestKeyOf(req.TenantID, req.RecordingID),
		identity: "recorder-" + req.RecordingID, workDir: filepath.Join(deps.WorkDir, req.RecordingID),
		startedAt: now, queue: newUploadQueue(), pause: NewPauseLog(),
		names: map[string]string{}, excluded: excluded, tracks: map[string]*captureTrack{},
	}
	if req.Paused {
		c.pause.Pause(now)
	}
	return c
}

// join connects to the room hidden and subscribe-only and subscribes to every allowed track published so far;
// later tracks are subscribed to as they are published (late joiners, screen share, a camera turned on).
func (c *Capture) join() error {
	if err := os.MkdirAll(c.workDir, 0o700); err != nil {
		return err
	}
	if c.req.Continuing {
		if err := c.continueRecording(); err != nil {
			return fmt.Errorf("continue from %s: %w", c.key, err)
		}
	}
	// Only has to last until the join; LiveKit refreshes it for the session afterwards.
	token, err := SubscriberToken(c.deps.APIKey, c.deps.APISecret, c.req.Room, c.identity, 10*time.Minute)
	if err != nil {
		return err
	}
	cb := lksdk.NewRoomCallback()
	cb.OnParticipantConnected = func(rp *lksdk.RemoteParticipant) { c.seen(rp) }
	cb.OnTrackPublished = func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) { c.offer(pub, rp) }
	cb.OnTrackSubscribed = c.onSubscribed
	cb.OnActiveSpeakersChanged = c.onSpeakers
	// Auto-subscribe off: an excluded participant's media must never be sent to us, not merely dropped here.
	room, err := lksdk.ConnectToRoomWithToken(c.req.NodeURL, token, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		return fmt.Errorf("join %s: %w", c.req.Room, err)
	}
	c.mu.Lock()
	c.room = room
	c.mu.Unlock()
	for _, rp := range room.GetRemoteParticipants() {
		c.seen(rp)
		for _, pub := range rp.TrackPublications() {
			if remote, ok := pub.(*lksdk.RemoteTrackPublication); ok {
				c.offer(remote, rp)
			}
		}
	}
	c.queue.add(c.writeManifest)
	return nil
}

func (c *Capture) seen(rp *lksdk.RemoteParticipant) {
	if !validIdentity(rp.Identity()) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pause.State() != StateStopped {
		c.names[rp.Identity()] = rp.Name()
	}
}

// offer subscribes to a published track unless its participant is excluded (or the identity is one the
// manifest can't hold). Codecs with no container here are still left unsubscribed: nothing could be written.
func (c *Capture) offer(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	identity := rp.Identity()
	if !validIdentity(identity) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pause.State() == StateStopped {
		return
	}
	c.names[identity] = rp.Name()
	if _, excluded := c.excluded[identity]; excluded {
		return
	}
	t := c.tracks[pub.SID()]
	if t == nil {
		t = &captureTrack{identity: identity, pub: pub, meta: ManifestTrack{ID: pub.SID(), Participant: identity}}
		c.tracks[pub.SID()] = t
	}
	t.pub, t.excluded = pub, false
	if !pub.IsSubscribed() {
		if err := pub.SetSubscribed(true); err != nil {
			c.deps.Log.Warn("subscribe failed", "recording", c.req.RecordingID, "track", pub.SID(), "error", err.Error())
		}
	}
}

func (c *Capture) onSubscribed(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tracks[pub.SID()]
	_, excluded := c.excluded[rp.Identity()]
	// Checked again: a subscription we did not ask for (a server-side subscribe) must still honour exclusion.
	if t == nil || excluded || c.pause.State() == StateStopped || !validIdentity(rp.Identity()) {
		_ = pub.SetSubscribed(false)
		return
	}
	container, err := ContainerFor(track.Codec().MimeType)
	if err != nil {
		c.deps.Log.Warn("track not captured", "recording", c.req.RecordingID, "track", pub.SID(), "mime", track.Codec().MimeType)
		_ = pub.SetSubscribed(false)
		return
	}
	kind := track.Kind().String()
	t.meta.Kind, t.meta.Codec, t.meta.Container = kind, container.Codec, container.Name
	t.meta.Source = manifestSource(pub.Source(), kind)
	format := FileFormat{Container: container, ClockRate: track.Codec().ClockRate, Channels: track.Codec().Channels}
	if info := pub.TrackInfo(); info != nil {
		format.Width, format.Height = uint16(info.Width), uint16(info.Height)
	}
	first := c.cont.nextIndex(pub.SID())
	if t.rec != nil {
		first = t.rec.nextIndex()
	}
	rec := newTrackRecorder(pub.SID(), format, c.deps.ChunkDuration, c.workDir, first, c.pause.Capturing(), time.Now())
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		ssrc := track.SSRC()
		rec.requestKeyframe = func() { rp.WritePLI(ssrc) }
	}
	rec.onChunk = func(chunk ClosedChunk) { c.queue.add(func() { c.upload(chunk, container) }) }
	rec.onError = func(err error) {
		c.deps.Log.Warn("track write failed", "recording", c.req.RecordingID, "track", pub.SID(), "error", err.Error())
	}
	t.rec, t.running = rec, true
	c.deps.Log.Info("track subscribed", "recording", c.req.RecordingID, "track", pub.SID(), "participant", rp.Identity(), "codec", container.Codec, "live", rec.live, "state", string(c.pause.State()))
	c.readers.Add(1)
	go func() {
		defer c.readers.Done()
		rec.run(track)
		packets, frames, keyframes := rec.counts()
		c.deps.Log.Info("track ended", "recording", c.req.RecordingID, "track", pub.SID(), "chunks", rec.nextIndex()-1,
			"packets", packets, "frames", frames, "keyframes", keyframes)
		c.mu.Lock()
		if t.rec == rec {
			t.running = false
		}
		c.mu.Unlock()
	}()
}

func (c *Capture) onSpeakers(speakers []lksdk.Participant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pause.Capturing() {
		return
	}
	loudest := ""
	for _, p := range speakers {
		if _, excluded := c.excluded[p.Identity()]; !excluded && p.Identity() != c.identity {
			if _, known := c.names[p.Identity()]; known {
				loudest = p.Identity()
				break
			}
		}
	}
	c.speakers.Change(loudest, time.Now())
}

// upload puts one closed chunk in S3, lists it, and rewrites the manifest; a chunk of a participant excluded
// meanwhile is deleted instead (from disk, or from S3 if the exclusion came during its upload).
func (c *Capture) upload(chunk ClosedChunk, container Container) {
	defer os.Remove(chunk.Path)
	key := ChunkKey(c.prefix, chunk.TrackID, chunk.Index, container)
	if c.trackExcluded(chunk.TrackID) {
		return
	}
	if err := retry(func(ctx context.Context) error {
		return c.deps.Store.PutFile(ctx, key, chunk.Path, contentTypes[container.Codec])
	}); err != nil {
		c.mu.Lock()
		c.uploadFailures++
		c.mu.Unlock()
		c.deps.Log.Error("chunk upload failed", "recording", c.req.RecordingID, "key", key, "error", err.Error())
		return
	}
	c.mu.Lock()
	t := c.tracks[chunk.TrackID]
	if t == nil || t.excluded {
		c.mu.Unlock()
		_ = retry(func(ctx context.Context) error { return c.deps.Store.Delete(ctx, key) })
		return
	}
	t.meta.Files = append(t.meta.Files, ManifestFile{Key: key, StartedAt: chunk.StartedAt, EndedAt: chunk.EndedAt})
	c.chunksUploaded++
	c.mu.Unlock()
	c.writeManifest()
}

func (c *Capture) trackExcluded(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tracks[id]
	return t == nil || t.excluded
}

func retry(op func(ctx context.Context) error) error {
	var err error
	for attempt, wait := 0, 200*time.Millisecond; attempt < 4; attempt, wait = attempt+1, wait*2 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = op(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(wait)
	}
	return err
}

// manifest is the capture's manifest as of now (or of the stop).
func (c *Capture) manifest() Manifest {
	c.mu.Lock()
	defer c.mu.Unlock()
	until := time.Now()
	if !c.stoppedAt.IsZero() {
		until = c.stoppedAt
	}
	tracks := make([]ManifestTrack, 0, len(c.tracks))
	for _, t := range c.tracks {
		if !t.excluded {
			meta := t.meta
			meta.Files = append([]ManifestFile{}, t.meta.Files...)
			tracks = append(tracks, meta)
		}
	}
	paused, speakers, lost := c.continuedSpans(c.pause.Through(until), c.speakers.Through(until, func(string) bool { return true }))
	return BuildManifest(ManifestInput{
		RecordingID: c.req.RecordingID, TenantID: c.req.TenantID, MeetingID: c.req.MeetingID, Layout: c.req.Layout,
		StartedAt: c.startedAt, Until: until, Participants: c.names, Excluded: c.excluded, Tracks: tracks,
		Paused: paused, Lost: lost, Speakers: speakers,
	})
}

// writeManifest uploads the manifest as it stands; run on the queue only, so writes never overtake each other.
func (c *Capture) writeManifest() {
	body, err := json.Marshal(c.manifest())
	if err == nil {
		err = retry(func(ctx context.Context) error { return c.deps.Store.PutBytes(ctx, c.key, body, "application/json") })
	}
	if err != nil {
		c.mu.Lock()
		c.uploadFailures++
		c.mu.Unlock()
		c.deps.Log.Error("manifest upload failed", "recording", c.req.RecordingID, "error", err.Error())
	}
}

// Pause closes every open chunk now and writes nothing until Resume.
func (c *Capture) Pause() (StatusBody, error) {
	c.mu.Lock()
	now := time.Now()
	if c.pause.State() == StateStopped {
		c.mu.Unlock()
		return c.Status(), ErrCaptureStopped
	}
	if c.pause.Pause(now) {
		for _, t := range c.tracks {
			if t.rec != nil {
				t.rec.stopWriting(now)
			}
		}
		c.speakers.Change("", now)
		c.queue.add(c.writeManifest)
	}
	c.mu.Unlock()
	return c.Status(), nil
}

// Resume captures again: audio from its next sample, video from its next keyframe (asked for now).
func (c *Capture) Resume() (StatusBody, error) {
	c.mu.Lock()
	now := time.Now()
	if c.pause.State() == StateStopped {
		c.mu.Unlock()
		return c.Status(), ErrCaptureStopped
	}
	if c.pause.Resume(now) {
		for _, t := range c.tracks {
			if t.rec != nil && !t.excluded {
				t.rec.startWriting(now)
			}
		}
		c.queue.add(c.writeManifest)
	}
	c.mu.Unlock()
	return c.Status(), nil
}

// Exclude replaces the exclusion set. A newly excluded participant is unsubscribed at once, their open chunks
// dropped, the manifest rewritten without their tracks, then their uploaded chunks deleted. Someone no longer
// excluded is subscribed to again, captured from then on.
func (c *Capture) Exclude(excluded []Exclusion) (StatusBody, error) {
	c.mu.Lock()
	if c.pause.State() == StateStopped {
		c.mu.Unlock()
		return c.Status(), ErrCaptureStopped
	}
	wanted := map[string]string{}
	for _, e := range excluded {
		wanted[e.Identity] = e.Reason
	}
	var doomed []string
	var readmitted []string
	for id, t := range c.tracks {
		if _, out := wanted[t.identity]; out && !t.excluded {
			t.excluded = true
			if t.rec != nil {
				t.rec.discard()
			}
			if t.pub != nil {
				_ = t.pub.SetSubscribed(false)
			}
			for _, f := range t.meta.Files {
				doomed = append(doomed, f.Key)
			}
			t.meta.Files = nil
			_ = id
		}
	}
	for identity := range c.excluded {
		if _, still := wanted[identity]; !still {
			readmitted = append(readmitted, identity)
		}
	}
	c.excluded = wanted
	room := c.room
	c.mu.Unlock()

	c.queue.add(c.writeManifest)
	c.queue.add(func() {
		for _, key := range doomed {
			if err := retry(func(ctx context.Context) error { return c.deps.Store.Delete(ctx, key) }); err != nil {
				c.mu.Lock()
				c.uploadFailures++
				c.mu.Unlock()
				c.deps.Log.Error("excluded chunk not deleted", "recording", c.req.RecordingID, "key", key, "error", err.Error())
			}
		}
	})
	if room != nil && len(readmitted) > 0 {
		for _, rp := range room.GetRemoteParticipants() {
			for _, identity := range readmitted {
				if rp.Identity() != identity {
					continue
				}
				for _, pub := range rp.TrackPublications() {
					if remote, ok := pub.(*lksdk.RemoteTrackPublication); ok {
						c.offer(remote, rp)
					}
				}
			}
		}
	}
	return c.Status(), nil
}

// Stop leaves the room, closes every chunk, uploads what is left and the final manifest. Idempotent: a second
// call waits for the first and answers the same.
func (c *Capture) Stop() StatusBody {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		now := time.Now()
		c.pause.Stop(now)
		c.stoppedAt = now
		c.speakers.Change("", now)
		for _, t := range c.tracks {
			if t.rec != nil {
				t.rec.stopWriting(now)
			}
		}
		room := c.room
		c.mu.Unlock()
		if room != nil {
			room.Disconnect()
		}
		waitTimeout(&c.readers, 10*time.Second)
		c.queue.add(c.writeManifest)
		c.queue.flush()
		_ = os.RemoveAll(c.workDir)
	})
	return c.Status()
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// ActiveTracks: tracks subscribed and read now (written unless paused).
func (c *Capture) ActiveTracks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.tracks {
		if t.running && !t.excluded {
			n++
		}
	}
	return n
}

func (c *Capture) Status() StatusBody {
	active := c.ActiveTracks()
	c.mu.Lock()
	defer c.mu.Unlock()
	excluded := make([]Exclusion, 0, len(c.excluded))
	for identity, reason := range c.excluded {
		excluded = append(excluded, Exclusion{Identity: identity, Reason: reason})
	}
	sort.Slice(excluded, func(i, j int) bool { return strings.Compare(excluded[i].Identity, excluded[j].Identity) < 0 })
	return StatusBody{
		RecordingID: c.req.RecordingID, State: c.pause.State(), StartedAt: c.startedAt.UnixMilli(),
		ActiveTracks: active, ChunksUploaded: c.chunksUploaded, UploadFailures: c.uploadFailures,
		Excluded: excluded, Paused: c.pause.Finished(), ManifestKey: c.key,
	}
}
