package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

func migrate(ctx context.Context, env func(string) (string, bool), stdout io.Writer) error {
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.store.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func adminCreate(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, env func(string) (string, bool)) error {
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "staff email")
	role := fs.String("role", "admin", "admin, agent, grievance_officer or auditor")
	fromStdin := fs.Bool("password-stdin", false, "read the password from one line of stdin")
	if err := fs.Parse(args); err != nil {
		return usageErr("admin create: %v", err)
	}
	if *email == "" {
		return usageErr("admin create: --email is required")
	}
	password, generated := "", false
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, generated = staff.GeneratePassword(), true
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if _, err := a.staff.CreateUser(ctx, *email, *role, password); err != nil {
		var ie *staff.InputError
		if errors.As(err, &ie) {
			return usageErr("admin create: %v", err)
		}
		return err
	}
	if generated {
		fmt.Fprintln(stdout, password)
	}
	return nil
}

func apikeyCreate(ctx context.Context, args []string, stdout io.Writer, env func(string) (string, bool)) error {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "what the key is for")
	scopes := fs.String("scopes", "", "comma-separated scopes")
	if err := fs.Parse(args); err != nil {
		return usageErr("apikey create: %v", err)
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.store.Close()
	var list []string
	for _, s := range strings.Split(*scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	key, _, err := a.staff.CreateAPIKey(ctx, *name, list, "cli")
	if err != nil {
		var ie *staff.InputError
		if errors.As(err, &ie) {
			return usageErr("apikey create: %v", err)
		}
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

func auditVerify(ctx context.Context, stdout io.Writer, env func(string) (string, bool)) error {
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.store.Close()
	n, err := audit.VerifyAll(ctx, a.store)
	var broken *audit.BrokenError
	if errors.As(err, &broken) {
		fmt.Fprintln(stdout, broken.EventID)
		return &exitError{1, fmt.Errorf("audit: chain broken at event %d: %s", broken.EventID, broken.Reason)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit: %d events verified, every chain intact\n", n)
	return nil
}
