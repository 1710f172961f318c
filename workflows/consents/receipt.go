package consents

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// Receipt is a consent event as a downloadable record. Its top-level fields
// are those of a consent record in ISO/IEC TS 27560 (controller, subject,
// purpose with its legal basis, the event, its time and method, the notice
// and its version); Kantara holds the same facts under the field names of
// the Kantara Initiative's Consent Receipt Specification v1.1, for tools
// that read that format.
type Receipt struct {
	ReceiptID     string            `json:"receipt_id"`
	RecordFormat  string            `json:"record_format"`
	Controller    ReceiptController `json:"controller"`
	Subject       ReceiptSubject    `json:"subject"`
	Purpose       ReceiptPurpose    `json:"purpose"`
	Action        string            `json:"action"`
	State         string            `json:"state"`
	Time          time.Time         `json:"time"`
	Method        string            `json:"method"`
	PolicyVersion string            `json:"policy_version"`
	PolicyURL     string            `json:"policy_url"`
	Evidence      string            `json:"evidence"`
	RecordedAt    time.Time         `json:"recorded_at"`
	Kantara       KantaraReceipt    `json:"kantara_consent_receipt"`
}

// ReceiptController is who is responsible for the processing.
type ReceiptController struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Contact   string `json:"contact"`
	Address   string `json:"address"`
	PolicyURL string `json:"policy_url"`
}

// ReceiptSubject names the person the record is about.
type ReceiptSubject struct {
	Email     string `json:"email,omitempty"`
	SubjectID string `json:"subject_id,omitempty"`
}

// ReceiptPurpose is the purpose as the policy describes it.
type ReceiptPurpose struct {
	Key         string `json:"key"`
	Title       string `json:"title"`
	Description string `json:"description"`
	LegalBasis  string `json:"legal_basis"`
}

// KantaraReceipt follows the Kantara Consent Receipt Specification v1.1.
type KantaraReceipt struct {
	Version          string           `json:"version"`
	Jurisdiction     string           `json:"jurisdiction"`
	ConsentTimestamp int64            `json:"consentTimestamp"`
	CollectionMethod string           `json:"collectionMethod"`
	ConsentReceiptID string           `json:"consentReceiptID"`
	Language         string           `json:"language"`
	PIIPrincipalID   string           `json:"piiPrincipalId"`
	PIIControllers   []KantaraControl `json:"piiControllers"`
	PolicyURL        string           `json:"policyUrl"`
	Services         []KantaraService `json:"services"`
	Sensitive        bool             `json:"sensitive"`
	SPICat           []string         `json:"spiCat"`
}

// KantaraControl is a piiController entry.
type KantaraControl struct {
	PIIController string `json:"piiController"`
	Contact       string `json:"contact"`
	Address       string `json:"address"`
	Email         string `json:"email"`
	URL           string `json:"piiControllerUrl"`
}

// KantaraService is a services entry.
type KantaraService struct {
	Service  string           `json:"service"`
	Purposes []KantaraPurpose `json:"purposes"`
}

// KantaraPurpose is a purposes entry.
type KantaraPurpose struct {
	Purpose              string   `json:"purpose"`
	PurposeCategory      []string `json:"purposeCategory"`
	ConsentType          string   `json:"consentType"`
	PIICategory          []string `json:"piiCategory"`
	PrimaryPurpose       bool     `json:"primaryPurpose"`
	Termination          string   `json:"termination"`
	ThirdPartyDisclosure bool     `json:"thirdPartyDisclosure"`
}

// Receipt returns the receipt of one event of the link's subject; another
// subject's event is ErrNotFound.
func (s *Service) Receipt(ctx context.Context, token, eventID string) (*Receipt, error) {
	sub, err := s.openLink(ctx, s.store, token)
	if err != nil {
		return nil, err
	}
	e, err := s.store.ConsentEventByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if e.Subject != sub.ID {
		return nil, ErrNotFound
	}
	return s.receipt(sub, e), nil
}

// ReceiptByID returns any event's receipt (for staff).
func (s *Service) ReceiptByID(ctx context.Context, eventID string) (*Receipt, error) {
	e, err := s.store.ConsentEventByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	sub, err := s.store.ConsentSubjectByID(ctx, e.Subject)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	return s.receipt(sub, e), nil
}

func (s *Service) receipt(sub *models.ConsentSubject, e *models.ConsentEvent) *Receipt {
	org, officer := s.policy.Organization, s.policy.GrievanceOfficer
	p, _ := s.policy.Purpose(e.Purpose)
	v := view(sub, e)
	state := "withdrawn"
	if v.Granted {
		state = "granted"
	}
	consentType := "EXPLICIT"
	if p.LegalBasis != "" && p.LegalBasis != "consent" {
		consentType = "IMPLICIT" // another legal basis: the person may object, not opt in
	}
	return &Receipt{
		ReceiptID:    e.ID,
		RecordFormat: "ISO/IEC TS 27560:2023 consent record; Kantara Consent Receipt Specification v1.1",
		Controller: ReceiptController{Name: org.Name, Email: org.PrivacyEmail, Contact: officer.Name,
			Address: officer.Address, PolicyURL: org.PolicyURL},
		Subject:       ReceiptSubject{Email: v.Email, SubjectID: v.SubjectID},
		Purpose:       ReceiptPurpose{Key: e.Purpose, Title: p.Title, Description: p.Description, LegalBasis: p.LegalBasis},
		Action:        e.Action,
		State:         state,
		Time:          e.At.UTC(),
		Method:        e.Source,
		PolicyVersion: e.PolicyVersion,
		PolicyURL:     org.PolicyURL,
		Evidence:      e.Evidence,
		RecordedAt:    e.RecordedAt.UTC(),
		Kantara: KantaraReceipt{
			Version: "KI-CR-v1.1.0", Jurisdiction: s.jurisdiction(), ConsentTimestamp: e.At.Unix(),
			CollectionMethod: e.Source, ConsentReceiptID: e.ID, Language: "en", PIIPrincipalID: v.Subject,
			PIIControllers: []KantaraControl{{PIIController: org.Name, Contact: officer.Name, Address: officer.Address,
				Email: org.PrivacyEmail, URL: org.PolicyURL}},
			PolicyURL: org.PolicyURL,
			Services: []KantaraService{{Service: org.Name, Purposes: []KantaraPurpose{{
				Purpose: p.Title, PurposeCategory: []string{e.Purpose}, ConsentType: consentType, PIICategory: []string{},
				PrimaryPurpose: false, Termination: "until withdrawn; withdraw at any time in the consent center",
				ThirdPartyDisclosure: e.Purpose == "sale_sharing",
			}}}},
			SPICat: []string{},
		},
	}
}

// lawNames name the laws behind rightsdesk's regimes.
var lawNames = map[string]string{
	"gdpr": "EU/EEA GDPR", "uk_gdpr": "UK GDPR", "ccpa": "US-CA CCPA/CPRA", "us_state": "US state privacy laws",
	"dpdp": "IN DPDP Act 2023", "lgpd": "BR LGPD",
}

// jurisdiction is the receipt's "jurisdiction": the laws of the regimes the
// policy offers, in the policy's order.
func (s *Service) jurisdiction() string {
	var names []string
	for _, r := range s.policy.OfferedRegimes() {
		if n, ok := lawNames[r]; ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "the organisation's own privacy policy"
	}
	return strings.Join(names, "; ")
}
