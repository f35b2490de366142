package recorder

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func opusFrame(seq uint16, ts uint32) []*rtp.Packet {
	// TOC 0xF8: CELT fullband 20 ms, one frame.
	return []*rtp.Packet{{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, Payload: []byte{0xF8, 0xFF, 0xFE}}}
}

func vp8Frame(seq uint16, ts uint32, key bool) []*rtp.Packet {
	first := byte(0x01) // inter frame: P bit set
	if key {
		first = 0x00
	}
	return []*rtp.Packet{{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, Payload: []byte{0x10, first, 0x02, 0x03}}}
}

func recorderFor(t *testing.T, mime string, clock uint32, chunk time.Duration) (*trackRecorder, *[]ClosedChunk, *int) {
	t.Helper()
	c, _ := ContainerFor(mime)
	rec := newTrackRecorder("TR_x", FileFormat{Container: c, ClockRate: clock, Channels: 2}, chunk, t.TempDir(), 1, true, at(0))
	var chunks []ClosedChunk
	asks := 0
	rec.onChunk = func(ch ClosedChunk) { chunks = append(chunks, ch) }
	rec.requestKeyframe = func() { asks++ }
	rec.onError = func(err error) { t.Errorf("write failed: %v", err) }
	return rec, &chunks, &asks
}

func TestAudioChunksAreStandaloneOggFilesThatAbutAndSkipThePause(t *testing.T) {
	rec, chunks, _ := recorderFor(t, "audio/opus", 48_000, time.Second)
	frame := func(i int) { rec.sample(opusFrame(uint16(i), uint32(i*960)), at(i*20)) }
	for i := 0; i < 100; i++ { // 0–2 s
		frame(i)
	}
	rec.stopWriting(at(2000)) // paused at 2 s
	for i := 100; i < 150; i++ {
		frame(i) // 2–3 s: nothing written
	}
	rec.startWriting(at(3000)) // resumed
	for i := 150; i < 200; i++ {
		frame(i)
	}
	rec.stopWriting(at(4000))
	got := *chunks
	if len(got) != 3 {
		t.Fatalf("%d chunks: %+v", len(got), got)
	}
	if got[0].EndedAt != got[1].StartedAt || got[0].StartedAt != at(0).UnixMilli() {
		t.Errorf("chunks 1 and 2 do not abut: %+v", got[:2])
	}
	if got[1].EndedAt > at(2000).UnixMilli() || got[2].StartedAt < at(3000).UnixMilli() {
		t.Errorf("a chunk spans the pause 2000–3000: %+v", got[1:])
	}
	for i, ch := range got {
		body, err := os.ReadFile(ch.Path)
		if err != nil || !bytes.HasPrefix(body, []byte("OggS")) || !bytes.Contains(body, []byte("OpusHead")) {
			t.Errorf("chunk %d is not a standalone Ogg Opus file (%v)", i+1, err)
		}
		if ch.Index != i+1 {
			t.Errorf("chunk %d numbered %d", i+1, ch.Index)
		}
	}
}

func TestVideoChunksStartAtKeyframesAskedForAheadOfTheCut(t *testing.T) {
	rec, chunks, asks := recorderFor(t, "video/VP8", 90_000, time.Second)
	seq := uint16(0)
	frame := func(ms int, key bool) {
		seq++
		rec.sample(vp8Frame(seq, uint32(ms*90), key), at(ms))
	}
	frame(0, false) // mid-stream: no keyframe yet, nothing written, one asked for
	if *asks != 1 {
		t.Fatalf("%d keyframe requests at the start", *asks)
	}
	frame(50, true)
	for ms := 100; ms < 1000; ms += 50 {
		frame(ms, false)
	}
	if *asks != 2 {
		t.Fatalf("%d keyframe requests by 1 s, want one ahead of the cut", *asks)
	}
	frame(1000, true) // the asked-for keyframe: the cut
	for ms := 1050; ms < 1500; ms += 50 {
		frame(ms, false)
	}
	rec.stopWriting(at(1500))
	got := *chunks
	if len(got) != 2 || got[0].StartedAt != at(50).UnixMilli() || got[0].EndedAt != at(1000).UnixMilli() || got[1].EndedAt != at(1500).UnixMilli() {
		t.Fatalf("chunks %+v", got)
	}
	for _, ch := range got {
		body, _ := os.ReadFile(ch.Path)
		// IVF header, then the first frame's 12-byte header, then the VP8 payload: a key frame (P bit clear).
		if !bytes.HasPrefix(body, []byte("DKIF")) || len(body) < 45 || body[32+12]&0x01 != 0 {
			t.Errorf("%s does not start with a key frame", ch.Path)
		}
	}
}

func TestAVideoChunkLastsUntilTheNextChunksKeyframeWhenTheEncoderSkipsAFrameForIt(t *testing.T) {
	rec, chunks, _ := recorderFor(t, "video/VP8", 90_000, time.Second)
	seq := uint16(0)
	frame := func(ms int, key bool) {
		seq++
		rec.sample(vp8Frame(seq, uint32(ms*90), key), at(ms))
	}
	frame(0, true)
	for ms := 33; ms <= 933; ms += 33 {
		frame(ms, false)
	}
	frame(999, true) // the frame due at 966 was skipped to make this keyframe
	frame(1032, false)
	rec.stopWriting(at(1065))
	got := *chunks
	if len(got) != 2 || got[0].EndedAt != got[1].StartedAt || got[1].StartedAt != at(999).UnixMilli() {
		t.Fatalf("the chunks leave a hole between the last frame and the keyframe: %+v", got)
	}
}

func TestAnOpusChunkCutAfterAGapEndsOneFrameAfterItsLastPacket(t *testing.T) {
	rec, chunks, _ := recorderFor(t, "audio/opus", 48_000, 10*time.Second)
	for i := 0; i < 10; i++ {
		rec.sample(opusFrame(uint16(i), uint32(i*960)), at(i*20))
	}
	rec.sample(opusFrame(10, 2000*48), at(2000)) // after a silent second with no packets (longer than MaxGap)
	rec.stopWriting(at(2020))
	got := *chunks
	if len(got) != 2 || got[0].EndedAt != at(200).UnixMilli() || got[1].StartedAt != at(2000).UnixMilli() {
		t.Fatalf("chunks %+v", got)
	}
}

func TestADiscardedChunkIsNeitherHandedOnNorLeftOnDisk(t *testing.T) {
	rec, chunks, _ := recorderFor(t, "audio/opus", 48_000, 10*time.Second)
	for i := 0; i < 10; i++ {
		rec.sample(opusFrame(uint16(i), uint32(i*960)), at(i*20))
	}
	path := rec.cur.path
	rec.discard()
	rec.sample(opusFrame(11, 11*960), at(220))
	if len(*chunks) != 0 || rec.cur != nil {
		t.Fatalf("excluded audio went on: %+v", *chunks)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the excluded chunk is still on disk")
	}
}

func TestAQuietStretchOfDTXIsFilledWithSilenceSoTheOggPlaysInTime(t *testing.T) {
	rec, chunks, _ := recorderFor(t, "audio/opus", 48_000, 10*time.Second)
	// 200 ms of sound, 1 s of DTX (a packet every 400 ms), 200 ms of sound: 1.4 s in all.
	ms := []int{}
	for m := 0; m < 200; m += 20 {
		ms = append(ms, m)
	}
	ms = append(ms, 600, 1000)
	for m := 1200; m < 1400; m += 20 {
		ms = append(ms, m)
	}
	for i, m := range ms {
		rec.sample(opusFrame(uint16(i), uint32(m*48)), at(m))
	}
	rec.stopWriting(at(1400))
	got := *chunks
	if len(got) != 1 {
		t.Fatalf("%d chunks: %+v", len(got), got)
	}
	if granule := lastGranule(t, got[0].Path); granule != 1400*48 {
		t.Errorf("the Ogg holds %d samples (%d ms); the chunk spans 1400 ms", granule, granule/48)
	}
}

func TestOpusPacketDurationsFollowTheTOC(t *testing.T) {
	for _, c := range []struct {
		payload []byte
		samples uint32
	}{
		{[]byte{0xF8, 0xFF, 0xFE}, 960}, // CELT 20 ms
		{[]byte{0x08}, 960},             // SILK 20 ms (config 1)
		{[]byte{0x18}, 2880},            // SILK 60 ms (config 3)
		{[]byte{0x79}, 1920},            // hybrid 20 ms (config 15), two frames
		{[]byte{0xE3, 0x03}, 360},       // CELT 2.5 ms (config 28), three frames (code 3)
		{[]byte{}, 0},
	} {
		if got := opusSamples(c.payload); got != c.samples {
			t.Errorf("%x: %d samples, want %d", c.payload, got, c.samples)
		}
	}
}

// lastGranule reads the granule position of an Ogg file's last page: its length in 48 kHz samples.
func lastGranule(t *testing.T, path string) uint64 {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(body, []byte("OggS"))
	if i < 0 || len(body) < i+14 {
		t.Fatalf("no Ogg page in %s", path)
	}
	var g uint64
	for k := 13; k >= 6; k-- {
		g = g<<8 | uint64(body[i+k])
	}
	return g
}
