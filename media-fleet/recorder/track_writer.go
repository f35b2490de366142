package recorder

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/h264writer"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"github.com/livekit/server-sdk-go/v2/pkg/samplebuilder"
)

// How many packets the sample builder waits for a late one before giving up on it: about 2 s of 1080p video,
// 4 s of Opus (LiveKit's own file saver example uses the same figures).
const (
	maxVideoLate = 1000
	maxAudioLate = 200
)

type rtpWriter interface {
	WriteRTP(*rtp.Packet) error
	Close() error
}

// openWriter opens the container file for a codec and the sample builder that reorders packets into whole
// frames for it. requestKeyframe is called when a packet is lost, since a video decoder needs a new keyframe.
func openWriter(c Container, path string, t TrackCapture, requestKeyframe func()) (rtpWriter, *samplebuilder.SampleBuilder, error) {
	clockRate, channels := t.Track.Codec().ClockRate, t.Track.Codec().Channels
	onLoss := samplebuilder.WithPacketDroppedHandler(requestKeyframe)
	switch c.Codec {
	case "vp8":
		// PTS from the RTP clock, not a frame count: a frame-count PTS plays a 15 fps track at the header's rate.
		opts := []ivfwriter.Option{ivfwriter.WithCodec(webrtc.MimeTypeVP8), ivfwriter.WithFrameRate(1, clockRate), ivfwriter.WithDirectPTS()}
		if t.Width > 0 && t.Height > 0 {
			opts = append(opts, ivfwriter.WithWidthAndHeight(t.Width, t.Height))
		}
		w, err := ivfwriter.New(path, opts...)
		return w, samplebuilder.New(maxVideoLate, &codecs.VP8Packet{}, clockRate, onLoss), err
	case "h264":
		w, err := h264writer.New(path)
		return w, samplebuilder.New(maxVideoLate, &codecs.H264Packet{}, clockRate, onLoss), err
	case "opus":
		if channels == 0 {
			channels = 2
		}
		w, err := oggwriter.New(path, clockRate, channels)
		return w, samplebuilder.New(maxAudioLate, &codecs.OpusPacket{}, clockRate), err
	default:
		return nil, nil, ErrUnsupportedCodec
	}
}

// TrackCapture is one subscribed track being written to its file.
type TrackCapture struct {
	TrackSID string
	Identity string
	Kind     string
	Source   string
	Track    *webrtc.TrackRemote
	// Published dimensions, for the IVF header (the writer would otherwise claim 640×480).
	Width, Height uint16
	// RequestKeyframe sends a PLI to the publisher; nil for audio.
	RequestKeyframe func()
}

// Record reads the track until it ends (unsubscribed, unpublished, room left), writing whole frames in order.
// It keeps the track's manifest entry current: file at start, first packet's wall clock, end and count at close.
func Record(store *ManifestStore, t TrackCapture) {
	codec := t.Track.Codec()
	fail := func(err error) {
		_ = store.UpdateTrack(t.TrackSID, func(mt *ManifestTrack) { mt.Error = err.Error() })
	}
	c, err := ContainerFor(codec.MimeType)
	_ = store.UpdateTrack(t.TrackSID, func(mt *ManifestTrack) {
		mt.ParticipantIdentity, mt.Kind, mt.Source, mt.MimeType = t.Identity, t.Kind, t.Source, codec.MimeType
	})
	if err != nil {
		fail(fmt.Errorf("%w: %s", err, codec.MimeType))
		return
	}
	name := TrackFileName(t.Identity, t.TrackSID, c)
	path := filepath.Join(store.Dir(), name)
	requestKeyframe := t.RequestKeyframe
	if requestKeyframe == nil {
		requestKeyframe = func() {}
	}
	writer, builder, err := openWriter(c, path, t, requestKeyframe)
	if err != nil {
		fail(err)
		return
	}
	fileIndex := 0
	_ = store.UpdateTrack(t.TrackSID, func(mt *ManifestTrack) {
		mt.Files = append(mt.Files, ManifestFile{Path: name, ClockRate: codec.ClockRate})
		fileIndex = len(mt.Files) - 1
	})
	// A subscriber joining mid-stream has no keyframe to start from until the publisher sends one.
	requestKeyframe()

	var packets uint64
	var first, last time.Time
	var firstTS, lastTS uint32
	write := func(pkts []*rtp.Packet) {
		for _, p := range pkts {
			if err := writer.WriteRTP(p); err != nil {
				continue // one bad frame (a writer refusing a non-keyframe start) must not end the capture
			}
			last, lastTS = time.Now().UTC(), p.Timestamp
			if packets == 0 {
				firstTS = p.Timestamp
				first = last
				ts := p.Timestamp
				_ = store.UpdateTrack(t.TrackSID, func(mt *ManifestTrack) {
					mt.Files[fileIndex].StartedAt, mt.Files[fileIndex].FirstRTPTimestamp = &first, ts
				})
			}
			packets++
		}
	}
	for {
		pkt, _, err := t.Track.ReadRTP()
		if err != nil {
			break
		}
		builder.Push(pkt)
		write(builder.PopPackets())
	}
	write(builder.ForcePopPackets())
	closeErr := writer.Close()
	if closeErr == nil && c.Codec == "vp8" && packets > 0 {
		closeErr = setIVFDuration(path, lastTS-firstTS)
	}
	_ = store.UpdateTrack(t.TrackSID, func(mt *ManifestTrack) {
		f := &mt.Files[fileIndex]
		f.Packets = packets
		if packets > 0 {
			f.EndedAt = &last
		}
		if closeErr != nil {
			mt.Error = closeErr.Error()
		}
	})
}

// setIVFDuration writes the stream's length in timebase units where the IVF header has a frame count: ffmpeg
// reads that field as the duration (its own IVF muxer writes it so), and with our 90 kHz timebase a frame count
// would read as a few milliseconds.
func setIVFDuration(path string, ticks uint32) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	var field [4]byte
	binary.LittleEndian.PutUint32(field[:], ticks)
	if _, err := f.WriteAt(field[:], 24); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
