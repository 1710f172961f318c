package fulfilment

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
)

// SystemKeyPrefix starts every data system's key, so that it cannot be
// mistaken for (or tried as) a staff API key.
const SystemKeyPrefix = "rds_"

// SystemInput registers a system: a webhook URL or manual, never both.
type SystemInput struct {
	Name         string
	RequestTypes []string
	WebhookURL   string
	Manual       bool
}

// SystemPatch changes a system; nil fields stay as they are.
type SystemPatch struct {
	Name         *string
	RequestTypes *[]string
	WebhookURL   *string // "" with Manual true switches to manual
	Manual       *bool
	Disabled     *bool
	// RotateSecret and RotateKey issue a new signing secret or key (shown
	// once in the answer); the old one stops working at once.
	RotateSecret bool
	RotateKey    bool
}

// Credentials are shown once, when issued.
type Credentials struct {
	SigningSecret string // webhook systems only
	Key           string
}

// SigningSecret is the secret a system's jobs are signed with: derived from
// the server secret, the system id and the rotation count, never stored.
func (s *Service) SigningSecret(d *models.DataSystem) string {
	if d.Manual {
		return ""
	}
	return s.cfg.Keys.WebhookSecret("system:" + d.ID + ":" + strconv.Itoa(d.SecretVersion))
}

// CreateSystem registers a system and returns its credentials once.
func (s *Service) CreateSystem(ctx context.Context, by string, in SystemInput) (*models.DataSystem, Credentials, error) {
	d := &models.DataSystem{ID: uuid.Must(uuid.NewV7()).String(), SecretVersion: 1, CreatedBy: by}
	if err := s.applySystem(d, in.Name, in.RequestTypes, in.WebhookURL, in.Manual); err != nil {
		return nil, Credentials{}, err
	}
	key := newSystemKey()
	d.KeyPrefix, d.KeyHash = key[:len(SystemKeyPrefix)+6], secrets.HashAPIKey(key)
	d.CreatedAt, d.UpdatedAt = s.clock(), s.clock()
	if err := s.store.CreateDataSystem(ctx, d); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return nil, Credentials{}, ErrDuplicateName
		}
		return nil, Credentials{}, err
	}
	return d, Credentials{SigningSecret: s.SigningSecret(d), Key: key}, nil
}

// UpdateSystem applies a patch. Disabling a system cancels none of its
// tasks already made (they stay for staff to tick or override), but it gets
// no new ones and its key stops working.
func (s *Service) UpdateSystem(ctx context.Context, id string, p SystemPatch) (*models.DataSystem, Credentials, error) {
	var creds Credentials
	var out *models.DataSystem
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		d, err := tx.GetDataSystem(ctx, id)
		if err != nil {
			return err
		}
		name, types, hook, manual := d.Name, d.Types(), d.WebhookURL, d.Manual
		wasManual := d.Manual
		if p.Name != nil {
			name = *p.Name
		}
		if p.RequestTypes != nil {
			types = *p.RequestTypes
		}
		if p.WebhookURL != nil {
			hook = *p.WebhookURL
			if hook != "" {
				manual = false
			}
		}
		if p.Manual != nil {
			manual = *p.Manual
			if manual && p.WebhookURL == nil {
				hook = ""
			}
		}
		if err := s.applySystem(d, name, types, hook, manual); err != nil {
			return err
		}
		if p.Disabled != nil {
			if *p.Disabled && d.DisabledAt == nil {
				now := s.clock()
				d.DisabledAt = &now
			} else if !*p.Disabled {
				d.DisabledAt = nil
			}
		}
		if p.RotateSecret && !d.Manual {
			d.SecretVersion++
		}
		if p.RotateKey {
			creds.Key = newSystemKey()
			d.KeyPrefix, d.KeyHash = creds.Key[:len(SystemKeyPrefix)+6], secrets.HashAPIKey(creds.Key)
		}
		d.UpdatedAt = s.clock()
		if err := tx.UpdateDataSystem(ctx, d); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrDuplicateName
			}
			return err
		}
		// A new secret is shown when asked for, and when a manual system
		// becomes a webhook one (it never had a secret to keep).
		if !d.Manual && (p.RotateSecret || wasManual) {
			creds.SigningSecret = s.SigningSecret(d)
		}
		out = d
		return nil
	})
	return out, creds, err
}

// Systems lists every system by name.
func (s *Service) Systems(ctx context.Context) ([]models.DataSystem, error) {
	return s.store.ListDataSystems(ctx)
}

// System loads one system.
func (s *Service) System(ctx context.Context, id string) (*models.DataSystem, error) {
	return s.store.GetDataSystem(ctx, id)
}

// SystemByKey finds the enabled system a key belongs to (ErrNotFound).
func (s *Service) SystemByKey(ctx context.Context, key string) (*models.DataSystem, error) {
	if !strings.HasPrefix(key, SystemKeyPrefix) {
		return nil, ErrNotFound
	}
	return s.store.DataSystemByKeyHash(ctx, secrets.HashAPIKey(key))
}

// applySystem validates and sets the registrable fields.
func (s *Service) applySystem(d *models.DataSystem, name string, types []string, hook string, manual bool) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return &FieldError{"name", "is required"}
	case len([]rune(name)) > 100:
		return &FieldError{"name", "must be at most 100 characters"}
	case strings.ContainsFunc(name, unicode.IsControl):
		return &FieldError{"name", "must be plain text on one line"}
	}
	if len(types) == 0 {
		return &FieldError{"request_types", "must list at least one request type the policy offers"}
	}
	var clean []string
	for _, t := range types {
		if !s.policy.Offers(t) {
			return &FieldError{"request_types", "unknown or not offered by the policy: " + strconv.Quote(t) +
				"; offered: " + strings.Join(s.policy.RequestTypes, ", ")}
		}
		if !slices.Contains(clean, t) {
			clean = append(clean, t)
		}
	}
	hook = strings.TrimSpace(hook)
	switch {
	case hook != "" && manual:
		return &FieldError{"manual", "a system has a webhook_url or is manual, not both"}
	case hook == "" && !manual:
		return &FieldError{"webhook_url", `is required unless "manual": true`}
	case hook != "":
		if err := checkWebhookURL(hook); err != nil {
			return err
		}
	}
	d.Name, d.RequestTypes, d.WebhookURL, d.Manual = name, strings.Join(clean, ","), hook, manual
	return nil
}

// checkWebhookURL accepts absolute http and https URLs; loopback and
// private addresses are allowed (systems usually live inside the company).
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2000 {
		return &FieldError{"webhook_url", "must be an absolute http or https URL without credentials, such as https://crm.internal/rightsdesk/jobs"}
	}
	return nil
}

func newSystemKey() string { return SystemKeyPrefix + strings.ToLower(rand.Text()) }
