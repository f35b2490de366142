package recorder

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func controlServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	service := NewService(CaptureDeps{Store: NewDirStore(t.TempDir()), ChunkDuration: time.Second, WorkDir: t.TempDir(), Log: log}, 8)
	server := httptest.NewServer(ControlHandler(service, controlSecret, log))
	t.Cleanup(server.Close)
	claims := jwt.MapClaims{"aud": "recorder", "exp": time.Now().Add(time.Minute).Unix()}
	return server, sign(t, jwt.SigningMethodHS256, controlSecret, claims)
}

func call(t *testing.T, method, url, auth, body string) (int, problem) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("authorization", auth)
	req.Header.Set("content-type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p problem
	_ = json.NewDecoder(res.Body).Decode(&p)
	return res.StatusCode, p
}

func TestBadStartBodiesGetAClear400(t *testing.T) {
	server, auth := controlServer(t)
	cases := map[string]struct{ body, code, path string }{
		"not json":      {`{"recordingId":`, "malformed_json", ""},
		"two objects":   {`{} {}`, "malformed_json", ""},
		"wrong type":    {`{"recordingId": 7}`, "validation_failed", "recordingId"},
		"unknown field": {`{"colour": "x"}`, "validation_failed", "colour"},
		"missing all":   {`{}`, "validation_failed", "excluded"},
		"bad reason": {`{"recordingId":"8c5b3f5e-0f4e-4c43-9a55-0a4b7a1e2d11","tenantId":"8c5b3f5e-0f4e-4c43-9a55-0a4b7a1e2d12",` +
			`"meetingId":"8c5b3f5e-0f4e-4c43-9a55-0a4b7a1e2d13","room":"r","nodeUrl":"ws://127.0.0.1:7880","layout":"grid",` +
			`"excluded":[{"identity":"carol","reason":"shy"}]}`, "validation_failed", "excluded.0.reason"},
	}
	for name, c := range cases {
		status, p := call(t, "POST", server.URL+"/v1/captures", auth, c.body)
		if status != 400 || p.Code != c.code || (c.path != "" && !hasIssue(p, c.path)) {
			t.Errorf("%s: %d %+v, want 400 %s at %q", name, status, p, c.code, c.path)
		}
	}
}

func hasIssue(p problem, path string) bool {
	for _, issue := range p.Issues {
		if issue.Path == path {
			return true
		}
	}
	return false
}

func TestEveryControlRouteNeedsAToken(t *testing.T) {
	server, _ := controlServer(t)
	for _, route := range []string{"POST /v1/captures", "GET /v1/captures/x", "POST /v1/captures/x/stop", "PUT /v1/captures/x/exclusions"} {
		method, path, _ := strings.Cut(route, " ")
		if status, p := call(t, method, server.URL+path, "Bearer nope", "{}"); status != 401 || p.Code != "unauthorized" {
			t.Errorf("%s: %d %s", route, status, p.Code)
		}
	}
	res, err := http.Get(server.URL + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	var health HealthBody
	_ = json.NewDecoder(res.Body).Decode(&health)
	if health.MaxTracks != 8 || health.ActiveTracks != 0 {
		t.Fatalf("health %+v", health)
	}
}

func TestAnUnknownRecordingIs404(t *testing.T) {
	server, auth := controlServer(t)
	for _, route := range []string{"GET /v1/captures/nope", "POST /v1/captures/nope/pause", "POST /v1/captures/nope/stop"} {
		method, path, _ := strings.Cut(route, " ")
		if status, p := call(t, method, server.URL+path, auth, ""); status != 404 || p.Code != "recording_not_found" {
			t.Errorf("%s: %d %s", route, status, p.Code)
		}
	}
}
