package recorder

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// encodeH264 has libx264 encode `frames` frames of ffmpeg's test pattern as a WebRTC sender would (constrained
// baseline, SPS/PPS before every IDR, an IDR every `keyint` frames) and returns them one access unit each.
func encodeH264(t *testing.T, frames, keyint int) [][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "source.h264")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=320x240:rate=15", "-frames:v", strconv.Itoa(frames), "-c:v", "libx264", "-profile:v", "baseline",
		"-pix_fmt", "yuv420p", "-x264-params", "aud=1:repeat-headers=1:keyint="+strconv.Itoa(keyint)+":min-keyint="+strconv.Itoa(keyint)+":scenecut=0",
		"-f", "h264", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, msg)
	}
	stream, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The access unit delimiters x264 was asked for mark where each frame begins.
	aud := []byte{0, 0, 0, 1, 0x09}
	var units [][]byte
	for _, part := range bytes.Split(stream, aud)[1:] {
		units = append(units, append(append([]byte{}, aud...), part...))
	}
	if len(units) != frames {
		t.Fatalf("%d access units from %d frames", len(units), frames)
	}
	return units
}

// packetize sends one access unit as RTP (RFC 6184: SPS and PPS aggregated, large slices fragmented).
func packetize(p *codecs.H264Payloader, unit []byte, seq *uint16, ts uint32) []*rtp.Packet {
	var packets []*rtp.Packet
	for _, payload := range p.Payload(1200, unit) {
		packets = append(packets, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102, SequenceNumber: *seq, Timestamp: ts}, Payload: payload})
		*seq++
	}
	packets[len(packets)-1].Marker = true
	return packets
}

type probedPacket struct {
	PTS   string `json:"pts_time"`
	Flags string `json:"flags"`
}

type probed struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		ReadFrames string `json:"nb_read_frames"`
	} `json:"streams"`
	Packets []probedPacket `json:"packets"`
	Format  struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries",
		"stream=codec_name,width,height,nb_read_frames:packet=pts_time,flags:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnH264ChunkIsIVFThatFFmpegDecodesWithEveryFrameAtItsRTPTime(t *testing.T) {
	units := encodeH264(t, 30, 15)
	// RTP time starts just before the 32-bit wrap, and frames 20 on come 0.5 s late (a publisher's stall): the
	// file must keep both, as a frame count would not.
	first := uint32(math.MaxUint32 - 30_000)
	rtpTime := func(i int) uint32 {
		ts := first + uint32(i*6_000)
		if i >= 20 {
			ts += 45_000
		}
		return ts
	}
	c, _ := ContainerFor("video/H264")
	path := filepath.Join(t.TempDir(), "chunk."+c.Extension)
	file, err := openChunkFile(path, FileFormat{Container: c, ClockRate: 90_000, Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	payloader := &codecs.H264Payloader{}
	seq := uint16(65_530)
	for i, unit := range units {
		frame := packetize(payloader, unit, &seq, rtpTime(i))
		if key := IsKeyframe("h264", frame); key != (i%15 == 0) {
			t.Fatalf("frame %d: keyframe %v", i, key)
		}
		if err := file.write(frame, at(int(rtpTime(i)-first)/90)); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.close(); err != nil {
		t.Fatal(err)
	}

	p := ffprobe(t, path)
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "h264" || p.Streams[0].Width != 320 || p.Streams[0].Height != 240 {
		t.Fatalf("streams: %+v", p.Streams)
	}
	if p.Streams[0].ReadFrames != "30" {
		t.Fatalf("decoded %s frames of 30", p.Streams[0].ReadFrames)
	}
	if len(p.Packets) != 30 {
		t.Fatalf("%d packets", len(p.Packets))
	}
	for i, packet := range p.Packets {
		pts, _ := strconv.ParseFloat(packet.PTS, 64)
		if want := float64(rtpTime(i)-first) / 90_000; math.Abs(pts-want) > 1e-4 {
			t.Errorf("frame %d at %.4f s, want %.4f s", i, pts, want)
		}
		if key := packet.Flags[0] == 'K'; key != (i%15 == 0) {
			t.Errorf("frame %d: flags %s", i, packet.Flags)
		}
	}
	// The header's length field: 29 frame steps and the stall, then the last frame's own 66.7 ms = 2.5 s.
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); math.Abs(d-2.5) > 0.01 {
		t.Errorf("duration %s s, want 2.5", p.Format.Duration)
	}
}

func TestAnH264ChunkKeepsTheBitstreamAsSent(t *testing.T) {
	units := encodeH264(t, 2, 15)
	c, _ := ContainerFor("video/h264")
	path := filepath.Join(t.TempDir(), "chunk.ivf")
	file, err := openChunkFile(path, FileFormat{Container: c, ClockRate: 90_000, Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	payloader := &codecs.H264Payloader{}
	var seq uint16
	for i, unit := range units {
		if err := file.write(packetize(payloader, unit, &seq, uint32(1000+i*3000)), at(i*33)); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data[0:4]) != "DKIF" || string(data[8:12]) != "H264" || binary.LittleEndian.Uint32(data[16:]) != 90_000 ||
		binary.LittleEndian.Uint32(data[20:]) != 1 {
		t.Fatalf("IVF header % x", data[:32])
	}
	// Each frame: its 12-byte header, then the access unit in Annex B as the encoder made it, less the access unit
	// delimiter RTP does not carry (RFC 6184 senders drop it).
	offset := ivfFileHeaderSize
	for i, unit := range units {
		size := int(binary.LittleEndian.Uint32(data[offset:]))
		if pts := binary.LittleEndian.Uint64(data[offset+4:]); pts != uint64(i*3000) {
			t.Errorf("frame %d: PTS %d", i, pts)
		}
		offset += ivfFrameHeaderSize
		if want := withoutStartCodeSizes(unit[6:]); !bytes.Equal(withoutStartCodeSizes(data[offset:offset+size]), want) {
			t.Errorf("frame %d: %d bytes differ from the encoder's %d", i, size, len(unit)-6)
		}
		offset += size
	}
	if offset != len(data) {
		t.Errorf("%d bytes after the last frame", len(data)-offset)
	}
}

// withoutStartCodeSizes writes every start code as four bytes: x264 uses three for some units, the depacketizer four.
func withoutStartCodeSizes(annexB []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(annexB, []byte{0, 0, 0, 1}, []byte{0, 0, 1}), []byte{0, 0, 1}, []byte{0, 0, 0, 1})
}

func TestAnIDRWithoutItsParameterSetsDoesNotStartAChunk(t *testing.T) {
	frame := func(payloads ...[]byte) []*rtp.Packet {
		var packets []*rtp.Packet
		for _, p := range payloads {
			packets = append(packets, &rtp.Packet{Payload: p})
		}
		return packets
	}
	sps, pps, idr, slice := []byte{0x67, 0x42}, []byte{0x68, 0xCE}, []byte{0x65, 0x88}, []byte{0x41, 0x9A}
	stapA := append(append(append([]byte{0x78, 0, byte(len(sps))}, sps...), 0, byte(len(pps))), pps...)
	fuStartIDR := []byte{0x7C, 0x85, 0x88}
	cases := []struct {
		name  string
		frame []*rtp.Packet
		key   bool
	}{
		{"SPS, PPS, IDR apart", frame(sps, pps, idr), true},
		{"SPS+PPS aggregated, IDR fragmented", frame(stapA, fuStartIDR), true},
		{"IDR alone", frame(idr), false},
		{"parameter sets without an IDR", frame(stapA, slice), false},
		{"a delta slice", frame(slice), false},
	}
	for _, c := range cases {
		if got := IsKeyframe("h264", c.frame); got != c.key {
			t.Errorf("%s: keyframe %v", c.name, got)
		}
	}
}
