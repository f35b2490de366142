package recorder

import (
	"errors"
	"testing"
)

func TestEachCodecIsWrittenToItsOwnContainerWithoutTranscoding(t *testing.T) {
	cases := map[string]string{"video/VP8": "ivf", "video/h264": "ivf", "audio/opus": "ogg", "AUDIO/OPUS": "ogg"}
	for mime, ext := range cases {
		c, err := ContainerFor(mime)
		if err != nil || c.Extension != ext {
			t.Errorf("%s: got %+v, %v; want .%s", mime, c, err, ext)
		}
	}
}

func TestAnUncapturedCodecIsRefusedNotGuessed(t *testing.T) {
	for _, mime := range []string{"video/VP9", "video/AV1", "video/H265", "audio/red", ""} {
		if _, err := ContainerFor(mime); !errors.Is(err, ErrUnsupportedCodec) {
			t.Errorf("%s: got %v, want ErrUnsupportedCodec", mime, err)
		}
	}
}
