package observe

import (
	"github.com/getsentry/sentry-go"
)

// SentryOptions are what InitSentry needs from the configuration.
type SentryOptions struct {
	DSN, Environment, Release string
}

// InitSentry starts error reporting with no personal data: the SDK is told
// to collect none (DataCollection, which replaced the deprecated
// SendDefaultPII in sentry-go v0.50), and BeforeSend strips what an
// integration or a panic could still carry. Transactions are never sent:
// their names and spans can hold a raw URL.
func InitSentry(o SentryOptions) error {
	off := &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff}
	return sentry.Init(sentry.ClientOptions{
		Dsn: o.DSN, Environment: o.Environment, Release: o.Release,
		// A panic with a string value is a message event: without this it
		// would carry no stack at all.
		AttachStacktrace: true,
		DataCollection: &sentry.DataCollection{
			UserInfo:    sentry.Set(false),
			Cookies:     off,
			HTTPHeaders: &sentry.HeaderCollectionConfig{Request: off, Response: off},
			HTTPBodies:  []sentry.BodyType{},
			QueryParams: off,
		},
		BeforeSend:            BeforeSend,
		BeforeSendTransaction: func(*sentry.Event, *sentry.EventHint) *sentry.Event { return nil },
		BeforeBreadcrumb:      func(b *sentry.Breadcrumb, _ *sentry.BreadcrumbHint) *sentry.Breadcrumb { return stripBreadcrumb(b) },
	})
}

// keptContexts describe the machine, not the request: the runtime, the
// OS, the device (CPU count, architecture). Every other context (trace
// data, anything an integration adds) could hold request details.
var keptContexts = map[string]bool{"runtime": true, "os": true, "device": true}

// BeforeSend reduces an event to what tells a developer where the code
// failed: exception types, scrubbed messages and stack frames (without
// local variables). The request (its URL can hold a link token; its body,
// headers and cookies hold emails and credentials), the user, extra data,
// request-derived contexts and breadcrumbs' messages and data are dropped;
// a transaction name is kept only when it is a route pattern.
func BeforeSend(e *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	e.Request = nil
	e.User = sentry.User{}
	e.ServerName = ""
	e.Message = Scrub(e.Message)
	if e.TransactionInfo == nil || e.TransactionInfo.Source != sentry.SourceRoute {
		e.Transaction = ""
	}
	e.Transaction = Scrub(e.Transaction)
	for k := range e.Contexts {
		if !keptContexts[k] {
			delete(e.Contexts, k)
		}
	}
	for k, v := range e.Tags {
		e.Tags[k] = Scrub(v)
	}
	for i := range e.Exception {
		e.Exception[i].Value = Scrub(e.Exception[i].Value)
		stripStack(e.Exception[i].Stacktrace)
	}
	for i := range e.Threads {
		stripStack(e.Threads[i].Stacktrace)
	}
	for _, b := range e.Breadcrumbs {
		stripBreadcrumb(b)
	}
	e.Fingerprint = scrubAll(e.Fingerprint)
	return e
}

func stripStack(st *sentry.Stacktrace) {
	if st == nil {
		return
	}
	for i := range st.Frames {
		st.Frames[i].Vars = nil
	}
}

// stripBreadcrumb keeps when and what kind of thing happened, not what it
// said: a breadcrumb's message and data are free text from any code.
func stripBreadcrumb(b *sentry.Breadcrumb) *sentry.Breadcrumb {
	if b != nil {
		b.Message, b.Data = "", nil
	}
	return b
}

func scrubAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = Scrub(s)
	}
	return ss
}
