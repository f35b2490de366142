package recorder

import "github.com/pion/rtp"

// Ogg counts Opus samples, not time: packets written back to back play back to back. A sender using DTX (LiveKit's
// clients and rtc-node do) sends a packet every 400 ms or so while quiet, and a file of them would play its
// sound early, squeezed together. So a gap in the RTP clock inside a chunk is filled with silent frames first
// (gaps longer than the cutter's MaxGap start a new chunk instead).

// opusSilence is one 20 ms CELT frame that decodes to silence (TOC 0xF8: CELT fullband 20 ms, one frame).
var opusSilence = []byte{0xF8, 0xFF, 0xFE}

const opusSilenceSamples = 960

// opusSamples: how many 48 kHz samples an Opus packet holds (RFC 6716 §3.1: the TOC's config and frame count).
func opusSamples(payload []byte) uint32 {
	if len(payload) == 0 {
		return 0
	}
	toc := payload[0]
	config := toc >> 3
	var tenths uint32 // frame duration in tenths of a millisecond
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		tenths = [4]uint32{100, 200, 400, 600}[config%4]
	case config < 16: // hybrid: 10, 20 ms
		tenths = [2]uint32{100, 200}[config%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		tenths = [4]uint32{25, 50, 100, 200}[config%4]
	}
	frames := uint32(1)
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(payload) < 2 {
			return 0
		}
		frames = uint32(payload[1] & 0x3F)
	}
	return frames * tenths * 48 / 10
}

// silenceBefore returns the silent packets that fill the RTP-clock gap between the end of what was written
// (`next`, the timestamp the next packet should have) and `packet`; none when there is no whole frame to fill.
func silenceBefore(packet *rtp.Packet, next uint32) []*rtp.Packet {
	gap := int32(packet.Timestamp - next) // signed: a reordered or repeated timestamp is no gap
	var fill []*rtp.Packet
	for ts := next; gap >= opusSilenceSamples; gap -= opusSilenceSamples {
		fill = append(fill, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: packet.SSRC, Timestamp: ts, PayloadType: packet.PayloadType}, Payload: opusSilence})
		ts += opusSilenceSamples
	}
	return fill
}
