package recorder

import (
	"encoding/binary"
	"os"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
)

type rtpWriter interface {
	WriteRTP(*rtp.Packet) error
	Close() error
}

// FileFormat: how one track's chunks are written (no transcoding: the codec's own bitstream in a container).
type FileFormat struct {
	Container     Container
	ClockRate     uint32
	Channels      uint16
	Width, Height uint16 // published dimensions, for the IVF header (the writer would otherwise claim 640×480)
}

// chunkFile is one chunk being written to local disk: a standalone file with its container's own header (an
// Ogg chunk has its Opus headers, an IVF chunk its file header), starting at a keyframe for video (H.264's with
// its SPS and PPS).
type chunkFile struct {
	path     string
	format   FileFormat
	writer   rtpWriter
	first    time.Time
	last     time.Time
	lastStep time.Duration // the last gap between samples: how long the last sample is taken to last
	firstTS  uint32
	lastTS   uint32
	samples  int
	// Opus: the RTP timestamp the next packet would have if none were missing (opus_gap.go).
	nextTS uint32
}

// Default sample lengths until a second sample shows the real one.
const (
	defaultAudioStep = 20 * time.Millisecond
	defaultVideoStep = 33 * time.Millisecond
)

func openChunkFile(path string, f FileFormat) (*chunkFile, error) {
	var w rtpWriter
	var err error
	step := defaultAudioStep
	switch f.Container.Codec {
	case "vp8":
		// PTS from the RTP clock, not a frame count: a frame-count PTS plays a 15 fps track at the header's rate.
		opts := []ivfwriter.Option{ivfwriter.WithCodec(webrtc.MimeTypeVP8), ivfwriter.WithFrameRate(1, f.ClockRate), ivfwriter.WithDirectPTS()}
		if f.Width > 0 && f.Height > 0 {
			opts = append(opts, ivfwriter.WithWidthAndHeight(f.Width, f.Height))
		}
		w, err = ivfwriter.New(path, opts...)
		step = defaultVideoStep
	case "h264":
		w, err = newH264IVFWriter(path, f.ClockRate, f.Width, f.Height)
		step = defaultVideoStep
	case "opus":
		channels := f.Channels
		if channels == 0 {
			channels = 2
		}
		w, err = oggwriter.New(path, f.ClockRate, channels)
	default:
		return nil, ErrUnsupportedCodec
	}
	if err != nil {
		return nil, err
	}
	return &chunkFile{path: path, format: f, writer: w, lastStep: step}, nil
}

// write appends one sample (a whole frame's packets) captured at `at`.
func (c *chunkFile) write(packets []*rtp.Packet, at time.Time) error {
	opus := c.format.Container.Codec == "opus"
	for _, p := range packets {
		if opus && c.samples > 0 {
			for _, silent := range silenceBefore(p, c.nextTS) {
				if err := c.writer.WriteRTP(silent); err != nil {
					return err
				}
			}
		}
		if err := c.writer.WriteRTP(p); err != nil {
			return err
		}
		if opus {
			c.nextTS = p.Timestamp + opusSamples(p.Payload)
		}
	}
	if c.samples == 0 {
		c.first, c.firstTS = at, packets[0].Timestamp
	} else if step := at.Sub(c.last); step > 0 {
		c.lastStep = step
	}
	c.last, c.lastTS = at, packets[0].Timestamp
	c.samples++
	return nil
}

// close finishes the file; for IVF it writes the stream's length where the header has a frame count: ffmpeg
// reads that field as the duration (its own IVF muxer writes it so), and with our 90 kHz timebase a frame count
// would read as a few milliseconds.
func (c *chunkFile) close() error {
	if err := c.writer.Close(); err != nil {
		return err
	}
	if c.format.Container.Name != "ivf" || c.samples == 0 {
		return nil
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	var field [4]byte
	binary.LittleEndian.PutUint32(field[:], c.lastTS-c.firstTS+uint32(c.lastStep.Seconds()*float64(c.format.ClockRate)))
	if _, err := f.WriteAt(field[:], 24); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ChunkSpan is a closed chunk's wall-clock span in ms: from its first sample's capture (not before `floor`, the
// instant capture last began) to the end of its last sample (not after `closedAt`, when it was closed: the next
// chunk's first sample, a pause, an exclusion or the stop). ok is false for a chunk too short to place.
func ChunkSpan(first, last time.Time, lastStep time.Duration, floor, closedAt time.Time) (from, to int64, ok bool) {
	start, end := first, last.Add(lastStep)
	if start.Before(floor) {
		start = floor
	}
	if end.After(closedAt) {
		end = closedAt
	}
	from, to = start.UnixMilli(), end.UnixMilli()
	return from, to, to > from
}
