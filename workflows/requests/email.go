package requests

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
)

// emailExtras are the per-message parts of an email's data.
type emailExtras struct {
	Link string
	Note string
	// ConsentLink and Purposes tell the requester of consent changes.
	ConsentLink string
	Purposes    []templates.PurposeChange
	// Systems say what each data system did; PackageLink downloads the
	// package until ExpiresAt.
	Systems     []string
	PackageLink string
	ExpiresAt   string
}

// email renders a message to the requester and writes it to the outbox in
// the caller's transaction: it is sent if and only if the change commits.
func (s *Service) email(ctx context.Context, tx *models.Store, r *models.Request, name string, x emailExtras) error {
	data := templates.EmailData{
		OrgName:     s.policy.Organization.Name,
		Reference:   r.Reference,
		RequestType: r.Type,
		Status:      r.Status,
		Regime:      r.Regime,
		Link:        x.Link,
		DueAt:       s.formatDate(r),
		Note:        x.Note,
		ConsentLink: x.ConsentLink,
		Purposes:    x.Purposes,
		Systems:     x.Systems,
		PackageLink: x.PackageLink,
		ExpiresAt:   x.ExpiresAt,
	}
	if name == "denied" || name == "overdue" {
		a := authorityFor(r.Regime)
		data.OfficerName = s.policy.GrievanceOfficer.Name
		data.OfficerEmail = s.policy.GrievanceOfficer.Email
		data.AuthorityName, data.AuthorityAddress = a.Name, a.Address
	}
	msg, err := templates.RenderEmail(name, data)
	if err != nil {
		return fmt.Errorf("requests: render %s email: %w", name, err)
	}
	now := s.clock()
	reqID := r.ID
	return tx.EnqueueEmail(ctx, &models.OutboxMessage{
		ID: uuid.Must(uuid.NewV7()).String(), Template: name, RequestID: &reqID,
		ToAddr: r.Email, FromAddr: s.from, Subject: msg.Subject, TextBody: msg.Text, HTMLBody: msg.HTML,
		CreatedAt: now, NextAttemptAt: now,
	})
}

// formatDate shows the effective due date in the policy's time zone.
func (s *Service) formatDate(r *models.Request) string {
	d := r.DeadlineAt
	if d.IsZero() {
		return ""
	}
	return d.In(s.policy.Location()).Format("2 January 2006")
}

// authority is a supervisory authority a requester can complain to.
type authority struct{ Name, Address string }

// authorityFor names the supervisory authority of a regime, for the
// "how to escalate" part of denial emails.
func authorityFor(regime string) authority {
	switch regime {
	case "uk_gdpr":
		return authority{"Information Commissioner's Office (ICO)", "Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF, United Kingdom — ico.org.uk"}
	case "gdpr":
		return authority{"the data protection authority of your EU/EEA country", "listed by the European Data Protection Board at edpb.europa.eu/about-edpb/about-edpb/members_en"}
	case "ccpa":
		return authority{"California Privacy Protection Agency", "2101 Arena Blvd, Sacramento, CA 95834, USA — cppa.ca.gov"}
	case "us_state":
		return authority{"the Attorney General of your state", "the consumer protection division of your state's Office of the Attorney General"}
	case "dpdp":
		return authority{"Data Protection Board of India", "Ministry of Electronics and Information Technology, Electronics Niketan, 6 CGO Complex, Lodhi Road, New Delhi 110003, India"}
	case "lgpd":
		return authority{"Autoridade Nacional de Proteção de Dados (ANPD)", "SCN Quadra 6, Conjunto A, Edifício Venâncio 3000, Bloco A, 9º andar, Brasília-DF, 70716-900, Brazil — gov.br/anpd"}
	}
	return authority{"the data protection authority where you live", "ask our grievance officer if you need help finding it"}
}
