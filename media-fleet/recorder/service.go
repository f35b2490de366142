package recorder

import (
	"errors"
	"sync"
	"time"
)

// Service holds the captures of one recorder process, several rooms at once, within a capacity in tracks.
type Service struct {
	deps      CaptureDeps
	maxTracks int

	mu       sync.Mutex
	captures map[string]*entry
}

type entry struct {
	capture *Capture
	ready   chan struct{} // closed once the join finished
	err     error         // the join's failure
	stopped time.Time
}

// Stopped captures are remembered this long, for status and repeated stops.
const keepStopped = time.Hour

func NewService(deps CaptureDeps, maxTracks int) *Service {
	return &Service{deps: deps, maxTracks: maxTracks, captures: map[string]*entry{}}
}

// Start begins a capture, or returns the one already started under that recording id (created false).
func (s *Service) Start(req StartRequest) (status StatusBody, created bool, err error) {
	s.mu.Lock()
	s.forgetOld(time.Now())
	// A continuation of a recording this process once held and stopped (the meeting moved SFU nodes and back)
	// starts afresh from the manifest; a running one is the same capture asked twice.
	if e, ok := s.captures[req.RecordingID]; ok && req.Continuing && !e.stopped.IsZero() {
		delete(s.captures, req.RecordingID)
	}
	if e, ok := s.captures[req.RecordingID]; ok {
		s.mu.Unlock()
		<-e.ready
		if e.err != nil {
			return StatusBody{}, false, e.err
		}
		return e.capture.Status(), false, nil
	}
	if s.activeTracksLocked() >= s.maxTracks {
		s.mu.Unlock()
		return StatusBody{}, false, ErrRecorderFull
	}
	e := &entry{capture: newCapture(req, s.deps, time.Now()), ready: make(chan struct{})}
	s.captures[req.RecordingID] = e
	s.mu.Unlock()

	if e.err = e.capture.join(); e.err != nil {
		s.deps.Log.Warn("capture did not start", "recording", req.RecordingID, "error", e.err.Error())
		e.err = errors.Join(ErrJoinFailed, e.err)
		s.mu.Lock()
		delete(s.captures, req.RecordingID)
		s.mu.Unlock()
		close(e.ready)
		return StatusBody{}, false, e.err
	}
	close(e.ready)
	s.deps.Log.Info("capture started", "recording", req.RecordingID, "room", req.Room)
	return e.capture.Status(), true, nil
}

// Get finds a started capture.
func (s *Service) Get(recordingID string) (*Capture, error) {
	s.mu.Lock()
	e, ok := s.captures[recordingID]
	s.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	<-e.ready
	if e.err != nil {
		return nil, ErrNotFound
	}
	return e.capture, nil
}

// Stop stops a capture (idempotent) and remembers when, so it is forgotten an hour later.
func (s *Service) Stop(recordingID string) (StatusBody, error) {
	c, err := s.Get(recordingID)
	if err != nil {
		return StatusBody{}, err
	}
	status := c.Stop()
	s.mu.Lock()
	if e, ok := s.captures[recordingID]; ok && e.stopped.IsZero() {
		e.stopped = time.Now()
	}
	s.mu.Unlock()
	s.deps.Log.Info("capture stopped", "recording", recordingID, "chunks", status.ChunksUploaded)
	return status, nil
}

// StopAll stops every capture (the process is shutting down): last chunks and manifests uploaded.
func (s *Service) StopAll() {
	s.mu.Lock()
	ids := make([]string, 0, len(s.captures))
	for id := range s.captures {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = s.Stop(id) }()
	}
	wg.Wait()
}

func (s *Service) Health() HealthBody {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := 0
	for _, e := range s.captures {
		if e.stopped.IsZero() {
			live++
		}
	}
	return HealthBody{Status: "ok", MaxTracks: s.maxTracks, ActiveTracks: s.activeTracksLocked(), Captures: live}
}

func (s *Service) activeTracksLocked() int {
	n := 0
	for _, e := range s.captures {
		select {
		case <-e.ready:
			if e.err == nil {
				n += e.capture.ActiveTracks()
			}
		default:
		}
	}
	return n
}

func (s *Service) forgetOld(now time.Time) {
	for id, e := range s.captures {
		if !e.stopped.IsZero() && now.Sub(e.stopped) > keepStopped {
			delete(s.captures, id)
		}
	}
}
