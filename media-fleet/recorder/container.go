package recorder

import (
	"errors"
	"strings"
)

// Container is the file format a codec is written to as received: no decoding, no re-encoding.
type Container struct {
	Codec     string // "vp8", "h264", "opus"
	Extension string // file extension without the dot
	Name      string // the manifest's `container` (protocol/recording-manifest.ts)
}

// ErrUnsupportedCodec: the track's codec has no container here (VP9, AV1, H.265 are not captured yet).
var ErrUnsupportedCodec = errors.New("unsupported codec")

// ContainerFor picks the container for a track's negotiated MIME type (case-insensitive, as SDPs vary).
func ContainerFor(mimeType string) (Container, error) {
	switch strings.ToLower(mimeType) {
	case "video/vp8":
		return Container{Codec: "vp8", Extension: "ivf", Name: "ivf"}, nil
	case "video/h264":
		// IVF too (fourcc H264, Annex B access units): raw Annex B would carry no time at all.
		return Container{Codec: "h264", Extension: "ivf", Name: "ivf"}, nil
	case "audio/opus":
		return Container{Codec: "opus", Extension: "ogg", Name: "ogg"}, nil
	default:
		return Container{}, ErrUnsupportedCodec
	}
}
