package main

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

const (
	crashRounds = 10
	// crashSeedEnv replays a failed run's kill points (the interleaving of
	// requests around them still varies).
	crashSeedEnv = "RIGHTSDESK_CRASH_SEED"
)

// The crash-safety test: the real binary is SIGKILLed at random
// points under a stream of intakes and verifications, and restarted on the
// same database, ten times. Afterwards every request answered 202 exists,
// every token emailed before a kill still works after it, every event chain
// verifies, and every email of the outbox reached the (fake) provider
// exactly once by idempotency key. SQLite by default; PostgreSQL when
// RIGHTSDESK_TEST_DATABASE_URL is set.
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it ten times")
	}
	if runtime.GOOS == "windows" {
		t.Skip("stops the binary with SIGTERM, which Windows cannot send")
	}
	seed := crashSeed(t)
	t.Logf("%s: seed %d (replay the kill points with %s=%d)", testdb.Name(), seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	began := time.Now()

	bin := buildBinary(t)
	built := time.Now()
	resend := fakeresend.New(t)
	dbURL := crashDatabaseURL(t)
	srv := newBinaryServer(t, bin, map[string]string{
		"RIGHTSDESK_DATABASE_URL": dbURL,
		// Fixed, so that tokens and keys stay valid across restarts.
		"RIGHTSDESK_SECRET":          strings.Repeat("crash-test-secret-", 3),
		"RESEND_API_KEY":             "re_test",
		"RESEND_BASE_URL":            resend.URL(),
		"RIGHTSDESK_OUTBOX_INTERVAL": "20ms",
		"RIGHTSDESK_FILES_DIR":       t.TempDir(),
		"RIGHTSDESK_LOG_FORMAT":      "json",
		// Every intake comes from 127.0.0.1; the limits would refuse most.
		"RIGHTSDESK_RATE_LIMIT_IP":     "off",
		"RIGHTSDESK_RATE_LIMIT_EMAIL":  "off",
		"RIGHTSDESK_RATE_LIMIT_TOKENS": "off",
	})
	stream := newCrashStream(resend)

	srv.start()
	stream.serving(srv.base)
	submitCtx, stopSubmitting := context.WithCancel(context.Background())
	verifyCtx, stopVerifying := context.WithCancel(context.Background())
	var submitters, verifier sync.WaitGroup
	for range 2 {
		submitters.Go(func() { stream.submitLoop(submitCtx) })
	}
	verifier.Go(func() { stream.verifyLoop(verifyCtx, rand.New(rand.NewPCG(seed, 1))) })
	defer func() {
		stopSubmitting()
		stopVerifying()
		submitters.Wait()
		verifier.Wait()
	}()

	expired := 0
	for round := int32(1); round <= crashRounds; round++ {
		time.Sleep(time.Duration(20+rng.IntN(380)) * time.Millisecond)
		srv.kill()
		stream.down()
		stream.round.Store(round)
		// The outbox lease is two minutes: a message the killed process had
		// claimed is retried only after that. Half of the restarts (and the
		// last, so that the run can end) come "later than the lease": its
		// expiry is written as the passing of time would leave it. The retry
		// then carries the same idempotency key, which is the point.
		if round == crashRounds || rng.IntN(2) == 0 {
			expired += expireOutboxLeases(t, dbURL)
		}
		srv.start()
		stream.serving(srv.base)
	}
	stopSubmitting()
	submitters.Wait()
	roundsDone := time.Now()
	stream.drain.Store(true)
	drainOutbox(t, srv, stream, dbURL, 45*time.Second)
	drained := time.Now()
	stopVerifying()
	verifier.Wait()
	srv.stop()

	snap := stream.snapshot()
	checkCrashOutcome(t, srv, dbURL, resend, snap)
	t.Logf("%s: build %v, %d starts (%v each to ready) in %v, drain %v; %d intakes answered 202, %d cut by a kill; %d verifications (%d used after a restart); %d emails delivered, %d replayed by idempotency key after a kill, %d POSTs in all; %d expired outbox leases",
		testdb.Name(), built.Sub(began).Round(time.Millisecond), srv.starts, (srv.starting / time.Duration(srv.starts)).Round(time.Millisecond),
		roundsDone.Sub(built).Round(time.Millisecond), drained.Sub(roundsDone).Round(time.Millisecond), len(snap.accepted), snap.lost,
		len(snap.used), snap.acrossRestart, len(resend.Emails()), resend.Replays(), resend.Attempts(), expired)
	if t.Failed() {
		t.Log(srv.logTail())
	}
}

func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv(crashSeedEnv); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// expireOutboxLeases ends the leases of messages a killed process had
// claimed, as two minutes of downtime would (the lease is
// outbox.DefaultLease and not configurable). It runs while no process is
// up, and returns how many messages were mid-send.
func expireOutboxLeases(t *testing.T, dbURL string) int {
	t.Helper()
	store, err := models.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	// created_at is in the past and stored as the column type wants.
	res, err := db.Exec(`UPDATE outbox_messages SET locked_until = created_at WHERE status = 'sending'`)
	if err != nil {
		t.Fatalf("expire outbox leases: %v", err)
	}
	n, _ := res.RowsAffected()
	return int(n)
}

// drainOutbox waits until the stream has used every token it was emailed
// and the outbox has nothing left to send. The order of the three looks
// matters: settled, then nothing unsent, then still settled, proves that no
// email was owed by a verification in flight.
func drainOutbox(t *testing.T, srv *binaryServer, stream *crashStream, dbURL string, timeout time.Duration) {
	t.Helper()
	store, err := models.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	for {
		var unsent int
		settled := stream.settled()
		if err := db.QueryRow(`SELECT COUNT(*) FROM outbox_messages WHERE status IN ('pending', 'sending')`).Scan(&unsent); err != nil {
			t.Fatalf("count unsent emails: %v", err)
		}
		if settled && unsent == 0 && stream.settled() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the outbox still had %d emails to send (stream settled: %v)\n%s", timeout, unsent, settled, srv.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
