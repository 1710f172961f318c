package requests

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
)

// notifyLevels queues the notices owed when r rises from level from to
// level to, in the caller's transaction, and returns how many it queued.
//
//	level 1: the assignee (every admin while nobody is assigned)
//	level 2: the policy's grievance officer and every grievance_officer user
//	         (every admin when there is none); the requester too when the due
//	         date has passed
//	level 3: every admin
func (s *Service) notifyLevels(ctx context.Context, tx *models.Store, r *models.Request, from, to int, reason string) (int, error) {
	var n notices
	queued, err := s.levelNotices(ctx, tx, &n, r, from, to, reason)
	if err != nil {
		return 0, err
	}
	return queued, n.write(ctx, tx)
}

// notices collects the outbox messages and status-link tokens of several
// escalations, to be written together. The messages are drafted in order
// (ids, recipients, template data) and rendered at write time, in
// parallel: rendering is most of a sweep's CPU.
type notices struct {
	msgs   []models.OutboxMessage
	drafts []emailDraft // drafts[i] renders msgs[i]
	tokens []models.LinkToken
}

// emailDraft is a message's template and data, to render.
type emailDraft struct {
	name string
	data templates.EmailData
}

func (n *notices) add(m models.OutboxMessage, name string, data templates.EmailData) {
	m.Template = name
	n.msgs = append(n.msgs, m)
	n.drafts = append(n.drafts, emailDraft{name, data})
}

// render fills in every message's subject and bodies, on as many
// goroutines as there are processors.
func (n *notices) render() error {
	workers := min(runtime.GOMAXPROCS(0), (len(n.msgs)+15)/16)
	errs := make([]error, len(n.msgs))
	var wg sync.WaitGroup
	for w := range max(workers, 1) {
		wg.Go(func() {
			for i := w; i < len(n.msgs); i += max(workers, 1) {
				d := n.drafts[i]
				msg, err := templates.RenderEmail(d.name, d.data)
				if err != nil {
					errs[i] = fmt.Errorf("requests: render %s email: %w", d.name, err)
					continue
				}
				n.msgs[i].Subject, n.msgs[i].TextBody, n.msgs[i].HTMLBody = msg.Subject, msg.Text, msg.HTML
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// write renders and stores what n collected in the caller's transaction:
// tokens first, then the messages that link them.
func (n *notices) write(ctx context.Context, tx *models.Store) error {
	if err := n.render(); err != nil {
		return err
	}
	if len(n.tokens) > 0 {
		if err := tx.CreateLinkTokens(ctx, n.tokens); err != nil {
			return err
		}
	}
	if len(n.msgs) > 0 {
		return tx.EnqueueEmails(ctx, n.msgs)
	}
	return nil
}

// levelNotices adds to n the notices notifyLevels queues, and returns how
// many.
func (s *Service) levelNotices(ctx context.Context, staff staffLookup, n *notices, r *models.Request, from, to int, reason string) (int, error) {
	queued := 0
	for _, level := range escalation.Notices(from, to) {
		recipients, err := s.recipients(ctx, staff, r, level)
		if err != nil {
			return queued, err
		}
		for _, addr := range recipients {
			n.add(s.newMessage(r, addr), "overdue_staff", s.staffData(r, level, reasonText[reason]))
			queued++
		}
		if level == escalation.Overdue && (reason == escalation.ReasonOverdue || reason == escalation.ReasonGrace) {
			n.add(s.newMessage(r, r.Email), "overdue", s.overdueData(r, s.statusToken(r, n)))
			queued++
		}
	}
	return queued, nil
}

// statusToken issues a fresh status-page link into n, as statusLink does
// into the database.
func (s *Service) statusToken(r *models.Request, n *notices) string {
	tok := secrets.NewToken()
	now := s.clock()
	n.tokens = append(n.tokens, models.LinkToken{
		ID: uuid.Must(uuid.NewV7()).String(), TokenHash: s.cfg.Keys.HashToken(tok), Purpose: models.TokenStatus,
		RequestID: r.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.StatusLinkTTL),
	})
	return s.cfg.BaseURL + "/r/" + tok
}

// newMessage is an unrendered message about r to one address.
func (s *Service) newMessage(r *models.Request, to string) models.OutboxMessage {
	now := s.clock()
	reqID := r.ID
	return models.OutboxMessage{ID: uuid.Must(uuid.NewV7()).String(), RequestID: &reqID, ToAddr: to, FromAddr: s.from,
		CreatedAt: now, NextAttemptAt: now}
}

// overdueData is the requester's "overdue" email data, as email gives it
// (the officer and the supervisory authority to turn to).
func (s *Service) overdueData(r *models.Request, link string) templates.EmailData {
	a := authorityFor(r.Regime)
	return templates.EmailData{
		OrgName: s.policy.Organization.Name, Reference: r.Reference, RequestType: r.Type, Status: r.Status,
		Regime: r.Regime, Link: link, DueAt: s.formatDate(r),
		OfficerName: s.policy.GrievanceOfficer.Name, OfficerEmail: s.policy.GrievanceOfficer.Email,
		AuthorityName: a.Name, AuthorityAddress: a.Address,
	}
}

// staffData is a staff notice's data: the reference, type, regime and due
// date, and a console link; never the requester's email, name or words.
func (s *Service) staffData(r *models.Request, level int, why string) templates.EmailData {
	return templates.EmailData{
		OrgName: s.policy.Organization.Name, Reference: r.Reference, RequestType: r.Type, Status: r.Status,
		Regime: r.Regime, DueAt: s.formatDate(r), ConsoleLink: s.cfg.BaseURL + "/admin/requests/" + r.ID,
		EscalationLevel: level, Why: why,
	}
}

// staffLookup finds staff for recipients: the store, or a sweep page's
// cache of it.
type staffLookup interface {
	ActiveStaffByRole(ctx context.Context, role string) ([]models.StaffUser, error)
	StaffUserByEmail(ctx context.Context, email string) (*models.StaffUser, error)
}

// recipients returns the staff addresses a level's notice goes to, each
// once, in a stable order.
func (s *Service) recipients(ctx context.Context, tx staffLookup, r *models.Request, level int) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(addr string) {
		if n := models.NormalizeEmail(addr); n != "" && !seen[n] {
			seen[n] = true
			out = append(out, addr)
		}
	}
	addRole := func(role string) error {
		users, err := tx.ActiveStaffByRole(ctx, role)
		for _, u := range users {
			add(u.Email)
		}
		return err
	}
	switch level {
	case escalation.DueSoon:
		if r.Assignee != "" {
			u, err := tx.StaffUserByEmail(ctx, r.Assignee)
			switch {
			case err == nil && u.DisabledAt == nil:
				add(u.Email)
				return out, nil
			case err != nil && !errors.Is(err, models.ErrNotFound):
				return nil, err
			}
		}
		return out, addRole(models.RoleAdmin)
	case escalation.Overdue:
		add(s.policy.GrievanceOfficer.Email)
		if err := addRole(models.RoleGrievanceOfficer); err != nil || len(out) > 0 {
			return out, err
		}
		// No officer to reach (the policy gives no address and nobody has
		// the role): the admins are told rather than nobody.
		return out, addRole(models.RoleAdmin)
	case escalation.Late:
		return out, addRole(models.RoleAdmin)
	}
	return out, nil
}

// staffEmail queues a notice to one staff address (see staffData).
func (s *Service) staffEmail(ctx context.Context, tx *models.Store, r *models.Request, name, to string, level int, why string) error {
	var n notices
	n.add(s.newMessage(r, to), name, s.staffData(r, level, why))
	if err := n.render(); err != nil {
		return err
	}
	return tx.EnqueueEmail(ctx, &n.msgs[0])
}

// staffCache answers a sweep page's staff lookups from one read of each
// role and user, in the page's transaction.
type staffCache struct {
	tx    *models.Store
	roles map[string][]models.StaffUser
	users map[string]staffHit
}

type staffHit struct {
	u   *models.StaffUser
	err error
}

func newStaffCache(tx *models.Store) *staffCache {
	return &staffCache{tx: tx, roles: map[string][]models.StaffUser{}, users: map[string]staffHit{}}
}

func (c *staffCache) ActiveStaffByRole(ctx context.Context, role string) ([]models.StaffUser, error) {
	if us, ok := c.roles[role]; ok {
		return us, nil
	}
	us, err := c.tx.ActiveStaffByRole(ctx, role)
	if err != nil {
		return nil, err
	}
	c.roles[role] = us
	return us, nil
}

func (c *staffCache) StaffUserByEmail(ctx context.Context, email string) (*models.StaffUser, error) {
	key := models.NormalizeEmail(email)
	if h, ok := c.users[key]; ok {
		return h.u, h.err
	}
	u, err := c.tx.StaffUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	c.users[key] = staffHit{u, err}
	return u, err
}

// route sends a newly verified grievance or appeal to the grievance
// officer(s) and records that it did.
func (s *Service) route(ctx context.Context, tx *models.Store, r *models.Request) error {
	recipients, err := s.recipients(ctx, tx, r, escalation.Overdue)
	if err != nil {
		return err
	}
	why := "It must be acknowledged with the acknowledge action."
	if r.AckDueAt != nil {
		why = "It must be acknowledged by " + r.AckDueAt.In(s.policy.Location()).Format("2 January 2006 15:04 MST") + "."
	}
	for _, addr := range recipients {
		if err := s.staffEmail(ctx, tx, r, "routed_staff", addr, 0, why); err != nil {
			return err
		}
	}
	note := fmt.Sprintf("routed to the grievance officer; %d notice(s) queued", len(recipients))
	return s.event(ctx, tx, r, System, "route", r.Status, note, true)
}
