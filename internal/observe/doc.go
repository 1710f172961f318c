// Package observe is rightsdesk's observability plumbing that must never
// leak personal data: the request id carried in a request's context, the
// slog handler that stamps it on every line and scrubs what looks like an
// email address or a secret, and the Sentry set-up whose BeforeSend strips
// events down to code locations. docs/observability.md says what each
// promise is and which test holds it.
package observe
