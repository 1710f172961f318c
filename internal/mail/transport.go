package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// callRecord is what the transport saw for one Send. resend-go reduces every
// non-429 failure to errors.New("[ERROR]: "+message) and drops the status,
// but the status (and, for 409, the error name) decides retry vs dead letter.
type callRecord struct {
	status     int
	retryAfter string
	name       string // Resend's error "name", e.g. validation_error
	message    string
}

type recordKey struct{}

// withRecord attaches a fresh record to ctx. One record per call (rather
// than a field on the transport) keeps concurrent Sends from reading each
// other's status.
func withRecord(ctx context.Context) (context.Context, *callRecord) {
	rec := &callRecord{}
	return context.WithValue(ctx, recordKey{}, rec), rec
}

// recordingTransport notes the response status and, for errors, Resend's
// error body, then hands the response on unchanged. It writes the record
// before RoundTrip returns, so the caller reads it after Do returns without
// a data race.
type recordingTransport struct{ base http.RoundTripper }

// maxErrorBody bounds how much of an error answer is buffered; Resend's are
// a few hundred bytes.
const maxErrorBody = 64 << 10

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	rec, _ := req.Context().Value(recordKey{}).(*callRecord)
	if err != nil || rec == nil {
		return resp, err
	}
	rec.status = resp.StatusCode
	rec.retryAfter = resp.Header.Get("Retry-After")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	// Buffer the error body so we can read its name and resend-go can
	// still decode it afterwards.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		rec.name, rec.message = e.Name, e.Message
	}
	return resp, nil
}
