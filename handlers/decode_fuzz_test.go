package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
)

// decodeIntake runs decodeJSON on body as the intake handler does.
func decodeIntake(e *echo.Echo, body []byte) (intakeBody, error) {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/requests", bytes.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	var b intakeBody
	err := decodeJSON(e.NewContext(req, httptest.NewRecorder()), &b)
	return b, err
}

// FuzzDecodeIntake feeds the public intake's decoder any body. It never
// panics; a refusal is the contract's 400 with a decoding code (and the
// field, for a field's fault); a body it accepts re-encodes and decodes
// back to the same value.
func FuzzDecodeIntake(f *testing.F) {
	for _, s := range []string{
		`{"type":"access","email":"a@example.com"}`,
		`{"type":"correction","email":"a@example.com","corrections":[{"field":"name","current":"A","requested":"B"}],"nominee":null}`,
		`{"type":"nomination","email":"a@example.com","nominee":{"name":"N","email":"n@example.com"},"concerns_child":true}`,
		`{"type":"access","email":"a@example.com","admin":true}`,
		`{"type":"access","email":5}`, `{"scope":"marketing"}`, `{"concerns_child":"yes"}`, `{"corrections":[1]}`,
		`{"type":"access",`, `[1,2]`, `null`, `"x"`, `{} {}`, ``, "\ufeff{}", `{"type":"\ud800"}`, `{"details":"1e999999"}`,
		`{"type":"access","TYPE":"deletion"}`, `{"type":"access","type":"deletion"}`,
		`{"email":"a@example.com\r\nBcc: b@example.com"}`, `{"name":"x\u0000y"}`, `{"related_reference":"' OR 1=1 --"}`,
	} {
		f.Add([]byte(s))
	}
	e := echo.New()
	codes := []string{"invalid_json", "invalid_type", "unknown_field", "invalid_body"}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeIntake(e, body)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !slices.Contains(codes, ae.Code) || ae.Message == "" {
				t.Fatalf("refusal %#v (%v) is not a decoding 400", ae, err)
			}
			if ae := toAPIError(err); ae.Status != http.StatusBadRequest {
				t.Fatalf("toAPIError gives %d", ae.Status)
			}
			return
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", b, err)
		}
		back, err := decodeIntake(e, again)
		if err != nil || !reflect.DeepEqual(back, b) {
			t.Fatalf("%s decoded to %+v, re-encoded as %s, decoded back to %+v (%v)", body, b, again, back, err)
		}
	})
}
