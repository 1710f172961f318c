package consents

import (
	"context"
	"sync"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// Group commit. Each consent write is small, and committing one per
// transaction spends most of its time on the transaction itself: on SQLite
// the writers queue for the one write lock (and sleep in its busy handler),
// on PostgreSQL each statement and the commit are round trips. So Record
// hands its event to a writer goroutine that takes every event waiting
// (up to maxGroup) and commits them in one transaction, with multi-row
// statements (writeBatch): the subjects' caches are invalidated once per
// group, after the commit and before any caller is answered, so the rule
// "a write is seen by the very next check" holds for each of them. An
// event the subject rules refuse is refused alone; if the group fails as a
// whole (a race lost to another instance, a deadlock), every event of it
// is written again in its own transaction, so one bad event never fails
// another. Nothing waits for a group to fill: a writer that finds one
// event commits one, and the events that arrive meanwhile form the next
// group.
//
// Order: events of one caller are answered before its next call, so they
// are committed in order; events in one group are written in their
// arrival order, and their times follow it.

// maxGroup bounds the events of one transaction.
const maxGroup = 256

// groupTimeout bounds one group's transaction; the callers' own contexts
// do not, since a group serves many callers.
const groupTimeout = 30 * time.Second

type writeJob struct {
	ctx  context.Context
	item pending
	done chan struct{}
}

// committer is the Service's group-commit writers, started on first use.
type committer struct {
	once sync.Once
	jobs chan *writeJob
}

// writers is how many groups commit at once: one on SQLite (it has one
// write lock), two on PostgreSQL, whose transactions on different rows
// proceed side by side (their states are written in key order, so they
// cannot deadlock on them) while the other waits on a round trip. More
// writers make smaller groups: the statements of a group cost about the
// same whatever its size, so small groups spend more CPU per write.
func writers(store *models.Store) int {
	if store.Dialect() == "postgres" {
		return 2
	}
	return 1
}

// submit writes ev through the group committer and returns its outcome.
func (c *committer) submit(ctx context.Context, s *Service, actor string, ev *event) (*EventView, error) {
	c.once.Do(func() {
		c.jobs = make(chan *writeJob, 4*maxGroup)
		for range writers(s.store) {
			go c.run(s)
		}
	})
	j := &writeJob{ctx: ctx, item: pending{actor: actor, ev: ev}, done: make(chan struct{})}
	select {
	case c.jobs <- j:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued the write may be committed: wait for its outcome, so an
	// answer never says less than what is stored.
	<-j.done
	if j.item.err != nil {
		return nil, j.item.err
	}
	return j.item.view, nil
}

func (c *committer) run(s *Service) {
	group := make([]*writeJob, 0, maxGroup)
	for j := range c.jobs {
		group = append(group[:0], j)
	more:
		for len(group) < maxGroup {
			select {
			case j := <-c.jobs:
				group = append(group, j)
			default:
				break more
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup writes a group in one transaction, or each of its events in
// its own when the group as a whole fails, then answers every caller.
func (s *Service) commitGroup(group []*writeJob) {
	defer func() {
		for _, j := range group {
			close(j.done)
		}
	}()
	items := make([]*pending, 0, len(group))
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.item.err = err // the caller gave up before anything was written
			continue
		}
		items = append(items, &j.item)
	}
	if len(items) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	err := s.retryRace(func() error {
		return s.store.InTx(ctx, func(tx *models.Store) error { return s.writeBatch(ctx, tx, items) })
	})
	if err == nil {
		return
	}
	for _, p := range items {
		err := s.retryRace(func() error {
			return s.store.InTx(ctx, func(tx *models.Store) error { return s.writeBatch(ctx, tx, []*pending{p}) })
		})
		if err != nil {
			p.reset()
			p.err = err
		}
	}
}
