package main

import (
	"os"
	"testing"
	"time"
)

// One request delivered as two signals (timeout -s INT, a terminal's
// Ctrl-C reaching the whole group) counts once; a second request a
// second later counts again. The clock is the test's: no sleeps.
func TestInterruptsWithinTheWindowCountOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{
		t0,
		t0.Add(50 * time.Microsecond), // the same request, to the group
		t0.Add(900 * time.Millisecond),
		t0.Add(1500 * time.Millisecond), // a second Ctrl-C
		t0.Add(1600 * time.Millisecond),
		t0.Add(3 * time.Second), // a third
	}
	clock := make(chan time.Time, len(times))
	for _, at := range times {
		clock <- at
	}
	raw := make(chan os.Signal)
	in := debounce(raw, time.Second, func() time.Time { return <-clock })
	defer close(in.stop)
	for range times {
		raw <- os.Interrupt // unbuffered: each is taken before the next is sent
	}
	for _, want := range []time.Time{t0, t0.Add(1500 * time.Millisecond), t0.Add(3 * time.Second)} {
		if got := <-in.C; !got.Equal(want) {
			t.Fatalf("counted an interrupt at %v, want %v", got.Sub(t0), want.Sub(t0))
		}
	}
	select {
	case got := <-in.C:
		t.Fatalf("an extra interrupt counted, at %v", got.Sub(t0))
	default:
	}
}
