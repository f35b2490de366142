package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A capture that continues a recording another capture held (its recorder died, or the meeting moved to another
// SFU node) starts from that capture's last manifest, at the same key: the S3 manifest is the recording's source
// of truth, so the compositor needs nothing new. The chunks already listed stay listed, and the time from that
// manifest's last write to this capture's start is listed as lost (`lost` in the manifest): its media never
// reached S3. The composite shows a lost span as it is: tiles without video and no sound, not cut out, so the
// recording's timeline stays the meeting's. A recording paused while its recorder was lost lost nothing: that
// span is paused instead.

// Continuation is what a continuing capture keeps of the manifest it continues.
type Continuation struct {
	StartedAt int64
	// Tracks of participants not excluded now, with their files so far.
	Tracks []ManifestTrack
	// The next chunk index of each kept track, so a track captured again (same SFU node, same track id) never
	// overwrites a listed chunk.
	NextIndex map[string]int
	// Chunks of participants excluded now: deleted, never listed again.
	Doomed   []string
	Names    map[string]string
	Paused   []Span
	Speakers []SpeakerSpan
	Lost     []Span
}

// ContinuationOf splits the manifest being continued: what is kept under the exclusion set as it is now, and the
// span from its last write to `resumedAt`, lost (or paused when the capture resumes paused).
func ContinuationOf(base Manifest, excluded map[string]string, resumedAt time.Time, paused bool) Continuation {
	c := Continuation{
		StartedAt: base.StartedAt, NextIndex: map[string]int{}, Names: map[string]string{},
		Paused: append([]Span{}, base.Paused...), Speakers: []SpeakerSpan{}, Lost: append([]Span{}, base.Lost...),
	}
	for _, p := range base.Participants {
		c.Names[p.Identity] = p.Name
	}
	for _, t := range base.Tracks {
		if _, out := excluded[t.Participant]; out {
			for _, f := range t.Files {
				c.Doomed = append(c.Doomed, f.Key)
			}
			continue
		}
		t.Files = append([]ManifestFile{}, t.Files...)
		c.Tracks = append(c.Tracks, t)
		c.NextIndex[t.ID] = nextChunkIndex(t.Files)
	}
	for _, s := range base.Speakers {
		if _, out := excluded[s.Participant]; !out {
			c.Speakers = append(c.Speakers, s)
		}
	}
	if gap := (Span{base.EndedAt, resumedAt.UnixMilli()}); gap.To > gap.From {
		if paused {
			c.Paused = joinSpans(append(c.Paused, gap))
		} else {
			c.Lost = joinSpans(append(c.Lost, gap))
		}
	}
	return c
}

// nextChunkIndex is one past the highest index among a track's chunk keys (…/000042.ivf).
func nextChunkIndex(files []ManifestFile) int {
	highest := 0
	for _, f := range files {
		name := path.Base(f.Key)
		if n, err := strconv.Atoi(strings.TrimSuffix(name, path.Ext(name))); err == nil && n > highest {
			highest = n
		}
	}
	return highest + 1
}

// joinSpans sorts spans and merges those that touch or overlap, so the manifest's spans stay disjoint.
func joinSpans(spans []Span) []Span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].From < spans[j].From })
	out := []Span{}
	for _, s := range spans {
		if n := len(out); n > 0 && s.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, s.To)
			continue
		}
		out = append(out, s)
	}
	return out
}

// nextIndex is where a track's chunks continue (1 for a track the continued manifest does not list).
func (c *Continuation) nextIndex(trackID string) int {
	if c == nil || c.NextIndex[trackID] == 0 {
		return 1
	}
	return c.NextIndex[trackID]
}

// continueRecording reads the manifest this capture continues and takes it over; a recording with no manifest
// yet (its recorder died before the first write) simply starts here.
func (c *Capture) continueRecording() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, err := c.deps.Store.Get(ctx, c.key)
	if errors.Is(err, ErrObjectMissing) {
		c.deps.Log.Warn("no manifest to continue", "recording", c.req.RecordingID)
		return nil
	}
	if err != nil {
		return err
	}
	var base Manifest
	if err := json.Unmarshal(body, &base); err != nil {
		return err
	}
	c.mu.Lock()
	cont := ContinuationOf(base, c.excluded, c.startedAt, c.pause.State() == StatePaused)
	c.cont = &cont
	c.startedAt = time.UnixMilli(cont.StartedAt)
	for identity, name := range cont.Names {
		if _, seen := c.names[identity]; !seen {
			c.names[identity] = name
		}
	}
	for _, t := range cont.Tracks {
		c.tracks[t.ID] = &captureTrack{meta: t, identity: t.Participant}
	}
	c.mu.Unlock()
	c.deps.Log.Info("capture continues a recording", "recording", c.req.RecordingID, "tracks", len(cont.Tracks), "lost", len(cont.Lost))
	doomed := cont.Doomed
	c.queue.add(func() {
		for _, key := range doomed {
			_ = retry(func(ctx context.Context) error { return c.deps.Store.Delete(ctx, key) })
		}
	})
	return nil
}

// continuedSpans adds what the continued manifest held to this capture's own spans.
func (c *Capture) continuedSpans(paused []Span, speakers []SpeakerSpan) ([]Span, []SpeakerSpan, []Span) {
	if c.cont == nil {
		return paused, speakers, nil
	}
	return joinSpans(append(append([]Span{}, c.cont.Paused...), paused...)),
		append(append([]SpeakerSpan{}, c.cont.Speakers...), speakers...), c.cont.Lost
}
