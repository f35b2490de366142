package recorder

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"
)

// maxBodyBytes bounds a request body; an exclusion list of 1000 long identities fits well inside.
const maxBodyBytes = 256 << 10

// problem is an RFC 9457 body with the project's stable code, as the API answers (never a stack trace).
type problem struct {
	Type   string  `json:"type"`
	Title  string  `json:"title"`
	Status int     `json:"status"`
	Code   string  `json:"code"`
	Detail string  `json:"detail,omitempty"`
	Issues []Issue `json:"issues,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeProblem(w http.ResponseWriter, status int, code, detail string, issues []Issue) {
	w.Header().Set("content-type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type: "urn:edge-meetings:problem:" + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail, Issues: issues,
	})
}

func writeError(w http.ResponseWriter, err error) {
	for known, c := range errorCodes {
		if errors.Is(err, known) {
			writeProblem(w, c.status, c.code, known.Error(), nil)
			return
		}
	}
	writeProblem(w, http.StatusInternalServerError, "internal_error", "", nil)
}

// decode reads a JSON body strictly (unknown fields are refused: a misspelt field must not pass silently) and
// validates it; false when it has answered the request with a 400/413/415.
func decode[T interface{ Validate() []Issue }](w http.ResponseWriter, r *http.Request, into *T) bool {
	if ct := r.Header.Get("content-type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeProblem(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json", nil)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var tooLarge *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			writeProblem(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("at most %d bytes", maxBodyBytes), nil)
		case errors.As(err, &typeErr):
			writeProblem(w, http.StatusBadRequest, "validation_failed", "", []Issue{{typeErr.Field, "must be a " + typeErr.Type.String()}})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			writeProblem(w, http.StatusBadRequest, "validation_failed", "", []Issue{{field, "unknown field"}})
		default:
			writeProblem(w, http.StatusBadRequest, "malformed_json", "the body is not one JSON object", nil)
		}
		return false
	}
	if dec.More() {
		writeProblem(w, http.StatusBadRequest, "malformed_json", "the body is not one JSON object", nil)
		return false
	}
	if issues := (*into).Validate(); len(issues) > 0 {
		sort.Slice(issues, func(i, j int) bool { return issues[i].Path < issues[j].Path })
		writeProblem(w, http.StatusBadRequest, "validation_failed", "", issues)
		return false
	}
	return true
}

// ControlHandler serves the control API over a Service: every /v1 route needs a control token; /healthz
// (capacity, for placement and probes) does not, and says nothing about any recording.
func ControlHandler(s *Service, secret []byte, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Health()) })
	mux.HandleFunc("POST /v1/captures", func(w http.ResponseWriter, r *http.Request) {
		var req StartRequest
		if !decode(w, r, &req) {
			return
		}
		status, created, err := s.Start(req)
		if err != nil {
			writeError(w, err)
			return
		}
		code := http.StatusOK
		if created {
			code = http.StatusCreated
		}
		writeJSON(w, code, status)
	})
	withCapture := func(act func(*Capture, http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, err := s.Get(r.PathValue("id"))
			if err != nil {
				writeError(w, err)
				return
			}
			act(c, w, r)
		}
	}
	answer := func(w http.ResponseWriter, status StatusBody, err error) {
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, status)
	}
	mux.HandleFunc("GET /v1/captures/{id}", withCapture(func(c *Capture, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, c.Status())
	}))
	mux.HandleFunc("POST /v1/captures/{id}/pause", withCapture(func(c *Capture, w http.ResponseWriter, _ *http.Request) {
		status, err := c.Pause()
		answer(w, status, err)
	}))
	mux.HandleFunc("POST /v1/captures/{id}/resume", withCapture(func(c *Capture, w http.ResponseWriter, _ *http.Request) {
		status, err := c.Resume()
		answer(w, status, err)
	}))
	mux.HandleFunc("PUT /v1/captures/{id}/exclusions", withCapture(func(c *Capture, w http.ResponseWriter, r *http.Request) {
		var req ExclusionsRequest
		if !decode(w, r, &req) {
			return
		}
		status, err := c.Exclude(req.Excluded)
		answer(w, status, err)
	}))
	mux.HandleFunc("POST /v1/captures/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
		status, err := s.Stop(r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, StopBody{ManifestKey: status.ManifestKey, Status: status})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("control request panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				writeProblem(w, http.StatusInternalServerError, "internal_error", "", nil)
			}
		}()
		if strings.HasPrefix(r.URL.Path, "/v1/") && VerifyControlToken(secret, r.Header.Get("authorization"), time.Now()) != nil {
			// Logged without the header: a token, even a refused one, is a secret.
			log.Warn("control request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			writeError(w, ErrUnauthorized)
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			writeProblem(w, http.StatusNotFound, "route_not_found", "", nil)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
