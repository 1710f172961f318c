// Package models holds rightsdesk's data and its persistence. It is the only
// package that speaks to the database: callers get plain structs and the
// sentinel errors below, never gorm or driver errors.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/migrations"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Sentinel errors; handlers map them to HTTP statuses.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict: the record changed meanwhile")
	ErrDuplicate = errors.New("duplicate")
)

// Store is a handle on the database. A Store returned by InTx is bound to
// that transaction; every method works the same on either.
type Store struct {
	db      *gorm.DB
	dialect string
	// hot holds the prepared statements of the hot path; nil in a
	// transaction-bound Store.
	hot *hotStatements
	// dsn is the driver's connection string (for the PostgreSQL listener).
	dsn string
	// afterCommit collects what runs once the outermost transaction has
	// committed; nil outside a transaction.
	afterCommit *[]func()
	// writers admits one transaction at a time on SQLite (nil on
	// PostgreSQL); see InTx.
	writers chan struct{}
}

// Open connects to a database URL: sqlite://PATH or postgres://… (also
// postgresql://). It does not migrate; call Migrate.
func Open(databaseURL string) (*Store, error) {
	dialect, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard, // queries carry personal data: never logged
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	var db *gorm.DB
	switch dialect {
	case migrations.SQLite:
		path := strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")
		if dir := filepath.Dir(path); dir != "." && dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database: create directory %s: %w", dir, err)
			}
		}
		db, err = gorm.Open(sqlite.Open(dsn), cfg)
	case migrations.Postgres:
		db, err = gorm.Open(postgres.Open(dsn), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	var writers chan struct{}
	if dialect == migrations.SQLite {
		// One writer at a time is all SQLite allows; a small pool lets WAL
		// readers proceed while the writers queue in InTx.
		sqlDB.SetMaxOpenConns(4)
		writers = make(chan struct{}, 1)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	return &Store{db: db, dialect: dialect, hot: &hotStatements{}, dsn: dsn, writers: writers}, nil
}

// ParseDatabaseURL splits RIGHTSDESK_DATABASE_URL into a dialect and the DSN
// its driver takes.
func ParseDatabaseURL(raw string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		path := strings.TrimPrefix(raw, "sqlite://")
		if path == "" || strings.Contains(path, "?") {
			return "", "", fmt.Errorf("want sqlite://PATH without options, got %q", raw)
		}
		// WAL for concurrent readers; busy_timeout so writers queue instead
		// of failing; foreign keys on; immediate transactions so a
		// read-then-write transaction never fails with SQLITE_BUSY_SNAPSHOT.
		return migrations.SQLite, "file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=1&_txlock=immediate&_synchronous=NORMAL", nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, perr := url.Parse(raw)
		if perr != nil || u.Host == "" {
			return "", "", fmt.Errorf("not a valid postgres URL")
		}
		return migrations.Postgres, raw, nil
	default:
		return "", "", fmt.Errorf("want sqlite://PATH or postgres://…")
	}
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return migrations.Apply(ctx, sqlDB, s.dialect)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// SQL exposes the pool for tests and tooling that need raw access.
func (s *Store) SQL() (*sql.DB, error) { return s.db.DB() }

// InTx runs fn in one transaction: everything fn writes through tx commits
// together or not at all. Nested calls join the outer transaction (as a
// savepoint).
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.afterCommit != nil {
		return s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
			return fn(&Store{db: gtx, dialect: s.dialect, dsn: s.dsn, afterCommit: s.afterCommit})
		})
	}
	if s.writers != nil {
		release, err := s.admitWriter(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	var hooks []func()
	err := s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		return fn(&Store{db: gtx, dialect: s.dialect, dsn: s.dsn, afterCommit: &hooks})
	})
	if err == nil {
		for _, h := range hooks {
			h()
		}
	}
	return err
}

// writerWait bounds the wait for the SQLite writer, as _busy_timeout does.
const writerWait = 10 * time.Second

// admitWriter queues a SQLite transaction behind the one in progress. Every
// transaction is a writer there (_txlock=immediate), and SQLite's own busy
// handler makes the others poll with sleeps growing to 100 ms: under load
// the lock sat free while its waiters slept. Queued here, the next one
// starts the moment the previous one ends. Writers in other processes (and
// single statements outside InTx) still meet the busy timeout.
func (s *Store) admitWriter(ctx context.Context) (func(), error) {
	select {
	case s.writers <- struct{}{}:
		return func() { <-s.writers }, nil
	default:
	}
	t := time.NewTimer(writerWait)
	defer t.Stop()
	select {
	case s.writers <- struct{}{}:
		return func() { <-s.writers }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("database is locked: waited %s for the writer", writerWait)
	}
}

// AfterCommit runs fn once the transaction s belongs to has committed (at
// once outside a transaction). Caches use it to drop what the transaction
// changed: dropping before the commit would let a reader cache the old
// value again. A hook registered in a savepoint that rolls back still runs,
// so hooks must be harmless when nothing changed.
func (s *Store) AfterCommit(fn func()) {
	if s.afterCommit == nil {
		fn()
		return
	}
	*s.afterCommit = append(*s.afterCommit, fn)
}

func (s *Store) with(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// translate maps gorm errors to the package's sentinels.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", ErrDuplicate, err)
	}
	return err
}

// utc normalises an instant for storage: UTC, microsecond precision (what
// PostgreSQL keeps), so values read back compare equal and hash the same.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := utc(*t)
	return &v
}
