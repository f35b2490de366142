package recorder

import (
	"encoding/binary"
	"os"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// h264IVFWriter writes H.264 RTP packets as IVF with fourcc "H264": each IVF frame is one access unit in Annex B
// exactly as sent (parameter sets, slices, SEI; nothing decoded or rewritten), stamped with its RTP time from the
// chunk's first frame. Raw Annex B has no time at all; IVF is the same container as VP8's, which ffmpeg's IVF
// demuxer opens as H.264 by that fourcc, and pion's IVF writer knows only VP8 and AV1.
type h264IVFWriter struct {
	file          *os.File
	depacketizer  codecs.H264Packet // Annex B output; keeps a fragmented unit's pieces between packets
	accessUnit    []byte            // the frame being gathered: packets of one RTP timestamp
	timestamp     uint32            // the frame's RTP time
	firstTS       uint32
	frames        uint32
	width, height uint16
	clockRate     uint32
}

const (
	ivfFileHeaderSize  = 32
	ivfFrameHeaderSize = 12
)

func newH264IVFWriter(path string, clockRate uint32, width, height uint16) (*h264IVFWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &h264IVFWriter{file: f, width: width, height: height, clockRate: clockRate}
	if err := w.writeFileHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// writeFileHeader: the IVF header, its frame-count field (24) left for the caller to patch at close.
func (w *h264IVFWriter) writeFileHeader() error {
	header := make([]byte, ivfFileHeaderSize)
	copy(header[0:], "DKIF")
	binary.LittleEndian.PutUint16(header[6:], ivfFileHeaderSize)
	copy(header[8:], "H264")
	binary.LittleEndian.PutUint16(header[12:], w.width)
	binary.LittleEndian.PutUint16(header[14:], w.height)
	// Time base 1/clockRate: a frame's PTS is its RTP time, so the file keeps the capture's own timing.
	binary.LittleEndian.PutUint32(header[16:], w.clockRate)
	binary.LittleEndian.PutUint32(header[20:], 1)
	_, err := w.file.Write(header)
	return err
}

// WriteRTP adds one packet; a packet of a new RTP timestamp first writes out the frame before it.
func (w *h264IVFWriter) WriteRTP(p *rtp.Packet) error {
	if len(w.accessUnit) > 0 && p.Timestamp != w.timestamp {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if w.frames == 0 && len(w.accessUnit) == 0 {
		w.firstTS = p.Timestamp
	}
	if len(p.Payload) > 1 && p.Payload[0]&0x1F == naluFuA && p.Payload[1]&0x80 != 0 {
		// A unit's first fragment: whatever the depacketizer holds is the rest of a unit that lost its end.
		w.depacketizer = codecs.H264Packet{}
	}
	nalus, err := w.depacketizer.Unmarshal(p.Payload)
	if err != nil {
		return nil // an unreadable packet is skipped, as a decoder would conceal it, rather than failing the chunk
	}
	if len(nalus) > 0 {
		w.timestamp = p.Timestamp
		w.accessUnit = append(w.accessUnit, nalus...)
	}
	return nil
}

func (w *h264IVFWriter) flush() error {
	header := make([]byte, ivfFrameHeaderSize)
	binary.LittleEndian.PutUint32(header[0:], uint32(len(w.accessUnit)))
	// RTP time wraps after 13 h at 90 kHz; the difference in uint32 stays right across a wrap.
	binary.LittleEndian.PutUint64(header[4:], uint64(w.timestamp-w.firstTS))
	if _, err := w.file.Write(append(header, w.accessUnit...)); err != nil {
		return err
	}
	w.accessUnit = w.accessUnit[:0]
	w.frames++
	return nil
}

// Close writes the last frame and closes the file.
func (w *h264IVFWriter) Close() error {
	var err error
	if len(w.accessUnit) > 0 {
		err = w.flush()
	}
	if closeErr := w.file.Close(); err == nil {
		err = closeErr
	}
	return err
}
