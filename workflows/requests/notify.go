package requests

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
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
	queued := 0
	for _, level := range escalation.Notices(from, to) {
		recipients, err := s.recipients(ctx, tx, r, level)
		if err != nil {
			return queued, err
		}
		for _, addr := range recipients {
			if err := s.staffEmail(ctx, tx, r, "overdue_staff", addr, level, reasonText[reason]); err != nil {
				return queued, err
			}
			queued++
		}
		if level == escalation.Overdue && (reason == escalation.ReasonOverdue || reason == escalation.ReasonGrace) {
			link, err := s.statusLink(ctx, tx, r)
			if err != nil {
				return queued, err
			}
			if err := s.email(ctx, tx, r, "overdue", emailExtras{Link: link}); err != nil {
				return queued, err
			}
			queued++
		}
	}
	return queued, nil
}

// recipients returns the staff addresses a level's notice goes to, each
// once, in a stable order.
func (s *Service) recipients(ctx context.Context, tx *models.Store, r *models.Request, level int) ([]string, error) {
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

// staffEmail queues a notice to one staff address. It carries the
// reference, type, regime and due date, and a console link; never the
// requester's email, name or words.
func (s *Service) staffEmail(ctx context.Context, tx *models.Store, r *models.Request, name, to string, level int, why string) error {
	msg, err := templates.RenderEmail(name, templates.EmailData{
		OrgName: s.policy.Organization.Name, Reference: r.Reference, RequestType: r.Type, Status: r.Status,
		Regime: r.Regime, DueAt: s.formatDate(r), ConsoleLink: s.cfg.BaseURL + "/admin/requests/" + r.ID,
		EscalationLevel: level, Why: why,
	})
	if err != nil {
		return fmt.Errorf("requests: render %s email: %w", name, err)
	}
	now := s.clock()
	reqID := r.ID
	return tx.EnqueueEmail(ctx, &models.OutboxMessage{
		ID: uuid.Must(uuid.NewV7()).String(), Template: name, RequestID: &reqID,
		ToAddr: to, FromAddr: s.from, Subject: msg.Subject, TextBody: msg.Text, HTMLBody: msg.HTML,
		CreatedAt: now, NextAttemptAt: now,
	})
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
