// Command rightsdesk is the privacy-rights request server. It is the
// composition root: it reads the configuration, opens the database and wires
// the workflows to the HTTP handlers. Subcommands: serve (the default),
// migrate, admin create, apikey create, sweep, audit verify, version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

// exitError carries an exit status: 2 for configuration and usage errors,
// 1 for everything else.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, a ...any) error {
	return &exitError{2, fmt.Errorf(format, a...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rightsdesk: "+err.Error())
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// run dispatches a subcommand; tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr, env)
	case "migrate":
		return migrate(ctx, env, stdout)
	case "admin":
		if len(args) == 0 || args[0] != "create" {
			return usageErr("usage: rightsdesk admin create --email E --role R [--password-stdin]")
		}
		return adminCreate(ctx, args[1:], stdin, stdout, env)
	case "apikey":
		if len(args) == 0 || args[0] != "create" {
			return usageErr("usage: rightsdesk apikey create --name N --scopes S1,S2")
		}
		return apikeyCreate(ctx, args[1:], stdout, env)
	case "sweep":
		return sweepCmd(ctx, env, stdout, stderr)
	case "audit":
		if len(args) == 0 || args[0] != "verify" {
			return usageErr("usage: rightsdesk audit verify")
		}
		return auditVerify(ctx, stdout, env)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "rightsdesk "+version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageErr("unknown command %q\n%s", cmd, usage)
}

const usage = `usage: rightsdesk [command]

commands:
  serve                 run the server (the default)
  migrate               apply database migrations and exit
  admin create --email E --role R [--password-stdin]
                        create a staff user; prints a generated password once
  apikey create --name N --scopes S1,S2
                        create an API key; prints only the key, once
  sweep                 run the deadline, escalation, expiry and retention
                        sweep once, deliver the emails it queued, and exit
  audit verify          check every request's event hash chain
  version               print the version

Configuration is read from the environment; see README.md.
`
