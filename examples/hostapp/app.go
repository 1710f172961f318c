package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// App is the photo app's side of the fulfilment loop: its database, the
// endpoint rightsdesk posts jobs to, and the worker that does them and
// answers.
type App struct {
	db            *gorm.DB
	signingSecret string
	systemKey     string
	client        *http.Client
	now           func() time.Time
	retryFirst    time.Duration
	retryMax      time.Duration
	poll          time.Duration
	log           *slog.Logger

	wake chan struct{} // a job was stored
	// processing serialises ProcessPending: a job is worked on and answered
	// by one pass at a time, whoever calls it.
	processing sync.Mutex
}

// Option adjusts an App made by NewApp.
type Option func(*App)

// WithRetry sets the delay before the first re-send of an answer and the
// ceiling it doubles up to (defaults 10 s and 10 min).
func WithRetry(first, max time.Duration) Option {
	return func(a *App) { a.retryFirst, a.retryMax = first, max }
}

// WithPoll sets how often an idle worker looks for due jobs (default 5 s).
func WithPoll(every time.Duration) Option {
	return func(a *App) { a.poll = every }
}

// WithLogger sets where the App logs (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(a *App) { a.log = l }
}

// NewApp opens (and creates or migrates) the SQLite database at dbPath.
// signingSecret checks rightsdesk's jobs; systemKey authenticates the
// answers. A nil client gets one with a 30 s timeout; a nil now is
// time.Now.
func NewApp(dbPath, signingSecret, systemKey string, client *http.Client, now func() time.Time, opts ...Option) (*App, error) {
	if signingSecret == "" || systemKey == "" {
		return nil, errors.New("hostapp: the signing secret and the system key are both required")
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	a := &App{
		signingSecret: signingSecret,
		systemKey:     systemKey,
		client:        client,
		now:           func() time.Time { return now().UTC() },
		retryFirst:    10 * time.Second,
		retryMax:      10 * time.Minute,
		poll:          5 * time.Second,
		log:           slog.Default(),
		wake:          make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(a)
	}
	if a.retryFirst <= 0 || a.retryMax < a.retryFirst || a.poll <= 0 {
		return nil, errors.New("hostapp: retry delays and the poll interval must be positive, the ceiling at least the first delay")
	}
	db, err := openDB(dbPath, a.now)
	if err != nil {
		return nil, err
	}
	a.db = db
	return a, nil
}

func openDB(path string, now func() time.Time) (*gorm.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("hostapp: want a database file path without ? or #, got %q", path)
	}
	// WAL and a busy timeout let the page read while the worker writes;
	// immediate transactions keep read-then-write work from failing midway.
	dsn := "file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=1&_txlock=immediate"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:  logger.Discard, // queries carry emails and names: never logged
		NowFunc: now,
	})
	if err != nil {
		return nil, fmt.Errorf("hostapp: open %s: %w", path, err)
	}
	if err := db.AutoMigrate(&User{}, &Image{}, &Order{}, &JobRecord{}); err != nil {
		return nil, fmt.Errorf("hostapp: migrate %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (a *App) Close() error {
	sqlDB, err := a.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Handler serves the job endpoint and the demo page.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rightsdesk/jobs", a.receiveJob)
	mux.HandleFunc("GET /{$}", a.listUsers)
	return mux
}

// discardBody drains what is left of a response so its connection is reused.
func discardBody(r io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	_ = r.Close()
}
