package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/observe"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/outbox"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// app is everything a subcommand may need, built from the configuration.
type app struct {
	cfg      *config.Config
	store    *models.Store
	keys     secrets.Keys
	requests *requests.Service
	staff    *staff.Service
	consents *consents.Service
	webhooks *webhooks.Service
	fulfil   *fulfilment.Service
	// bus carries cache invalidations between instances; serve runs it.
	bus *cachebus.Bus
	jwt *auth.JWT
	now func() time.Time
}

func wallClock() time.Time { return time.Now() }

// loadConfig reads the environment; a bad value is exit status 2.
func loadConfig(env func(string) (string, bool)) (*config.Config, error) {
	cfg, err := config.Load(env)
	if err != nil {
		return nil, &exitError{2, err}
	}
	return cfg, nil
}

// openApp opens and migrates the database and builds the services.
func openApp(ctx context.Context, env func(string) (string, bool)) (*app, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	store, err := models.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	secret := cfg.Secret
	if secret == "" {
		// Generated once and kept in the database, so that links and
		// sessions survive restarts and every instance shares it.
		secret, err = store.SettingOrCreate(ctx, "secret", secrets.NewSecret())
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("secret: %w", err)
		}
	}
	keys := secrets.Derive([]byte(secret))
	a := &app{cfg: cfg, store: store, keys: keys, now: wallClock}
	a.bus = cachebus.New(store, observe.Component("cachebus"))
	queue := webhooks.NewQueue()
	a.webhooks = webhooks.NewService(store, keys, queue, a.now)
	a.consents = consents.New(store, cfg.Policy, consents.Config{BaseURL: cfg.BaseURL, MailFrom: cfg.MailFrom, Keys: keys},
		a.now, a.bus, queue)
	a.fulfil = fulfilment.New(store, cfg.Policy, fulfilment.Config{BaseURL: cfg.BaseURL, Keys: keys, FilesDir: cfg.FilesDir}, a.now)
	a.requests = requests.New(store, cfg.Policy, requests.Config{
		BaseURL: cfg.BaseURL, MailFrom: cfg.MailFrom, Keys: keys,
		Retention:  time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		Consents:   a.consents,
		Fulfilment: a.fulfil,
	}, a.now)
	a.staff = staff.New(store, a.now)
	a.staff.UseCache(a.bus)
	a.jwt = auth.NewJWT(keys.JWTKey(), 12*time.Hour, a.now)
	return a, nil
}

// dispatcher builds the outbox sender: Resend when RESEND_API_KEY is set,
// else the dev outbox (messages are kept, not sent).
func (a *app) dispatcher(log *slog.Logger) (*outbox.Dispatcher, error) {
	d := &outbox.Dispatcher{Store: a.store, Now: a.now, Log: log}
	if a.cfg.ResendAPIKey == "" {
		return d, nil
	}
	rs, err := mail.NewResend(a.cfg.ResendAPIKey, a.cfg.ResendBaseURL, nil)
	if err != nil {
		return nil, &exitError{2, fmt.Errorf("RESEND_BASE_URL: %v", err)}
	}
	d.Sender = rs
	return d, nil
}

// newLogger logs JSON unless stderr is a terminal (or RIGHTSDESK_LOG_FORMAT
// says otherwise), through observe's handler: request ids from contexts,
// secrets scrubbed. It also becomes slog's default, so that the cache bus
// (observe.Component, built before the logger) and the log package (say,
// net/http's own errors) write through it too.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	log := observe.NewLogger(format != "text", w)
	slog.SetDefault(log)
	return log
}
