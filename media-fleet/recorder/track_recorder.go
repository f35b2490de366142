package recorder

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/livekit/server-sdk-go/v2/pkg/samplebuilder"
)

// How many packets the sample builder waits for a late one before giving up on it: about 2 s of 1080p video,
// 4 s of Opus (LiveKit's own file saver example uses the same figures).
const (
	maxVideoLate = 1000
	maxAudioLate = 200
	// Longer than a retransmission takes here (NACK and resend: a few round trips).
	maxStall = 500 * time.Millisecond
)

// ClosedChunk is a chunk file on local disk, ready to upload.
type ClosedChunk struct {
	TrackID   string
	Index     int
	Path      string
	StartedAt int64
	EndedAt   int64
}

// trackRecorder writes one subscribed track into chunk files. Samples arrive from its read loop; the capture
// closes its chunk from outside (pause, exclusion, stop). Both go through mu, so a pause takes effect at once.
type trackRecorder struct {
	mu              sync.Mutex
	id              string
	format          FileFormat
	workDir         string
	cutter          *ChunkCutter
	clock           *SampleClock
	cur             *chunkFile
	next            int       // the next chunk's number
	live            bool      // may write: the capture is capturing and the participant not excluded
	floor           time.Time // a chunk starts no earlier than this (when capture last began)
	requestKeyframe func()
	onChunk         func(ClosedChunk) // must not block: called with mu held
	onError         func(error)
	// What the track carried, for the log when it ends.
	packets, frames, keyframes int
}

func newTrackRecorder(id string, format FileFormat, chunk time.Duration, workDir string, firstIndex int, live bool, now time.Time) *trackRecorder {
	return &trackRecorder{
		id: id, format: format, workDir: workDir, next: firstIndex, live: live, floor: now,
		cutter: NewChunkCutter(SettingsFor(format.Container, chunk)), clock: NewSampleClock(format.ClockRate),
		requestKeyframe: func() {}, onChunk: func(ClosedChunk) {}, onError: func(error) {},
	}
}

func newSampleBuilder(c Container, clockRate uint32, onLoss func()) (*samplebuilder.SampleBuilder, error) {
	switch c.Codec {
	case "vp8":
		return samplebuilder.New(maxVideoLate, &codecs.VP8Packet{}, clockRate, samplebuilder.WithPacketDroppedHandler(onLoss)), nil
	case "h264":
		return samplebuilder.New(maxVideoLate, &codecs.H264Packet{}, clockRate, samplebuilder.WithPacketDroppedHandler(onLoss)), nil
	case "opus":
		return samplebuilder.New(maxAudioLate, &codecs.OpusPacket{}, clockRate), nil
	}
	return nil, ErrUnsupportedCodec
}

// run reads the track until it ends (unsubscribed, unpublished, room left), then closes the open chunk.
func (t *trackRecorder) run(track *webrtc.TrackRemote) {
	// A decoder needs a new keyframe after a loss; a video chunk needs one to start.
	builder, err := newSampleBuilder(t.format.Container, t.format.ClockRate, func() { t.requestKeyframe() })
	if err != nil {
		t.onError(err)
		return
	}
	t.requestKeyframe() // a subscriber joining mid-stream has nothing to start from until the next keyframe
	var padding uint16
	progress := time.Now()
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			break
		}
		// The SFU probes bandwidth with padding-only packets in the track's own sequence. They carry no media,
		// and the sample builder would take one at its tail for a frame's lost start, or their gap for loss, and
		// hold every frame behind it for up to maxLate packets: dropped, and the sequence closed up behind them.
		if len(pkt.Payload) == 0 {
			padding++
			continue
		}
		pkt.SequenceNumber -= padding
		t.mu.Lock()
		t.packets++
		t.mu.Unlock()
		builder.Push(pkt)
		now := time.Now()
		popped := false
		for frame := builder.PopPackets(); frame != nil; frame = builder.PopPackets() {
			t.sample(frame, now)
			popped = true
		}
		// A head the builder can never complete (a frame whose first packet never came, as a new subscription
		// may begin mid-frame) would hold everything behind it for maxLate packets, a minute of small video:
		// after maxStall without a frame, what blocks is given up.
		if popped {
			progress = now
		} else if now.Sub(progress) > maxStall {
			if frame := builder.ForcePopPackets(); frame != nil {
				t.sample(frame, now)
			}
			progress = now
		}
	}
	for frame := builder.ForcePopPackets(); frame != nil; frame = builder.ForcePopPackets() {
		t.sample(frame, time.Now())
	}
	t.stopWriting(time.Now())
}

// sample handles one whole frame that arrived at `arrival`.
func (t *trackRecorder) sample(frame []*rtp.Packet, arrival time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.clock.At(frame[0].Timestamp, arrival) // learnt even while not writing, so it is right on resume
	key := IsKeyframe(t.format.Container.Codec, frame)
	t.frames++
	if key {
		t.keyframes++
	}
	if !t.live {
		return
	}
	d := t.cutter.Next(at, key)
	if d.RequestKeyframe {
		t.requestKeyframe()
	}
	if d.Cut {
		t.closeChunkBefore(at)
	}
	if !d.Write {
		return
	}
	if t.cur == nil {
		path := filepath.Join(t.workDir, fmt.Sprintf("%s-%06d.%s", t.id, t.next, t.format.Container.Extension))
		cur, err := openChunkFile(path, t.format)
		if err != nil {
			t.onError(err)
			t.cutter.Close()
			return
		}
		t.cur = cur
	}
	if err := t.cur.write(frame, at); err != nil {
		t.onError(err)
	}
}

// closeChunkBefore closes the open chunk because the track's own next sample, captured at `next`, starts the
// next one. Its last frame stays on screen until then: an encoder often skips a frame to make the keyframe a cut
// waits for, and a span ending one frame step after the last frame left a frame-long hole at the cut (a black
// tile in the composite). After a gap (a stretch with no media, MaxGap) the chunk ends one step after its last
// sample as before.
func (t *trackRecorder) closeChunkBefore(next time.Time) {
	if t.cur != nil && t.cur.samples > 0 && next.After(t.cur.last) {
		if maxGap := t.cutter.s.MaxGap; maxGap == 0 || next.Sub(t.cur.last) <= maxGap {
			t.cur.lastStep = next.Sub(t.cur.last)
		}
	}
	t.closeChunk(next)
}

// closeChunk finishes the open chunk at closedAt and hands it on, or drops it when it holds nothing placeable.
func (t *trackRecorder) closeChunk(closedAt time.Time) {
	cur := t.cur
	if cur == nil {
		return
	}
	t.cur = nil
	err := cur.close()
	from, to, ok := ChunkSpan(cur.first, cur.last, cur.lastStep, t.floor, closedAt)
	if err != nil || cur.samples == 0 || !ok {
		if err != nil {
			t.onError(err)
		}
		_ = os.Remove(cur.path)
		return
	}
	t.onChunk(ClosedChunk{TrackID: t.id, Index: t.next, Path: cur.path, StartedAt: from, EndedAt: to})
	t.next++
}

// stopWriting closes the open chunk at `at` and writes nothing more until startWriting (pause, stop).
func (t *trackRecorder) stopWriting(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeChunk(at)
	t.cutter.Close()
	t.live = false
}

// discard drops the open chunk unuploaded and writes nothing more (the participant was excluded).
func (t *trackRecorder) discard() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		_ = t.cur.writer.Close()
		_ = os.Remove(t.cur.path)
		t.cur = nil
	}
	t.cutter.Close()
	t.live = false
}

// startWriting lets samples captured from `at` on be written; video starts at the next keyframe, asked for now.
func (t *trackRecorder) startWriting(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live {
		return
	}
	t.live, t.floor = true, at
	t.requestKeyframe()
}

// counts: packets read, whole frames, keyframes among them.
func (t *trackRecorder) counts() (packets, frames, keyframes int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.packets, t.frames, t.keyframes
}

// nextIndex is the number the next chunk will get.
func (t *trackRecorder) nextIndex() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}
