package recorder

import (
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestAudioIsCutEveryChunkDurationAtAnySample(t *testing.T) {
	opus, _ := ContainerFor("audio/opus")
	c := NewChunkCutter(SettingsFor(opus, 2*time.Second))
	var cuts []int
	for ms := 0; ms <= 6000; ms += 20 {
		d := c.Next(at(ms), true)
		if !d.Write || d.RequestKeyframe {
			t.Fatalf("%d ms: %+v", ms, d)
		}
		if d.Cut {
			cuts = append(cuts, ms)
		}
	}
	if len(cuts) != 3 || cuts[0] != 2000 || cuts[1] != 4000 || cuts[2] != 6000 {
		t.Fatalf("cuts at %v, want 2000, 4000, 6000", cuts)
	}
}

func TestVideoAsksForAKeyframeAheadOfTheCutAndCutsAtIt(t *testing.T) {
	vp8, _ := ContainerFor("video/VP8")
	c := NewChunkCutter(SettingsFor(vp8, 2*time.Second))
	if d := c.Next(at(0), false); d.Write || !d.RequestKeyframe {
		t.Fatalf("a chunk started on a delta frame: %+v", d)
	}
	if d := c.Next(at(50), false); d.Write || d.RequestKeyframe {
		t.Fatalf("asked again within the retry interval, or wrote a delta frame: %+v", d)
	}
	if d := c.Next(at(100), true); !d.Write || d.Cut {
		t.Fatalf("the first keyframe does not open the first chunk: %+v", d)
	}
	asked := -1
	for ms := 150; ms < 2200; ms += 50 {
		d := c.Next(at(ms), false)
		if d.Cut || !d.Write {
			t.Fatalf("%d ms: cut without a keyframe: %+v", ms, d)
		}
		if d.RequestKeyframe && asked < 0 {
			asked = ms
		}
	}
	if asked != 1600 {
		t.Fatalf("keyframe asked for at %d ms, want 1600 (2 s chunk opened at 100 ms, 500 ms ahead)", asked)
	}
	// The keyframe arrives late: the chunk grows until it does, and is cut exactly there.
	if d := c.Next(at(2250), true); !d.Cut || !d.Write {
		t.Fatalf("not cut at the keyframe: %+v", d)
	}
}

func TestAKeyframeEarlyInAChunkDoesNotCutIt(t *testing.T) {
	vp8, _ := ContainerFor("video/VP8")
	c := NewChunkCutter(SettingsFor(vp8, 2*time.Second))
	c.Next(at(0), true)
	if d := c.Next(at(500), true); d.Cut {
		t.Fatal("a periodic keyframe at 0.5 s cut a 2 s chunk")
	}
}

func TestAKeyframeIsAskedForAgainWhenNoneComes(t *testing.T) {
	vp8, _ := ContainerFor("video/VP8")
	c := NewChunkCutter(SettingsFor(vp8, 2*time.Second))
	c.Next(at(0), true)
	var asks []int
	for ms := 50; ms <= 4000; ms += 50 {
		if c.Next(at(ms), false).RequestKeyframe {
			asks = append(asks, ms)
		}
	}
	if len(asks) != 3 || asks[0] != 1500 || asks[1] != 2500 || asks[2] != 3500 {
		t.Fatalf("asked at %v, want 1500, 2500, 3500", asks)
	}
}

func TestAfterAnOutsideCloseVideoWaitsForAKeyframeAndAudioStartsAtOnce(t *testing.T) {
	vp8, _ := ContainerFor("video/VP8")
	opus, _ := ContainerFor("audio/opus")
	video, audio := NewChunkCutter(SettingsFor(vp8, 10*time.Second)), NewChunkCutter(SettingsFor(opus, 10*time.Second))
	video.Next(at(0), true)
	audio.Next(at(0), true)
	video.Close() // paused
	audio.Close()
	if d := video.Next(at(3000), false); d.Write || !d.RequestKeyframe {
		t.Fatalf("video after resume: %+v", d)
	}
	if d := video.Next(at(3100), true); !d.Write || d.Cut {
		t.Fatalf("video's keyframe after resume: %+v", d)
	}
	if d := audio.Next(at(3000), true); !d.Write || d.Cut {
		t.Fatalf("audio after resume: %+v", d)
	}
}

func TestAGapInAnUntimedContainerStartsANewChunk(t *testing.T) {
	opus, _ := ContainerFor("audio/opus")
	h264, _ := ContainerFor("video/h264")
	vp8, _ := ContainerFor("video/vp8")
	audio := NewChunkCutter(SettingsFor(opus, 10*time.Second))
	audio.Next(at(0), true)
	audio.Next(at(20), true)
	if d := audio.Next(at(1500), true); !d.Cut || !d.Write {
		t.Fatalf("Opus after a 1.5 s gap: %+v", d)
	}
	for name, video := range map[string]Container{"VP8": vp8, "H.264": h264} {
		ivf := NewChunkCutter(SettingsFor(video, 10*time.Second))
		ivf.Next(at(0), true)
		if d := ivf.Next(at(1500), false); d.Cut || !d.Write {
			t.Fatalf("%s (IVF keeps RTP time) after a gap: %+v", name, d)
		}
	}
}

func TestConsecutiveChunksAbutAndNoneReachesIntoAPause(t *testing.T) {
	// Chunk 1: samples 0…1980 ms, cut at the sample of 2000 ms: it ends where chunk 2 begins.
	from, to, ok := ChunkSpan(at(0), at(1980), 20*time.Millisecond, at(0), at(2000))
	if !ok || from != at(0).UnixMilli() || to != at(2000).UnixMilli() {
		t.Fatalf("chunk 1: %d–%d", from, to)
	}
	// Paused at 2990 ms with a sample of 2985 ms still going: the chunk ends at the pause.
	_, to, _ = ChunkSpan(at(2000), at(2985), 20*time.Millisecond, at(0), at(2990))
	if to != at(2990).UnixMilli() {
		t.Fatalf("chunk reaches %d, past the pause at %d", to, at(2990).UnixMilli())
	}
	// Resumed at 5000 ms; a sample whose capture time reads a little earlier does not start the chunk in the pause.
	from, _, _ = ChunkSpan(at(4998), at(6000), 20*time.Millisecond, at(5000), at(7000))
	if from != at(5000).UnixMilli() {
		t.Fatalf("chunk after resume starts at %d, in the pause", from)
	}
	if _, _, ok := ChunkSpan(at(100), at(100), 0, at(0), at(100)); ok {
		t.Fatal("a chunk of no length was placed")
	}
}
