package handlers_test

import (
	"encoding/json"
	"net/url"
	"strings"
)

// The hostile strings of the table.
const (
	sqlOr     = `' OR 1=1 --`
	sqlDrop   = `"; DROP TABLE requests; --`
	htmlTag   = "<script>alert(1)</script>"
	headerInj = "x\r\nSet-Cookie: a=b"
	mailInj   = "a@b.com\r\nBcc: victim@evil.com"
)

// jsonOf writes v as JSON (hostile strings escaped as JSON escapes them).
func jsonOf(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

type obj = map[string]any

// oversize is a JSON object of more than 64 KiB.
var oversize = jsonOf(obj{"type": "access", "email": "a@example.com", "details": strings.Repeat("x", 70<<10)})

func bearerOf(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// headers builds headers from pairs.
func headers(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// withHeader adds pairs to headers.
func withHeader(h map[string]string, kv ...string) map[string]string {
	m := headers(kv...)
	for k, v := range h {
		m[k] = v
	}
	return m
}

// endpoint fills the rows' Endpoint, and their Path where they have none.
func endpoint(route, path string, rows ...badInput) []badInput {
	for i := range rows {
		rows[i].Endpoint = route
		if rows[i].Path == "" {
			rows[i].Path = path
		}
	}
	return rows
}

// csrfForm and formNoCSRF are the form bodies of the pages: with the CSRF token (the cookie
// is sent by csrfCookie / consoleSession), or without.
func csrfForm(kv ...string) url.Values {
	v := url.Values{"_csrf": {"{csrf}"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func formNoCSRF(kv ...string) url.Values {
	v := csrfForm(kv...)
	v.Del("_csrf")
	return v
}

var (
	csrfCookie = headers("Cookie", "rd_csrf={csrf}")
	crossSite  = headers("Cookie", "rd_csrf={csrf}", "Sec-Fetch-Site", "cross-site")
)

// consoleSession sends a console session (a staff JWT) and the console's CSRF cookie.
func consoleSession(who string) map[string]string {
	return headers("Cookie", "rd_session="+who+"; rd_admin_csrf={csrf}")
}

// badInputRows is the table. Every row changes nothing in the database.
func badInputRows() []badInput {
	var rows []badInput
	add := func(rs []badInput) { rows = append(rows, rs...) }
	admin, agent, auditor := bearerOf("{admin}"), bearerOf("{agent}"), bearerOf("{auditor}")

	// Forged and dead credentials get the same 401 on every staff route;
	// they are spelled out once, on the queue.
	forged := []badInput{
		{Case: "no credentials", Status: 401, Code: "unauthorized"},
		{Case: "Authorization without Bearer", Header: headers("Authorization", "Basic YWRtaW46YWRtaW4="), Status: 401, Code: "unauthorized"},
		{Case: "JWT signed with another key", Header: bearerOf("{jwt_wrong_key}"), Status: 401, Code: "unauthorized"},
		{Case: "JWT with alg none", Header: bearerOf("{jwt_alg_none}"), Status: 401, Code: "unauthorized"},
		{Case: "expired JWT", Header: bearerOf("{jwt_expired}"), Status: 401, Code: "unauthorized"},
		{Case: "agent's JWT with its payload edited to admin", Header: bearerOf("{jwt_tampered}"), Status: 401, Code: "unauthorized"},
		{Case: "unknown API key", Header: bearerOf("{forged_key}"), Status: 401, Code: "unauthorized"},
		{Case: "revoked API key", Header: bearerOf("{key_revoked}"), Status: 401, Code: "unauthorized"},
		{Case: "SQL in the Bearer token", Header: bearerOf(sqlOr), Status: 401, Code: "unauthorized"},
	}

	// Public intake.
	add(endpoint("POST /api/v1/requests", "/api/v1/requests",
		badInput{Case: "malformed JSON", Body: `{"type":"access",`, Status: 400, Code: "invalid_json"},
		badInput{Case: "empty body", Status: 400, Code: "invalid_json"},
		badInput{Case: "an array, not an object", Body: `[1,2]`, Status: 400, Code: "invalid_json"},
		badInput{Case: "two objects", Body: `{"type":"access","email":"a@example.com"} {}`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: email is a number", Body: `{"type":"access","email":5}`, Status: 400, Code: "invalid_type", Field: "email"},
		badInput{Case: "wrong type: scope is a string", Body: `{"type":"opt_out","email":"a@example.com","scope":"marketing"}`, Status: 400, Code: "invalid_type", Field: "scope"},
		badInput{Case: "wrong type: concerns_child is a string", Body: `{"type":"grievance","email":"a@example.com","concerns_child":"yes"}`, Status: 400, Code: "invalid_type", Field: "concerns_child"},
		badInput{Case: "unknown field", Body: `{"type":"access","email":"a@example.com","status":"completed"}`, Status: 400, Code: "unknown_field", Field: "status"},
		badInput{Case: "body over 64 KiB", Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "form-encoded body", Header: headers("Content-Type", "application/x-www-form-urlencoded"), Body: "type=access&email=a%40example.com", Status: 400, Code: "invalid_json"},
		badInput{Case: "SQL in email: " + sqlOr, Body: jsonOf(obj{"type": "access", "email": sqlOr}), Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "SQL in email: " + sqlDrop, Body: jsonOf(obj{"type": "access", "email": sqlDrop}), Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "HTML in email", Body: jsonOf(obj{"type": "access", "email": htmlTag + "@example.com"}), Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "email-header injection in email", Body: jsonOf(obj{"type": "access", "email": mailInj}), Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "email-header injection in name", Body: jsonOf(obj{"type": "access", "email": "a@example.com", "name": "Ana\r\nBcc: victim@evil.com"}), Status: 400, Code: "invalid", Field: "name"},
		badInput{Case: "header injection in name", Body: jsonOf(obj{"type": "access", "email": "a@example.com", "name": headerInj}), Status: 400, Code: "invalid", Field: "name"},
		badInput{Case: "email-header injection in the nominee's email", Body: jsonOf(obj{"type": "nomination", "email": "a@example.com", "nominee": obj{"name": "Bo", "email": mailInj}}), Status: 400, Code: "invalid", Field: "nominee"},
		badInput{Case: "SQL in type", Body: jsonOf(obj{"type": sqlOr, "email": "a@example.com"}), Status: 400, Code: "invalid", Field: "type"},
		badInput{Case: "SQL in related_reference", Body: jsonOf(obj{"type": "appeal", "email": "a@example.com", "related_reference": sqlOr}), Status: 400, Code: "invalid", Field: "related_reference"},
		badInput{Case: "HTML in region", Body: jsonOf(obj{"type": "access", "email": "a@example.com", "country": "US", "region": htmlTag}), Status: 400, Code: "invalid", Field: "region"},
	))

	add(endpoint("POST /api/v1/verifications", "/api/v1/verifications",
		badInput{Case: "malformed JSON", Body: `{"token":`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: token is a number", Body: `{"token":12345}`, Status: 400, Code: "invalid_type", Field: "token"},
		badInput{Case: "unknown field", Body: `{"token":"{verify_token}","verified":true}`, Status: 400, Code: "unknown_field", Field: "verified"},
		badInput{Case: "body over 64 KiB", Body: jsonOf(obj{"token": strings.Repeat("A", 70<<10)}), Status: 413, Code: "too_large"},
		badInput{Case: "no token", Body: `{}`, Status: 400, Code: "invalid", Field: "token"},
		badInput{Case: "forged token", Body: `{"token":"{forged_token}"}`, Status: 404, Code: "token_not_found"},
		badInput{Case: "used token", Body: `{"token":"{used_verify_token}"}`, Status: 410, Code: "token_gone"},
		badInput{Case: "expired token", Body: `{"token":"{expired_verify_token}"}`, Status: 410, Code: "token_gone"},
		badInput{Case: "a status-page token", Body: `{"token":"{status_token}"}`, Status: 404, Code: "token_not_found"},
		badInput{Case: "SQL as the token", Body: jsonOf(obj{"token": sqlOr}), Status: 404, Code: "token_not_found"},
		badInput{Case: "form-encoded body", Header: headers("Content-Type", "application/x-www-form-urlencoded"), Body: "token={verify_token}", Status: 400, Code: "invalid_json"},
	))

	// Sign-in. Failed sign-ins are throttled per address and account (5 in
	// 15 minutes), so only two rows here get as far as a password check.
	add(endpoint("POST /api/v1/auth/login", "/api/v1/auth/login",
		badInput{Case: "malformed JSON", Body: `{"email":"admin@example.com","password":`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: password is a number", Body: `{"email":"admin@example.com","password":123}`, Status: 400, Code: "invalid_type", Field: "password"},
		badInput{Case: "unknown field", Body: `{"email":"admin@example.com","password":"x","role":"admin"}`, Status: 400, Code: "unknown_field", Field: "role"},
		badInput{Case: "body over 64 KiB", Body: jsonOf(obj{"email": "admin@example.com", "password": strings.Repeat("x", 70<<10)}), Status: 413, Code: "too_large"},
		badInput{Case: "SQL in email and password", Body: jsonOf(obj{"email": "admin@example.com' --", "password": sqlOr}), Status: 401, Code: "bad_credentials"},
		badInput{Case: "email-header injection in email", Body: jsonOf(obj{"email": "admin@example.com\r\nBcc: victim@evil.com", "password": "correct horse battery"}), Status: 401, Code: "bad_credentials"},
	))

	// Staff: the queue carries the forged-credential rows.
	add(endpoint("GET /api/v1/requests", "/api/v1/requests", forged...))
	add(endpoint("GET /api/v1/requests", "",
		badInput{Case: "API key with scope consents:read", Path: "/api/v1/requests", Header: bearerOf("{key_consents_read}"), Status: 403, Code: "forbidden"},
		badInput{Case: "unknown status filter", Path: "/api/v1/requests?status=" + url.QueryEscape(sqlOr), Header: admin, Status: 400, Code: "invalid", Field: "status"},
		badInput{Case: "limit not a number", Path: "/api/v1/requests?limit=ten", Header: admin, Status: 400, Code: "invalid", Field: "limit"},
		badInput{Case: "forged cursor", Path: "/api/v1/requests?cursor=" + url.QueryEscape(sqlDrop), Header: admin, Status: 400, Code: "invalid", Field: "cursor"},
		badInput{Case: "due_before not a date", Path: "/api/v1/requests?due_before=" + url.QueryEscape(htmlTag), Header: admin, Status: 400, Code: "invalid", Field: "due_before"},
		badInput{Case: "SQL in the search q", Path: "/api/v1/requests?q=" + url.QueryEscape(sqlOr), Header: admin, Status: 200, Note: "no items", BodyHas: `"items":[]`},
	))

	add(endpoint("POST /api/v1/requests/intake", "/api/v1/requests/intake",
		badInput{Case: "no credentials", Body: `{"type":"access","email":"a@example.com"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "auditor", Header: auditor, Body: `{"type":"access","email":"a@example.com","received_at":"2026-01-30T09:00:00Z"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:read only", Header: bearerOf("{key_requests_read}"), Body: `{"type":"access","email":"a@example.com","received_at":"2026-01-30T09:00:00Z"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "malformed JSON", Header: admin, Body: `{"type":`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: verified is a string", Header: admin, Body: `{"type":"access","email":"a@example.com","verified":"yes"}`, Status: 400, Code: "invalid_type", Field: "verified"},
		badInput{Case: "unknown field", Header: admin, Body: `{"type":"access","email":"a@example.com","status":"completed"}`, Status: 400, Code: "unknown_field", Field: "status"},
		badInput{Case: "body over 64 KiB", Header: admin, Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "received_at not a time", Header: admin, Body: jsonOf(obj{"type": "access", "email": "a@example.com", "received_at": sqlOr}), Status: 400, Code: "invalid", Field: "received_at"},
		badInput{Case: "email-header injection in email", Header: admin, Body: jsonOf(obj{"type": "access", "email": mailInj, "received_at": "2026-01-30T09:00:00Z"}), Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "header injection in name", Header: admin, Body: jsonOf(obj{"type": "access", "email": "a@example.com", "name": headerInj, "received_at": "2026-01-30T09:00:00Z"}), Status: 400, Code: "invalid", Field: "name"},
	))

	add(endpoint("GET /api/v1/requests/{id}", "",
		badInput{Case: "no credentials", Path: "/api/v1/requests/{open_id}", Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope consents:write", Path: "/api/v1/requests/{open_id}", Header: bearerOf("{key_consents_write}"), Status: 403, Code: "forbidden"},
		badInput{Case: "unknown id", Path: "/api/v1/requests/00000000-0000-0000-0000-000000000000", Header: admin, Status: 404, Code: "not_found"},
		badInput{Case: "SQL as the id", Path: "/api/v1/requests/" + url.PathEscape(sqlOr), Header: admin, Status: 404, Code: "not_found"},
	))

	acts := "/api/v1/requests/{open_id}/actions"
	add(endpoint("POST /api/v1/requests/{id}/actions", acts,
		badInput{Case: "no credentials", Body: `{"action":"start"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "expired JWT", Header: bearerOf("{jwt_expired}"), Body: `{"action":"start"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "auditor", Header: auditor, Body: `{"action":"start"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:read only", Header: bearerOf("{key_requests_read}"), Body: `{"action":"start"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "malformed JSON", Header: agent, Body: `{"action":"start"`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: days is a string", Header: agent, Body: `{"action":"extend","days":"30","reason":"busy"}`, Status: 400, Code: "invalid_type", Field: "days"},
		badInput{Case: "unknown field", Header: agent, Body: `{"action":"start","status":"completed"}`, Status: 400, Code: "unknown_field", Field: "status"},
		badInput{Case: "body over 64 KiB", Header: agent, Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "form-encoded body", Header: withHeader(agent, "Content-Type", "application/x-www-form-urlencoded"), Body: "action=start", Status: 400, Code: "invalid_json"},
		badInput{Case: "unknown action (SQL)", Header: agent, Body: jsonOf(obj{"action": sqlDrop}), Status: 400, Code: "invalid", Field: "action"},
		badInput{Case: "deny without a reason", Header: agent, Body: `{"action":"deny"}`, Status: 400, Code: "invalid", Field: "reason"},
		badInput{Case: "assign to an unknown email (header injection)", Header: agent, Body: jsonOf(obj{"action": "assign", "assignee": mailInj}), Status: 400, Code: "invalid", Field: "assignee"},
		badInput{Case: "an action the status does not allow (resume an open request)", Header: agent, Body: `{"action":"resume"}`, Status: 409, Code: "illegal_transition"},
		badInput{Case: "unknown request", Path: "/api/v1/requests/00000000-0000-0000-0000-000000000000/actions", Header: agent, Body: `{"action":"start"}`, Status: 404, Code: "not_found"},
	))

	add(endpoint("GET /api/v1/requests/{id}/tasks", "/api/v1/requests/{task_request_id}/tasks",
		badInput{Case: "no credentials", Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope systems", Header: bearerOf("{key_systems}"), Status: 403, Code: "forbidden"},
		badInput{Case: "unknown request", Path: "/api/v1/requests/" + url.PathEscape(sqlOr) + "/tasks", Header: admin, Status: 404, Code: "not_found"},
	))

	add(endpoint("GET /api/v1/outbox", "/api/v1/outbox",
		badInput{Case: "no credentials", Status: 401, Code: "unauthorized"},
		badInput{Case: "agent", Header: agent, Status: 403, Code: "forbidden"},
		badInput{Case: "auditor", Header: auditor, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:read", Header: bearerOf("{key_requests_read}"), Status: 403, Code: "forbidden"},
		badInput{Case: "unknown status", Path: "/api/v1/outbox?status=" + url.QueryEscape(sqlOr), Header: admin, Status: 400, Code: "invalid", Field: "status"},
		badInput{Case: "limit out of range", Path: "/api/v1/outbox?limit=100000", Header: admin, Status: 400, Code: "invalid", Field: "limit"},
	))

	add(endpoint("GET /api/v1/reports/metrics", "/api/v1/reports/metrics",
		badInput{Case: "no credentials", Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope consents:read", Header: bearerOf("{key_consents_read}"), Status: 403, Code: "forbidden"},
		badInput{Case: "year not a number (SQL)", Path: "/api/v1/reports/metrics?year=" + url.QueryEscape(sqlOr), Header: admin, Status: 400, Code: "invalid", Field: "year"},
		badInput{Case: "year out of range", Path: "/api/v1/reports/metrics?year=1066", Header: admin, Status: 400, Code: "invalid", Field: "year"},
		badInput{Case: "unknown format", Path: "/api/v1/reports/metrics?format=xml", Header: admin, Status: 400, Code: "invalid", Field: "format"},
	))

	// Consents: the host applications' API.
	cw := bearerOf("{key_consents_write}")
	add(endpoint("POST /api/v1/consents", "/api/v1/consents",
		badInput{Case: "no credentials", Body: `{"email":"a@example.com","purpose":"marketing","action":"grant","source":"api"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope consents:read", Header: bearerOf("{key_consents_read}"), Body: `{"email":"a@example.com","purpose":"marketing","action":"grant","source":"api"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:write", Header: bearerOf("{key_requests_write}"), Body: `{"email":"a@example.com","purpose":"marketing","action":"grant","source":"api"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "auditor", Header: auditor, Body: `{"email":"a@example.com","purpose":"marketing","action":"grant","source":"api"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "malformed JSON", Header: cw, Body: `{"email":`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: purpose is an array", Header: cw, Body: `{"email":"a@example.com","purpose":["marketing"],"action":"grant","source":"api"}`, Status: 400, Code: "invalid_type", Field: "purpose"},
		badInput{Case: "unknown field", Header: cw, Body: `{"email":"a@example.com","purpose":"marketing","action":"grant","source":"api","at":"2020-01-01T00:00:00Z"}`, Status: 400, Code: "unknown_field", Field: "at"},
		badInput{Case: "body over 64 KiB", Header: cw, Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "form-encoded body", Header: withHeader(cw, "Content-Type", "application/x-www-form-urlencoded"), Body: "email=a%40example.com&purpose=marketing&action=grant&source=api", Status: 400, Code: "invalid_json"},
		badInput{Case: "email-header injection in email", Header: cw, Body: jsonOf(obj{"email": mailInj, "purpose": "marketing", "action": "grant", "source": "api"}), Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "header injection in subject_id", Header: cw, Body: jsonOf(obj{"subject_id": headerInj, "purpose": "marketing", "action": "grant", "source": "api"}), Status: 400, Code: "invalid", Field: "subject_id"},
		badInput{Case: "SQL as the purpose", Header: cw, Body: jsonOf(obj{"email": "a@example.com", "purpose": sqlDrop, "action": "grant", "source": "api"}), Status: 400, Code: "invalid", Field: "purpose"},
		badInput{Case: "unknown action", Header: cw, Body: `{"email":"a@example.com","purpose":"marketing","action":"maybe","source":"api"}`, Status: 400, Code: "invalid", Field: "action"},
		badInput{Case: "HTML as the source", Header: cw, Body: jsonOf(obj{"email": "a@example.com", "purpose": "marketing", "action": "grant", "source": htmlTag}), Status: 400, Code: "invalid", Field: "source"},
	))

	cr := bearerOf("{key_consents_read}")
	add(endpoint("GET /api/v1/consents/check", "",
		badInput{Case: "no credentials", Path: "/api/v1/consents/check?email=subject%40example.com&purpose=marketing", Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope requests:read", Path: "/api/v1/consents/check?email=subject%40example.com&purpose=marketing", Header: bearerOf("{key_requests_read}"), Status: 403, Code: "forbidden"},
		badInput{Case: "unknown parameter", Path: "/api/v1/consents/check?email=subject%40example.com&purpose=marketing&all=1", Header: cr, Status: 400, Code: "unknown_parameter", Field: "all"},
		badInput{Case: "no purpose", Path: "/api/v1/consents/check?email=subject%40example.com", Header: cr, Status: 400, Code: "invalid", Field: "purpose"},
		badInput{Case: "SQL in email", Path: "/api/v1/consents/check?purpose=marketing&email=" + url.QueryEscape(sqlOr), Header: cr, Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "SQL as the purpose", Path: "/api/v1/consents/check?email=subject%40example.com&purpose=" + url.QueryEscape(sqlDrop), Header: cr, Status: 400, Code: "invalid", Field: "purpose"},
		badInput{Case: "header injection in subject_id", Path: "/api/v1/consents/check?purpose=marketing&subject_id=" + url.QueryEscape(headerInj), Header: cr, Status: 400, Code: "invalid", Field: "subject_id"},
	))

	add(endpoint("POST /api/v1/consents/import", "/api/v1/consents/import",
		badInput{Case: "no credentials", Header: headers("Content-Type", "application/x-ndjson"), Body: `{"email":"a@example.com","purpose":"marketing","action":"grant"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope consents:read", Header: withHeader(cr, "Content-Type", "application/x-ndjson"), Body: `{"email":"a@example.com","purpose":"marketing","action":"grant"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "JSON (not JSON lines or CSV)", Header: cw, Body: `{"email":"a@example.com"}`, Status: 415, Code: "unsupported_media_type"},
		badInput{Case: "unknown format", Path: "/api/v1/consents/import?format=xml", Header: withHeader(cw, "Content-Type", "application/x-ndjson"), Body: `{}`, Status: 400, Code: "invalid_import", Field: "format"},
	))

	add(endpoint("GET /api/v1/consents/{id}/receipt", "/api/v1/consents/{event_id}/receipt",
		badInput{Case: "no credentials", Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope requests:read", Header: bearerOf("{key_requests_read}"), Status: 403, Code: "forbidden"},
		badInput{Case: "unknown id (SQL)", Path: "/api/v1/consents/" + url.PathEscape(sqlOr) + "/receipt", Header: cr, Status: 404, Code: "not_found"},
	))

	add(endpoint("GET /api/v1/subjects/consents", "",
		badInput{Case: "no credentials", Path: "/api/v1/subjects/consents?email=subject%40example.com", Status: 401, Code: "unauthorized"},
		badInput{Case: "API key with scope consents:write", Path: "/api/v1/subjects/consents?email=subject%40example.com", Header: cw, Status: 403, Code: "forbidden"},
		badInput{Case: "unknown parameter", Path: "/api/v1/subjects/consents?email=subject%40example.com&purpose=marketing", Header: admin, Status: 400, Code: "unknown_parameter", Field: "purpose"},
		badInput{Case: "no email or subject_id", Path: "/api/v1/subjects/consents", Header: admin, Status: 400, Code: "invalid", Field: "email"},
		badInput{Case: "email-header injection in email", Path: "/api/v1/subjects/consents?email=" + url.QueryEscape(mailInj), Header: admin, Status: 400, Code: "invalid", Field: "email"},
	))

	// Webhooks and systems: admins, or an API key with scope systems.
	add(endpoint("POST /api/v1/webhooks", "/api/v1/webhooks",
		badInput{Case: "no credentials", Body: `{"url":"http://127.0.0.1:9/x"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "agent", Header: agent, Body: `{"url":"http://127.0.0.1:9/x"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "auditor", Header: auditor, Body: `{"url":"http://127.0.0.1:9/x"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope consents:write", Header: cw, Body: `{"url":"http://127.0.0.1:9/x"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "malformed JSON", Header: admin, Body: `{"url":`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: url is a number", Header: admin, Body: `{"url":1}`, Status: 400, Code: "invalid_type", Field: "url"},
		badInput{Case: "unknown field", Header: admin, Body: `{"url":"http://127.0.0.1:9/x","secret":"mine"}`, Status: 400, Code: "unknown_field", Field: "secret"},
		badInput{Case: "body over 64 KiB", Header: admin, Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "javascript: URL", Header: admin, Body: `{"url":"javascript:alert(1)"}`, Status: 400, Code: "invalid", Field: "url"},
		badInput{Case: "header injection in url", Header: admin, Body: jsonOf(obj{"url": "http://127.0.0.1:9/x\r\nSet-Cookie: a=b"}), Status: 400, Code: "invalid", Field: "url"},
	))
	add(endpoint("GET /api/v1/webhooks", "/api/v1/webhooks",
		badInput{Case: "agent", Header: agent, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:read", Header: bearerOf("{key_requests_read}"), Status: 403, Code: "forbidden"},
	))
	add(endpoint("DELETE /api/v1/webhooks/{id}", "/api/v1/webhooks/{webhook_id}",
		badInput{Case: "no credentials", Status: 401, Code: "unauthorized"},
		badInput{Case: "agent", Header: agent, Status: 403, Code: "forbidden"},
		badInput{Case: "auditor", Header: auditor, Status: 403, Code: "forbidden"},
		badInput{Case: "unknown id (SQL)", Path: "/api/v1/webhooks/" + url.PathEscape(sqlOr), Header: admin, Status: 404, Code: "not_found"},
	))

	add(endpoint("POST /api/v1/systems", "/api/v1/systems",
		badInput{Case: "no credentials", Body: `{"name":"X","request_types":["access"],"manual":true}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "agent", Header: agent, Body: `{"name":"X","request_types":["access"],"manual":true}`, Status: 403, Code: "forbidden"},
		badInput{Case: "auditor", Header: auditor, Body: `{"name":"X","request_types":["access"],"manual":true}`, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:write", Header: bearerOf("{key_requests_write}"), Body: `{"name":"X","request_types":["access"],"manual":true}`, Status: 403, Code: "forbidden"},
		badInput{Case: "malformed JSON", Header: admin, Body: `{"name":"X",`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: manual is a string", Header: admin, Body: `{"name":"X","request_types":["access"],"manual":"yes"}`, Status: 400, Code: "invalid_type", Field: "manual"},
		badInput{Case: "unknown field", Header: admin, Body: `{"name":"X","request_types":["access"],"manual":true,"key":"rds_mine"}`, Status: 400, Code: "unknown_field", Field: "key"},
		badInput{Case: "body over 64 KiB", Header: admin, Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "header injection in name", Header: admin, Body: jsonOf(obj{"name": headerInj, "request_types": []string{"access"}, "manual": true}), Status: 400, Code: "invalid", Field: "name"},
		badInput{Case: "SQL as a request type", Header: admin, Body: jsonOf(obj{"name": "X", "request_types": []string{sqlDrop}, "manual": true}), Status: 400, Code: "invalid", Field: "request_types"},
		badInput{Case: "javascript: webhook_url", Header: admin, Body: `{"name":"X","request_types":["access"],"webhook_url":"javascript:alert(1)"}`, Status: 400, Code: "invalid", Field: "webhook_url"},
		badInput{Case: "a name taken", Header: admin, Body: `{"name":"CRM","request_types":["access"],"manual":true}`, Status: 409, Code: "duplicate", Field: "name"},
	))
	add(endpoint("GET /api/v1/systems", "/api/v1/systems",
		badInput{Case: "agent", Header: agent, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope consents:read", Header: cr, Status: 403, Code: "forbidden"},
	))
	add(endpoint("GET /api/v1/systems/{id}", "/api/v1/systems/{system_id}",
		badInput{Case: "agent", Header: agent, Status: 403, Code: "forbidden"},
		badInput{Case: "unknown id (SQL)", Path: "/api/v1/systems/" + url.PathEscape(sqlOr), Header: admin, Status: 404, Code: "not_found"},
	))
	add(endpoint("PATCH /api/v1/systems/{id}", "/api/v1/systems/{system_id}",
		badInput{Case: "no credentials", Body: `{"disabled":true}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "agent", Header: agent, Body: `{"disabled":true}`, Status: 403, Code: "forbidden"},
		badInput{Case: "auditor", Header: auditor, Body: `{"disabled":true}`, Status: 403, Code: "forbidden"},
		badInput{Case: "the system's own key", Header: bearerOf("{system_key}"), Body: `{"disabled":true}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "malformed JSON", Header: admin, Body: `{"disabled":`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: disabled is a string", Header: admin, Body: `{"disabled":"true"}`, Status: 400, Code: "invalid_type", Field: "disabled"},
		badInput{Case: "unknown field", Header: admin, Body: `{"created_by":"someone else"}`, Status: 400, Code: "unknown_field", Field: "created_by"},
		badInput{Case: "body over 64 KiB", Header: admin, Body: oversize, Status: 413, Code: "too_large"},
		badInput{Case: "header injection in name", Header: admin, Body: jsonOf(obj{"name": headerInj}), Status: 400, Code: "invalid", Field: "name"},
		badInput{Case: "unknown id", Path: "/api/v1/systems/00000000-0000-0000-0000-000000000000", Header: admin, Body: `{"disabled":true}`, Status: 404, Code: "not_found"},
	))

	// A task's result: the system's key (or staff). The body is streamed
	// to disk, so the 64 KiB limit does not apply to it.
	task := "/api/v1/tasks/{task_id}/result"
	sys := bearerOf("{system_key}")
	add(endpoint("POST /api/v1/tasks/{id}/result", task,
		badInput{Case: "no credentials", Body: `{"status":"done"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "unknown system key", Header: bearerOf("{forged_system_key}"), Body: `{"status":"done"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "another system's key", Header: bearerOf("{other_system_key}"), Body: `{"status":"done"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "forged JWT (alg none)", Header: bearerOf("{jwt_alg_none}"), Body: `{"status":"done"}`, Status: 401, Code: "unauthorized"},
		badInput{Case: "auditor", Header: auditor, Body: `{"status":"done","note":"x"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "API key with scope requests:read only", Header: bearerOf("{key_requests_read}"), Body: `{"status":"done","note":"x"}`, Status: 403, Code: "forbidden"},
		badInput{Case: "malformed JSON", Header: sys, Body: `{"status":"done"`, Status: 400, Code: "invalid_json"},
		badInput{Case: "wrong type: status is a number", Header: sys, Body: `{"status":1}`, Status: 400, Code: "invalid_type", Field: "status"},
		badInput{Case: "wrong type: data is an array", Header: sys, Body: `{"status":"done","data":[1]}`, Status: 400, Code: "invalid_type", Field: "data"},
		badInput{Case: "unknown field", Header: sys, Body: `{"status":"done","task_id":"other"}`, Status: 400, Code: "unknown_field", Field: "task_id"},
		badInput{Case: "JSON sent as text/plain", Header: withHeader(sys, "Content-Type", "text/plain"), Body: `{"status":"done"}`, Status: 415, Code: "unsupported_media_type"},
		badInput{Case: "SQL as the status", Header: sys, Body: jsonOf(obj{"status": sqlOr}), Status: 400, Code: "invalid", Field: "status"},
		badInput{Case: "header injection in reason", Header: sys, Body: jsonOf(obj{"status": "failed", "reason": "x\u001b[2J\r\nSet-Cookie: a=b"}), Status: 400, Code: "invalid", Field: "reason"},
		badInput{Case: "failed without a reason", Header: sys, Body: `{"status":"failed"}`, Status: 400, Code: "invalid", Field: "reason"},
		badInput{Case: "unknown task (SQL)", Path: "/api/v1/tasks/" + url.PathEscape(sqlOr) + "/result", Header: admin, Body: `{"status":"done","note":"x"}`, Status: 404, Code: "not_found"},
	))

	// Public pages. Form posts need the CSRF token (cookie and field).
	add(endpoint("GET /", "",
		badInput{Case: "HTML as the type", Path: "/?type=" + url.QueryEscape(htmlTag), Status: 400, Page: true},
		badInput{Case: "HTML as related_reference", Path: "/?type=appeal&related_reference=" + url.QueryEscape(htmlTag), Status: 200, Page: true, Note: "the appeal form, the value escaped"},
	))
	add(endpoint("POST /requests", "/requests",
		badInput{Case: "no CSRF token", Header: csrfCookie, Form: formNoCSRF("type", "access", "email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "no CSRF cookie", Form: csrfForm("type", "access", "email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "CSRF token not the cookie's", Header: headers("Cookie", "rd_csrf=another"), Form: csrfForm("type", "access", "email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "sent cross-site", Header: crossSite, Form: csrfForm("type", "access", "email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "JSON instead of a form", Header: withHeader(csrfCookie, "Content-Type", "application/json"), Body: `{"type":"access","email":"a@example.com","_csrf":"{csrf}"}`, Status: 403, Page: true},
		badInput{Case: "body over 64 KiB", Header: csrfCookie, Form: csrfForm("type", "access", "email", "a@example.com", "details", strings.Repeat("x", 70<<10)), Status: 413, Page: true},
		badInput{Case: "SQL in email", Header: csrfCookie, Form: csrfForm("type", "access", "email", sqlOr), Status: 422, Page: true},
		badInput{Case: "email-header injection in email", Header: csrfCookie, Form: csrfForm("type", "access", "email", mailInj), Status: 422, Page: true},
		badInput{Case: "header injection in name", Header: csrfCookie, Form: csrfForm("type", "access", "email", "a@example.com", "name", headerInj), Status: 422, Page: true},
		badInput{Case: "HTML as the type", Header: csrfCookie, Form: csrfForm("type", htmlTag, "email", "a@example.com"), Status: 400, Page: true},
	))
	add(endpoint("GET /verify/{token}", "",
		badInput{Case: "forged token", Path: "/verify/{forged_token}", Status: 404, Page: true},
		badInput{Case: "used token", Path: "/verify/{used_verify_token}", Status: 410, Page: true},
		badInput{Case: "expired token", Path: "/verify/{expired_verify_token}", Status: 410, Page: true},
		badInput{Case: "header injection in the token", Path: "/verify/" + url.PathEscape(headerInj), Status: 404, Page: true},
	))
	add(endpoint("POST /verify/{token}", "",
		badInput{Case: "forged token", Path: "/verify/{forged_token}", Form: url.Values{}, Status: 404, Page: true},
		badInput{Case: "used token", Path: "/verify/{used_verify_token}", Form: url.Values{}, Status: 410, Page: true},
		badInput{Case: "expired token", Path: "/verify/{expired_verify_token}", Form: url.Values{}, Status: 410, Page: true},
		badInput{Case: "a live token, sent cross-site", Path: "/verify/{verify_token}", Header: headers("Sec-Fetch-Site", "cross-site"), Form: url.Values{}, Status: 403, Page: true},
		badInput{Case: "a live token, from another origin", Path: "/verify/{verify_token}", Header: headers("Origin", "https://evil.example"), Form: url.Values{}, Status: 403, Page: true},
	))
	add(endpoint("GET /r/{token}", "",
		badInput{Case: "forged token", Path: "/r/{forged_token}", Status: 404, Page: true},
		badInput{Case: "expired token", Path: "/r/{expired_status_token}", Status: 410, Page: true},
		badInput{Case: "a verification token", Path: "/r/{verify_token}", Status: 404, Page: true},
		badInput{Case: "SQL as the token", Path: "/r/" + url.PathEscape(sqlOr), Status: 404, Page: true},
	))
	add(endpoint("GET /r/{token}/package", "",
		badInput{Case: "forged token", Path: "/r/{forged_token}/package", Status: 404, Page: true},
		badInput{Case: "expired token", Path: "/r/{expired_status_token}/package", Status: 410, Page: true},
		badInput{Case: "a request with no package", Path: "/r/{status_token}/package", Status: 404, Page: true},
	))
	add(endpoint("POST /r/{token}/withdraw", "",
		badInput{Case: "no CSRF token", Path: "/r/{status_token}/withdraw", Header: csrfCookie, Form: formNoCSRF("reason", "x"), Status: 403, Page: true},
		badInput{Case: "sent cross-site", Path: "/r/{status_token}/withdraw", Header: crossSite, Form: csrfForm("reason", "x"), Status: 403, Page: true},
		badInput{Case: "forged token", Path: "/r/{forged_token}/withdraw", Header: csrfCookie, Form: csrfForm("reason", "x"), Status: 404, Page: true},
		badInput{Case: "expired token", Path: "/r/{expired_status_token}/withdraw", Header: csrfCookie, Form: csrfForm("reason", "x"), Status: 410, Page: true},
		badInput{Case: "reason over 10,000 characters", Path: "/r/{status_token}/withdraw", Header: csrfCookie, Form: csrfForm("reason", strings.Repeat("x", 10001)), Status: 422, Page: true},
	))
	add(endpoint("POST /r/{token}/answer", "",
		badInput{Case: "no CSRF token", Path: "/r/{status_token}/answer", Header: csrfCookie, Form: formNoCSRF("answer", "x"), Status: 403, Page: true},
		badInput{Case: "forged token", Path: "/r/{forged_token}/answer", Header: csrfCookie, Form: csrfForm("answer", "x"), Status: 404, Page: true},
		badInput{Case: "no question was asked", Path: "/r/{status_token}/answer", Header: csrfCookie, Form: csrfForm("answer", htmlTag), Status: 409, Page: true},
	))
	add(endpoint("POST /consents", "/consents",
		badInput{Case: "no CSRF token", Header: csrfCookie, Form: formNoCSRF("email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "sent cross-site", Header: crossSite, Form: csrfForm("email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "body over 64 KiB", Header: csrfCookie, Form: csrfForm("email", strings.Repeat("x", 70<<10)), Status: 413, Page: true},
		badInput{Case: "SQL in email", Header: csrfCookie, Form: csrfForm("email", sqlOr), Status: 422, Page: true},
		badInput{Case: "email-header injection in email", Header: csrfCookie, Form: csrfForm("email", mailInj), Status: 422, Page: true},
		badInput{Case: "HTML in email", Header: csrfCookie, Form: csrfForm("email", htmlTag), Status: 422, Page: true},
	))
	add(endpoint("GET /consents/{token}", "",
		badInput{Case: "forged token", Path: "/consents/{forged_token}", Status: 404, Page: true},
		badInput{Case: "expired token", Path: "/consents/{expired_consent_token}", Status: 404, Page: true},
		badInput{Case: "a status-page token", Path: "/consents/{status_token}", Status: 404, Page: true},
	))
	add(endpoint("POST /consents/{token}/purposes/{purpose}", "/consents/{consent_token}/purposes/marketing",
		badInput{Case: "no CSRF token", Header: csrfCookie, Form: formNoCSRF("action", "grant"), Status: 403, Page: true},
		badInput{Case: "sent cross-site", Header: crossSite, Form: csrfForm("action", "grant"), Status: 403, Page: true},
		badInput{Case: "forged token", Path: "/consents/{forged_token}/purposes/marketing", Header: csrfCookie, Form: csrfForm("action", "grant"), Status: 404, Page: true},
		badInput{Case: "expired token", Path: "/consents/{expired_consent_token}/purposes/marketing", Header: csrfCookie, Form: csrfForm("action", "grant"), Status: 404, Page: true},
		badInput{Case: "SQL as the purpose", Path: "/consents/{consent_token}/purposes/" + url.PathEscape(sqlDrop), Header: csrfCookie, Form: csrfForm("action", "grant"), Status: 400, Page: true},
		badInput{Case: "HTML as the action", Header: csrfCookie, Form: csrfForm("action", htmlTag), Status: 400, Page: true},
	))
	add(endpoint("GET /consents/{token}/receipts/{id}", "",
		badInput{Case: "forged token", Path: "/consents/{forged_token}/receipts/{event_id}", Status: 404, Code: "token_not_found"},
		badInput{Case: "expired token", Path: "/consents/{expired_consent_token}/receipts/{event_id}", Status: 404, Code: "token_not_found"},
		badInput{Case: "another person's event", Path: "/consents/{consent_token}/receipts/{other_event_id}", Status: 404, Code: "not_found"},
		badInput{Case: "SQL as the id", Path: "/consents/{consent_token}/receipts/" + url.PathEscape(sqlOr), Status: 404, Code: "not_found"},
	))

	// The staff console: a cookie session and a CSRF token on every form.
	add(endpoint("POST /admin/login", "/admin/login",
		badInput{Case: "no CSRF token", Header: headers("Cookie", "rd_admin_csrf={csrf}"), Form: formNoCSRF("email", "admin@example.com", "password", "correct horse battery"), Status: 403, Page: true},
		badInput{Case: "sent cross-site", Header: headers("Cookie", "rd_admin_csrf={csrf}", "Sec-Fetch-Site", "cross-site"), Form: csrfForm("email", "admin@example.com", "password", "correct horse battery"), Status: 403, Page: true},
		badInput{Case: "body over 64 KiB", Header: headers("Cookie", "rd_admin_csrf={csrf}"), Form: csrfForm("email", "admin@example.com", "password", strings.Repeat("x", 70<<10)), Status: 413, Page: true},
		badInput{Case: "SQL in email and password", Header: headers("Cookie", "rd_admin_csrf={csrf}"), Form: csrfForm("email", "admin@example.com' --", "password", sqlOr), Status: 401, Page: true},
		badInput{Case: "wrong password, header injection in next", Header: headers("Cookie", "rd_admin_csrf={csrf}"), Form: csrfForm("email", "admin@example.com", "password", "wrong", "next", "/admin\r\nSet-Cookie: a=b"), Status: 401, Page: true},
	))
	add(endpoint("POST /admin/logout", "/admin/logout",
		badInput{Case: "no CSRF token", Header: consoleSession("{agent}"), Form: formNoCSRF(), Status: 403, Page: true},
	))
	consoleActs := "/admin/requests/{open_id}/actions"
	add(endpoint("POST /admin/requests/{id}/actions", consoleActs,
		badInput{Case: "not signed in", Header: headers("Cookie", "rd_admin_csrf={csrf}"), Form: csrfForm("action", "start"), Status: 401, Page: true},
		badInput{Case: "session with a forged JWT (alg none)", Header: consoleSession("{jwt_alg_none}"), Form: csrfForm("action", "start"), Status: 401, Page: true},
		badInput{Case: "session with an expired JWT", Header: consoleSession("{jwt_expired}"), Form: csrfForm("action", "start"), Status: 401, Page: true},
		badInput{Case: "no CSRF token", Header: consoleSession("{agent}"), Form: formNoCSRF("action", "start"), Status: 403, Page: true},
		badInput{Case: "CSRF token not the cookie's", Header: headers("Cookie", "rd_session={agent}; rd_admin_csrf=another"), Form: csrfForm("action", "start"), Status: 403, Page: true},
		badInput{Case: "sent cross-site", Header: withHeader(consoleSession("{agent}"), "Sec-Fetch-Site", "cross-site"), Form: csrfForm("action", "start"), Status: 403, Page: true},
		badInput{Case: "auditor", Header: consoleSession("{auditor}"), Form: csrfForm("action", "start"), Status: 403, Page: true},
		badInput{Case: "days not a number", Header: consoleSession("{agent}"), Form: csrfForm("action", "extend", "days", sqlOr, "reason", "busy"), Status: 422, Page: true},
		badInput{Case: "unknown action (HTML)", Header: consoleSession("{agent}"), Form: csrfForm("action", htmlTag), Status: 422, Page: true},
		badInput{Case: "assign to an unknown email (header injection)", Header: consoleSession("{agent}"), Form: csrfForm("action", "assign", "assignee", mailInj), Status: 422, Page: true},
		badInput{Case: "a stale page's version", Header: consoleSession("{agent}"), Form: csrfForm("action", "start", "version", "999"), Status: 409, Page: true},
	))
	add(endpoint("POST /admin/requests/{id}/tasks/{task}/result", "/admin/requests/{task_request_id}/tasks/{task_id}/result",
		badInput{Case: "auditor", Header: consoleSession("{auditor}"), Form: csrfForm("status", "done", "note", "x"), Status: 403, Page: true},
		badInput{Case: "no CSRF token", Header: consoleSession("{agent}"), Form: formNoCSRF("status", "done", "note", "x"), Status: 403, Page: true},
		badInput{Case: "SQL as the status", Header: consoleSession("{agent}"), Form: csrfForm("status", sqlOr, "note", "x"), Status: 422, Page: true},
	))
	add(endpoint("POST /admin/requests/new", "/admin/requests/new",
		badInput{Case: "auditor", Header: consoleSession("{auditor}"), Form: csrfForm("type", "access", "email", "a@example.com"), Status: 403, Page: true},
		badInput{Case: "email-header injection in email", Header: consoleSession("{agent}"), Form: csrfForm("type", "access", "email", mailInj, "received_at", "2026-01-30T09:00"), Status: 422, Page: true},
	))
	for _, p := range []struct{ route, path string }{
		{"POST /admin/staff", "/admin/staff"}, {"POST /admin/staff/{id}/disable", "/admin/staff/{open_id}/disable"},
		{"POST /admin/apikeys", "/admin/apikeys"}, {"POST /admin/apikeys/{id}/revoke", "/admin/apikeys/{open_id}/revoke"},
		{"POST /admin/webhooks", "/admin/webhooks"}, {"POST /admin/webhooks/{id}/disable", "/admin/webhooks/{webhook_id}/disable"},
		{"POST /admin/systems", "/admin/systems"}, {"POST /admin/systems/{id}/disable", "/admin/systems/{system_id}/disable"},
		{"POST /admin/systems/{id}/rotate-key", "/admin/systems/{system_id}/rotate-key"},
	} {
		add(endpoint(p.route, p.path,
			badInput{Case: "agent", Header: consoleSession("{agent}"), Form: csrfForm("email", "x@example.com", "role", "admin", "name", "x", "url", "http://127.0.0.1:9/x"), Status: 403, Page: true},
			badInput{Case: "no CSRF token (admin)", Header: consoleSession("{admin}"), Form: formNoCSRF("email", "x@example.com", "role", "admin", "name", "x", "url", "http://127.0.0.1:9/x"), Status: 403, Page: true},
		))
	}
	add(endpoint("POST /admin/staff", "/admin/staff",
		badInput{Case: "email-header injection in email", Header: consoleSession("{admin}"), Form: csrfForm("email", mailInj, "role", "agent"), Status: 422, Page: true},
		badInput{Case: "SQL as the role", Header: consoleSession("{admin}"), Form: csrfForm("email", "new@example.com", "role", sqlDrop), Status: 422, Page: true},
	))
	return rows
}
