package observe

import (
	"context"
	"io"
	"log/slog"
)

// Handler wraps a slog.Handler: each record gets the request id of its
// context (as "request_id"), and its message and every string or error
// value are passed through Scrub. Code that logs with the request's
// context (log.InfoContext(ctx, …)) gets the id without naming it; lines
// from background workers have no request and carry "component" instead.
type Handler struct{ inner slog.Handler }

// Wrap returns h wrapped in a Handler (h itself if it is one already).
func Wrap(h slog.Handler) slog.Handler {
	if _, ok := h.(*Handler); ok {
		return h
	}
	return &Handler{inner: h}
}

// Logger returns l with its handler wrapped; nil gives slog.Default's.
func Logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	if _, ok := l.Handler().(*Handler); ok {
		return l
	}
	return slog.New(Wrap(l.Handler()))
}

// NewLogger is the process logger: JSON lines for log collectors, or
// slog's text format for a person at a terminal, wrapped in a Handler.
func NewLogger(json bool, w io.Writer) *slog.Logger {
	if json {
		return slog.New(Wrap(slog.NewJSONHandler(w, nil)))
	}
	return slog.New(Wrap(slog.NewTextHandler(w, nil)))
}

// Enabled defers to the wrapped handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle scrubs the record and adds the request id.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	if id := RequestID(ctx); id != "" {
		out.AddAttrs(slog.String("request_id", id))
	}
	return h.inner.Handle(ctx, out)
}

// WithAttrs scrubs the attributes once, when they are bound.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = scrubAttr(a)
	}
	return &Handler{inner: h.inner.WithAttrs(clean)}
}

// WithGroup defers to the wrapped handler (the request id then lands in
// the group; nothing in rightsdesk logs in groups).
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name)}
}

func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Scrub(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = scrubAttr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		// Errors are the usual carrier of other people's text (a driver's
		// message, a panic value): log their scrubbed text.
		if err, ok := v.Any().(error); ok && err != nil {
			return slog.String(a.Key, Scrub(err.Error()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// Component is a logger for a background worker that is built before the
// process logger exists (the cache bus): each line goes to slog.Default()
// as it is at the time of logging, with a "component" attribute.
func Component(name string) *slog.Logger {
	return slog.New(deferred{}).With("component", name)
}

// deferred forwards to the default handler of the moment, replaying the
// attributes and groups bound to it.
type deferred struct {
	bind []func(slog.Handler) slog.Handler
}

func (d deferred) target() slog.Handler {
	h := slog.Default().Handler()
	for _, b := range d.bind {
		h = b(h)
	}
	return h
}

func (d deferred) Enabled(ctx context.Context, l slog.Level) bool {
	return slog.Default().Handler().Enabled(ctx, l)
}

func (d deferred) Handle(ctx context.Context, r slog.Record) error { return d.target().Handle(ctx, r) }

func (d deferred) WithAttrs(as []slog.Attr) slog.Handler {
	return deferred{bind: append(d.bind[:len(d.bind):len(d.bind)], func(h slog.Handler) slog.Handler { return h.WithAttrs(as) })}
}

func (d deferred) WithGroup(name string) slog.Handler {
	return deferred{bind: append(d.bind[:len(d.bind):len(d.bind)], func(h slog.Handler) slog.Handler { return h.WithGroup(name) })}
}
