package models

import (
	"context"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// Schema is the PostgreSQL schema the store works in (its search_path),
// "public" unless the URL says otherwise; "" on SQLite. Notification
// channels are per database, not per schema, so channels carry it.
func (s *Store) Schema() string {
	if s.dialect != "postgres" {
		return ""
	}
	if u, err := url.Parse(s.dsn); err == nil {
		if sp := u.Query().Get("search_path"); sp != "" {
			return sp
		}
	}
	return "public"
}

// Notify sends payload on a PostgreSQL channel; inside a transaction it is
// delivered when the transaction commits, and not at all if it rolls back.
// On SQLite, where one process owns the database, it does nothing.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.dialect != "postgres" {
		return nil
	}
	return translate(s.with(ctx).Exec("SELECT pg_notify(?, ?)", channel, payload).Error)
}

// Listen holds a dedicated PostgreSQL connection listening on channel:
// ready runs once LISTEN is in place, then each notification's payload goes
// to fn, in order, until ctx ends or the connection fails (the error is
// returned; the caller reconnects). Only for PostgreSQL.
func (s *Store) Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
