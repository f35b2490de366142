package recorder

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var controlSecret = []byte("0123456789abcdef0123456789abcdef")

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + token
}

func TestOnlyAShortLivedHS256TokenForTheRecorderIsAccepted(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	good := jwt.MapClaims{"aud": "recorder", "exp": now.Add(30 * time.Second).Unix(), "iat": now.Unix()}
	if err := VerifyControlToken(controlSecret, sign(t, jwt.SigningMethodHS256, controlSecret, good), now); err != nil {
		t.Fatalf("a good token was refused: %v", err)
	}
	cases := map[string]string{
		"no header":      "",
		"not bearer":     "Basic abc",
		"garbage":        "Bearer not.a.jwt",
		"wrong secret":   sign(t, jwt.SigningMethodHS256, []byte("another secret, just as long....."), good),
		"wrong audience": sign(t, jwt.SigningMethodHS256, controlSecret, jwt.MapClaims{"aud": "recording-report", "exp": now.Add(30 * time.Second).Unix()}),
		"no audience":    sign(t, jwt.SigningMethodHS256, controlSecret, jwt.MapClaims{"exp": now.Add(30 * time.Second).Unix()}),
		"expired":        sign(t, jwt.SigningMethodHS256, controlSecret, jwt.MapClaims{"aud": "recorder", "exp": now.Add(-10 * time.Second).Unix()}),
		"no expiry":      sign(t, jwt.SigningMethodHS256, controlSecret, jwt.MapClaims{"aud": "recorder"}),
		"too long-lived": sign(t, jwt.SigningMethodHS256, controlSecret, jwt.MapClaims{"aud": "recorder", "exp": now.Add(10 * time.Minute).Unix()}),
		"HS512":          sign(t, jwt.SigningMethodHS512, controlSecret, good),
		"alg none":       sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good),
	}
	for name, header := range cases {
		if err := VerifyControlToken(controlSecret, header, now); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: got %v, want ErrUnauthorized", name, err)
		}
	}
}
