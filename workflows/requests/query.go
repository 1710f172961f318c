package requests

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// ListQuery is the staff queue's filter as it arrives (strings, unchecked).
type ListQuery struct {
	Status, Type, Regime, Assignee, DueBefore, EscalationLevel, Q, Limit, Cursor string
}

// Page is one page of the queue; NextCursor is empty on the last page.
type Page struct {
	Items      []models.Request
	NextCursor string
}

const (
	defaultLimit = 50
	maxLimit     = 200
)

// List returns the queue ordered by effective due date, then id, with keyset
// pagination: a cursor names the last row seen, so pages stay stable and
// cheap at any depth.
func (s *Service) List(ctx context.Context, q ListQuery) (*Page, error) {
	f := models.RequestFilter{Status: q.Status, Type: q.Type, Regime: q.Regime, Limit: defaultLimit,
		Statuses: lifecycle.Statuses, Types: policy.RequestTypes, Regimes: clocks.Regimes}
	if q.Status != "" && !lifecycle.KnownStatus(q.Status) {
		return nil, fieldErr("status", "must be one of "+strings.Join(lifecycle.Statuses, ", "))
	}
	if q.Type != "" && !slices.Contains(policy.RequestTypes, q.Type) {
		return nil, fieldErr("type", "is not a request type")
	}
	if q.Regime != "" && !slices.Contains(clocks.Regimes, q.Regime) {
		return nil, fieldErr("regime", "is not a regime")
	}
	f.Assignee = models.NormalizeEmail(q.Assignee)
	if q.DueBefore != "" {
		t, err := s.parseInstant(q.DueBefore)
		if err != nil {
			return nil, fieldErr("due_before", "must be a date (2026-03-31) or an RFC 3339 time")
		}
		f.DueBefore = &t
	}
	if q.EscalationLevel != "" {
		n, err := strconv.Atoi(q.EscalationLevel)
		if err != nil || n < 0 || n > 3 {
			return nil, fieldErr("escalation_level", "must be 0, 1, 2 or 3")
		}
		f.EscalationLevel = &n
	}
	if len(q.Q) > 200 {
		return nil, fieldErr("q", "is too long")
	}
	f.Query = strings.TrimSpace(q.Q)
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > maxLimit {
			return nil, fieldErr("limit", "must be between 1 and 200")
		}
		f.Limit = n
	}
	if q.Cursor != "" {
		d, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, fieldErr("cursor", "is not a cursor this server issued")
		}
		f.AfterDeadline, f.AfterID = &d, id
	}
	// One row more than asked tells whether another page exists.
	want := f.Limit
	f.Limit++
	rows, err := s.store.ListRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &Page{Items: rows}
	if len(rows) > want {
		page.Items = rows[:want]
		last := page.Items[want-1]
		page.NextCursor = encodeCursor(last.DeadlineAt, last.ID)
	}
	return page, nil
}

// parseInstant reads a date (the end of that day is NOT implied: a bare date
// means its start in the policy's time zone) or an RFC 3339 time.
func (s *Service) parseInstant(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", v, s.policy.Location())
}

func encodeCursor(deadline time.Time, id string) string {
	raw := strconv.FormatInt(deadline.UTC().UnixMicro(), 10) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	micros, id, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", errString("bad cursor")
	}
	return time.UnixMicro(n).UTC(), id, nil
}

// Detail is a request with its history, its data systems' tasks and its
// package (nil when it has none).
type Detail struct {
	Request *models.Request
	Events  []models.Event
	Tasks   []models.Task
	Package *models.Package
}

// withFulfilment adds the tasks and the package to d.
func (s *Service) withFulfilment(ctx context.Context, d *Detail) (*Detail, error) {
	tasks, err := s.store.TasksOf(ctx, d.Request.ID)
	if err != nil {
		return nil, err
	}
	d.Tasks = tasks
	p, err := s.store.PackageOf(ctx, d.Request.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	d.Package = p
	return d, nil
}

// Get returns a request and its events.
func (s *Service) Get(ctx context.Context, id string) (*Detail, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.withFulfilment(ctx, &Detail{Request: r, Events: evs})
}
