package recorder

import (
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Clocks differ a little between the API and a recorder: this much is forgiven on expiry and on lifetime.
const controlClockSkew = 5 * time.Second

// VerifyControlToken checks the control API's bearer token: HS256 under the shared secret, `aud` "recorder",
// an `exp` in the future and at most ControlMaxTTLSeconds ahead (a leaked token is worth a minute at most).
// Every failure is ErrUnauthorized: the caller learns nothing about which check failed.
func VerifyControlToken(secret []byte, authorization string, now time.Time) error {
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || raw == "" {
		return ErrUnauthorized
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithAudience(ControlAudience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(controlClockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	token, err := parser.Parse(raw, func(*jwt.Token) (any, error) { return secret, nil })
	if err != nil || !token.Valid {
		return ErrUnauthorized
	}
	exp, err := token.Claims.GetExpirationTime()
	if err != nil || exp == nil || exp.Sub(now) > ControlMaxTTLSeconds*time.Second+controlClockSkew {
		return ErrUnauthorized
	}
	return nil
}
