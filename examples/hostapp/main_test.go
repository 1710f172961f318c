package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestConfigNeedsTheSecretAndTheKey(t *testing.T) {
	env := map[string]string{"RIGHTSDESK_SIGNING_SECRET": "whsec_x"}
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("no error without RIGHTSDESK_SYSTEM_KEY")
	}
	env["RIGHTSDESK_SYSTEM_KEY"] = "key"
	cfg, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != ":8090" || cfg.dbPath != "hostapp.db" || cfg.seed {
		t.Fatalf("defaults %+v", cfg)
	}
}

func TestLogsNameNoPerson(t *testing.T) {
	var logs bytes.Buffer
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	r := newReceiver(t)
	req := adaRequest
	req.Corrections = []Correction{{Field: "city", Requested: "Paris"}}

	deliver(app, "whsec_wrong", c.Now(), marshal(t, jobFor(r, "job-forged", "access", adaRequest)))
	send(t, app, c, jobFor(r, "job-access", "access", adaRequest))
	send(t, app, c, jobFor(r, "job-correct", "correction", req))
	process(t, app)

	if !strings.Contains(logs.String(), "job-access") {
		t.Fatalf("the logs do not name the job:\n%s", logs.String())
	}
	for _, personal := range []string{"ada@example.com", "Ada", "Lovelace", "London", "Paris"} {
		if strings.Contains(logs.String(), personal) {
			t.Errorf("the logs contain %q:\n%s", personal, logs.String())
		}
	}
}
