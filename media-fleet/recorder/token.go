// Package recorder captures a LiveKit room's tracks to files in their own codecs, without transcoding.
package recorder

import (
	"time"

	"github.com/livekit/protocol/auth"
)

// SubscriberToken mints the recorder's join token: hidden (no participant sees it, it is in no roster) and
// subscribe-only, so a recorder can never put media or data into the meeting it captures. It is the grant
// media-fleet/media-grants.ts gives the "recorder" role; once the TypeScript adapter drives the recorder, that
// module should mint this token and this copy go (one definition per concept).
func SubscriberToken(apiKey, apiSecret, room, identity string, validFor time.Duration) (string, error) {
	no, yes := false, true
	grant := &auth.VideoGrant{
		RoomJoin:             true,
		Room:                 room,
		Hidden:               true,
		Recorder:             true,
		CanSubscribe:         &yes,
		CanPublish:           &no,
		CanPublishData:       &no,
		CanUpdateOwnMetadata: &no,
	}
	return auth.NewAccessToken(apiKey, apiSecret).
		SetIdentity(identity).
		SetVideoGrant(grant).
		SetValidFor(validFor).
		ToJWT()
}
