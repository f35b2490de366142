package recorder

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// IsKeyframe tells whether a frame (its RTP packets, in order) starts a decodable picture: a VP8 key frame, or
// H.264 carrying an IDR slice with its SPS and PPS, so a chunk starting there decodes alone. A chunk of video may
// only start with one. Audio frames always qualify.
func IsKeyframe(codec string, packets []*rtp.Packet) bool {
	switch codec {
	case "vp8":
		if len(packets) == 0 {
			return false
		}
		var vp8 codecs.VP8Packet
		if _, err := vp8.Unmarshal(packets[0].Payload); err != nil || len(vp8.Payload) == 0 {
			return false
		}
		// The first partition's P bit: 0 is a key frame (RFC 6386 §9.1), only meaningful at the frame's start.
		return vp8.S == 1 && vp8.PID == 0 && vp8.Payload[0]&0x01 == 0
	case "h264":
		var seen h264Units
		for _, p := range packets {
			seen.add(p.Payload)
		}
		return seen.idr && seen.sps && seen.pps
	default:
		return true
	}
}

const (
	naluIDR   = 5
	naluSPS   = 7
	naluPPS   = 8
	naluStapA = 24
	naluFuA   = 28
)

// h264Units: which of the NAL units a keyframe needs a frame's packets carry.
type h264Units struct{ idr, sps, pps bool }

func (u *h264Units) mark(naluType byte) {
	switch naluType {
	case naluIDR:
		u.idr = true
	case naluSPS:
		u.sps = true
	case naluPPS:
		u.pps = true
	}
}

// add reads one RTP payload (RFC 6184): a single unit, an aggregate (STAP-A), or a fragment (FU-A).
func (u *h264Units) add(payload []byte) {
	if len(payload) == 0 {
		return
	}
	switch nalu := payload[0] & 0x1F; nalu {
	case naluStapA: // aggregated NAL units, each behind a 16-bit size
		for i := 1; i+2 < len(payload); {
			size := int(payload[i])<<8 | int(payload[i+1])
			i += 2
			if i >= len(payload) {
				return
			}
			u.mark(payload[i] & 0x1F)
			i += size
		}
	case naluFuA: // a fragment: the start fragment names the unit
		if len(payload) > 1 && payload[1]&0x80 != 0 {
			u.mark(payload[1] & 0x1F)
		}
	default:
		u.mark(nalu)
	}
}
