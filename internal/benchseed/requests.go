package benchseed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// Requests describes the privacy-rights requests to seed: Count requests
// received evenly over the two years before Now, in every status, each with
// a valid audit chain, as a server that had run for two years would hold
// them. The sweep would change nothing at Now, except for Overdue active
// requests that are past their deadline and whose escalation it has not yet
// raised (the work one sweep has to do).
type Requests struct {
	Count   int
	Overdue int
	Now     time.Time
	Policy  *policy.Policy
	// Assignees are the staff emails active requests are spread over.
	Assignees []string
	// Progress, when set, is called now and then with requests written.
	Progress func(done, total int)
}

// RequestEmail is the requester email of seeded request i.
func RequestEmail(i int) string { return "requester" + strconv.Itoa(i) + "@bench.example" }

// RequestName is the requester name of seeded request i.
func RequestName(i int) string { return "Requester " + strconv.Itoa(i) }

// countries is the requesters' mix: the regimes the contract names, weighted
// towards the EU.
var countries = []struct{ country, region string }{
	{"DE", ""}, {"FR", ""}, {"NL", ""}, {"ES", ""}, {"IT", ""}, {"GB", ""}, {"GB", ""},
	{"US", "CA"}, {"US", "CA"}, {"US", "VA"}, {"IN", ""}, {"IN", ""}, {"BR", ""}, {"BR", ""},
}

// SeedRequests writes r into store, which must hold no requests yet. It
// returns the ids of the overdue requests.
func SeedRequests(ctx context.Context, store *models.Store, r Requests) ([]string, error) {
	db, err := store.SQL()
	if err != nil {
		return nil, err
	}
	pg := store.Dialect() == "postgres"
	rng := rand.New(rand.NewPCG(3, 4))
	now := r.Now.UTC().Truncate(time.Microsecond)
	span := 2 * 365 * 24 * time.Hour
	types := r.Policy.RequestTypes
	window := escalation.Window{WarnBefore: r.Policy.Escalation.WarnBefore, Grace: r.Policy.Escalation.Grace}
	expireAfter := r.Policy.Verification.ExpireAfter

	reqs := newBatch(db, pg, "requests", "id, reference, type, status, regime, relationship, source, email, email_norm, name, country, region, "+
		"received_at, verified_at, due_at, deadline_at, ack_due_at, acknowledged_at, awaiting_since, assignee, escalation_level, closed_at, outcome, redacted_at, version, created_at, updated_at")
	events := newBatch(db, pg, "request_events", "request_id, seq, at, actor, action, from_status, to_status, note, note_digest, internal, prev_hash, hash")
	events.after = []*batch{reqs}

	// Overdue requests are drawn from those received 35 to 180 days ago,
	// so their lateness varies (some past the grace period).
	eligible := float64(r.Count) * 145 / 730
	pOverdue := min(1, 1.25*float64(r.Overdue)/max(1, eligible))
	var overdue []string
	for i := 0; i < r.Count; i++ {
		// Evenly over the span, oldest first, with jitter inside each slot.
		slot := span / time.Duration(r.Count)
		received := now.Add(-span + slot*time.Duration(i) + time.Duration(rng.Int64N(int64(slot)+1))).Truncate(time.Microsecond)
		typ := types[rng.IntN(len(types))]
		where := countries[rng.IntN(len(countries))]
		regime := r.Policy.RegimeFor(where.country, where.region)
		rules, cal := r.Policy.Rules(regime), r.Policy.Calendar(regime)
		due := clocks.DueAt(received, rules, typ, false, cal)
		var ack *time.Time
		if a, ok := clocks.AckDueAt(received, rules, typ, cal); ok {
			ack = &a
		}
		s := seeded{id: uuid.Must(uuid.NewV7()).String(), received: received, due: due, ack: ack}
		age := now.Sub(received)
		wantOverdue := len(overdue) < r.Overdue && due.Before(now.Add(-time.Hour)) &&
			age > 35*24*time.Hour && age < 180*24*time.Hour && rng.Float64() < pOverdue
		s.decide(rng, now, expireAfter, wantOverdue)
		if s.status != lifecycle.PendingVerification && s.status != lifecycle.Expired {
			s.verified = ptr(received.Add(time.Duration(rng.Int64N(int64(6 * time.Hour)))))
		}
		if s.active() && len(r.Assignees) > 0 && s.status != lifecycle.Open {
			s.assignee = r.Assignees[rng.IntN(len(r.Assignees))]
		}
		level := 0
		if s.active() || s.status == lifecycle.PendingVerification {
			level, _ = escalation.Target(escalation.Clock{Deadline: due, AckDueAt: ack, AcknowledgedAt: s.acked,
				Paused:     s.status == lifecycle.AwaitingRequester && rules.PauseWhileAwaiting,
				Unverified: s.status == lifecycle.PendingVerification}, window, now)
		}
		if wantOverdue && s.active() {
			level = 0 // past due, and the sweep has not looked yet
			overdue = append(overdue, s.id)
		}
		email, name, country, region := RequestEmail(i), RequestName(i), where.country, where.region
		var redacted *time.Time
		if s.status == lifecycle.Expired {
			email, name, country, region, redacted = "", "", "", "", s.closed
		}
		ref := reference(i)
		if err := reqs.add(ctx, s.id, ref, typ, s.status, regime, "self", "web", email, email, name, country, region,
			received, s.verified, due, due, ack, s.acked, s.awaiting, s.assignee, level, s.closed, s.outcome, redacted,
			len(s.chain), received, s.updated(received)); err != nil {
			return nil, err
		}
		prev := audit.Genesis
		for seq, e := range s.chain {
			ev := &models.Event{RequestID: s.id, Seq: seq + 1, At: e.at.UTC().Truncate(time.Microsecond), Actor: e.actor,
				Action: e.action, FromStatus: e.from, ToStatus: e.to, NoteDigest: audit.NoteDigest("")}
			ev.Hash = audit.Hash(prev, ev)
			if err := events.add(ctx, ev.RequestID, ev.Seq, ev.At, ev.Actor, ev.Action, ev.FromStatus, ev.ToStatus, "", ev.NoteDigest, false, prev, ev.Hash); err != nil {
				return nil, err
			}
			prev = ev.Hash
		}
		if r.Progress != nil && (i+1)%20_000 == 0 {
			r.Progress(i+1, r.Count)
		}
	}
	for _, b := range []*batch{reqs, events} {
		if err := b.flush(ctx); err != nil {
			return nil, err
		}
	}
	if r.Progress != nil {
		r.Progress(r.Count, r.Count)
	}
	if len(overdue) < r.Overdue {
		return overdue, fmt.Errorf("benchseed: only %d of %d overdue requests fit %d requests", len(overdue), r.Overdue, r.Count)
	}
	if pg {
		_, err = db.ExecContext(ctx, "ANALYZE requests; ANALYZE request_events")
	} else {
		_, err = db.ExecContext(ctx, "ANALYZE")
	}
	return overdue, err
}

// seeded is one request's story: its status now and the events that led
// there.
type seeded struct {
	id                             string
	received, due                  time.Time
	ack, acked, verified, awaiting *time.Time
	closed                         *time.Time
	status, outcome, assignee      string
	chain                          []step
}

type step struct {
	at            time.Time
	actor, action string
	from, to      string
}

func (s *seeded) active() bool {
	return s.status == lifecycle.Open || s.status == lifecycle.InProgress || s.status == lifecycle.AwaitingRequester
}

func (s *seeded) updated(received time.Time) time.Time {
	if len(s.chain) == 0 {
		return received
	}
	return s.chain[len(s.chain)-1].at
}

// decide picks where a request of this age stands now: recent ones are
// still being worked on, older ones are closed (most complied with, some
// denied or withdrawn, some never verified and expired).
func (s *seeded) decide(rng *rand.Rand, now time.Time, expireAfter time.Duration, overdue bool) {
	age := now.Sub(s.received)
	at := func(frac float64) time.Time {
		// A moment between receipt and now (or the due date, if sooner).
		end := now
		if s.due.Before(end) {
			end = s.due
		}
		return s.received.Add(time.Duration(frac * float64(end.Sub(s.received)))).Truncate(time.Microsecond)
	}
	s.add(s.received, "requester", "submit", "", lifecycle.PendingVerification)
	switch {
	case overdue:
		s.verify(at(0.01))
		if rng.IntN(2) == 0 {
			s.add(at(0.3), "staff:officer@bench.example", "start", lifecycle.Open, lifecycle.InProgress)
		}
		return
	case age < expireAfter && rng.IntN(4) == 0:
		return // not verified yet
	case age < 30*24*time.Hour && rng.IntN(10) < 7:
		s.verify(at(0.05))
		switch rng.IntN(3) {
		case 0:
		case 1:
			s.acknowledge(at(0.1))
			s.add(at(0.2), "staff:officer@bench.example", "start", lifecycle.Open, lifecycle.InProgress)
		default:
			s.acknowledge(at(0.1))
			s.add(at(0.2), "staff:officer@bench.example", "start", lifecycle.Open, lifecycle.InProgress)
			s.awaiting = ptr(at(0.4))
			s.add(*s.awaiting, "staff:officer@bench.example", "request_info", lifecycle.InProgress, lifecycle.AwaitingRequester)
		}
		return
	}
	if age > expireAfter+time.Hour && rng.IntN(100) < 12 {
		closed := s.received.Add(expireAfter + time.Duration(rng.Int64N(int64(time.Hour))))
		s.closed, s.outcome = &closed, "expired"
		s.add(closed, "system", "expire", lifecycle.PendingVerification, lifecycle.Expired)
		return
	}
	s.verify(at(0.02))
	s.acknowledge(at(0.1))
	switch n := rng.IntN(100); {
	case n < 8:
		s.close(at(0.5), "deny", lifecycle.Denied, "denied")
	case n < 13:
		s.close(at(0.3), "withdraw", lifecycle.Withdrawn, "withdrawn")
	default:
		s.add(at(0.2), "staff:officer@bench.example", "start", lifecycle.Open, lifecycle.InProgress)
		s.close(at(0.8), "complete", lifecycle.Completed, "complied")
	}
}

func (s *seeded) add(at time.Time, actor, action, from, to string) {
	s.chain = append(s.chain, step{at: at, actor: actor, action: action, from: from, to: to})
	s.status = to
}

func (s *seeded) verify(at time.Time) {
	s.add(at, "requester", "verify", lifecycle.PendingVerification, lifecycle.Open)
}

func (s *seeded) acknowledge(at time.Time) {
	if s.ack == nil {
		return
	}
	s.acked = ptr(at)
	s.add(at, "staff:officer@bench.example", "acknowledge", s.status, s.status)
}

func (s *seeded) close(at time.Time, action, to, outcome string) {
	actor := "staff:officer@bench.example"
	if action == "withdraw" {
		actor = "requester"
	}
	s.closed, s.outcome = ptr(at), outcome
	s.add(at, actor, action, s.status, to)
}

func ptr(t time.Time) *time.Time { return &t }

// reference is seeded request i's reference, in the alphabet of real ones
// (DSR-XXXX-XXXX, base32 without 0, 1, 8 or 9) and unique by construction.
func reference(i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [8]byte
	for k := 7; k >= 0; k-- {
		b[k] = alphabet[i%32]
		i /= 32
	}
	return "DSR-" + string(b[:4]) + "-" + string(b[4:])
}
