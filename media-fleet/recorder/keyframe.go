package recorder

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// IsKeyframe tells whether a frame (its RTP packets, in order) starts a decodable picture: a VP8 key frame, or
// H.264 carrying an IDR slice or SPS. A chunk of video may only start with one. Audio frames always qualify.
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
		for _, p := range packets {
			if h264CarriesKeyframe(p.Payload) {
				return true
			}
		}
		return false
	default:
		return true
	}
}

const (
	naluIDR   = 5
	naluSPS   = 7
	naluStapA = 24
	naluFuA   = 28
)

func h264CarriesKeyframe(payload []byte) bool {
	if len(payload) == 0 {
		return false
	}
	switch nalu := payload[0] & 0x1F; nalu {
	case naluIDR, naluSPS:
		return true
	case naluStapA: // aggregated NAL units, each behind a 16-bit size
		for i := 1; i+2 < len(payload); {
			size := int(payload[i])<<8 | int(payload[i+1])
			i += 2
			if i >= len(payload) {
				return false
			}
			if t := payload[i] & 0x1F; t == naluIDR || t == naluSPS {
				return true
			}
			i += size
		}
		return false
	case naluFuA: // a fragment: the start fragment names the unit
		return len(payload) > 1 && payload[1]&0x80 != 0 && payload[1]&0x1F == naluIDR
	default:
		return false
	}
}
