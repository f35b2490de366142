package recorder

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	lksdk "github.com/livekit/server-sdk-go/v2"
)

// SessionConfig is what one recording of one room needs.
type SessionConfig struct {
	URL       string // ws(s):// or http(s):// of the SFU node holding the room
	APIKey    string
	APISecret string
	Room      string
	Identity  string // the recorder's own (hidden) identity
	Policy    CapturePolicy
	Store     *ManifestStore
}

// Session is the recorder inside one room: it subscribes to every track the policy allows, as tracks appear.
type Session struct {
	cfg     SessionConfig
	room    *lksdk.Room
	writers sync.WaitGroup
	mu      sync.Mutex
	asked   map[string]bool // track SIDs a subscription was requested for
}

// Join connects to the room and starts capturing what is already published; later tracks are captured as
// they are published.
func Join(cfg SessionConfig) (*Session, error) {
	s := &Session{cfg: cfg, asked: map[string]bool{}}
	// Short-lived like every media token: it only has to last until the join; LiveKit refreshes it afterwards.
	token, err := SubscriberToken(cfg.APIKey, cfg.APISecret, cfg.Room, cfg.Identity, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	callback := lksdk.NewRoomCallback()
	callback.OnTrackPublished = func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) { s.subscribe(pub, rp) }
	callback.OnTrackSubscribed = s.onSubscribed
	// Auto-subscribe off: an excluded participant's media must never be sent to us, not merely dropped here.
	room, err := lksdk.ConnectToRoomWithToken(cfg.URL, token, callback, lksdk.WithAutoSubscribe(false))
	if err != nil {
		return nil, fmt.Errorf("join %s: %w", cfg.Room, err)
	}
	s.room = room
	for _, rp := range room.GetRemoteParticipants() {
		for _, pub := range rp.TrackPublications() {
			if remote, ok := pub.(*lksdk.RemoteTrackPublication); ok {
				s.subscribe(remote, rp)
			}
		}
	}
	return s, nil
}

func (s *Session) subscribe(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if !s.cfg.Policy.Captures(rp.Identity()) {
		return
	}
	s.mu.Lock()
	already := s.asked[pub.SID()]
	s.asked[pub.SID()] = true
	s.mu.Unlock()
	if !already {
		_ = pub.SetSubscribed(true)
	}
}

func (s *Session) onSubscribed(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	// Checked again: a subscription we did not ask for (a server-side subscribe) must still honour exclusion.
	if !s.cfg.Policy.Captures(rp.Identity()) {
		_ = pub.SetSubscribed(false)
		return
	}
	capture := TrackCapture{
		TrackSID: pub.SID(),
		Identity: rp.Identity(),
		Kind:     track.Kind().String(),
		Source:   pub.Source().String(),
		Track:    track,
	}
	if info := pub.TrackInfo(); info != nil {
		capture.Width, capture.Height = uint16(info.Width), uint16(info.Height)
	}
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		ssrc := track.SSRC()
		capture.RequestKeyframe = func() { rp.WritePLI(ssrc) }
	}
	s.writers.Add(1)
	go func() {
		defer s.writers.Done()
		Record(s.cfg.Store, capture)
	}()
}

// Stop leaves the room, which ends every track's read loop, and waits for every file to be closed.
func (s *Session) Stop() {
	s.room.Disconnect()
	s.writers.Wait()
}
