// Package staff manages the privacy team's accounts and the API keys of
// host applications: creation, password checks, key lookup. Plain Go over
// the store; no HTTP.
package staff

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/cache"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the work factor of stored passwords. Tests lower it.
var BcryptCost = 12

// ErrBadCredentials is the one answer to every failed login, whatever failed.
var ErrBadCredentials = errors.New("email or password is wrong")

// InputError is bad input in one field.
type InputError struct{ Field, Message string }

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// Service manages staff users and API keys.
type Service struct {
	store *models.Store
	now   func() time.Time
	// dummyHash is compared against when the email is unknown, so that a
	// login for a missing account costs as long as one for a real account.
	// Made on first need: it costs a bcrypt hash, too much for start-up.
	dummyOnce sync.Once
	dummyHash []byte

	// keys caches live API keys by hash (host applications present a key
	// on every consent check); a revocation empties it on every instance.
	keys *cache.Cache[string, models.APIKey]
	bus  *cachebus.Bus
	// touched is when each key's last_used_at was last written, so that a
	// busy key costs one UPDATE a minute, not one per call.
	touchedMu sync.Mutex
	touched   map[string]time.Time
}

// apiKeyTopic is the cache bus topic of the API key cache.
const apiKeyTopic = "apikey"

// New returns a Service.
func New(store *models.Store, now func() time.Time) *Service {
	return &Service{store: store, now: now, keys: cache.New[string, models.APIKey](0), touched: map[string]time.Time{}}
}

// UseCache caches API key lookups, invalidated through bus.
func (s *Service) UseCache(bus *cachebus.Bus) {
	s.keys, s.bus = cache.New[string, models.APIKey](4096), bus
	bus.Register(apiKeyTopic, s.keys)
}

// GeneratePassword returns a random password of 26 base32 characters.
func GeneratePassword() string { return rand.Text() }

// CreateUser adds a staff user with a password (12 to 72 bytes: bcrypt
// reads no further than 72).
func (s *Service) CreateUser(ctx context.Context, email, role, password string) (*models.StaffUser, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || a.Name != "" {
		return nil, &InputError{"email", "is not a valid email address"}
	}
	if !slices.Contains(models.Roles, role) {
		return nil, &InputError{"role", "must be one of " + strings.Join(models.Roles, ", ")}
	}
	if len(password) < 12 || len(password) > 72 {
		return nil, &InputError{"password", "must be 12 to 72 bytes long"}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return nil, err
	}
	u := &models.StaffUser{ID: uuid.Must(uuid.NewV7()).String(), Email: a.Address, PasswordHash: string(hash), Role: role, CreatedAt: s.now()}
	if err := s.store.CreateStaffUser(ctx, u); errors.Is(err, models.ErrDuplicate) {
		return nil, &InputError{"email", "a staff user with this email exists already"}
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// Authenticate checks an email and password.
func (s *Service) Authenticate(ctx context.Context, email, password string) (*models.StaffUser, error) {
	u, err := s.store.StaffUserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		s.dummyOnce.Do(func() {
			s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), BcryptCost)
		})
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password))
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.DisabledAt != nil {
		return nil, ErrBadCredentials
	}
	_ = s.store.TouchStaffLogin(ctx, u.ID, s.now())
	return u, nil
}

// User loads an active staff user by id (for a JWT's subject).
func (s *Service) User(ctx context.Context, id string) (*models.StaffUser, error) {
	u, err := s.store.StaffUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, models.ErrNotFound
	}
	return u, nil
}

// Bootstrap creates the first admin when there is no staff user yet. With
// no password given, one is generated and returned so it can be printed
// once. created is false when staff users already exist.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (generated string, created bool, err error) {
	if email == "" {
		return "", false, nil
	}
	n, err := s.store.CountStaffUsers(ctx)
	if err != nil || n > 0 {
		return "", false, err
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	if _, err := s.CreateUser(ctx, email, models.RoleAdmin, password); err != nil {
		var ie *InputError
		if errors.As(err, &ie) && ie.Field == "email" && strings.Contains(ie.Message, "exists") {
			return "", false, nil // another instance bootstrapped first
		}
		return "", false, err
	}
	return generated, true, nil
}

// CreateAPIKey makes a key with scopes. The key is returned once; only its
// hash is kept.
func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes []string, createdBy string) (string, *models.APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, &InputError{"name", "is required (at most 100 characters)"}
	}
	if len(scopes) == 0 {
		return "", nil, &InputError{"scopes", "list at least one of " + strings.Join(models.Scopes, ", ")}
	}
	for _, sc := range scopes {
		if !slices.Contains(models.Scopes, sc) {
			return "", nil, &InputError{"scopes", fmt.Sprintf("%q is not one of %s", sc, strings.Join(models.Scopes, ", "))}
		}
	}
	key := secrets.NewAPIKey()
	k := &models.APIKey{
		ID: uuid.Must(uuid.NewV7()).String(), Name: name, Prefix: key[:len(secrets.APIKeyPrefix)+6],
		KeyHash: secrets.HashAPIKey(key), Scopes: strings.Join(scopes, ","), CreatedBy: createdBy, CreatedAt: s.now(),
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return "", nil, err
	}
	return key, k, nil
}

// APIKey finds the live key a caller presented and records its use
// (last_used_at, written at most once a minute per key).
func (s *Service) APIKey(ctx context.Context, key string) (*models.APIKey, error) {
	if !strings.HasPrefix(key, secrets.APIKeyPrefix) || len(key) > 100 {
		return nil, models.ErrNotFound
	}
	hash := secrets.HashAPIKey(key)
	k, ok := s.keys.Get(hash)
	if !ok {
		ticket := s.keys.Ticket()
		found, err := s.store.APIKeyByHash(ctx, hash)
		if err != nil {
			return nil, err
		}
		k = *found
		s.keys.Fill(ticket, hash, k)
	}
	now := s.now()
	s.touchedMu.Lock()
	last, seen := s.touched[k.ID]
	due := !seen || now.Sub(last) >= time.Minute || now.Before(last)
	if due {
		s.touched[k.ID] = now
	}
	s.touchedMu.Unlock()
	if due {
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			return nil, err
		}
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		k.LastUsedAt = &now
	}
	return &k, nil
}
