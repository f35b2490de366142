package recorder

import (
	"errors"
	"net/http"
)

// The control API's fixed errors, each with its stable code and HTTP status (the TypeScript client turns the
// codes into MediaFleetError codes: media-fleet/recorder-client/).
var (
	ErrUnauthorized   = errors.New("missing, invalid or expired control token")
	ErrNotFound       = errors.New("no capture with that recording id")
	ErrCaptureStopped = errors.New("the capture has stopped")
	ErrRecorderFull   = errors.New("the recorder has no room for another capture")
	ErrJoinFailed     = errors.New("the recorder could not join the room")
)

type errorCode struct {
	code   string
	status int
}

var errorCodes = map[error]errorCode{
	ErrUnauthorized:   {"unauthorized", http.StatusUnauthorized},
	ErrNotFound:       {"recording_not_found", http.StatusNotFound},
	ErrCaptureStopped: {"capture_stopped", http.StatusConflict},
	ErrRecorderFull:   {"recorder_full", http.StatusServiceUnavailable},
	ErrJoinFailed:     {"room_unreachable", http.StatusBadGateway},
}
