package models

import (
	"context"
	"time"
)

// ReportRow is what a yearly report needs of one request: no personal data.
type ReportRow struct {
	Type       string
	Status     string
	Outcome    string
	ReceivedAt time.Time
	ClosedAt   *time.Time
}

// ReportRows returns, for every request received in [from, to), the columns
// a report counts, in one query ordered by receipt. Redacted requests are
// included: they keep their type, status, dates and outcome.
func (s *Store) ReportRows(ctx context.Context, from, to time.Time) ([]ReportRow, error) {
	var out []ReportRow
	err := s.with(ctx).Model(&Request{}).
		Select("type", "status", "outcome", "received_at", "closed_at").
		Where("received_at >= ? AND received_at < ?", utc(from), utc(to)).
		Order("received_at ASC, id ASC").
		Scan(&out).Error
	if err != nil {
		return nil, translate(err)
	}
	for i := range out {
		out[i].ReceivedAt = out[i].ReceivedAt.UTC()
		if out[i].ClosedAt != nil {
			c := out[i].ClosedAt.UTC()
			out[i].ClosedAt = &c
		}
	}
	return out, nil
}
