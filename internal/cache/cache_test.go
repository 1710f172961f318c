package cache

import "testing"

func TestFillAfterInvalidationIsRefused(t *testing.T) {
	c := New[string, int](10)
	tk := c.Ticket()
	c.Invalidate("a") // a write committed while the reader was in the database
	c.Fill(tk, "a", 1)
	if _, ok := c.Get("a"); ok {
		t.Fatal("a reader that raced a write stored its stale answer")
	}
	tk = c.Ticket()
	c.Fill(tk, "a", 2)
	if v, ok := c.Get("a"); !ok || v != 2 {
		t.Fatalf("Get(a) = %v, %v; want 2, true", v, ok)
	}
	c.Invalidate("a")
	if _, ok := c.Get("a"); ok {
		t.Fatal("invalidated entry still served")
	}
}

func TestBoundedAndSwitchable(t *testing.T) {
	c := New[int, int](32)
	for i := range 1000 {
		c.Fill(c.Ticket(), i, i)
	}
	if n := c.Len(); n > 32 || n == 0 {
		t.Fatalf("Len = %d, want 1..32", n)
	}
	c.SetEnabled(false)
	c.Fill(c.Ticket(), 5000, 1)
	if _, ok := c.Get(5000); ok || c.Len() != 0 {
		t.Fatal("a disabled cache stored or served an entry")
	}
	c.SetEnabled(true)
	c.Fill(c.Ticket(), 5000, 1)
	if v, ok := c.Get(5000); !ok || v != 1 {
		t.Fatal("re-enabled cache does not store")
	}
	if z := New[int, int](0); func() bool { z.Fill(z.Ticket(), 1, 1); _, ok := z.Get(1); return ok }() {
		t.Fatal("a cache of size 0 stored an entry")
	}
}
